//! Reading the rule files the plugin is given: the `.yml` and `.yaml` ones (a folder named in
//! the config arrives as every file under it), each possibly several YAML documents, each
//! document one rule compiled or refused. Nothing here is fatal: what cannot be used is kept
//! in the [`Report`], per log source, with its reason; a file that is not YAML is reported
//! with its line and column.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_yaml_ng::Value;
use trailhound_sdk::File;

use crate::compile::{compile, Paths, Rule};
use crate::logsource;

/// A rule (or file) that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `path: title`, or the path and position for a file that does not parse.
    pub what: String,
    pub reason: String,
}

/// What the files of one log source gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub loaded: usize,
    pub refused: Vec<Refusal>,
}

/// What was loaded and refused, by log source (`aws/cloudtrail`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub sources: BTreeMap<String, Counts>,
    /// Files that could not be read as YAML.
    pub unreadable: Vec<Refusal>,
}

impl Report {
    pub fn loaded(&self) -> usize {
        self.sources.values().map(|c| c.loaded).sum()
    }

    pub fn refused(&self) -> usize {
        self.sources.values().map(|c| c.refused.len()).sum::<usize>() + self.unreadable.len()
    }

    /// One line: the counts of each log source.
    pub fn summary(&self) -> String {
        let sources: Vec<String> = self
            .sources
            .iter()
            .map(|(source, c)| format!("{source} {} loaded, {} refused", c.loaded, c.refused.len()))
            .collect();
        format!(
            "{} Sigma rules loaded, {} refused ({}); {} files unreadable",
            self.loaded(),
            self.refused(),
            sources.join("; "),
            self.unreadable.len()
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (source, counts) in &self.sources {
            writeln!(f, "{source}: {} loaded, {} refused", counts.loaded, counts.refused.len())?;
            for refusal in &counts.refused {
                writeln!(f, "  refused {}: {}", refusal.what, refusal.reason)?;
            }
        }
        for refusal in &self.unreadable {
            writeln!(f, "unreadable {}: {}", refusal.what, refusal.reason)?;
        }
        Ok(())
    }
}

/// The rules of the files, the paths they read, and the report.
#[derive(Debug, Default)]
pub struct Loaded {
    pub rules: Vec<Rule>,
    pub paths: Paths,
    pub report: Report,
}

/// Whether the plugin reads this file: Sigma rules are YAML.
fn is_rule_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".yml") || lower.ends_with(".yaml")
}

/// Loads every rule of the files, in order.
pub fn load(files: &[File]) -> Loaded {
    let mut loaded = Loaded::default();
    for file in files.iter().filter(|f| is_rule_file(&f.path)) {
        let text = match std::str::from_utf8(&file.contents) {
            Ok(text) => text,
            Err(e) => {
                let reason = format!("not UTF-8: {e}");
                loaded.report.unreadable.push(Refusal { what: file.path.clone(), reason });
                continue;
            }
        };
        for document in serde_yaml_ng::Deserializer::from_str(text) {
            let value = match Value::deserialize(document) {
                Ok(value) => value,
                Err(e) => {
                    let what = match e.location() {
                        Some(at) => format!("{}:{}:{}", file.path, at.line(), at.column()),
                        None => file.path.clone(),
                    };
                    loaded.report.unreadable.push(Refusal { what, reason: e.to_string() });
                    // The rest of a stream that does not parse cannot be trusted.
                    break;
                }
            };
            loaded.document(&file.path, &value);
        }
    }
    loaded
}

impl Loaded {
    fn document(&mut self, path: &str, value: &Value) {
        let Value::Mapping(doc) = value else {
            if !value.is_null() {
                let reason = "a Sigma document must be a mapping".to_string();
                self.report.unreadable.push(Refusal { what: path.to_string(), reason });
            }
            return;
        };
        let counts = self.report.sources.entry(logsource::label(doc.get("logsource"))).or_default();
        let known = self.paths.0.len();
        match compile(doc, &mut self.paths) {
            Ok(rule) => {
                counts.loaded += 1;
                self.rules.push(rule);
            }
            Err(reason) => {
                // A refused rule declares nothing: the paths it added are dropped.
                self.paths.0.truncate(known);
                let title = doc.get("title").and_then(Value::as_str).unwrap_or("(untitled)");
                counts.refused.push(Refusal { what: format!("{path}: {title}"), reason });
            }
        }
    }
}
