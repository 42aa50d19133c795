//! The data every row reads: seeded synthetic CloudTrail from `trailhound_synth`, written
//! afresh each run (generation is not measured) as S3-delivered `.json.gz` files and as JSON
//! lines, plus a shorter JSON-lines file for the whole-scan rows.

use std::path::{Path, PathBuf};
use std::time::Instant;

use trailhound_synth::{self as synth, Generator, GeneratorOptions};

/// Where the generated data is and how much of it there is.
pub struct Data {
    pub s3_dir: PathBuf,
    pub s3_json_bytes: u64,
    pub jsonl: PathBuf,
    pub jsonl_bytes: u64,
    /// The first `scan_events` of the same stream, for the scan and boundary rows.
    pub scan_jsonl: PathBuf,
    pub scan_bytes: u64,
    events: u64,
    scan_events: u64,
    seed: u64,
}

impl Data {
    /// One sentence for the report.
    pub fn describe(&self) -> String {
        format!(
            "{} synthetic CloudTrail events from `trailhound generate` (seed {}), {:.0} MB of JSON, \
             as S3-delivered `.json.gz` files and as JSON lines; the scan rows read the first {} of them.",
            self.events,
            self.seed,
            self.jsonl_bytes as f64 / 1e6,
            self.scan_events
        )
    }
}

/// Generates the data under `work/data`, replacing what an earlier run left there.
pub fn prepare(work: &Path, events: usize, scan_events: usize, seed: u64) -> anyhow::Result<Data> {
    let started = Instant::now();
    let dir = work.join("data");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let generator = || Generator::new(GeneratorOptions { seed, ..GeneratorOptions::default() });
    let s3_dir = dir.join("s3");
    let s3 = synth::write_s3(&mut generator(), events as u64, &s3_dir, 1000)?;
    let jsonl = dir.join("events.jsonl");
    let lines = synth::write_jsonl(&mut generator(), events as u64, &jsonl, false)?;
    let scan_events = scan_events.min(events);
    let scan_jsonl = dir.join("scan.jsonl");
    let scan = synth::write_jsonl(&mut generator(), scan_events as u64, &scan_jsonl, false)?;
    eprintln!(
        "  {} events in {} S3 files and JSON lines ({:.0} MB of JSON) in {:.1?}",
        lines.events,
        s3.files,
        lines.json_bytes as f64 / 1e6,
        started.elapsed()
    );
    Ok(Data {
        s3_dir,
        s3_json_bytes: s3.json_bytes,
        jsonl,
        jsonl_bytes: lines.json_bytes,
        scan_jsonl,
        scan_bytes: scan.json_bytes,
        events: lines.events,
        scan_events: scan.events,
        seed,
    })
}
