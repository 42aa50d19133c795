//! The reload row: the first-party pack on 2 workers, fed the held events in a loop while its
//! `rules` plugin is replaced again and again (every other version with one more rule file,
//! so each swap loads, configures and compiles the whole rule set anew), and how long each
//! swap took: from the flush before it to the decision (the reader waits; the workers work
//! through the batches they had queued), and how long the longest-held worker stood still
//! (starting the new versions and restoring their state, then waiting for the others).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use trailhound::engine::{Engine, EngineSettings, PluginSpec};
use trailhound::record::{Origin, Record};

use crate::measure::{measure, Outcome, Row};

/// Swaps measured.
pub const SWAPS: usize = 50;

/// p50 and p99 of one measure of the swaps.
pub struct Percentiles {
    pub p50: Duration,
    pub p99: Duration,
}

/// The row, and the percentiles of the swaps' total time and of how long they held a worker.
pub fn row(
    pack: &[PluginSpec],
    extra_rules: &std::path::Path,
    events: &[(trailhound::event::Event, Arc<str>)],
    cache_dir: &std::path::Path,
) -> anyhow::Result<(Row, Percentiles, Percentiles)> {
    let settings =
        EngineSettings { workers: 2, cache_dir: cache_dir.to_path_buf(), ..EngineSettings::default() };
    let mut swaps = Vec::new();
    let row = measure(
        "reload",
        format!("first-party pack, 2 workers, rules plugin swapped {SWAPS} times"),
        0,
        || {
            let (tx, rx) = crossbeam_channel::unbounded();
            let drain = std::thread::spawn(move || rx.into_iter().count());
            let mut engine = Engine::start(settings, pack.to_vec(), tx)?;
            let mut reloader = engine.reloader();
            let done = Arc::new(AtomicBool::new(false));
            let swapper = {
                let (done, pack, extra) = (done.clone(), pack.to_vec(), extra_rules.to_path_buf());
                std::thread::spawn(move || -> anyhow::Result<()> {
                    for version in 0..SWAPS {
                        let mut specs = pack.clone();
                        if version % 2 == 0 {
                            let rules =
                                specs.iter_mut().find(|s| s.name == "rules").expect("the pack has rules");
                            rules.files.push(extra.clone());
                        }
                        reloader.reload(specs).map_err(|e| anyhow::anyhow!("swap {version}: {e}"))?;
                    }
                    done.store(true, Ordering::Relaxed);
                    Ok(())
                })
            };
            let origin: Arc<str> = Arc::from("bench");
            let mut sent = 0u64;
            for (i, (event, raw)) in events.iter().cycle().enumerate() {
                if done.load(Ordering::Relaxed) || swapper.is_finished() {
                    break;
                }
                let record = Record {
                    origin: Origin::line(origin.clone(), i as u64 + 1),
                    event: event.clone(),
                    raw: raw.clone(),
                    time_missing: false,
                };
                engine.submit(record)?;
                sent += 1;
            }
            swapper.join().map_err(|_| anyhow::anyhow!("the swapper panicked"))??;
            let report = engine.finish()?;
            let findings = drain.join().map_err(|_| anyhow::anyhow!("the drain panicked"))?;
            swaps = report.reloads.swaps;
            Ok(Outcome {
                events: sent,
                note: format!("{findings} findings, {} swaps applied", report.reloads.applied),
            })
        },
    )?;
    let percentiles = |mut of: Vec<Duration>| {
        of.sort_unstable();
        let at = |p: f64| of[((of.len() as f64 - 1.0) * p).round() as usize];
        Percentiles { p50: at(0.5), p99: at(0.99) }
    };
    let total = percentiles(swaps.iter().map(|s| s.total).collect());
    let held = percentiles(swaps.iter().map(|s| s.held).collect());
    Ok((row, total, held))
}
