//! The reload row: the first-party pack on 2 workers, fed the held events in a loop while its
//! `rules` plugin is replaced again and again (every other version with one more rule file,
//! so each swap loads, configures and compiles the whole rule set anew), and the latency of
//! each swap: how long the stream is held, from the flush before it to the last worker's vote.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use trailhound::engine::{Engine, EngineSettings, PluginSpec};
use trailhound::record::{Origin, Record};

use crate::measure::{measure, Outcome, Row};

/// Swaps measured.
pub const SWAPS: usize = 50;

/// The row, and the swap latencies p50 and p99.
pub fn row(
    pack: &[PluginSpec],
    extra_rules: &std::path::Path,
    events: &[(trailhound::event::Event, Arc<str>)],
    cache_dir: &std::path::Path,
) -> anyhow::Result<(Row, Duration, Duration)> {
    let settings =
        EngineSettings { workers: 2, cache_dir: cache_dir.to_path_buf(), ..EngineSettings::default() };
    let mut latencies = Vec::new();
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
            latencies = report.reloads.swap_latencies;
            Ok(Outcome {
                events: sent,
                note: format!("{findings} findings, {} swaps applied", report.reloads.applied),
            })
        },
    )?;
    latencies.sort_unstable();
    let at = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    Ok((row, at(0.5), at(0.99)))
}
