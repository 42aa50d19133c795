//! A compiled condition: names resolved, lists expanded, regexes built, ready to test events.
//! As in Falco, a comparison on a field the event lacks is false, whatever the operator.

use std::collections::BTreeSet;

use regex::Regex;
use trailhound_sdk::Event;

use super::parser::Op;
use crate::fields::Field;

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
    /// `<`, `<=`, `>`, `>=` on numbers.
    Order(Op, f64),
    /// `in`, and `intersects` (a value that is a JSON array intersects when one of its items is
    /// in the set).
    In(BTreeSet<String>),
    Contains(String),
    /// Lowercased once at compile time.
    IContains(String),
    StartsWith(String),
    EndsWith(String),
    Glob(String),
    /// Anchored at both ends, as Falco's `regex` matches the whole value.
    Regex(Regex),
}

impl Test {
    /// The test an operator makes with a scalar value.
    ///
    /// # Errors
    /// A message when the value does not suit the operator (a number for `<`, a valid regex).
    pub fn scalar(op: Op, value: String) -> Result<Test, String> {
        Ok(match op {
            Op::Eq => Test::Eq(value),
            Op::Ne => Test::Ne(value),
            Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                Test::Order(op, value.parse().map_err(|_| format!("'{value}' is not a number"))?)
            }
            Op::In | Op::Intersects => Test::In(BTreeSet::from([value])),
            Op::Contains => Test::Contains(value),
            Op::IContains => Test::IContains(value.to_lowercase()),
            Op::StartsWith => Test::StartsWith(value),
            Op::EndsWith => Test::EndsWith(value),
            Op::Glob => Test::Glob(value),
            Op::Regex => Test::Regex(
                Regex::new(&format!("^(?:{value})$")).map_err(|e| format!("bad regex '{value}': {e}"))?,
            ),
        })
    }

    fn matches(&self, value: &str) -> bool {
        match self {
            Test::Eq(v) => value == v,
            Test::Ne(v) => value != v,
            Test::Order(op, bound) => value.trim().parse::<f64>().is_ok_and(|n| match op {
                Op::Lt => n < *bound,
                Op::Le => n <= *bound,
                Op::Gt => n > *bound,
                _ => n >= *bound,
            }),
            Test::In(set) => set.contains(value) || json_items(value).iter().any(|item| set.contains(item)),
            Test::Contains(v) => value.contains(v.as_str()),
            Test::IContains(v) => value.to_lowercase().contains(v.as_str()),
            Test::StartsWith(v) => value.starts_with(v.as_str()),
            Test::EndsWith(v) => value.ends_with(v.as_str()),
            Test::Glob(pattern) => glob(pattern.as_bytes(), value.as_bytes()),
            Test::Regex(re) => re.is_match(value),
        }
    }
}

/// The text items of a value written as a JSON array (a projected list), else none.
fn json_items(value: &str) -> Vec<String> {
    if !value.starts_with('[') {
        return Vec::new();
    }
    match serde_json::from_str::<Vec<serde_json::Value>>(value) {
        Ok(items) => {
            items.into_iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).collect()
        }
        Err(_) => Vec::new(),
    }
}

/// Shell-style matching: `*` any run, `?` any one character, everything else literal.
fn glob(pattern: &[u8], value: &[u8]) -> bool {
    let (mut p, mut v) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while v < value.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, v));
                p += 1;
            }
            Some(&c) if c == b'?' || c == value[v] => {
                p += 1;
                v += 1;
            }
            _ => match star {
                Some((sp, sv)) => {
                    p = sp + 1;
                    v = sv + 1;
                    star = Some((sp, sv + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

impl Matcher {
    pub fn matches(&self, event: &Event<'_>) -> bool {
        match self {
            Matcher::Or(a, b) => a.matches(event) || b.matches(event),
            Matcher::And(a, b) => a.matches(event) && b.matches(event),
            Matcher::Not(inner) => !inner.matches(event),
            Matcher::Test(field, test) => field.value(event).is_some_and(|v| test.matches(&v)),
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
            Matcher::Test(field, _) | Matcher::Exists(field) => into.push(field),
        }
    }

    /// The actions an event must have to match, when the condition names them (`ct.name = X`
    /// or `ct.name in (...)` required on every branch); `None` when any action could match.
    pub fn actions(&self) -> Option<BTreeSet<String>> {
        match self {
            Matcher::Test(Field::Action, Test::Eq(v)) => Some(BTreeSet::from([v.clone()])),
            Matcher::Test(Field::Action, Test::In(set)) => Some(set.clone()),
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
    fn glob_matches_like_a_shell() {
        assert!(glob(b"arn:aws:iam::*:role/admin-?", b"arn:aws:iam::1:role/admin-x"));
        assert!(glob(b"*", b""));
        assert!(glob(b"a*b*c", b"axxbyyc"));
        assert!(!glob(b"a*b", b"axxc"));
        assert!(!glob(b"abc", b"abcd"));
    }

    #[test]
    fn tests_on_values() {
        assert!(Test::scalar(Op::Regex, "Put.*Acl".into()).unwrap().matches("PutBucketAcl"));
        assert!(!Test::scalar(Op::Regex, "Put".into()).unwrap().matches("PutBucketAcl"));
        assert!(Test::scalar(Op::Ge, "3".into()).unwrap().matches("3"));
        assert!(!Test::scalar(Op::Lt, "3".into()).unwrap().matches("abc"));
        assert!(Test::scalar(Op::IContains, "ADMIN".into()).unwrap().matches("my-admin-role"));
        assert!(Test::In(BTreeSet::from(["b".to_string()])).matches("[\"a\",\"b\"]"));
        assert!(Test::scalar(Op::Lt, "x".into()).is_err());
        assert!(Test::scalar(Op::Regex, "(".into()).is_err());
    }
}
