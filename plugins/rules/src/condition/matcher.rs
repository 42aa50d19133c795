//! A compiled condition: names resolved, lists expanded, regexes built, ready to test events.
//! As in Falco, a comparison on a field the event lacks is false, whatever the operator.

use std::borrow::Cow;
use std::collections::BTreeSet;

use regex::Regex;
use trailhound_sdk::Event;

use super::glob::Glob;
use super::parser::Op;
use crate::fields::{Field, Model};

#[derive(Debug, Clone)]
pub enum Matcher {
    Or(Box<Matcher>, Box<Matcher>),
    And(Box<Matcher>, Box<Matcher>),
    Not(Box<Matcher>),
    Test(Field, Test),
    Exists(Field),
}

/// What a field's value is tested with.
#[derive(Debug, Clone)]
pub enum Test {
    Eq(String),
    Ne(String),
    /// `=` and `!=` on a numeric field: compared as numbers.
    NumEq(f64),
    NumNe(f64),
    /// `<`, `<=`, `>`, `>=` on numbers.
    Order(Op, f64),
    /// `in`: a single value is one of the set; a list field's values all are.
    In(BTreeSet<String>),
    /// `intersects`: a single value is one of the set; one of a list field's values is.
    Intersects(BTreeSet<String>),
    Contains(String),
    /// Lowercased once at compile time.
    IContains(String),
    StartsWith(String),
    EndsWith(String),
    /// `bcontains` and `bstartswith`: the value's bytes against bytes written in hex.
    BContains(Vec<u8>),
    BStartsWith(Vec<u8>),
    Glob(Glob),
    /// Lowercased once at compile time.
    IGlob(Glob),
    /// `pmatch`: the value is one of these paths or under one of them.
    PMatch(Vec<String>),
    /// Anchored at both ends, as Falco's `regex` matches the whole value.
    Regex(Regex),
    /// `val(field)`: the operator against another field's value on the same event.
    Field(Op, Box<Field>),
}

impl Test {
    /// The test an operator makes with a scalar value, on a field whose values are numbers
    /// when `numeric`.
    ///
    /// # Errors
    /// A message when the value does not suit the operator (a number for `<`, a valid regex,
    /// hex for `bcontains`).
    pub fn scalar(op: Op, value: String, numeric: bool) -> Result<Test, String> {
        let number =
            |value: &str| value.trim().parse::<f64>().map_err(|_| format!("'{value}' is not a number"));
        Ok(match op {
            Op::Eq if numeric => Test::NumEq(number(&value)?),
            Op::Ne if numeric => Test::NumNe(number(&value)?),
            Op::Eq => Test::Eq(value),
            Op::Ne => Test::Ne(value),
            Op::Lt | Op::Le | Op::Gt | Op::Ge => Test::Order(op, number(&value)?),
            Op::In => Test::In(BTreeSet::from([value])),
            Op::Intersects => Test::Intersects(BTreeSet::from([value])),
            Op::PMatch => Test::PMatch(vec![value]),
            Op::Contains => Test::Contains(value),
            Op::IContains => Test::IContains(value.to_lowercase()),
            Op::StartsWith => Test::StartsWith(value),
            Op::EndsWith => Test::EndsWith(value),
            Op::BContains => Test::BContains(hex(&value)?),
            Op::BStartsWith => Test::BStartsWith(hex(&value)?),
            Op::Glob => Test::Glob(Glob::new(&value)),
            Op::IGlob => Test::IGlob(Glob::new(&value.to_lowercase())),
            Op::Regex => Test::Regex(
                Regex::new(&format!("^(?:{value})$")).map_err(|e| format!("bad regex '{value}': {e}"))?,
            ),
        })
    }

    /// The test an operator makes with a set of values (`in`, `intersects`, `pmatch`).
    pub fn set(op: Op, items: BTreeSet<String>) -> Test {
        match op {
            Op::Intersects => Test::Intersects(items),
            Op::PMatch => Test::PMatch(items.into_iter().collect()),
            _ => Test::In(items),
        }
    }

    /// Whether a list's values pass: none never do; `in` passes when all are in the set and
    /// `intersects` when one is (the only operators Falco takes on list fields).
    fn passes(&self, values: &[Cow<'_, str>]) -> bool {
        match self {
            _ if values.is_empty() => false,
            Test::In(set) => values.iter().all(|v| set.contains(v.as_ref())),
            Test::Intersects(set) => values.iter().any(|v| set.contains(v.as_ref())),
            // Refused on list fields when rules compile.
            other => values.iter().any(|v| other.matches(v)),
        }
    }

    fn matches(&self, value: &str) -> bool {
        let number = || value.trim().parse::<f64>().ok();
        match self {
            Test::Eq(v) => value == v,
            Test::Ne(v) => value != v,
            Test::NumEq(n) => number() == Some(*n),
            Test::NumNe(n) => number().is_some_and(|v| v != *n),
            Test::Order(op, bound) => number().is_some_and(|n| match op {
                Op::Lt => n < *bound,
                Op::Le => n <= *bound,
                Op::Gt => n > *bound,
                _ => n >= *bound,
            }),
            Test::In(set) | Test::Intersects(set) => set.contains(value),
            Test::Contains(v) => value.contains(v.as_str()),
            Test::IContains(v) => value.to_lowercase().contains(v.as_str()),
            Test::StartsWith(v) => value.starts_with(v.as_str()),
            Test::EndsWith(v) => value.ends_with(v.as_str()),
            Test::BContains(bytes) => {
                value.as_bytes().windows(bytes.len().max(1)).any(|w| w == bytes.as_slice())
            }
            Test::BStartsWith(bytes) => value.as_bytes().starts_with(bytes),
            Test::Glob(pattern) => pattern.matches(value),
            Test::IGlob(pattern) => pattern.matches(&value.to_lowercase()),
            Test::PMatch(paths) => paths.iter().any(|p| under(value, p)),
            Test::Regex(re) => re.is_match(value),
            // Needs the event: resolved into a test on the other field's value by the matcher.
            Test::Field(..) => false,
        }
    }
}

/// Bytes written in hex (`4142`), as `bcontains` takes them.
fn hex(text: &str) -> Result<Vec<u8>, String> {
    let bad = || format!("'{text}' is not bytes written in hex");
    if !text.len().is_multiple_of(2) {
        return Err(bad());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| text.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or_else(bad))
        .collect()
}

/// Whether `path` is `dir` or inside it, component by component.
fn under(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    path == dir || dir.is_empty() || path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
}

/// The items of a value written as a JSON array (a projected array), as texts.
fn json_items(value: &str) -> Option<Vec<Cow<'static, str>>> {
    if !value.starts_with('[') {
        return None;
    }
    let items: Vec<serde_json::Value> = serde_json::from_str(value).ok()?;
    Some(
        items
            .into_iter()
            .filter(|v| !v.is_null())
            .map(|v| Cow::Owned(crate::fields::each::text(&v)))
            .collect(),
    )
}

impl Matcher {
    pub fn matches(&self, event: &Event<'_>) -> bool {
        match self {
            Matcher::Or(a, b) => a.matches(event) || b.matches(event),
            Matcher::And(a, b) => a.matches(event) && b.matches(event),
            Matcher::Not(inner) => !inner.matches(event),
            Matcher::Test(field, test) if field.is_list() => test.passes(&field.values(event)),
            Matcher::Test(field, Test::Field(op, other)) => other
                .value(event)
                .and_then(|rhs| Test::scalar(*op, rhs.into_owned(), other.numeric()).ok())
                .zip(field.value(event))
                .is_some_and(|(test, value)| test.matches(&value)),
            Matcher::Test(field, test) => match (field.value(event), field, test) {
                (None, ..) => false,
                // A raw field whose value is an array is a list to `in` and `intersects`.
                (Some(value), Field::Path(_), Test::In(_) | Test::Intersects(_)) => {
                    match json_items(&value) {
                        Some(items) => test.passes(&items),
                        None => test.matches(&value),
                    }
                }
                (Some(value), ..) => test.matches(&value),
            },
            Matcher::Exists(field) if field.is_list() => !field.values(event).is_empty(),
            Matcher::Exists(field) => field.value(event).is_some(),
        }
    }

    /// Every field the matcher reads.
    pub fn fields<'m>(&'m self, into: &mut Vec<&'m Field>) {
        match self {
            Matcher::Or(a, b) | Matcher::And(a, b) => {
                a.fields(into);
                b.fields(into);
            }
            Matcher::Not(inner) => inner.fields(into),
            Matcher::Test(field, Test::Field(_, other)) => {
                into.push(field);
                into.push(other);
            }
            Matcher::Test(field, _) | Matcher::Exists(field) => into.push(field),
        }
    }

    /// The actions an event must have to match, when the condition names them (`ct.name = X`
    /// or `ct.name in (...)` required on every branch); `None` when any action could match.
    pub fn actions(&self) -> Option<BTreeSet<String>> {
        match self {
            Matcher::Test(Field::Model(Model::Action), Test::Eq(v)) => Some(BTreeSet::from([v.clone()])),
            Matcher::Test(Field::Model(Model::Action), Test::In(set) | Test::Intersects(set)) => {
                Some(set.clone())
            }
            Matcher::And(a, b) => match (a.actions(), b.actions()) {
                (Some(x), Some(y)) => Some(x.intersection(&y).cloned().collect()),
                (x, y) => x.or(y),
            },
            Matcher::Or(a, b) => Some(a.actions()?.union(&b.actions()?).cloned().collect()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_on_values() {
        let test = |op, value: &str| Test::scalar(op, value.into(), false).unwrap();
        assert!(test(Op::Regex, "Put.*Acl").matches("PutBucketAcl"));
        // Falco's regex (RE2, anchored at both ends) matches the whole value, not a part.
        assert!(!test(Op::Regex, "Put").matches("PutBucketAcl"));
        assert!(test(Op::Ge, "3").matches("3"));
        assert!(test(Op::Gt, "9").matches("10"), "numbers compare as numbers, not as text");
        assert!(!test(Op::Lt, "3").matches("abc"));
        assert!(test(Op::IContains, "ADMIN").matches("my-admin-role"));
        assert!(test(Op::IGlob, "*ADMIN*").matches("my-Admin-role"));
        assert!(test(Op::BContains, "6164").matches("my-admin"));
        assert!(test(Op::BStartsWith, "6d79").matches("my-admin"));
        assert!(!test(Op::BStartsWith, "6164").matches("my-admin"));
        assert!(test(Op::PMatch, "/etc").matches("/etc/kubernetes"));
        assert!(!test(Op::PMatch, "/etc").matches("/etcd"));
        assert!(Test::scalar(Op::Eq, "200".into(), true).unwrap().matches("200.0"));
        assert!(Test::scalar(Op::Lt, "x".into(), false).is_err());
        assert!(Test::scalar(Op::Eq, "x".into(), true).is_err());
        assert!(Test::scalar(Op::Regex, "(".into(), false).is_err());
        assert!(Test::scalar(Op::BContains, "4".into(), false).is_err());
        assert!(Test::scalar(Op::BContains, "zz".into(), false).is_err());
    }

    #[test]
    fn list_values_pass_in_when_all_do_and_intersects_when_one_does() {
        let set = BTreeSet::from(["a".to_string(), "b".to_string()]);
        let passes = |test: &Test, v: &[&'static str]| {
            test.passes(&v.iter().map(|s| Cow::Borrowed(*s)).collect::<Vec<_>>())
        };
        let (within, meets) = (Test::In(set.clone()), Test::Intersects(set));
        assert!(passes(&within, &["a", "b"]));
        assert!(!passes(&within, &["a", "c"]));
        assert!(passes(&meets, &["a", "c"]));
        assert!(!passes(&meets, &["c"]));
        assert!(!passes(&within, &[]), "no values: false, whatever the operator");
        assert!(!passes(&Test::In(BTreeSet::new()), &["a"]), "nothing is in an empty list");
    }
}
