//! Rows for the pipeline stages as `trailhound scan` runs them: reading and decoding,
//! normalizing, and whole scans with plugins on 1 and 2 worker threads.

use std::path::PathBuf;

use anyhow::Context;
use trailhound::engine::{EngineSettings, PluginSpec};
use trailhound::sinks::{MemorySink, Sink};
use trailhound::sources::{self, Input, Item};

use crate::measure::{measure, Outcome, Row};

/// Reads every input and frames its records, counting them; nothing else.
pub fn read_decode(name: &str, inputs: &[Input], bytes: u64) -> anyhow::Result<Row> {
    measure("stages", name, bytes, || {
        let (mut records, mut malformed) = (0, 0);
        for input in inputs {
            sources::read(input, Default::default(), &mut |item| match item {
                Item::Record(_) => records += 1,
                Item::Malformed(_) => malformed += 1,
            })?;
        }
        Ok(Outcome { events: records, note: malformed_note(malformed) })
    })
}

/// Reads, decodes and normalizes every record onto the event model, and enriches it.
pub fn decode_normalize(name: &str, inputs: &[Input], bytes: u64) -> anyhow::Result<Row> {
    measure("stages", name, bytes, || {
        let (mut events, mut malformed) = (0, 0);
        for input in inputs {
            sources::read(input, Default::default(), &mut |item| match item {
                Item::Record(raw) => match trailhound::enrich::normalized(raw, None) {
                    Ok(_) => events += 1,
                    Err(_) => malformed += 1,
                },
                Item::Malformed(_) => malformed += 1,
            })?;
        }
        Ok(Outcome { events, note: malformed_note(malformed) })
    })
}

/// A whole scan, as `trailhound scan` does it, with findings collected in memory.
pub fn scan(
    name: &str,
    inputs: &[Input],
    bytes: u64,
    plugins: &[PluginSpec],
    workers: usize,
    cache_dir: &std::path::Path,
) -> anyhow::Result<Row> {
    let settings =
        EngineSettings { workers, cache_dir: cache_dir.to_path_buf(), ..EngineSettings::default() };
    let specs = plugins.to_vec();
    measure("scan", format!("{name}, {workers} worker{}", if workers == 1 { "" } else { "s" }), bytes, || {
        let sinks: Vec<Box<dyn Sink>> = vec![Box::new(MemorySink::new())];
        let summary =
            trailhound::pipeline::run(inputs, settings, Default::default(), specs, sinks, &mut |_| {})
                .with_context(|| format!("scan with {name}"))?;
        let quarantined = summary.engine.plugins.iter().filter(|p| p.quarantined()).count();
        anyhow::ensure!(quarantined == 0, "{quarantined} plugin(s) quarantined during the scan");
        Ok(Outcome {
            events: summary.events,
            note: format!("{} findings{}", summary.findings(), malformed_note(summary.malformed)),
        })
    })
}

fn malformed_note(malformed: u64) -> String {
    if malformed == 0 {
        String::new()
    } else {
        format!(", {malformed} malformed")
    }
}

/// The inputs of a folder or file, as `scan` would expand them.
pub fn inputs(path: PathBuf) -> anyhow::Result<Vec<Input>> {
    Ok(sources::expand(&[path])?.inputs)
}
