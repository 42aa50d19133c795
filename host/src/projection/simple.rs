//! Simple paths — `$.a.b`, `$['a']["b"]`: names only, no wildcards, indexes or filters — are
//! most of what detectors declare. They are read straight from the record's text: one pass
//! walks only the objects on the way to the wanted keys and skips everything else unbuilt,
//! instead of building the whole record as a tree and running a JSONPath engine over it.
//! Once every wanted top-level key has been read, the rest of the record is not read at all.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

/// The names of a simple path, or `None` when the path needs the JSONPath engine.
pub fn names(path: &str) -> Option<Vec<String>> {
    let (names, rest) = leading_names(path)?;
    (rest.is_empty() && !names.is_empty()).then_some(names)
}

/// The names a path starts with, and the rest of it (`$.a.b[*].c`: `a`, `b` and `[*].c`);
/// `None` when it does not start with `$`.
pub fn leading_names(path: &str) -> Option<(Vec<String>, &str)> {
    let mut rest = path.trim().strip_prefix('$')?;
    let mut names = Vec::new();
    loop {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let name = &after[..end];
            let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !plain {
                break;
            }
            names.push(name.to_string());
            rest = &after[end..];
        } else if let Some((name, after)) = quoted_name(rest) {
            names.push(name.to_string());
            rest = after;
        } else {
            break;
        }
    }
    Some((names, rest))
}

/// `['name']` or `["name"]` at the start of `text`, and what follows it. Escapes inside quoted
/// names are left to the JSONPath engine.
fn quoted_name(text: &str) -> Option<(&str, &str)> {
    let after = text.strip_prefix('[')?;
    let quote = after.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = &after[1..];
    let close = inner.find(quote)?;
    let name = &inner[..close];
    if name.contains('\\') {
        return None;
    }
    Some((name, inner[close + 1..].strip_prefix(']')?))
}

/// Simple paths merged into a tree of names, so shared prefixes are walked once.
#[derive(Debug, Default)]
pub struct Tree {
    children: Vec<(String, Tree)>,
    /// Slots of the paths that end here.
    slots: Vec<usize>,
}

impl Tree {
    /// Adds a path whose value goes to `slot`.
    pub fn insert(&mut self, names: &[String], slot: usize) {
        match names.split_first() {
            None => self.slots.push(slot),
            Some((first, rest)) => {
                let index = match self.children.iter().position(|(name, _)| name == first) {
                    Some(index) => index,
                    None => {
                        self.children.push((first.clone(), Tree::default()));
                        self.children.len() - 1
                    }
                };
                self.children[index].1.insert(rest, slot);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.children.is_empty() && self.slots.is_empty()
    }

    /// Reads the values of every path from the JSON text `json` into `out` (indexed by slot).
    /// Text that is not JSON leaves the slots as they are.
    pub fn read(&self, json: &str, out: &mut [Option<Value>]) {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        // An error here is either text that is not JSON or the walk stopping early on purpose;
        // in both cases the slots hold what was read.
        let _ = Walk { tree: self, out, root: true }.deserialize(&mut deserializer);
    }

    /// The values of every path below this node, from an already built `value`.
    fn fill_from(&self, value: &Value, out: &mut [Option<Value>]) {
        for &slot in &self.slots {
            out[slot] = Some(value.clone());
        }
        for (name, child) in &self.children {
            if let Some(inner) = value.get(name) {
                child.fill_from(inner, out);
            }
        }
    }
}

/// One step of the walk: at `tree`, reading whatever value comes next.
struct Walk<'t, 'o> {
    tree: &'t Tree,
    out: &'o mut [Option<Value>],
    /// At the record's top level, where the walk may stop before the end of the text.
    root: bool,
}

/// Why a walk stops before the end of the record: everything it wants has been read.
const DONE: &str = "every wanted field read";

impl<'de> DeserializeSeed<'de> for Walk<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.tree.slots.is_empty() {
            deserializer.deserialize_any(self)
        } else {
            // A path ends here: the value is wanted whole; any longer paths read from it.
            let value = Value::deserialize(deserializer)?;
            self.tree.fill_from(&value, self.out);
            Ok(())
        }
    }
}

use serde::Deserialize;

impl<'de> Visitor<'de> for Walk<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Top-level keys still unread, one bit each; with more than 64 wanted keys the walk
        // just reads to the end. (A key repeated after the walk stopped is not seen: records
        // with repeated keys are not valid CloudTrail.)
        let wanted = self.tree.children.len();
        let mut unread: u64 =
            if self.root && (1..=64).contains(&wanted) { u64::MAX >> (64 - wanted) } else { 0 };
        while let Some(child) = map.next_key_seed(Key(self.tree))? {
            match child {
                Some(index) => {
                    map.next_value_seed(Walk {
                        tree: &self.tree.children[index].1,
                        out: self.out,
                        root: false,
                    })?;
                    if unread != 0 {
                        unread &= !(1 << index);
                        if unread == 0 {
                            return Err(de::Error::custom(DONE));
                        }
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    // Anything but an object has no names to follow: skipped.
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| ())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A key, matched against the children of a node without being copied.
struct Key<'t>(&'t Tree);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.children.iter().position(|(name, _)| name == key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_paths_are_names_only() {
        assert_eq!(names("$.a.b"), Some(vec!["a".into(), "b".into()]));
        assert_eq!(names("$['a b'][\"c\"].d"), Some(vec!["a b".into(), "c".into(), "d".into()]));
        for complex in ["$", "$.a[0]", "$.a[*]", "$..a", "$.a[?(@.b)]", "$.*", "$['a\\'b']"] {
            assert_eq!(names(complex), None, "{complex}");
        }
    }

    #[test]
    fn the_walk_reads_nested_and_overlapping_paths() {
        let mut tree = Tree::default();
        tree.insert(&names("$.a.b").unwrap(), 0);
        tree.insert(&names("$.a").unwrap(), 1);
        tree.insert(&names("$.x").unwrap(), 2);
        tree.insert(&names("$.s.t").unwrap(), 3);
        let mut out = vec![None; 4];
        tree.read(r#"{"skip":{"a":{"b":1}},"a":{"b":[1,2],"c":"d"},"s":"not an object","x":null}"#, &mut out);
        assert_eq!(out[0], Some(serde_json::json!([1, 2])));
        assert_eq!(out[1], Some(serde_json::json!({"b": [1, 2], "c": "d"})));
        assert_eq!(out[2], Some(Value::Null));
        assert_eq!(out[3], None);
    }

    #[test]
    fn the_walk_stops_once_every_wanted_top_level_key_is_read() {
        let mut tree = Tree::default();
        tree.insert(&names("$.a.b").unwrap(), 0);
        tree.insert(&names("$.x").unwrap(), 1);
        let mut out = vec![None; 2];
        // Nothing after "x" is read: neither the repeated "a" nor the text that is not JSON.
        tree.read(r#"{"a":{"c":0,"b":1},"x":"y","a":{"b":2},"z":nonsense"#, &mut out);
        assert_eq!(out, [Some(serde_json::json!(1)), Some(serde_json::json!("y"))]);
        // A wanted key that never comes: the walk reads to the end.
        let mut out = vec![None; 2];
        tree.read(r#"{"a":{"b":1},"q":1,"a":{"b":3}}"#, &mut out);
        assert_eq!(out, [Some(serde_json::json!(3)), None]);
    }
}
