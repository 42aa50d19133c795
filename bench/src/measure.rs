//! One measured row: how many events a stage handled, how many bytes they came from, how long
//! it took, and the stage's peak resident memory.

use std::time::{Duration, Instant};

use crate::rss;

/// The figures of one row.
#[derive(Debug, Clone)]
pub struct Row {
    /// Which table section the row belongs to.
    pub group: &'static str,
    pub name: String,
    pub events: u64,
    /// Uncompressed JSON bytes of those events (0 where bytes are not what is measured).
    pub bytes: u64,
    pub elapsed: Duration,
    pub peak_rss: u64,
    /// Anything the row needs said: findings, ratios, rule counts.
    pub note: String,
}

impl Row {
    pub fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn ns_per_event(&self) -> f64 {
        self.elapsed.as_nanos() as f64 / self.events.max(1) as f64
    }
}

/// What a measured stage reports back.
pub struct Outcome {
    pub events: u64,
    pub note: String,
}

/// Runs `stage` once, timing it and tracking its own peak RSS.
pub fn measure(
    group: &'static str,
    name: impl Into<String>,
    bytes: u64,
    stage: impl FnOnce() -> anyhow::Result<Outcome>,
) -> anyhow::Result<Row> {
    let name = name.into();
    rss::reset_peak();
    let started = Instant::now();
    let outcome = stage().map_err(|e| e.context(format!("benchmark row {name:?}")))?;
    let elapsed = started.elapsed();
    let row = Row {
        group,
        name,
        events: outcome.events,
        bytes,
        elapsed,
        peak_rss: rss::resident().peak,
        note: outcome.note,
    };
    eprintln!(
        "  {:<52} {:>12.0} events/s  {:>8.1} ns/event  {}",
        row.name,
        row.events_per_sec(),
        row.ns_per_event(),
        row.note
    );
    Ok(row)
}
