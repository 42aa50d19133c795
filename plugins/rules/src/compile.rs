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
    pub tags: Vec<String>,
    /// The event source it applies to (Falco's `aws_cloudtrail` is `aws-cloudtrail`); every
    /// source when the rule names none.
    pub source: Option<String>,
}

/// The enabled rules, compiled.
///
/// # Errors
/// `file:line:column: rule 'name': what is wrong`.
pub fn compile(defs: &Definitions) -> Result<Vec<Rule>, String> {
    let mut compiler = Compiler { defs, macros: Vec::new() };
    defs.named.rules.iter().filter(|r| r.enabled).map(|r| compiler.rule(r)).collect()
}

struct Compiler<'d> {
    defs: &'d Definitions,
    /// The macros being expanded, outermost first, to catch one that uses itself.
    macros: Vec<String>,
}

impl Compiler<'_> {
    fn rule(&mut self, rule: &RuleDef) -> Result<Rule, String> {
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
        let output = Output::parse(&rule.output).map_err(|field| {
            format!(
                "{}: {context}: output: unknown field '{field}'",
                self.defs.position(rule.origin, "output", &format!("%{field}"))
            )
        })?;
        Ok(Rule {
            name: rule.name.clone(),
            matcher,
            output,
            severity: rule.priority,
            tags: rule.tags.clone(),
            source: rule.source.as_ref().map(|s| s.replace('_', "-")),
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
            Expr::Compare { field, op, value } => {
                let field = self.field(field, condition, context)?;
                let test = if op.takes_list() {
                    let mut items = BTreeSet::new();
                    self.list_items(value, &mut items, &mut Vec::new())
                        .map_err(|(at, what)| self.error(condition, at, context, &what))?;
                    Test::In(items)
                } else {
                    let (at, text) = match value {
                        Operand::Literal(text) => (None, text.clone()),
                        Operand::Bare(name) => (Some(name.offset), name.text.clone()),
                        Operand::List(_) => {
                            return Err(self.error(
                                condition,
                                0,
                                context,
                                "a list is only compared with in or intersects",
                            ))
                        }
                    };
                    Test::scalar(*op, text)
                        .map_err(|what| self.error(condition, at.unwrap_or(0), context, &what))?
                };
                Matcher::Test(field, test)
            }
            Expr::Macro(name) => self.macro_use(name, condition, context)?,
        })
    }

    fn field(&self, name: &Name, condition: &Condition, context: &str) -> Result<Field, String> {
        Field::parse(&name.text).ok_or_else(|| {
            self.error(condition, name.offset, context, &format!("unknown field '{}'", name.text))
        })
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
            .map(|f| Field::parse(f).ok_or_else(|| error(f, format!("unknown field '{f}'"))))
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
                let tests = fields.iter().zip(&ops).zip(row).map(|((field, op), value)| {
                    let test = match value {
                        ExceptionValue::One(text) if op.takes_list() => {
                            let mut items = BTreeSet::new();
                            self.named_or_value(text, &mut items, &mut Vec::new())
                                .map_err(|what| error(text, what))?;
                            Test::In(items)
                        }
                        ExceptionValue::One(text) => {
                            Test::scalar(*op, text.clone()).map_err(|what| error(text, what))?
                        }
                        ExceptionValue::Many(texts) if op.takes_list() => {
                            let mut items = BTreeSet::new();
                            for text in texts {
                                self.named_or_value(text, &mut items, &mut Vec::new())
                                    .map_err(|what| error(text, what))?;
                            }
                            Test::In(items)
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

/// An exception's comparison (`=`, `in`, `startswith`, ...), read as a condition's would be.
fn comparison(text: &str) -> Option<Op> {
    match lex(text).ok()?.as_slice() {
        [one] => Op::of(&one.token),
        _ => None,
    }
}
