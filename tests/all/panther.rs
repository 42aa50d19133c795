//! Panther's labeled test events (`../shared/fixtures/panther/`), checked source by source: a
//! file holds the rows of every rule written for its log type, and those rules' tests also
//! hold other sources' records, fragments and `{}` placeholders. Each test says which rows it
//! holds to be records of its source; those must normalize, recognised without being told
//! what they are, and the others must not be taken for its source.

use std::collections::BTreeMap;

use serde_json::Value;
use trailhound::normalize::{self, Read};

/// How the rows of one file went.
pub struct Tally {
    pub normalized: usize,
    /// Rows that are not events of the source, by the test's reason.
    pub not_events: BTreeMap<String, usize>,
}

impl Tally {
    pub fn not_events(&self) -> usize {
        self.not_events.values().sum()
    }
}

/// Checks every row of `file` (`gcp-audit.jsonl`): a row `judge` finds to be a record of
/// `source` (`Ok`) must normalize to an event of `source` with actor, action and time (or a
/// time marked missing) filled; a row it rejects (`Err(reason)`) is printed with the reason
/// and must not normalize to an event of `source`. `None` (and a printed SKIPPED) when the
/// fixture is absent outside CI.
pub fn check(file: &str, source: &str, judge: impl Fn(&Value) -> Result<(), String>) -> Option<Tally> {
    let path = super::support::fixture(&format!("panther/{file}"))?;
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut tally = Tally { normalized: 0, not_events: BTreeMap::new() };
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        let row: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{file}:{line_number}: {e}"));
        let record = &row["event"];
        let json = record.to_string();
        let read = normalize::read(&json, None);
        match judge(record) {
            Ok(()) => {
                let (event, time_missing) = match read {
                    Ok(Read::Event { event, time_missing }) => (event, time_missing),
                    Ok(Read::Skip(reason)) => panic!("{file}:{line_number}: skipped ({reason}): {json}"),
                    Err(reason) => panic!("{file}:{line_number}: {reason}: {json}"),
                };
                assert_eq!(event.source, source, "{file}:{line_number}: taken for another source: {json}");
                assert!(!event.actor.id.is_empty(), "{file}:{line_number}: no actor");
                assert!(!event.action.is_empty(), "{file}:{line_number}: no action");
                assert!(event.time > 0 || time_missing, "{file}:{line_number}: no time");
                tally.normalized += 1;
            }
            Err(reason) => {
                if let Ok(Read::Event { event, .. }) = &read {
                    assert_ne!(
                        event.source, source,
                        "{file}:{line_number}: ({reason}) read as {source}: {json}"
                    );
                }
                let shown: String = json.chars().take(120).collect();
                eprintln!("{file}:{line_number}: not a {source} event ({reason}): {shown}");
                *tally.not_events.entry(reason).or_default() += 1;
            }
        }
    }
    let reasons: Vec<String> = tally.not_events.iter().map(|(reason, n)| format!("{n} {reason}")).collect();
    eprintln!(
        "{source}: {} normalized, {} not events ({})",
        tally.normalized,
        tally.not_events(),
        reasons.join("; ")
    );
    Some(tally)
}

/// The value of a top-level key of `record` in any case (exporters fold keys).
pub fn folded<'v>(record: &'v Value, key: &str) -> Option<&'v Value> {
    record.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)
}

/// The reason a row that is no record of any kind is not an event.
pub fn placeholder(record: &Value) -> Option<String> {
    record.as_object().is_some_and(|o| o.is_empty()).then(|| "a placeholder `{}`".to_string())
}
