//! Builds, from a compiled rule, an event its detection matches: the condition is put in
//! disjunctive form, and for one of its terms each selection that must match gets, for
//! each field of one of its branches, a value satisfying the field's modifiers; fields of
//! selections that must not match, and `null` or `exists: false` fields, are left absent.
//! There is one candidate per term and branch choice; a test keeps the first the rule fires on.
//!
//! The near miss changes one field a matching selection tests to a value it refuses (or
//! removes it when the field accepts any value).

use std::collections::BTreeMap;

use regex_syntax::hir::{Class, Hir, HirKind};
use sigma::compile::Rule;
use sigma::condition::Expr;
use sigma::fields::Model;
use sigma::matcher::{FieldTest, Matcher, Read};
use sigma::pattern::{Piece, Text};
use trailhound_sdk::testing::TestEvent;

/// Field values of one generated event.
#[derive(Debug, Clone, Default)]
pub struct Assignment {
    /// Fields of the event model: its action, CloudTrail's service, user agent...
    pub model: BTreeMap<Model, String>,
    /// By projected slot.
    pub slots: BTreeMap<usize, String>,
    pub keywords: Vec<String>,
    /// The fields a matching selection set, to change for a near miss.
    pub tested: Vec<(Read, FieldTest)>,
}

/// A value that no Sigma value of the fixtures accepts unless it accepts anything.
const MISMATCH: &str = "\u{1}trailhound-mismatch\u{1}";

/// The candidates: one per term of the condition's disjunctive form and per branch choice.
pub fn candidates(rule: &Rule) -> Vec<Assignment> {
    let mut out = Vec::new();
    for term in dnf(&rule.condition, true) {
        for choice in 0..4 {
            let mut assignment = Assignment::default();
            for &(selection, positive) in &term {
                if !positive {
                    continue;
                }
                let branches = &rule.selections[selection].branches;
                let branch = &branches[choice.min(branches.len() - 1)];
                for test in branch {
                    assign(&mut assignment, test);
                }
            }
            out.push(assignment);
        }
    }
    out
}

/// The condition as an OR of ANDs of (selection, must match).
fn dnf(expr: &Expr, positive: bool) -> Vec<Vec<(usize, bool)>> {
    let product = |parts: Vec<Vec<Vec<(usize, bool)>>>| {
        parts.into_iter().fold(vec![Vec::new()], |acc, terms| {
            acc.iter()
                .flat_map(|a| {
                    terms.iter().map(move |t| {
                        let mut joined = a.clone();
                        joined.extend(t.iter().copied());
                        joined
                    })
                })
                .collect()
        })
    };
    match (expr, positive) {
        (Expr::Selection(i), _) => vec![vec![(*i, positive)]],
        (Expr::Not(inner), _) => dnf(inner, !positive),
        (Expr::And(all), true) | (Expr::Or(all), false) => {
            product(all.iter().map(|e| dnf(e, positive)).collect())
        }
        (Expr::Or(any), true) | (Expr::And(any), false) => {
            any.iter().flat_map(|e| dnf(e, positive)).collect()
        }
    }
}

fn set(assignment: &mut Assignment, read: &Read, value: String) {
    match read {
        Read::Model(model) => {
            assignment.model.insert(*model, value);
        }
        Read::Slots(slots) => {
            assignment.slots.insert(slots[0], value);
        }
        Read::Raw => assignment.keywords.push(value),
    }
}

fn current<'a>(assignment: &'a Assignment, read: &Read) -> Option<&'a str> {
    match read {
        Read::Model(model) => assignment.model.get(model).map(String::as_str),
        Read::Slots(slots) => assignment.slots.get(&slots[0]).map(String::as_str),
        Read::Raw => None,
    }
}

fn assign(assignment: &mut Assignment, test: &FieldTest) {
    let chosen: Vec<&Matcher> =
        if test.all { test.matchers.iter().collect() } else { vec![&test.matchers[0]] };
    let mut parts = Vec::new();
    for matcher in chosen {
        match matcher {
            Matcher::Null | Matcher::Exists(false) => return,
            Matcher::FieldRef(other) => {
                set(assignment, other, "same-value".into());
                parts.push("same-value".to_string());
            }
            other => parts.push(value_for(other)),
        }
    }
    let value = parts.join(" ");
    // A second test of a field already set (`startswith` and `endswith` of one field):
    // the value is built to satisfy both.
    let value = match current(assignment, &test.read) {
        Some(earlier) if test.read != Read::Raw => combine(earlier, &value, test),
        _ => value,
    };
    set(assignment, &test.read, value);
    assignment.tested.push((test.read.clone(), test.clone()));
}

/// A value the earlier one's test and `test` both accept, where their shapes allow one.
fn combine(earlier: &str, value: &str, test: &FieldTest) -> String {
    match &test.matchers[0] {
        Matcher::Text(p) if p.matches(earlier) => earlier.to_string(),
        Matcher::Text(p) => match &p.text {
            Text::EndsWith(v) => format!("{earlier}{v}"),
            Text::Contains(v) => format!("{earlier}{v}"),
            Text::StartsWith(v) => format!("{v}{earlier}"),
            _ => value.to_string(),
        },
        _ => value.to_string(),
    }
}

fn value_for(matcher: &Matcher) -> String {
    match matcher {
        Matcher::Text(pattern) => match &pattern.text {
            Text::Equals(v) => v.clone(),
            Text::StartsWith(v) => format!("{v}-tail"),
            Text::EndsWith(v) => format!("head-{v}"),
            Text::Contains(v) => format!("head-{v}-tail"),
            Text::Any => "anything".into(),
            Text::Glob(pieces) => pieces
                .iter()
                .map(|p| match p {
                    Piece::Text(t) => t.as_str(),
                    Piece::Star => "",
                    Piece::One => "a",
                })
                .collect(),
        },
        Matcher::Regex(regex) => {
            let hir = regex_syntax::parse(regex.as_str()).expect("a compiled regex parses");
            from_hir(&hir)
        }
        Matcher::Cidr(cidr) => cidr.network.to_string(),
        Matcher::Exists(_) => "present".into(),
        Matcher::Null | Matcher::FieldRef(_) => String::new(),
    }
}

/// A string the regex matches: the first alternative, the fewest repetitions, a class's
/// `a` when it has one.
fn from_hir(hir: &Hir) -> String {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => String::new(),
        HirKind::Literal(lit) => String::from_utf8_lossy(&lit.0).into_owned(),
        HirKind::Class(Class::Unicode(class)) => {
            let a = class.ranges().iter().any(|r| r.start() <= 'a' && 'a' <= r.end());
            if a {
                "a".into()
            } else {
                class.ranges().first().map(|r| r.start().to_string()).unwrap_or_default()
            }
        }
        HirKind::Class(Class::Bytes(class)) => {
            let a = class.ranges().iter().any(|r| r.start() <= b'a' && b'a' <= r.end());
            if a {
                "a".into()
            } else {
                class.ranges().first().map(|r| char::from(r.start()).to_string()).unwrap_or_default()
            }
        }
        HirKind::Repetition(rep) => from_hir(&rep.sub).repeat(rep.min as usize),
        HirKind::Capture(capture) => from_hir(&capture.sub),
        HirKind::Concat(parts) => parts.iter().map(from_hir).collect(),
        HirKind::Alternation(alternatives) => from_hir(&alternatives[0]),
    }
}

impl Assignment {
    /// The event: of the rule's source (and service), with the values projected at the
    /// plugin's declared paths, and a raw record holding the keywords.
    pub fn event(&self, rule: &Rule, paths: &[String]) -> TestEvent {
        let action = self.model.get(&Model::Action).map_or("GeneratedAction", String::as_str);
        let mut event = TestEvent::new("generated.example.com", action).id(&format!("generated-{}", rule.id));
        event.event.source = rule.kind.source().into();
        let service = self.model.get(&Model::Service).map(String::as_str).or(rule.kind.service());
        event.event.service = service.unwrap_or("generated.example.com").into();
        let text = |model| self.model.get(&model).cloned();
        event.event.error_code = text(Model::ErrorCode);
        event.event.success = event.event.error_code.is_none();
        event.event.error_message = text(Model::ErrorMessage);
        event.event.source_ip = text(Model::SourceIp);
        event.event.user_agent = text(Model::UserAgent);
        let mut raw = serde_json::Map::new();
        for (slot, value) in &self.slots {
            event = event.field(&paths[*slot], value);
            raw.insert(paths[*slot].clone(), value.clone().into());
        }
        raw.insert("keywords".into(), self.keywords.clone().into());
        event.raw(&serde_json::Value::Object(raw).to_string())
    }

    /// The same values with one tested field changed to a value its test refuses, or
    /// removed when it accepts any value.
    pub fn near_miss(&self, which: usize) -> Option<Assignment> {
        let (read, test) = self.tested.get(which)?;
        let mut changed = self.clone();
        let refuses_mismatch = test.matchers.iter().all(|m| match m {
            Matcher::Text(p) => !p.matches(MISMATCH),
            Matcher::Regex(r) => !r.is_match(MISMATCH),
            _ => true,
        });
        match read {
            Read::Model(model) if refuses_mismatch => {
                changed.model.insert(*model, MISMATCH.into());
            }
            Read::Model(model) => {
                changed.model.remove(model);
            }
            Read::Slots(slots) if refuses_mismatch => {
                changed.slots.insert(slots[0], MISMATCH.into());
            }
            Read::Slots(slots) => {
                changed.slots.remove(&slots[0]);
            }
            Read::Raw => changed.keywords.clear(),
        }
        Some(changed)
    }
}
