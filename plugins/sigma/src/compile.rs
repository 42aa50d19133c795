//! One Sigma rule document compiled: its metadata made into what a finding carries, its
//! selections into field tests, its condition into an expression over them, and the set of
//! actions a match requires (for the index), when the condition implies one.

use std::collections::BTreeSet;

use serde_yaml_ng::{Mapping, Value};
use trailhound_sdk::{Event, Severity};

use crate::condition::{self, Expr};
use crate::fields::{self, Model, Target};
use crate::logsource::{self, Kind};
use crate::matcher::{Cidr, FieldTest, Matcher, Read, Regex};
use crate::modifiers::{Compare, Key};
use crate::pattern::{Anchor, Pattern};

/// The severity of a rule without `level`: Sigma's middle level.
const DEFAULT_LEVEL: Severity = Severity::Medium;

/// A named selection: one branch of tests must all match (a mapping is one branch, a list
/// of mappings one branch each).
#[derive(Debug, Clone)]
pub struct Selection {
    pub name: String,
    pub branches: Vec<Vec<FieldTest>>,
}

impl Selection {
    pub fn matches(&self, event: &Event<'_>) -> bool {
        self.branches.iter().any(|tests| tests.iter().all(|t| t.matches(event)))
    }
}

#[derive(Debug, Clone)]
pub struct Rule {
    /// The Sigma `id`, or the title when there is none.
    pub id: String,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    /// `T1078.004` from the `attack.t1078.004` tags.
    pub techniques: Vec<String>,
    /// The other tags, as written.
    pub tags: Vec<String>,
    pub kind: Kind,
    pub selections: Vec<Selection>,
    pub condition: Expr,
}

impl Rule {
    pub fn matches(&self, event: &Event<'_>) -> bool {
        self.condition.eval(&|i| self.selections[i].matches(event))
    }

    /// The actions (as the rule writes them) one of which an event must have to match, or
    /// `None` when the condition can match other actions too.
    pub fn actions(&self) -> Option<BTreeSet<String>> {
        self.expr_actions(&self.condition)
    }

    fn expr_actions(&self, expr: &Expr) -> Option<BTreeSet<String>> {
        match expr {
            Expr::Selection(i) => selection_actions(&self.selections[*i]),
            Expr::Not(_) => None,
            Expr::And(all) => all.iter().filter_map(|e| self.expr_actions(e)).min_by_key(BTreeSet::len),
            Expr::Or(any) => {
                any.iter().map(|e| self.expr_actions(e)).try_fold(BTreeSet::new(), |mut set, a| {
                    set.extend(a?);
                    Some(set)
                })
            }
        }
    }
}

/// The actions a selection requires: every branch must test the action against whole
/// values (no wildcards) for the selection to require one of them.
fn selection_actions(selection: &Selection) -> Option<BTreeSet<String>> {
    selection.branches.iter().try_fold(BTreeSet::new(), |mut set, tests| {
        let required = tests.iter().find_map(|test| {
            let exact = |m: &Matcher| match m {
                Matcher::Text(Pattern { text: crate::pattern::Text::Equals(value), .. }) => {
                    Some(value.clone())
                }
                _ => None,
            };
            let one_of = test.read == Read::Model(Model::Action) && (!test.all || test.matchers.len() == 1);
            one_of.then(|| test.matchers.iter().map(exact).collect::<Option<Vec<String>>>()).flatten()
        })?;
        set.extend(required);
        Some(set)
    })
}

/// The JSONPaths the rules read, each once, in the order of their projected values.
#[derive(Debug, Default)]
pub struct Paths(pub Vec<String>);

impl Paths {
    fn slot(&mut self, path: &str) -> usize {
        match self.0.iter().position(|p| p == path) {
            Some(slot) => slot,
            None => {
                self.0.push(path.to_string());
                self.0.len() - 1
            }
        }
    }
}

/// Compiles one rule document.
///
/// # Errors
/// Why the rule is refused: a log source trailhound does not read, a modifier or condition
/// form this plugin does not implement, or a malformed detection.
pub fn compile(doc: &Mapping, paths: &mut Paths) -> Result<Rule, String> {
    for (key, what) in [("correlation", "correlation rules"), ("action", "rule collections (action: ...)")] {
        if doc.contains_key(key) {
            return Err(format!("{what} are not supported"));
        }
    }
    let text = |key: &str| doc.get(key).and_then(Value::as_str).map(str::to_string);
    let title = text("title").ok_or("not a Sigma rule: no title")?;
    let kind = logsource::resolve(doc.get("logsource"))?;
    let detection = match doc.get("detection") {
        Some(Value::Mapping(detection)) => detection,
        Some(_) => return Err("detection: expected a mapping of selections and a condition".into()),
        None => return Err("not a Sigma rule: no detection".into()),
    };
    let severity = match doc.get("level") {
        None | Some(Value::Null) => DEFAULT_LEVEL,
        Some(level) => scalar(level).ok_or("level: expected text")?.parse()?,
    };
    let mut techniques = Vec::new();
    let mut tags = Vec::new();
    if let Some(Value::Sequence(list)) = doc.get("tags") {
        for tag in list.iter().filter_map(Value::as_str) {
            match technique(tag) {
                Some(id) => techniques.push(id),
                None => tags.push(tag.to_string()),
            }
        }
    }
    let mut compiler = Compiler { kind, paths };
    let mut names = Vec::new();
    let mut selections = Vec::new();
    let mut conditions = Vec::new();
    for (key, value) in detection {
        let name = key.as_str().ok_or("detection: selection names must be text")?;
        match name {
            "condition" => match value {
                Value::String(c) => conditions.push(c.clone()),
                Value::Sequence(list) => {
                    for c in list {
                        conditions.push(c.as_str().ok_or("condition: expected text")?.to_string());
                    }
                }
                _ => return Err("condition: expected text".into()),
            },
            "timeframe" => return Err("timeframe: aggregations over time are not supported".into()),
            _ => {
                let branches = compiler.selection(value).map_err(|e| format!("detection.{name}: {e}"))?;
                names.push(name.to_string());
                selections.push(Selection { name: name.to_string(), branches });
            }
        }
    }
    // Several conditions: the rule matches when one does.
    let mut parsed = conditions.iter().map(|c| condition::parse(c, &names)).collect::<Result<Vec<_>, _>>()?;
    let condition = match parsed.len() {
        0 => return Err("detection: no condition".into()),
        1 => parsed.remove(0),
        _ => Expr::Or(parsed),
    };
    Ok(Rule {
        id: text("id").unwrap_or_else(|| title.clone()),
        description: text("description").unwrap_or_default(),
        title,
        severity,
        techniques,
        tags,
        kind,
        selections,
        condition,
    })
}

/// `attack.t1078.004` → `T1078.004`.
fn technique(tag: &str) -> Option<String> {
    let id = tag.strip_prefix("attack.t")?;
    let (main, sub) = id.split_once('.').unwrap_or((id, ""));
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    (digits(main, 4) && (sub.is_empty() || digits(sub, 3))).then(|| format!("T{}", id.to_ascii_uppercase()))
}

/// Text, numbers and booleans as text.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

struct Compiler<'p> {
    kind: Kind,
    paths: &'p mut Paths,
}

impl Compiler<'_> {
    fn read(&mut self, field: &str) -> Result<Read, String> {
        Ok(match fields::target(self.kind, field)? {
            Target::Model(model) => Read::Model(model),
            Target::Paths(paths) => Read::Slots(paths.iter().map(|p| self.paths.slot(p)).collect()),
        })
    }

    fn selection(&mut self, value: &Value) -> Result<Vec<Vec<FieldTest>>, String> {
        match value {
            Value::Mapping(map) => Ok(vec![self.tests(map)?]),
            Value::Sequence(items) if !items.is_empty() => {
                let mut branches = Vec::new();
                let mut keywords = Vec::new();
                for item in items {
                    match item {
                        Value::Mapping(map) => branches.push(self.tests(map)?),
                        Value::Sequence(_) | Value::Tagged(_) => {
                            return Err("expected mappings of fields or keyword values".into())
                        }
                        keyword => keywords.push(keyword.clone()),
                    }
                }
                if !keywords.is_empty() {
                    let key = Key::parse("")?;
                    branches.push(vec![self.test(&key, Read::Raw, &Value::Sequence(keywords))?]);
                }
                Ok(branches)
            }
            Value::String(_) | Value::Number(_) => {
                Ok(vec![vec![self.test(&Key::parse("")?, Read::Raw, value)?]])
            }
            _ => Err("expected a mapping of fields, a list of them, or keywords".into()),
        }
    }

    fn tests(&mut self, map: &Mapping) -> Result<Vec<FieldTest>, String> {
        map.iter()
            .map(|(key, values)| {
                let key = key.as_str().ok_or("field names must be text")?;
                let parsed = Key::parse(key)?;
                let read = if parsed.field.is_empty() { Read::Raw } else { self.read(parsed.field)? };
                self.test(&parsed, read, values).map_err(|e| {
                    if e.starts_with(key) {
                        e
                    } else {
                        format!("{key}: {e}")
                    }
                })
            })
            .collect()
    }

    fn test(&mut self, key: &Key<'_>, read: Read, values: &Value) -> Result<FieldTest, String> {
        let values = match values {
            Value::Sequence(list) if list.is_empty() => return Err("an empty list of values".into()),
            Value::Sequence(list) => list.as_slice(),
            one => std::slice::from_ref(one),
        };
        // Keywords are found anywhere in the record.
        let compare = match (key.compare, read == Read::Raw) {
            (Compare::Text(Anchor::Whole), true) => Compare::Text(Anchor::Contains),
            (compare, _) => compare,
        };
        let matchers =
            values.iter().map(|v| self.matcher(compare, key.cased, v)).collect::<Result<_, _>>()?;
        Ok(FieldTest { name: key.field.to_string(), read, matchers, all: key.all })
    }

    fn matcher(&mut self, compare: Compare, cased: bool, value: &Value) -> Result<Matcher, String> {
        if value.is_null() && compare != Compare::Exists {
            return Ok(Matcher::Null);
        }
        let text = || scalar(value).ok_or_else(|| format!("expected a value, found {value:?}"));
        Ok(match compare {
            Compare::Text(anchor) => Matcher::Text(Pattern::new(&text()?, anchor, cased)),
            Compare::Regex { insensitive, multi_line, dot_all } => {
                Matcher::Regex(Regex::new(&text()?, insensitive, multi_line, dot_all)?)
            }
            Compare::Cidr => Matcher::Cidr(Cidr::parse(&text()?)?),
            Compare::Exists => match value {
                Value::Bool(wanted) => Matcher::Exists(*wanted),
                _ => return Err("exists: expected true or false".into()),
            },
            Compare::FieldRef => Matcher::FieldRef(self.read(&text()?)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn techniques_from_attack_tags() {
        assert_eq!(technique("attack.t1078.004").as_deref(), Some("T1078.004"));
        assert_eq!(technique("attack.t1098").as_deref(), Some("T1098"));
        assert_eq!(technique("attack.persistence"), None);
        assert_eq!(technique("attack.ta0003"), None);
    }
}
