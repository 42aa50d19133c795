//! Tests: hot reload in the engine — a plugin replaced 100 times under a continuous stream sees
//! every event exactly once, by exactly one version, with its state carried from version to
//! version; a version that cannot start or take the state is refused on every worker and the
//! old one keeps running; a removed plugin is drained, an added one starts at the next batch.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use trailhound::engine::{Engine, EngineSettings, PluginSpec, ReloadError};
use trailhound::findings::Detection;

use crate::engine::{record, settings, spec};

fn counting(label: &str) -> PluginSpec {
    spec("counting", "misbehaving", json!({"per_event": true, "label": label}))
}

fn evidence<'a>(detection: &'a Detection, key: &str) -> &'a str {
    detection.finding.evidence.iter().find(|e| e.key == key).map(|e| e.value.as_str()).unwrap_or_default()
}

/// The p-th percentile of `latencies` (sorted in place).
fn percentile(latencies: &mut [Duration], p: f64) -> Duration {
    latencies.sort_unstable();
    let at = ((latencies.len() as f64 - 1.0) * p).round() as usize;
    latencies[at]
}

#[test]
fn a_plugin_replaced_100_times_under_a_stream_sees_every_event_exactly_once() {
    const SWAPS: usize = 100;
    let settings = EngineSettings { workers: 2, batch_size: 16, ..settings() };
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut engine = Engine::start(settings, vec![counting("v0")], tx).expect("engine starts");
    let mut reloader = engine.reloader();
    let done = Arc::new(AtomicBool::new(false));
    let swapper = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut changes = Vec::new();
            for version in 1..=SWAPS {
                changes.push(reloader.reload(vec![counting(&format!("v{version}"))]));
            }
            done.store(true, Ordering::Relaxed);
            changes
        })
    };
    // The stream goes on until every swap is answered (bounded, should the swapper stall).
    let started = Instant::now();
    let mut sent = 0;
    while !done.load(Ordering::Relaxed) && sent < 2_000_000 && started.elapsed() < Duration::from_secs(120) {
        engine.submit(record(sent, &format!("arn:aws:iam::1:user/u{}", sent % 7), "CreateUser")).unwrap();
        sent += 1;
    }
    let changes = swapper.join().expect("the swapper finishes");
    for _ in 0..64 {
        engine.submit(record(sent, "arn:aws:iam::1:user/last", "CreateUser")).unwrap();
        sent += 1;
    }
    let report = engine.finish().expect("finish");
    let detections: Vec<Detection> = rx.into_iter().collect();

    for (i, change) in changes.iter().enumerate() {
        let change = change.as_ref().unwrap_or_else(|e| panic!("swap {i} refused: {e}"));
        assert_eq!(change.replaced, ["counting"], "swap {i}");
    }
    assert_eq!(report.reloads.applied, SWAPS as u64);
    assert_eq!(report.reloads.refused, 0);

    // Every event once, each by one version.
    let mut by_event: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for d in detections.iter().filter(|d| d.finding.rule_id == "test.event-seen") {
        by_event.entry(&d.finding.event_ids[0]).or_default().push(evidence(d, "label"));
    }
    assert_eq!(by_event.len(), sent, "every event seen");
    let twice: Vec<_> = by_event.iter().filter(|(_, labels)| labels.len() != 1).take(5).collect();
    assert!(twice.is_empty(), "events seen more than once: {twice:?}");
    let versions: BTreeSet<&str> = by_event.values().map(|labels| labels[0]).collect();
    assert!(versions.contains("v0") && versions.contains("v100"), "{versions:?}");

    // Each version's report counts what it saw; together, every event once.
    assert_eq!(report.plugins.len(), SWAPS + 1);
    assert_eq!(report.plugins.iter().map(|p| p.stats.events).sum::<u64>(), sent as u64);
    assert_eq!(report.plugins.iter().filter(|p| !p.retired).count(), 1);

    // The count is the plugin's state: handed from version to version, it starts at 1 once
    // per worker, not once per version.
    let firsts = detections.iter().filter(|d| evidence(d, "seen") == "1").count();
    assert_eq!(firsts, 2, "the state was carried across the swaps on both workers");

    assert_eq!(report.reloads.swaps.len(), SWAPS);
    let (mut total, mut held): (Vec<Duration>, Vec<Duration>) =
        report.reloads.swaps.iter().map(|s| (s.total, s.held)).unzip();
    assert!(report.reloads.swaps.iter().all(|s| s.held <= s.total), "{:?}", report.reloads.swaps);
    println!(
        "{SWAPS} swaps under a stream of {sent} events on 2 workers: workers held p50 {:?}, p99 {:?}; \
         request to swap p50 {:?}, p99 {:?}",
        percentile(&mut held, 0.50),
        percentile(&mut held, 0.99),
        percentile(&mut total, 0.50),
        percentile(&mut total, 0.99)
    );
}

#[test]
fn a_version_that_refuses_the_state_is_refused_everywhere_and_the_old_one_keeps_running() {
    let settings = EngineSettings { workers: 2, ..settings() };
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut engine = Engine::start(settings, vec![counting("old")], tx).expect("engine starts");
    let mut reloader = engine.reloader();
    let mut sent = 0;
    let mut submit = |engine: &mut Engine, n: usize| {
        for _ in 0..n {
            engine.submit(record(sent, &format!("arn:aws:iam::1:user/u{}", sent % 5), "CreateUser")).unwrap();
            sent += 1;
        }
    };
    submit(&mut engine, 40);
    let refusing =
        spec("counting", "misbehaving", json!({"per_event": true, "label": "new", "refuse_restore": true}));
    let answer = std::thread::scope(|scope| {
        let swapper = scope.spawn(|| reloader.reload(vec![refusing]));
        while !swapper.is_finished() {
            submit(&mut engine, 4);
            std::thread::sleep(Duration::from_millis(1));
        }
        swapper.join().unwrap()
    });
    match answer {
        Err(ReloadError::Swap(why)) => assert!(why.contains("refused the state"), "{why}"),
        other => panic!("expected the swap to be refused, got {other:?}"),
    }
    // A component that is not one is refused before it reaches the engine.
    let broken = PluginSpec::new("counting", std::env::current_exe().unwrap(), json!({"per_event": true}));
    assert!(matches!(reloader.reload(vec![broken]), Err(ReloadError::Prepare(_))));
    submit(&mut engine, 40);
    let report = engine.finish().unwrap();
    let detections: Vec<Detection> = rx.into_iter().collect();
    let labels: BTreeSet<&str> = detections.iter().map(|d| evidence(d, "label")).collect();
    assert_eq!(labels, BTreeSet::from(["old"]), "only the old version ran");
    assert_eq!(detections.len(), sent);
    assert_eq!((report.reloads.applied, report.reloads.refused), (0, 2));
    assert_eq!(report.plugins.len(), 1);
}

#[test]
fn a_removed_plugin_is_drained_and_an_added_one_starts_at_the_next_batch() {
    let (tx, rx) = crossbeam_channel::unbounded();
    let minimal = || spec("minimal", "minimal-detector", serde_json::Value::Null);
    let mut engine = Engine::start(settings(), vec![counting("a")], tx).expect("engine starts");
    let mut reloader = engine.reloader();
    for i in 0..8 {
        engine.submit(record(i, "arn:aws:iam::1:user/u", "CreateUser")).unwrap();
    }
    let answer = std::thread::scope(|scope| {
        let swapper = scope.spawn(|| reloader.reload(vec![minimal()]));
        while !swapper.is_finished() {
            engine.idle().unwrap();
            std::thread::sleep(Duration::from_millis(1));
        }
        swapper.join().unwrap()
    });
    let changes = answer.expect("the swap is applied");
    assert_eq!((changes.added, changes.removed), (vec!["minimal".to_string()], vec!["counting".to_string()]));
    // Unchanged again: nothing is swapped.
    assert!(reloader.reload(vec![minimal()]).expect("unchanged").is_empty());
    let mut root = record(100, "arn:aws:iam::1:root", "CreateUser");
    root.event.actor.kind = "Root".into();
    engine.submit(root).unwrap();
    let report = engine.finish().unwrap();
    let detections: Vec<Detection> = rx.into_iter().collect();
    let by_rule = |rule: &str| detections.iter().filter(|d| d.finding.rule_id == rule).count();
    assert_eq!(by_rule("test.event-seen"), 8, "the removed plugin saw the events before the swap");
    assert!(detections.iter().any(|d| d.plugin == "minimal"), "the added plugin saw the one after it");
    assert_eq!(report.reloads.applied, 1);
    let retired: Vec<&str> = report.plugins.iter().filter(|p| p.retired).map(|p| p.name.as_str()).collect();
    assert_eq!(retired, ["counting"]);
}
