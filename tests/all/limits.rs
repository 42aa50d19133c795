//! Tests: the sandbox's limits, each both obeyed and violated, and fault isolation. In every
//! case the run finishes, a well-behaved plugin beside the faulty one sees every event, and a
//! plugin that keeps failing is quarantined and reported with a health finding.

use std::time::Duration;

use serde_json::json;
use trailhound::engine::{EngineReport, EngineSettings, PluginReport};
use trailhound::findings::Detection;

use crate::engine::{records, run, settings, spec};

fn plugin<'a>(report: &'a EngineReport, name: &str) -> &'a PluginReport {
    report.plugins.iter().find(|p| p.name == name).expect("plugin in report")
}

fn quarantine_findings<'a>(detections: &'a [Detection], name: &str) -> Vec<&'a Detection> {
    detections
        .iter()
        .filter(|d| {
            d.finding.rule_id == "trailhound.plugin-quarantined"
                && d.finding.evidence.iter().any(|e| e.key == "plugin" && e.value == name)
        })
        .collect()
}

/// Two consecutive failed batches quarantine a plugin, for longer than any test runs.
fn strict(settings: EngineSettings) -> EngineSettings {
    EngineSettings { max_failures: 2, quarantine: Duration::from_secs(600), ..settings }
}

#[test]
fn deadline_obeyed_by_a_plugin_doing_bounded_work() {
    let settings = EngineSettings { deadline: Duration::from_secs(5), ..strict(settings()) };
    let (rep, _) =
        run(settings, vec![spec("busy", "misbehaving", json!({"spin": 200_000}))], records(12, |_| "X"));
    let stats = &plugin(&rep, "busy").stats;
    assert_eq!((stats.events, stats.findings, stats.timeouts), (12, 3, 0));
    assert!(!plugin(&rep, "busy").quarantined());
}

#[test]
fn deadline_violated_by_a_plugin_that_loops_forever() {
    let settings = EngineSettings { deadline: Duration::from_millis(200), ..strict(settings()) };
    let plugins = vec![
        spec("spinner", "misbehaving", json!({"spin": "forever"})),
        spec("fine", "misbehaving", json!({})),
    ];
    let (rep, detections) = run(settings, plugins, records(20, |_| "X"));

    let spinner = &plugin(&rep, "spinner").stats;
    assert_eq!(spinner.timeouts, 4, "two batches, each tried twice");
    assert_eq!(spinner.quarantines, 1);
    assert_eq!(spinner.events_failed, 8);
    assert_eq!(spinner.events_skipped, 12, "the rest of the run is skipped, and counted");
    let health = quarantine_findings(&detections, "spinner");
    assert_eq!(health.len(), 1);
    assert!(health[0].finding.summary.contains("200 ms deadline"), "{}", health[0].finding.summary);

    let fine = &plugin(&rep, "fine").stats;
    assert_eq!((fine.events, fine.findings, fine.timeouts), (20, 5, 0), "the other plugin saw everything");
}

#[test]
fn memory_cap_obeyed_by_a_plugin_that_allocates_within_it() {
    let settings = EngineSettings { memory_limit: 64 << 20, ..strict(settings()) };
    let (rep, _) =
        run(settings, vec![spec("grower", "misbehaving", json!({"alloc_mib": 4}))], records(20, |_| "X"));
    let stats = &plugin(&rep, "grower").stats;
    assert_eq!((stats.events, stats.out_of_memory), (20, 0));
    assert!(stats.peak_memory >= 20 << 20, "5 batches × 4 MiB kept: peak {} B", stats.peak_memory);
    assert!(stats.peak_memory <= 64 << 20);
}

#[test]
fn memory_cap_violated_by_a_plugin_that_allocates_without_end() {
    let settings = EngineSettings { memory_limit: 32 << 20, ..strict(settings()) };
    let plugins = vec![
        spec("hog", "misbehaving", json!({"alloc_mib": "forever"})),
        spec("fine", "misbehaving", json!({})),
    ];
    let (rep, detections) = run(settings, plugins, records(20, |_| "X"));
    let hog = &plugin(&rep, "hog").stats;
    assert_eq!(hog.out_of_memory, 4);
    assert_eq!(hog.quarantines, 1);
    assert!(hog.peak_memory <= 32 << 20, "never grew past the cap: {}", hog.peak_memory);
    assert!(quarantine_findings(&detections, "hog")[0].finding.summary.contains("32 MiB memory limit"));
    assert_eq!(plugin(&rep, "fine").stats.events, 20);
}

#[test]
fn a_trapping_plugin_does_not_stop_the_others() {
    // Event 5 is in the second batch of four; only that batch fails, and the retry fails too.
    let plugins = vec![
        spec("fragile", "misbehaving", json!({"trap_on": "Explode"})),
        spec("fine", "misbehaving", json!({})),
    ];
    let (rep, detections) =
        run(strict(settings()), plugins, records(12, |i| if i == 5 { "Explode" } else { "X" }));
    let fragile = &plugin(&rep, "fragile").stats;
    assert_eq!((fragile.traps, fragile.events_failed, fragile.findings), (2, 4, 2));
    assert_eq!(fragile.quarantines, 0, "one failed batch is not repeated failure");
    assert!(fragile.last_fault.as_deref().unwrap_or("").contains("trapped"));
    assert_eq!(plugin(&rep, "fine").stats.findings, 3);
    assert!(quarantine_findings(&detections, "fragile").is_empty());
}
