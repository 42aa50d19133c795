//! Reading Falco rules files: the YAML list of `rule`, `macro`, `list`,
//! `required_engine_version` and `required_plugin_versions` items, with appends and overrides
//! applied in file order. Conditions stay text here; [`crate::compile`] parses them.

use std::collections::BTreeMap;

use serde_yaml_ng::{Mapping, Value};
use trailhound_sdk::{File, Severity};

use crate::position::{Position, Source};

/// Where a piece of text was written: the file (index into [`Definitions::files`]) and item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub file: usize,
    pub item: usize,
}

/// A condition as written, possibly appended to by later items: its text and where each
/// piece of it starts, so an error in it can name the file and line it came from.
#[derive(Debug, Clone)]
pub struct Condition {
    pub text: String,
    pub pieces: Vec<(usize, Origin)>,
}

impl Condition {
    fn new(text: &str, origin: Origin) -> Self {
        Condition { text: text.to_string(), pieces: vec![(0, origin)] }
    }

    fn append(&mut self, text: &str, origin: Origin) {
        self.text.push(' ');
        self.pieces.push((self.text.len(), origin));
        self.text.push_str(text);
    }

    /// The origin of the piece holding byte `offset`.
    pub fn origin(&self, offset: usize) -> Origin {
        self.pieces.iter().rev().find(|(start, _)| *start <= offset).map_or(self.pieces[0].1, |(_, o)| *o)
    }
}

/// One value of an exception's tuple: a single value, or a list (for `in`-like comparisons).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExceptionValue {
    One(String),
    Many(Vec<String>),
}

/// Falco's `exceptions:` entry: `fields` compared with `comps` against each tuple of `values`.
/// A single field (not a list) takes one value per entry, compared with `in` by default.
#[derive(Debug, Clone)]
pub struct Exception {
    pub name: String,
    pub fields: Vec<String>,
    pub single_field: bool,
    pub comps: Vec<String>,
    pub values: Vec<Vec<ExceptionValue>>,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct RuleDef {
    pub name: String,
    pub desc: String,
    pub condition: Condition,
    pub output: String,
    pub priority: Severity,
    pub tags: Vec<String>,
    pub enabled: bool,
    pub source: Option<String>,
    pub exceptions: Vec<Exception>,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct MacroDef {
    pub condition: Condition,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct ListDef {
    pub items: Vec<String>,
    pub origin: Origin,
}

/// Everything the rules files define, after appends and overrides.
#[derive(Debug, Default)]
pub struct Definitions {
    /// Each file's path and text, for positions in later errors.
    pub files: Vec<(String, String)>,
    pub named: Named,
}

/// The rules (in file order), macros and lists by name, and the versions the files require.
#[derive(Debug, Default)]
pub struct Named {
    /// Each `required_engine_version` and `required_plugin_versions` entry, as
    /// `engine 10` or `plugin cloudtrail 0.2.3`: accepted, not enforced, reported.
    pub requirements: Vec<String>,
    pub rules: Vec<RuleDef>,
    pub macros: BTreeMap<String, MacroDef>,
    pub lists: BTreeMap<String, ListDef>,
}

/// Rule keys Falco reads for its syscall engine only; accepted and ignored.
const IGNORED_RULE_KEYS: [&str; 4] =
    ["warn_evttypes", "skip-if-unknown-filter", "capture", "capture_duration"];

impl Definitions {
    /// Where `needle` is written in the condition piece from `origin`.
    pub fn position(&self, origin: Origin, key: &str, needle: &str) -> Position {
        let (path, text) = &self.files[origin.file];
        Source::new(path, text).within(origin.item, key, needle)
    }

    /// Reads the files in order; a later file appends to or overrides an earlier one.
    ///
    /// # Errors
    /// `file:line:column: what is wrong`.
    pub fn load(files: &[File]) -> Result<Self, String> {
        let mut defs = Definitions::default();
        for file in files {
            let text = String::from_utf8(file.contents.clone())
                .map_err(|e| format!("{}: not UTF-8: {e}", file.path))?;
            defs.files.push((file.path.clone(), text));
            defs.read_file(defs.files.len() - 1)?;
        }
        Ok(defs)
    }

    fn read_file(&mut self, file: usize) -> Result<(), String> {
        let (path, text) = &self.files[file];
        let source = Source::new(path, text);
        let yaml_error = |e: serde_yaml_ng::Error| match e.location() {
            Some(at) => format!("{}: {e}", source.at(at.line(), at.column())),
            None => format!("{path}: {e}"),
        };
        // A file may hold several YAML documents (`---`), read one after the other, as Falco
        // reads them.
        let mut items = Vec::new();
        for document in serde_yaml_ng::Deserializer::from_str(text) {
            let document: Option<Vec<Value>> =
                serde::Deserialize::deserialize(document).map_err(yaml_error)?;
            items.extend(document.unwrap_or_default());
        }
        let mut reader = Reader { defs: &mut self.named, source: &source, file };
        // An empty item (a bare `-`) defines nothing: Falco skips it.
        items
            .iter()
            .enumerate()
            .filter(|(_, value)| !value.is_null())
            .try_for_each(|(item, value)| reader.item(item, value))
    }
}

/// Reads one file's items into the definitions so far.
struct Reader<'s> {
    defs: &'s mut Named,
    source: &'s Source<'s>,
    file: usize,
}

/// How an item changes an earlier one of its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Append,
    Replace,
}

impl Reader<'_> {
    fn error(&self, item: usize, key: &str, what: impl std::fmt::Display) -> String {
        format!("{}: {what}", self.source.key(item, key))
    }

    fn item(&mut self, item: usize, value: &Value) -> Result<(), String> {
        let Value::Mapping(map) = value else {
            return Err(format!(
                "{}: a rules file item must be a mapping (rule, macro or list)",
                self.source.item(item)
            ));
        };
        let origin = Origin { file: self.file, item };
        if map.contains_key("rule") {
            self.rule(item, origin, map)
        } else if map.contains_key("macro") {
            self.macro_def(item, origin, map)
        } else if map.contains_key("list") {
            self.list(item, origin, map)
        } else if let Some(version) = map.get("required_engine_version") {
            self.defs.requirements.push(format!("engine {}", scalar(version).unwrap_or_default()));
            Ok(())
        } else if let Some(plugins) = map.get("required_plugin_versions") {
            let Value::Sequence(plugins) = plugins else {
                return Err(self.error(
                    item,
                    "required_plugin_versions",
                    "required_plugin_versions: expected a list of name and version",
                ));
            };
            for plugin in plugins {
                let text = |key: &str| plugin.get(key).and_then(scalar).unwrap_or_default();
                self.defs.requirements.push(format!("plugin {} {}", text("name"), text("version")));
            }
            Ok(())
        } else {
            let key = map.keys().next().and_then(Value::as_str).unwrap_or("");
            Err(self.error(item, key, format!("unknown item '{key}' (expected rule, macro, list, required_engine_version or required_plugin_versions)")))
        }
    }

    fn text(&self, item: usize, map: &Mapping, key: &str) -> Result<Option<String>, String> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                scalar(v).map(Some).ok_or_else(|| self.error(item, key, format!("{key}: expected text")))
            }
        }
    }

    fn required(&self, item: usize, map: &Mapping, key: &str, kind: &str) -> Result<String, String> {
        self.text(item, map, key)?.ok_or_else(|| self.error(item, kind, format!("{kind}: missing '{key}'")))
    }

    fn texts(&self, item: usize, value: Option<&Value>, key: &str) -> Result<Vec<String>, String> {
        match value {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Sequence(items)) => items
                .iter()
                .map(|v| {
                    scalar(v)
                        .ok_or_else(|| self.error(item, key, format!("{key}: expected a list of values")))
                })
                .collect(),
            Some(_) => Err(self.error(item, key, format!("{key}: expected a list"))),
        }
    }

    /// How each key changes an earlier item: `append: true` appends `default_key`; an
    /// `override:` mapping names `append` or `replace` per key.
    fn changes(
        &self,
        item: usize,
        map: &Mapping,
        default_key: &str,
    ) -> Result<Option<BTreeMap<String, Change>>, String> {
        let append = match map.get("append") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(self.error(item, "append", "append: expected true or false")),
        };
        let overrides = match map.get("override") {
            None | Some(Value::Null) => None,
            Some(Value::Mapping(o)) => Some(o),
            Some(_) => {
                return Err(self.error(
                    item,
                    "override",
                    "override: expected a mapping of key: append|replace",
                ))
            }
        };
        match (append, overrides) {
            (true, Some(_)) => {
                Err(self.error(item, "override", "override: cannot be used together with append"))
            }
            (true, None) => Ok(Some(BTreeMap::from([(default_key.to_string(), Change::Append)]))),
            (false, None) => Ok(None),
            (false, Some(o)) => o
                .iter()
                .map(|(k, v)| {
                    let key = scalar(k).unwrap_or_default();
                    let change = match v.as_str() {
                        Some("append") => Change::Append,
                        Some("replace") => Change::Replace,
                        _ => {
                            return Err(self.error(
                                item,
                                "override",
                                format!("override: {key}: expected append or replace"),
                            ))
                        }
                    };
                    Ok((key, change))
                })
                .collect::<Result<_, _>>()
                .map(Some),
        }
    }

    fn list(&mut self, item: usize, origin: Origin, map: &Mapping) -> Result<(), String> {
        let name = self.required(item, map, "list", "list")?;
        let items = self.texts(item, map.get("items"), "items")?;
        match self.changes(item, map, "items")? {
            None => {
                self.defs.lists.insert(name, ListDef { items, origin });
            }
            Some(changes) => {
                let Some(list) = self.defs.lists.get_mut(&name) else {
                    return Err(self.error(
                        item,
                        "list",
                        format!("list '{name}': appends to or overrides a list not defined before"),
                    ));
                };
                match changes.get("items") {
                    Some(Change::Append) => list.items.extend(items),
                    Some(Change::Replace) => list.items = items,
                    None => {}
                }
            }
        }
        Ok(())
    }

    fn macro_def(&mut self, item: usize, origin: Origin, map: &Mapping) -> Result<(), String> {
        let name = self.required(item, map, "macro", "macro")?;
        let condition = self.required(item, map, "condition", &format!("macro '{name}'"))?;
        match self.changes(item, map, "condition")? {
            None => {
                self.defs
                    .macros
                    .insert(name, MacroDef { condition: Condition::new(&condition, origin), origin });
            }
            Some(changes) => {
                let Some(existing) = self.defs.macros.get_mut(&name) else {
                    return Err(self.error(
                        item,
                        "macro",
                        format!("macro '{name}': appends to or overrides a macro not defined before"),
                    ));
                };
                match changes.get("condition") {
                    Some(Change::Append) => existing.condition.append(&condition, origin),
                    Some(Change::Replace) => existing.condition = Condition::new(&condition, origin),
                    None => {}
                }
            }
        }
        Ok(())
    }

    fn rule(&mut self, item: usize, origin: Origin, map: &Mapping) -> Result<(), String> {
        let name = self.required(item, map, "rule", "rule")?;
        let context = format!("rule '{name}'");
        for key in map.keys().filter_map(Value::as_str) {
            let known = matches!(
                key,
                "rule"
                    | "desc"
                    | "condition"
                    | "output"
                    | "priority"
                    | "tags"
                    | "enabled"
                    | "source"
                    | "exceptions"
                    | "append"
                    | "override"
            ) || IGNORED_RULE_KEYS.contains(&key);
            if !known {
                return Err(self.error(item, key, format!("{context}: unknown key '{key}'")));
            }
        }
        let enabled = match map.get("enabled") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                return Err(self.error(
                    item,
                    "enabled",
                    format!("{context}: enabled: expected true or false"),
                ))
            }
        };
        let priority = self.text(item, map, "priority")?.map(|p| priority(&p).ok_or_else(|| {
            self.error(item, "priority", format!("{context}: priority: unknown priority '{p}' (one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL, DEBUG)"))
        })).transpose()?;
        let tags = self.texts(item, map.get("tags"), "tags")?;
        let exceptions = self.exceptions(item, origin, map, &context)?;
        let changes = self.changes(item, map, "condition")?;
        let only_enabled =
            enabled.is_some() && map.keys().filter_map(Value::as_str).all(|k| k == "rule" || k == "enabled");
        let existing = self.defs.rules.iter().position(|r| r.name == name);
        match (changes, existing) {
            (Some(_), None) => Err(self.error(
                item,
                "rule",
                format!("{context}: appends to or overrides a rule not defined before"),
            )),
            (None, Some(at)) if only_enabled => {
                self.defs.rules[at].enabled = enabled.unwrap_or(true);
                Ok(())
            }
            (Some(changes), Some(at)) => {
                let condition = self.text(item, map, "condition")?;
                let output = self.text(item, map, "output")?;
                let desc = self.text(item, map, "desc")?;
                if let Some(key) = changes.keys().find(|k| !map.contains_key(k.as_str())) {
                    return Err(self.error(
                        item,
                        "override",
                        format!("{context}: override: names '{key}' but the item gives no {key}"),
                    ));
                }
                let rule = &mut self.defs.rules[at];
                for (key, change) in &changes {
                    match (key.as_str(), change) {
                        ("condition", Change::Append) => {
                            rule.condition.append(condition.as_deref().unwrap_or(""), origin)
                        }
                        ("condition", Change::Replace) => {
                            rule.condition = Condition::new(condition.as_deref().unwrap_or(""), origin)
                        }
                        ("output", _) => rule.output = output.clone().unwrap_or_default(),
                        ("desc", _) => rule.desc = desc.clone().unwrap_or_default(),
                        ("priority", _) => rule.priority = priority.unwrap_or(rule.priority),
                        ("enabled", _) => rule.enabled = enabled.unwrap_or(rule.enabled),
                        ("tags", Change::Append) => rule.tags.extend(tags.iter().cloned()),
                        ("tags", Change::Replace) => rule.tags = tags.clone(),
                        ("exceptions", Change::Append) => {
                            append_exceptions(&mut rule.exceptions, exceptions.clone())
                        }
                        ("exceptions", Change::Replace) => rule.exceptions = exceptions.clone(),
                        (other, _) => {
                            return Err(format!(
                                "{}: {context}: override: cannot override '{other}'",
                                self.source.key(item, "override")
                            ))
                        }
                    }
                }
                Ok(())
            }
            (None, _) => {
                let condition = self.required(item, map, "condition", &context)?;
                let output = self.text(item, map, "output")?.unwrap_or_default();
                let priority = priority
                    .ok_or_else(|| self.error(item, "rule", format!("{context}: missing 'priority'")))?;
                let rule = RuleDef {
                    desc: self.text(item, map, "desc")?.unwrap_or_default(),
                    condition: Condition::new(&condition, origin),
                    output,
                    priority,
                    tags,
                    enabled: enabled.unwrap_or(true),
                    source: self.text(item, map, "source")?,
                    exceptions,
                    origin,
                    name,
                };
                match existing {
                    Some(at) => self.defs.rules[at] = rule,
                    None => self.defs.rules.push(rule),
                }
                Ok(())
            }
        }
    }

    fn exceptions(
        &self,
        item: usize,
        origin: Origin,
        map: &Mapping,
        context: &str,
    ) -> Result<Vec<Exception>, String> {
        let bad = |what: &str| self.error(item, "exceptions", format!("{context}: exceptions: {what}"));
        let entries = match map.get("exceptions") {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Sequence(entries)) => entries,
            Some(_) => return Err(bad("expected a list")),
        };
        entries
            .iter()
            .map(|entry| {
                let Value::Mapping(entry) = entry else {
                    return Err(bad("each exception must be a mapping"));
                };
                let name =
                    entry.get("name").and_then(scalar).ok_or_else(|| bad("an exception needs a 'name'"))?;
                let (fields, single_field) = match entry.get("fields") {
                    Some(Value::Sequence(f)) => (f.iter().filter_map(scalar).collect::<Vec<_>>(), false),
                    Some(v) => (
                        vec![scalar(v)
                            .ok_or_else(|| bad(&format!("{name}: fields: expected a field or a list")))?],
                        true,
                    ),
                    None => return Err(bad(&format!("{name}: missing 'fields'"))),
                };
                let default_comp = if single_field { "in" } else { "=" };
                let comps = match entry.get("comps") {
                    None | Some(Value::Null) => vec![default_comp.to_string(); fields.len()],
                    Some(Value::Sequence(c)) => c.iter().filter_map(scalar).collect(),
                    Some(v) => vec![scalar(v).unwrap_or_default(); fields.len()],
                };
                if comps.len() != fields.len() {
                    return Err(bad(&format!("{name}: {} fields but {} comps", fields.len(), comps.len())));
                }
                let values = match entry.get("values") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Sequence(items)) if single_field => {
                        let items = items.iter().map(scalar).collect::<Option<Vec<_>>>();
                        vec![vec![ExceptionValue::Many(
                            items.ok_or_else(|| bad(&format!("{name}: values: expected values")))?,
                        )]]
                    }
                    Some(Value::Sequence(rows)) => rows
                        .iter()
                        .map(|row| match row {
                            Value::Sequence(cells) if cells.len() == fields.len() => cells
                                .iter()
                                .map(value_of)
                                .collect::<Option<Vec<_>>>()
                                .ok_or_else(|| bad(&format!("{name}: values: expected values"))),
                            _ => Err(bad(&format!(
                                "{name}: values: each entry must be a list of {} values, one per field",
                                fields.len()
                            ))),
                        })
                        .collect::<Result<_, _>>()?,
                    Some(_) => return Err(bad(&format!("{name}: values: expected a list"))),
                };
                Ok(Exception { name, fields, single_field, comps, values, origin })
            })
            .collect()
    }
}

/// Appends each exception's values to the one of its name, or adds it.
fn append_exceptions(into: &mut Vec<Exception>, more: Vec<Exception>) {
    for exception in more {
        match into.iter_mut().find(|e| e.name == exception.name) {
            Some(existing) => existing.values.extend(exception.values),
            None => into.push(exception),
        }
    }
}

fn value_of(value: &Value) -> Option<ExceptionValue> {
    match value {
        Value::Sequence(items) => items.iter().map(scalar).collect::<Option<_>>().map(ExceptionValue::Many),
        v => scalar(v).map(ExceptionValue::One),
    }
}

/// A YAML scalar as text (lists of ports are numbers, flags are booleans).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Falco's priority names (any case, `INFO` too), onto the SDK's severities.
pub fn priority(name: &str) -> Option<Severity> {
    Some(match name.to_ascii_uppercase().as_str() {
        "EMERGENCY" | "ALERT" | "CRITICAL" => Severity::Critical,
        "ERROR" => Severity::High,
        "WARNING" => Severity::Medium,
        "NOTICE" => Severity::Low,
        "INFORMATIONAL" | "INFO" | "DEBUG" => Severity::Info,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Definitions, String> {
        Definitions::load(&[File { path: "t.yaml".into(), contents: text.as_bytes().to_vec() }])
    }

    #[test]
    fn priorities_map_onto_severities() {
        assert_eq!(priority("EMERGENCY"), Some(Severity::Critical));
        assert_eq!(priority("Error"), Some(Severity::High));
        assert_eq!(priority("warning"), Some(Severity::Medium));
        assert_eq!(priority("NOTICE"), Some(Severity::Low));
        assert_eq!(priority("INFORMATIONAL"), Some(Severity::Info));
        assert_eq!(priority("DEBUG"), Some(Severity::Info));
        assert_eq!(priority("LOUD"), None);
    }

    #[test]
    fn exceptions_read_both_forms() {
        let defs = load(concat!(
            "- rule: r\n  condition: ct.name = X\n  priority: INFO\n  exceptions:\n",
            "    - name: one\n      fields: ct.user\n      values: [a, b]\n",
            "    - name: two\n      fields: [ct.user, ct.srcip]\n      comps: [=, in]\n      values: [[a, [1.2.3.4, 5.6.7.8]]]\n",
        ))
        .unwrap();
        let [one, two] = defs.named.rules[0].exceptions.as_slice() else { panic!("two exceptions") };
        assert_eq!(
            (one.comps.clone(), one.values.clone()),
            (vec!["in".to_string()], vec![vec![ExceptionValue::Many(vec!["a".into(), "b".into()])]])
        );
        assert_eq!(
            two.values,
            vec![vec![
                ExceptionValue::One("a".into()),
                ExceptionValue::Many(vec!["1.2.3.4".into(), "5.6.7.8".into()])
            ]]
        );
    }

    #[test]
    fn overrides_replace_and_append() {
        let defs = load(concat!(
            "- list: l\n  items: [a]\n- list: l\n  items: [b]\n  override:\n    items: replace\n",
            "- macro: m\n  condition: x\n- macro: m\n  condition: or y\n  append: true\n",
            "- rule: r\n  condition: m\n  priority: INFO\n  tags: [t]\n",
            "- rule: r\n  priority: ERROR\n  tags: [u]\n  override:\n    priority: replace\n    tags: append\n",
        ))
        .unwrap();
        assert_eq!(defs.named.lists["l"].items, vec!["b"]);
        assert_eq!(defs.named.macros["m"].condition.text, "x or y");
        let rule = &defs.named.rules[0];
        assert_eq!(
            (rule.priority, rule.tags.clone()),
            (Severity::High, vec!["t".to_string(), "u".to_string()])
        );
    }

    #[test]
    fn documents_are_read_in_turn_and_empty_items_skipped() {
        let defs = load(
            "- list: a\n  items: [x]\n-\n---\n- rule: r\n  condition: ct.name in (a)\n  priority: INFO\n",
        )
        .unwrap();
        assert_eq!(defs.named.rules.len(), 1);
        assert!(defs.named.lists.contains_key("a"));
        assert_eq!(
            load("- list: a\n  items: [x]\n---\n- rule: r\n  priority: LOUD\n").unwrap_err(),
            "t.yaml:5:3: rule 'r': priority: unknown priority 'LOUD' (one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL, DEBUG)",
            "positions count the items of every document"
        );
    }

    #[test]
    fn bad_items_name_their_position() {
        assert_eq!(
            load("- rule: r\n  condition: x\n  priority: INFO\n  colour: red\n").unwrap_err(),
            "t.yaml:4:3: rule 'r': unknown key 'colour'"
        );
        assert_eq!(
            load("- frobnicate: x\n").unwrap_err(),
            "t.yaml:1:3: unknown item 'frobnicate' (expected rule, macro, list, required_engine_version or required_plugin_versions)"
        );
        assert_eq!(
            load("- list: l\n  items: [a]\n- list: l\n  items: [b]\n  append: true\n  override:\n    items: append\n").unwrap_err(),
            "t.yaml:6:3: override: cannot be used together with append"
        );
        assert_eq!(
            load(
                "- rule: r\n  condition: x\n  priority: INFO\n- rule: r\n  override:\n    output: replace\n"
            )
            .unwrap_err(),
            "t.yaml:5:3: rule 'r': override: names 'output' but the item gives no output"
        );
        assert_eq!(
            load("- rule: r\n  condition: x\n").unwrap_err(),
            "t.yaml:1:3: rule 'r': missing 'priority'"
        );
    }
}
