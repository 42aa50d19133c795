//! Field projection: every distinct JSONPath that any plugin declared is parsed once at load
//! and evaluated once per event, so twenty plugins asking for the same field cost one lookup.
//! Each plugin then receives its own values positionally, in the order it declared them.

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
    compiled: Vec<JpQuery>,
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
                    self.paths.push(path.clone());
                    self.compiled.push(query);
                    self.paths.len() - 1
                }
            };
            map.push(index);
        }
        Ok(FieldMap(map))
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Evaluates every distinct path once on `raw`.
    pub fn evaluate(&self, raw: &Value) -> Vec<Option<String>> {
        self.compiled.iter().map(|query| render(js_path_process(query, raw).ok())).collect()
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
        let values = projection.evaluate(&json!({"x": {"y": "s"}, "n": 5, "list": [1, 2]}));
        assert_eq!(a.pick(&values), vec![Some("s".into()), Some("5".into())]);
        assert_eq!(b.pick(&values), vec![Some("5".into()), Some("[1,2]".into()), None]);
    }

    #[test]
    fn invalid_path_names_plugin_and_path() {
        let err = Projection::default().register("bad-plugin", &["$[?(".into()]).unwrap_err();
        assert!(err.to_string().contains("bad-plugin") && err.to_string().contains("$[?("), "{err}");
    }
}
