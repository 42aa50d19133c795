//! Field projection: every distinct JSONPath that any plugin declared is parsed once at load
//! and evaluated once per event, so twenty plugins asking for the same field cost one lookup.
//! Each plugin then receives its own values positionally, in the order it declared them.
//!
//! Paths made of names only are read straight from the record's text ([`simple`]); the others
//! go through the JSONPath engine (jsonpath-rust). A path that starts with names
//! (`$.requestParameters.ipPermissions.items[?@.toPort == 22]`) runs on the value at those names,
//! read like a simple path, and only when the record has it: most records lack most of the
//! deep fields rules ask for, and then cost nothing. Only a path that starts with no name
//! (`$..x`) needs the record parsed whole.

mod simple;

use jsonpath_rust::parser::model::JpQuery;
use jsonpath_rust::parser::parse_json_path;
use jsonpath_rust::query::js_path_process;
use serde_json::Value;

/// A JSONPath that did not parse, with the plugin that declared it.
#[derive(Debug, thiserror::Error)]
#[error("plugin {plugin:?} declares field {path:?}, which is not a valid JSONPath: {reason}")]
pub struct ProjectionError {
    pub plugin: String,
    pub path: String,
    pub reason: String,
}

/// The distinct paths of all loaded plugins, compiled.
#[derive(Default)]
pub struct Projection {
    /// Every path read, by slot: those plugins declared, and the leading names of complex ones.
    paths: Vec<String>,
    /// Per slot: a plugin declared it (the others are only read for a complex path).
    declared: Vec<bool>,
    /// The simple paths, by slot.
    simple: simple::Tree,
    /// The other paths.
    complex: Vec<Complex>,
}

/// A path for the JSONPath engine.
struct Complex {
    slot: usize,
    /// The slot of the names the path starts with, and the rest of the path, which runs on
    /// their value; `None`: the path runs on the whole record.
    within: Option<usize>,
    query: JpQuery,
}

/// The projected values of one batch's records, each evaluated once: only for the records
/// that a plugin which projects fields is sent, since a record is parsed whole for it.
pub struct BatchValues(Vec<Option<Vec<Option<String>>>>);

impl BatchValues {
    /// Evaluates `projection` on each record (its raw JSON) marked as needing it.
    pub fn evaluate<'r>(projection: &Projection, records: impl Iterator<Item = (&'r str, bool)>) -> Self {
        if projection.is_empty() {
            return BatchValues(Vec::new());
        }
        BatchValues(records.map(|(raw, needed)| needed.then(|| projection.evaluate(raw))).collect())
    }

    /// One plugin's values for record `index` of the batch, in its declaration order.
    pub fn pick(&self, index: usize, fields: &FieldMap) -> Vec<Option<String>> {
        match self.0.get(index) {
            Some(Some(values)) => fields.pick(values),
            // Not evaluated: no value matched.
            _ => fields.pick(&[]),
        }
    }
}

/// Where one plugin's declared fields sit in the projection's value list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldMap(Vec<usize>);

impl Projection {
    /// Adds a plugin's declared paths (deduplicated against those already known) and returns
    /// the map from its declaration order to projected values.
    ///
    /// # Errors
    /// A path that is not valid JSONPath, naming the plugin and the path.
    pub fn register(&mut self, plugin: &str, paths: &[String]) -> Result<FieldMap, ProjectionError> {
        let mut map = Vec::with_capacity(paths.len());
        for path in paths {
            let invalid = |e: &dyn std::fmt::Display| ProjectionError {
                plugin: plugin.into(),
                path: path.clone(),
                reason: e.to_string(),
            };
            let known = self.paths.iter().position(|p| p == path);
            if let Some(slot) = known {
                self.declared[slot] = true;
                map.push(slot);
                continue;
            }
            let query = parse_json_path(path).map_err(|e| invalid(&e))?;
            let slot = self.slot(path, true);
            match simple::leading_names(path) {
                Some((names, "")) if !names.is_empty() => self.simple.insert(&names, slot),
                Some((names, rest)) if !names.is_empty() && !rest.contains('$') => {
                    let query = parse_json_path(&format!("${rest}")).map_err(|e| invalid(&e))?;
                    let within = self.names_slot(&names);
                    self.complex.push(Complex { slot, within: Some(within), query });
                }
                _ => self.complex.push(Complex { slot, within: None, query }),
            }
            map.push(slot);
        }
        Ok(FieldMap(map))
    }

    /// A new slot for `path`.
    fn slot(&mut self, path: &str, declared: bool) -> usize {
        self.paths.push(path.to_string());
        self.declared.push(declared);
        self.paths.len() - 1
    }

    /// The slot of the simple path of `names`, read for a complex path that starts with them.
    fn names_slot(&mut self, names: &[String]) -> usize {
        let path: String = std::iter::once("$".to_string())
            .chain(names.iter().map(|n| format!("[{}]", Value::from(n.as_str()))))
            .collect();
        match self.paths.iter().position(|p| simple::names(p).as_deref() == Some(names)) {
            Some(slot) => slot,
            None => {
                let slot = self.slot(&path, false);
                self.simple.insert(names, slot);
                slot
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Evaluates every distinct path once on the record given as JSON text.
    pub fn evaluate(&self, json: &str) -> Vec<Option<String>> {
        let mut values: Vec<Option<Value>> = vec![None; self.paths.len()];
        if !self.simple.is_empty() {
            self.simple.read(json, &mut values);
        }
        let mut record: Option<Option<Value>> = None;
        let mut out: Vec<Option<String>> = vec![None; self.paths.len()];
        for complex in &self.complex {
            let on = match complex.within {
                Some(slot) => values[slot].as_ref(),
                None => record.get_or_insert_with(|| serde_json::from_str(json).ok()).as_ref(),
            };
            out[complex.slot] = on.and_then(|value| render(js_path_process(&complex.query, value).ok()));
        }
        for (slot, value) in values.into_iter().enumerate() {
            if self.declared[slot] && out[slot].is_none() {
                out[slot] = value.and_then(render_value);
            }
        }
        out
    }
}

impl FieldMap {
    /// This plugin's values, picked out of the projection's values for one event.
    pub fn pick(&self, values: &[Option<String>]) -> Vec<Option<String>> {
        self.0.iter().map(|&i| values.get(i).cloned().flatten()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A string as-is, anything else but `null` as JSON text.
fn render_value(value: Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// One match: a string as-is, anything else as JSON text; several matches as a JSON array.
fn render(matches: Option<Vec<jsonpath_rust::query::QueryRef<'_, Value>>>) -> Option<String> {
    let matches = matches?;
    match matches.as_slice() {
        [] => None,
        [one] => match one.clone().val() {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        },
        many => Some(Value::Array(many.iter().map(|m| m.clone().val().clone()).collect()).to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shared_paths_are_evaluated_once_and_mapped_per_plugin() {
        let mut projection = Projection::default();
        let a = projection.register("a", &["$.x.y".into(), "$.n".into()]).unwrap();
        let b = projection.register("b", &["$.n".into(), "$.list[*]".into(), "$.missing".into()]).unwrap();
        assert_eq!(projection.declared.iter().filter(|d| **d).count(), 4);
        let values = projection.evaluate(&json!({"x": {"y": "s"}, "n": 5, "list": [1, 2]}).to_string());
        assert_eq!(a.pick(&values), vec![Some("s".into()), Some("5".into())]);
        assert_eq!(b.pick(&values), vec![Some("5".into()), Some("[1,2]".into()), None]);
    }

    #[test]
    fn simple_paths_read_from_text_agree_with_the_jsonpath_engine() {
        let record = json!({
            "a": {"b": "text", "c": 7, "d": null, "e": [1, {"f": 2}]},
            "s": "not an object", "t": true, "weird key": {"x": 1.5}
        });
        let paths =
            ["$.a.b", "$['a']['c']", "$.a.d", "$.a.e", "$.a", "$.s.x", "$.t", "$['weird key'].x", "$.nope"];
        let mut projection = Projection::default();
        let map = projection.register("p", &paths.map(String::from)).unwrap();
        assert!(projection.complex.is_empty(), "all of these are simple");
        let values = map.pick(&projection.evaluate(&record.to_string()));
        for (path, value) in paths.iter().zip(values) {
            let query = parse_json_path(path).unwrap();
            assert_eq!(value, render(js_path_process(&query, &record).ok()), "{path}");
        }
    }

    #[test]
    fn complex_paths_run_on_the_value_at_their_leading_names_as_the_engine_does_on_the_record() {
        let record = json!({
            "requestParameters": {
                "ipPermissions": {"items": [
                    {"fromPort": 22, "toPort": 22, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}},
                    {"fromPort": 443, "toPort": 443, "ipRanges": {"items": [{"cidrIp": "10.0.0.0/8"}]}}
                ]},
                "life": {"Rule": [{"Expiration": {"Days": 1}}, {"Expiration": {"Days": 30}}]},
                "nothing": null,
                "list": ["a", "b"]
            },
            "top": [1, 2]
        });
        let paths = [
            "$.requestParameters.ipPermissions.items[?@.fromPort <= 22 && @.toPort >= 22].ipRanges.items[*].cidrIp",
            "$.requestParameters.life..Expiration.Days",
            "$.requestParameters.list[*]",
            "$.requestParameters.list[1]",
            "$.requestParameters.nothing[*]",
            "$.requestParameters.absent[*].x",
            "$['requestParameters'].life.Rule[0].Expiration",
            "$..cidrIp",
            "$.top[*]",
            "$.requestParameters.list[?@ == $.top[0]]",
        ];
        let mut projection = Projection::default();
        // One of them is also declared as a simple path: its value is kept as declared.
        let declared = projection.register("q", &["$.requestParameters.life".into()]).unwrap();
        let map = projection.register("p", &paths.map(String::from)).unwrap();
        assert_eq!(
            projection.complex.iter().filter(|c| c.within.is_none()).count(),
            2,
            "only the path that starts with no name and the one whose filter reads the root need the record"
        );
        let values = projection.evaluate(&record.to_string());
        for (path, value) in paths.iter().zip(map.pick(&values)) {
            let query = parse_json_path(path).unwrap();
            assert_eq!(value, render(js_path_process(&query, &record).ok()), "{path}");
        }
        let life = declared.pick(&values);
        assert_eq!(life, [Some(record["requestParameters"]["life"].to_string())]);
        assert_eq!(
            values.iter().filter(|v| v.is_some()).count(),
            8,
            "the leading names read for a path are not handed out"
        );
    }

    #[test]
    fn invalid_path_names_plugin_and_path() {
        let err = Projection::default().register("bad-plugin", &["$[?(".into()]).unwrap_err();
        assert!(err.to_string().contains("bad-plugin") && err.to_string().contains("$[?("), "{err}");
    }
}
