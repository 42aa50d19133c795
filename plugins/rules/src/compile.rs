//! Turns the loaded definitions into rules ready to run: each condition parsed, its macros
//! expanded (a macro that uses itself is an error), its lists spliced in, its fields
//! resolved, its exceptions added as `and not (...)`, and its output split at `%field`s.

use std::collections::BTreeSet;

use trailhound_sdk::Severity;

use crate::condition::lexer::lex;
use crate::condition::matcher::{Matcher, Test};
use crate::condition::parser::{parse, Expr, Name, Op, Operand};
use crate::fields::Field;
use crate::load::{Condition, Definitions, Exception, ExceptionValue, RuleDef};
use crate::output::Output;

/// A rule ready to test events with.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub matcher: Matcher,
    pub output: Output,
    pub severity: Severity,
    /// Its tags but those that are only a technique id.
    pub tags: Vec<String>,
    /// The ATT&CK techniques its tags name (see [`technique_of`]).
    pub techniques: Vec<String>,
    /// The event source it applies to (see [`SOURCES`]); every source when the rule names none.
    pub source: Option<String>,
}

/// Falco's source names and the event sources they select; the event sources' own names are
/// accepted too.
pub const SOURCES: [(&str, &str); 3] =
    [("aws_cloudtrail", "aws-cloudtrail"), ("gcp_auditlog", "gcp-audit"), ("k8s_audit", "k8s-audit")];

/// The event sources trailhound normalizes.
const EVENT_SOURCES: [&str; 7] =
    ["aws-cloudtrail", "aws-vpcflow", "gcp-audit", "azure-activity", "azure-audit", "k8s-audit", "falco"];

/// The enabled rules, compiled, and the rules left out.
#[derive(Debug, Default)]
pub struct Compiled {
    pub rules: Vec<Rule>,
    /// Rules of a source no event has (Falco's `syscall`, a plugin's source trailhound does not
    /// read), as `file:line:column: rule 'name': unknown source 'x', skipped`. Falco too skips
    /// them with a warning, without compiling their conditions.
    pub skipped: Vec<String>,
}

/// The enabled rules, compiled.
///
/// # Errors
/// `file:line:column: rule 'name': what is wrong`.
pub fn compile(defs: &Definitions) -> Result<Compiled, String> {
    let mut compiler = Compiler { defs, macros: Vec::new() };
    let mut compiled = Compiled::default();
    for rule in defs.named.rules.iter().filter(|r| r.enabled) {
        let source = match rule.source.as_deref() {
            None => None,
            Some(name) => match event_source(name) {
                Some(source) => Some(source),
                None => {
                    let at = defs.position(rule.origin, "source", name);
                    compiled
                        .skipped
                        .push(format!("{at}: rule '{}': unknown source '{name}', skipped", rule.name));
                    continue;
                }
            },
        };
        compiled.rules.push(compiler.rule(rule, source)?);
    }
    Ok(compiled)
}

/// The event source a rule's `source` selects, if any does.
pub fn event_source(source: &str) -> Option<&'static str> {
    SOURCES
        .iter()
        .find(|(falco, _)| *falco == source)
        .map(|(_, ours)| *ours)
        .or_else(|| EVENT_SOURCES.iter().find(|s| **s == source).copied())
}

/// The ATT&CK technique id a tag is (`T1098`, `T1098.001`), or starts with before a `-` or
/// `_` (`T1562-impair-defenses`, as some Falco rules files write them).
pub fn technique_of(tag: &str) -> Option<&str> {
    let end = tag.find(['-', '_']).unwrap_or(tag.len());
    let id = &tag[..end];
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let valid = match id.strip_prefix('T').map(|rest| rest.split_once('.')) {
        Some(None) => digits(&id[1..], 4),
        Some(Some((technique, sub))) => digits(technique, 4) && digits(sub, 3),
        None => false,
    };
    valid.then_some(id)
}

struct Compiler<'d> {
    defs: &'d Definitions,
    /// The macros being expanded, outermost first, to catch one that uses itself.
    macros: Vec<String>,
}

impl Compiler<'_> {
    fn rule(&mut self, rule: &RuleDef, source: Option<&str>) -> Result<Rule, String> {
        let context = format!("rule '{}'", rule.name);
        let condition = self.condition(&rule.condition, &context)?;
        let exceptions = rule
            .exceptions
            .iter()
            .map(|e| self.exception(e, &context))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .reduce(|a, b| Matcher::Or(Box::new(a), Box::new(b)));
        let matcher = match exceptions {
            Some(excepted) => Matcher::And(Box::new(condition), Box::new(Matcher::Not(Box::new(excepted)))),
            None => condition,
        };
        // Falco trims a rule's output (a folded `>` block ends in a newline).
        let output = Output::parse(rule.output.trim()).map_err(|(field, what)| {
            format!("{}: {context}: output: {what}", self.defs.position(rule.origin, "output", &field))
        })?;
        Ok(Rule {
            name: rule.name.clone(),
            matcher,
            output,
            severity: rule.priority,
            // A tag that is only a technique id says nothing else: it is not kept as a tag too.
            tags: rule.tags.iter().filter(|t| technique_of(t) != Some(t.as_str())).cloned().collect(),
            techniques: rule.tags.iter().filter_map(|t| technique_of(t)).map(str::to_string).collect(),
            source: source.map(str::to_string),
        })
    }

    /// The error at `offset` of a condition, pointing at the text written there.
    fn error(&self, condition: &Condition, offset: usize, context: &str, what: &str) -> String {
        let rest = condition.text.get(offset..).unwrap_or("");
        let needle = rest.split(|c: char| c.is_whitespace() || c == ',' || c == ')').next().unwrap_or("");
        format!(
            "{}: {context}: condition: {what}",
            self.defs.position(condition.origin(offset), "condition", needle)
        )
    }

    fn condition(&mut self, condition: &Condition, context: &str) -> Result<Matcher, String> {
        let tokens = lex(&condition.text).map_err(|(at, what)| self.error(condition, at, context, &what))?;
        let expr = parse(&tokens, condition.text.len())
            .map_err(|(at, what)| self.error(condition, at, context, &what))?;
        self.expr(&expr, condition, context)
    }

    fn expr(&mut self, expr: &Expr, condition: &Condition, context: &str) -> Result<Matcher, String> {
        let both = |c: &mut Self, a: &Expr, b: &Expr| -> Result<(Box<Matcher>, Box<Matcher>), String> {
            Ok((Box::new(c.expr(a, condition, context)?), Box::new(c.expr(b, condition, context)?)))
        };
        Ok(match expr {
            Expr::Or(a, b) => {
                let (a, b) = both(self, a, b)?;
                Matcher::Or(a, b)
            }
            Expr::And(a, b) => {
                let (a, b) = both(self, a, b)?;
                Matcher::And(a, b)
            }
            Expr::Not(inner) => Matcher::Not(Box::new(self.expr(inner, condition, context)?)),
            Expr::Exists(name) => Matcher::Exists(self.field(name, condition, context)?),
            Expr::Compare { field: name, op, value } => {
                let field = self.field(name, condition, context)?;
                if field.is_list() && !op.on_lists() {
                    return Err(self.error(condition, name.offset, context, &list_only(&name.text)));
                }
                let test = match value {
                    Operand::Field(other) if op.takes_field() => {
                        Test::Field(*op, Box::new(self.field(other, condition, context)?))
                    }
                    Operand::Field(other) => {
                        return Err(self.error(
                            condition,
                            other.offset,
                            context,
                            "val(field) cannot be compared with regex, pmatch, in or intersects",
                        ))
                    }
                    _ if op.takes_list() => {
                        let mut items = BTreeSet::new();
                        self.list_items(value, &mut items, &mut Vec::new())
                            .map_err(|(at, what)| self.error(condition, at, context, &what))?;
                        Test::set(*op, items)
                    }
                    Operand::Literal(text) => Test::scalar(*op, text.clone(), field.numeric())
                        .map_err(|what| self.error(condition, name.offset, context, &what))?,
                    Operand::Bare(value) => Test::scalar(*op, value.text.clone(), field.numeric())
                        .map_err(|what| self.error(condition, value.offset, context, &what))?,
                    Operand::List(_) => {
                        return Err(self.error(
                            condition,
                            name.offset,
                            context,
                            "a list is only compared with in, intersects or pmatch",
                        ))
                    }
                };
                Matcher::Test(field, test)
            }
            Expr::Macro(name) => self.macro_use(name, condition, context)?,
        })
    }

    fn field(&self, name: &Name, condition: &Condition, context: &str) -> Result<Field, String> {
        Field::parse(&name.text).map_err(|what| self.error(condition, name.offset, context, &what))
    }

    fn macro_use(&mut self, name: &Name, condition: &Condition, context: &str) -> Result<Matcher, String> {
        let Some(definition) = self.defs.named.macros.get(&name.text) else {
            return Err(self.error(
                condition,
                name.offset,
                context,
                &format!("unknown macro '{}'", name.text),
            ));
        };
        if self.macros.contains(&name.text) {
            let chain = self.macros.iter().chain([&name.text]).cloned().collect::<Vec<_>>().join(" -> ");
            return Err(self.error(
                condition,
                name.offset,
                context,
                &format!("macro '{}' uses itself ({chain})", name.text),
            ));
        }
        self.macros.push(name.text.clone());
        let expanded = self.condition(&definition.condition, &format!("macro '{}'", name.text));
        self.macros.pop();
        expanded
    }

    /// Adds a list operand's values to `into`, splicing in named lists (`seen` catches a list
    /// that names itself). Errors carry the offset in the condition.
    fn list_items(
        &self,
        operand: &Operand,
        into: &mut BTreeSet<String>,
        seen: &mut Vec<String>,
    ) -> Result<(), (usize, String)> {
        match operand {
            Operand::Literal(text) => {
                into.insert(text.clone());
            }
            Operand::Bare(name) => {
                self.named_or_value(&name.text, into, seen).map_err(|what| (name.offset, what))?
            }
            Operand::List(items) => {
                for item in items {
                    self.list_items(item, into, seen)?;
                }
            }
            Operand::Field(name) => {
                return Err((
                    name.offset,
                    "val(field) is not a list: in, intersects and pmatch take values".into(),
                ))
            }
        }
        Ok(())
    }

    /// The named list's items (its own named lists spliced in), or the word itself as a value.
    fn named_or_value(
        &self,
        word: &str,
        into: &mut BTreeSet<String>,
        seen: &mut Vec<String>,
    ) -> Result<(), String> {
        let Some(list) = self.defs.named.lists.get(word) else {
            into.insert(word.to_string());
            return Ok(());
        };
        if seen.iter().any(|s| s == word) {
            return Err(format!("list '{word}' contains itself"));
        }
        seen.push(word.to_string());
        for item in &list.items {
            self.named_or_value(item, into, seen)?;
        }
        seen.pop();
        Ok(())
    }

    /// The exception's rows, each the conjunction of its field comparisons.
    fn exception(&self, exception: &Exception, context: &str) -> Result<Vec<Matcher>, String> {
        let error = |needle: &str, what: String| {
            format!(
                "{}: {context}: exceptions: {}: {what}",
                self.defs.position(exception.origin, "exceptions", needle),
                exception.name
            )
        };
        let fields = exception
            .fields
            .iter()
            .map(|f| Field::parse(f).map(|field| (f, field)).map_err(|what| error(f, what)))
            .collect::<Result<Vec<_>, _>>()?;
        let ops = exception
            .comps
            .iter()
            .map(|c| comparison(c).ok_or_else(|| error(c, format!("unknown comparison '{c}'"))))
            .collect::<Result<Vec<_>, _>>()?;
        exception
            .values
            .iter()
            .map(|row| {
                let tests = fields.iter().zip(&ops).zip(row).map(|(((name, field), op), value)| {
                    if field.is_list() && !op.on_lists() {
                        return Err(error(name, list_only(name)));
                    }
                    let test = match value {
                        ExceptionValue::One(text) if op.takes_list() => {
                            let mut items = BTreeSet::new();
                            self.named_or_value(text, &mut items, &mut Vec::new())
                                .map_err(|what| error(text, what))?;
                            Test::set(*op, items)
                        }
                        ExceptionValue::One(text) => Test::scalar(*op, text.clone(), field.numeric())
                            .map_err(|what| error(text, what))?,
                        ExceptionValue::Many(texts) if op.takes_list() => {
                            let mut items = BTreeSet::new();
                            for text in texts {
                                self.named_or_value(text, &mut items, &mut Vec::new())
                                    .map_err(|what| error(text, what))?;
                            }
                            Test::set(*op, items)
                        }
                        ExceptionValue::Many(_) => {
                            return Err(error(
                                "values",
                                "a list of values needs the comparison in or intersects".to_string(),
                            ))
                        }
                    };
                    Ok(Matcher::Test(field.clone(), test))
                });
                tests
                    .collect::<Result<Vec<_>, String>>()
                    .map(|tests| tests.into_iter().reduce(|a, b| Matcher::And(Box::new(a), Box::new(b))))
            })
            .filter_map(Result::transpose)
            .collect()
    }
}

/// Why a comparison other than `in` or `intersects` on a list field is refused, as Falco
/// refuses it.
fn list_only(name: &str) -> String {
    format!(
        "'{name}' is a list field: it is compared with in, intersects or exists only (or pick one item with [N])"
    )
}

/// An exception's comparison (`=`, `in`, `startswith`, ...), read as a condition's would be.
fn comparison(text: &str) -> Option<Op> {
    match lex(text).ok()?.as_slice() {
        [one] => Op::of(&one.token),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_ids_are_told_from_other_tags() {
        for (tag, id) in [("T1098", "T1098"), ("T1098.001", "T1098.001"), ("T1562-impair-defenses", "T1562")]
        {
            assert_eq!(technique_of(tag), Some(id), "{tag}");
        }
        for tag in
            ["mitre_persistence", "T109", "T1098.", "T1098.1", "TA0005-defense-evasion", "t1098", "aws", ""]
        {
            assert_eq!(technique_of(tag), None, "{tag}");
        }
    }

    #[test]
    fn falco_sources_select_event_sources() {
        assert_eq!(event_source("aws_cloudtrail"), Some("aws-cloudtrail"));
        assert_eq!(event_source("gcp_auditlog"), Some("gcp-audit"));
        assert_eq!(event_source("k8s_audit"), Some("k8s-audit"));
        assert_eq!(event_source("azure-activity"), Some("azure-activity"));
        assert_eq!(event_source("syscall"), None);
    }
}
