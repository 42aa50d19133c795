//! Tests: the sandbox's limits, each both obeyed and violated, and fault isolation. In every
//! case the run finishes, a well-behaved plugin beside the faulty one sees every event, and a
//! plugin that keeps failing is quarantined and reported with a health finding.

use std::time::Duration;

use serde_json::json;
use trailhound::engine::{Budget, EngineReport, EngineSettings, PluginReport};
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
    let fault = fragile.last_fault.as_deref().unwrap_or("");
    assert!(fault.contains("trapped: wasm trap: ") && !fault.contains("wasm trap: wasm trap"), "{fault}");
    assert_eq!(plugin(&rep, "fine").stats.findings, 3);
    assert!(quarantine_findings(&detections, "fragile").is_empty());
}

/// A budget small enough that the test plugin can go over each limit in one batch.
fn tight(settings: EngineSettings) -> EngineSettings {
    let budget = Budget {
        findings_per_call: 5,
        finding_bytes: 1000,
        metric_names: 10,
        metric_name_bytes: 32,
        log_lines_per_call: 8,
        log_bytes_per_call: 400,
    };
    EngineSettings { budget, ..strict(settings) }
}

/// Runs `config` beside a well-behaved plugin under the tight budget and returns the report
/// of the one under test, the quarantine findings about it, and the other plugin's stats.
fn under_budget(config: serde_json::Value) -> (PluginReport, Vec<Detection>, PluginReport) {
    let plugins = vec![spec("tested", "misbehaving", config), spec("fine", "misbehaving", json!({}))];
    let (rep, detections) = run(tight(settings()), plugins, records(20, |_| "X"));
    let health = quarantine_findings(&detections, "tested").into_iter().cloned().collect();
    (plugin(&rep, "tested").clone(), health, plugin(&rep, "fine").clone())
}

/// Within every limit: all five batches seen, every finding delivered, no fault.
#[test]
fn budget_obeyed_by_a_plugin_that_stays_within_each_limit() {
    let config = json!({
        "findings": 5, "title_bytes": 900, "metric_names": 1, "metric_name_bytes": 32,
        "log_lines": 8, "log_bytes": 50,
    });
    let (tested, health, _) = under_budget(config);
    let s = &tested.stats;
    assert_eq!((s.events, s.findings, s.over_budget, s.events_failed), (20, 25, 0, 0), "{s:?}");
    assert!(health.is_empty());
}

fn assert_over_budget(config: serde_json::Value, message: &str) {
    let (tested, health, fine) = under_budget(config);
    let s = &tested.stats;
    assert_eq!(s.findings, 0, "nothing of an over-budget call is delivered: {s:?}");
    assert_eq!(s.over_budget, 4, "two batches, each retried once, then quarantine: {s:?}");
    assert_eq!((s.quarantines, s.events_failed, s.events_skipped), (1, 8, 12));
    let fault = s.last_fault.as_deref().unwrap_or_default();
    assert!(fault.contains(message), "{fault:?} should say {message:?}");
    assert_eq!(health.len(), 1);
    assert!(health[0].finding.summary.contains(message), "{}", health[0].finding.summary);
    assert_eq!((fine.stats.events, fine.stats.findings), (20, 5), "the other plugin saw everything");
}

#[test]
fn budget_violated_by_too_many_findings_in_one_call() {
    assert_over_budget(
        json!({"findings": 6}),
        "returned 6 findings from one call (budget: 5) (engine.budget.findings_per_call)",
    );
}

#[test]
fn budget_violated_by_a_finding_too_large() {
    // The title, plus the rule id, the cited event id and the actor the SDK fills in.
    assert_over_budget(
        json!({"title_bytes": 5000}),
        "bytes (budget: 1000 bytes) (engine.budget.finding_bytes)",
    );
}

#[test]
fn budget_violated_by_too_many_metric_names_in_one_call() {
    assert_over_budget(
        json!({"metric_names": 11}),
        "created 11 distinct metric names (budget: 10) (engine.budget.metric_names)",
    );
}

/// Names are held per instance: a plugin making new ones on every call goes over on the third
/// batch, and the retry on a fresh instance (holding none) recovers; the host never holds
/// more than the budget.
#[test]
fn metric_names_made_on_every_call_are_bounded_by_a_fresh_instance() {
    let (tested, health, _) = under_budget(json!({"metric_names": 4}));
    let s = &tested.stats;
    let fault = s.last_fault.as_deref().unwrap_or_default();
    assert!(fault.contains("created 11 distinct metric names (budget: 10)"), "{fault}");
    assert_eq!((s.over_budget, s.recovered, s.findings, s.events_failed), (2, 2, 5, 0), "{s:?}");
    assert!(health.is_empty());
}

#[test]
fn budget_violated_by_a_metric_name_too_long() {
    assert_over_budget(
        json!({"metric_name_bytes": 33}),
        "named a metric with 33 bytes (budget: 32 bytes) (engine.budget.metric_name_bytes)",
    );
}

#[test]
fn budget_violated_by_too_many_log_lines() {
    assert_over_budget(
        json!({"log_lines": 9, "log_bytes": 1}),
        "wrote 9 log lines in one call (budget: 8) (engine.budget.log_lines_per_call)",
    );
}

#[test]
fn budget_violated_by_too_many_log_bytes() {
    assert_over_budget(
        json!({"log_lines": 5, "log_bytes": 100}),
        "wrote 500 bytes of log in one call (budget: 400) (engine.budget.log_bytes_per_call)",
    );
}

#[test]
fn a_plugin_budget_can_be_raised_for_one_plugin() {
    let mut raised = spec("tested", "misbehaving", json!({"findings": 6}));
    raised.budget = Some(Budget { findings_per_call: 6, ..tight(settings()).budget });
    let (rep, _) = run(tight(settings()), vec![raised], records(20, |_| "X"));
    let s = &plugin(&rep, "tested").stats;
    assert_eq!((s.findings, s.over_budget), (30, 0), "{s:?}");
}
