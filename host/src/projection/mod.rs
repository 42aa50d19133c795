//! Field projection: every distinct JSONPath that any plugin declared is parsed once at load
//! and evaluated once per event, so twenty plugins asking for the same field cost one lookup.
//! Each plugin then receives its own values positionally, in the order it declared them.
//!
//! Paths made of names only are read straight from the record's text ([`simple`]); the others
//! go through the JSONPath engine (jsonpath-rust) on the record parsed whole, which is only
//! done when such a path is declared.

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
    paths: Vec<String>,
    /// The simple paths, by slot.
    simple: simple::Tree,
    /// The other paths, with their slots.
    complex: Vec<(usize, JpQuery)>,
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
            let index = match self.paths.iter().position(|p| p == path) {
                Some(index) => index,
                None => {
                    let query = parse_json_path(path).map_err(|e| ProjectionError {
                        plugin: plugin.to_string(),
                        path: path.clone(),
                        reason: e.to_string(),
                    })?;
                    let slot = self.paths.len();
                    self.paths.push(path.clone());
                    match simple::names(path) {
                        Some(names) => self.simple.insert(&names, slot),
                        None => self.complex.push((slot, query)),
                    }
                    slot
                }
            };
            map.push(index);
        }
        Ok(FieldMap(map))
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
        let mut out: Vec<Option<String>> = values.into_iter().map(|v| v.and_then(render_value)).collect();
        if !self.complex.is_empty() {
            if let Ok(record) = serde_json::from_str::<Value>(json) {
                for (slot, query) in &self.complex {
                    out[*slot] = render(js_path_process(query, &record).ok());
                }
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
        assert_eq!(projection.paths.len(), 4);
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
    fn invalid_path_names_plugin_and_path() {
        let err = Projection::default().register("bad-plugin", &["$[?(".into()]).unwrap_err();
        assert!(err.to_string().contains("bad-plugin") && err.to_string().contains("$[?("), "{err}");
    }
}
