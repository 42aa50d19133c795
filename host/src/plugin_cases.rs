//! Plugin test cases: the YAML that `trailhound plugin test` reads (a plugin, its config and
//! files, and cases of audit records of any source in, findings expected), and its parsing. The shape is
//! written here once; the command runs the cases.
//!
//! ```yaml
//! plugin: root-activity        # a name (looked up in --plugins-dir) or a path to a .wasm
//! config: {}                   # optional, passed to `configure`
//! files: [../rules/aws.yaml]   # optional: rule or data files handed to the plugin, relative
//!                              # to this YAML
//! cases:
//!   - name: root console login fires
//!     events:                  # raw records of any source the host reads
//!       - {eventID: "1", eventName: ConsoleLogin, ...}
//!     expect:
//!       - rule_id: aws.root-activity
//!         severity: high       # optional
//!         events: ["1"]        # optional: exactly these event ids
//!   - name: an IAM user does not
//!     events_file: ../data/user.json   # records from a file, relative to this YAML
//!     expect: []               # no finding at all
//! ```

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

/// One YAML file: the plugin under test and its cases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    pub plugin: String,
    #[serde(default)]
    pub config: serde_json::Value,
    /// The rule and data files the plugin is given, relative to the YAML file.
    #[serde(default)]
    pub files: Vec<PathBuf>,
    pub cases: Vec<Case>,
}

/// Records in (inline, from a file, or both), findings expected.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default)]
    pub events: Vec<serde_json::Value>,
    pub events_file: Option<PathBuf>,
    pub expect: Vec<Expected>,
}

/// One finding a case expects.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub rule_id: String,
    pub severity: Option<String>,
    pub events: Option<Vec<String>>,
}

/// Why a YAML file is not a [`Suite`], and where, when the parser knows.
#[derive(Debug)]
pub struct CaseError {
    pub message: String,
    /// 1-based line and column.
    pub at: Option<(usize, usize)>,
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some((line, column)) => write!(f, "{line}:{column}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for CaseError {}

/// Parses one YAML file of test cases.
///
/// # Errors
/// Not YAML, or not the shape above (an unknown key, a missing `cases`, a wrong type).
pub fn parse(text: &str) -> Result<Suite, CaseError> {
    serde_yaml_ng::from_str(text).map_err(|e| CaseError {
        at: e.location().map(|at| within(text, at.line(), at.column())),
        message: e.to_string(),
    })
}

/// A parser's 1-based line and column, kept inside `text`: at the end of a file without a
/// final newline the YAML parser names the start of the line after it, which is not there.
fn within(text: &str, line: usize, column: usize) -> (usize, usize) {
    let lines: Vec<&str> = text.split('\n').collect();
    if line == 0 || line > lines.len() {
        let last = lines.last().map_or(0, |l| l.chars().count());
        return (lines.len(), last + 1);
    }
    let width = lines[line - 1].chars().count();
    (line, column.clamp(1, width + 1))
}
