//! The unit that flows through the pipeline: where a record came from, its JSON text,
//! and (after normalization) the event model; and what is kept of a record that failed.
//!
//! A record travels as text, not as a parsed tree: the normalizer reads the few fields it
//! needs straight from the text, and only the consumers that need the whole record (field
//! projection, the sharder for a handful of actions) parse it, on the thread that uses it.

use std::fmt;
use std::sync::Arc;

/// Where one record came from, precise enough for a person to open the file and find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// File path, or `-` for stdin.
    pub file: Arc<str>,
    /// 1-based line, for line-oriented input (JSON lines).
    pub line: Option<u64>,
    /// 0-based index in a `{"Records":[...]}` array (or a top-level array).
    pub record: Option<u64>,
    /// 0-based byte offset of the record's first byte in the (decompressed) input.
    pub offset: Option<u64>,
}

impl Origin {
    pub fn line(file: Arc<str>, line: u64) -> Self {
        Origin { file, line: Some(line), record: None, offset: None }
    }

    pub fn record(file: Arc<str>, index: u64) -> Self {
        Origin { file, line: None, record: Some(index), offset: None }
    }

    pub fn whole(file: Arc<str>) -> Self {
        Origin { file, line: None, record: None, offset: None }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        match (self.record, self.offset) {
            (Some(index), Some(offset)) => write!(f, " (Records[{index}], byte {offset})"),
            (Some(index), None) => write!(f, " (Records[{index}])"),
            // A line is precise enough to find a record that has no index.
            (None, _) => Ok(()),
        }
    }
}

/// One record's JSON text, framed out of its input but not yet parsed: the normalizer's parse
/// is the one that says whether it is JSON at all.
#[derive(Debug, Clone)]
pub struct RawRecord {
    pub origin: Origin,
    pub text: Arc<str>,
}

/// A normalized record: the event model plus the JSON text it came from.
#[derive(Debug, Clone)]
pub struct Record {
    pub origin: Origin,
    /// The event, normalized; what each plugin receives is derived from it.
    pub event: crate::event::Event,
    /// The record exactly as it was read.
    pub raw: Arc<str>,
    /// The record had no time; the engine gives it the stream's.
    pub time_missing: bool,
}

impl Record {
    /// The whole record parsed, for the consumers that need more than the event model.
    /// `Null` cannot happen for a record that normalized (its text parsed once already).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.raw).unwrap_or(serde_json::Value::Null)
    }
}

/// A record that could not be decoded or normalized. Counted and reported, never dropped silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub origin: Origin,
    pub reason: String,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.reason)
    }
}

/// The JSON type of `value`, for error messages.
pub fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
