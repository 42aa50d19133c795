//! What the host does for the plugin, done here for tests: a record's projected values, read
//! from the record for each path the rules declared (names, quoted names and indexes, the
//! paths the rules' fields use), rendered as the host renders them.

// Each test file is its own crate and uses only part of this.
#![allow(dead_code)]

use rules::Rules;
use serde_json::Value;
use trailhound_sdk::testing::{Harness, TestEvent};
use trailhound_sdk::{Detector, File};

pub fn file(path: &str, contents: &str) -> File {
    File { path: path.into(), contents: contents.as_bytes().to_vec() }
}

pub fn harness(contents: &str) -> Result<Harness<Rules>, String> {
    Harness::with_files(Value::Null, vec![file("rules.yaml", contents)])
}

/// `event` with the values the host would project from `record` for the paths `rules` declared,
/// and the record itself as its raw JSON.
pub fn projected(rules: &Harness<Rules>, event: TestEvent, record: &Value) -> TestEvent {
    let paths = rules.detector().declared().fields;
    paths
        .iter()
        .fold(event, |event, path| match at(record, path) {
            None | Some(Value::Null) => event,
            Some(Value::String(s)) => event.field(path, s),
            Some(other) => event.field(path, &other.to_string()),
        })
        .raw(&record.to_string())
}

/// The value at a JSONPath of names (`.a`, `['a/b']`) and indexes (`[0]`).
fn at<'v>(record: &'v Value, path: &str) -> Option<&'v Value> {
    let mut rest = path.strip_prefix('$')?;
    let mut value = record;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("['") {
            let close = after.find("']")?;
            value = value.get(&after[..close])?;
            rest = &after[close + 2..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']')?;
            value = value.get(after[..close].parse::<usize>().ok()?)?;
            rest = &after[close + 1..];
        } else {
            let after = rest.strip_prefix('.')?;
            let end = after.find(['.', '[']).unwrap_or(after.len());
            value = value.get(&after[..end])?;
            rest = &after[end..];
        }
    }
    Some(value)
}
