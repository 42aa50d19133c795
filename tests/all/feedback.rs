//! Findings offered back: a plugin that asks for findings receives the others' as events of
//! the finding plane, about the entities their proof was about, and never its own.

use std::collections::HashMap;

use serde_json::json;
use trailhound::findings::Detection;

use super::engine::{records, run, settings, spec};

fn evidence(detection: &Detection) -> HashMap<&str, &str> {
    detection.finding.evidence.iter().map(|e| (e.key.as_str(), e.value.as_str())).collect()
}

fn of<'d>(detections: &'d [Detection], plugin: &str) -> Vec<&'d Detection> {
    detections.iter().filter(|d| d.plugin == plugin).collect()
}

#[test]
fn a_plugin_asking_for_findings_receives_the_others_as_finding_events() {
    let recs = records(3, |_| "ListUsers");
    let specs = vec![
        spec("first", "misbehaving", json!({})),
        spec(
            "correlator",
            "misbehaving",
            json!({"echo": true, "wants_findings": true, "fields": ["$.finding_info.title"]}),
        ),
    ];
    let (report, detections) = run(settings(), specs, recs);
    assert_eq!(of(&detections, "first").len(), 1, "first does not ask for findings: {detections:#?}");
    let correlator = of(&detections, "correlator");
    assert_eq!(correlator.len(), 2, "one finding for the events, one for first's finding: {correlator:#?}");
    let offered = correlator
        .iter()
        .map(|d| evidence(d))
        .find(|e| e.values().any(|v| *v == "finding"))
        .expect("a finding made of a finding event");
    let uid = offered.keys().find_map(|k| k.strip_suffix(".plane")).expect("the finding event's id");
    let get = |field: &str| offered.get(format!("{uid}.{field}").as_str()).copied();
    assert_eq!(get("plane"), Some("finding"));
    assert_eq!(get("source"), Some("finding"));
    assert_eq!(get("class_uid"), Some("2004"));
    assert_eq!(get("action"), Some("test.batch-seen"));
    assert_eq!(get("service"), Some("first"));
    assert_eq!(get("alert"), Some("test.batch-seen info [] by first"));
    // About what its proof was about: the batch's first event.
    assert_eq!(get("actor.id"), Some("arn:aws:iam::1:user/u0"));
    assert_eq!(get("lineage.origin"), Some("arn:aws:iam::1:user/u0"));
    assert_eq!(get("field.$.finding_info.title"), Some("Batch seen"));
    let stats = &report.plugins.iter().find(|p| p.name == "correlator").unwrap().stats;
    assert_eq!(stats.events, 4, "three events and one finding: {stats:?}");
}

#[test]
fn findings_never_come_back_to_a_plugin_they_derive_from() {
    // Both ask for findings: each gets the other's, and the findings made of those derive
    // from both, so they go to neither and the run ends.
    let recs = records(3, |_| "ListUsers");
    let specs = vec![
        spec("a", "misbehaving", json!({"wants_findings": true})),
        spec("b", "misbehaving", json!({"wants_findings": true})),
    ];
    let (report, detections) = run(settings(), specs, recs);
    assert_eq!(of(&detections, "a").len(), 2, "{detections:#?}");
    assert_eq!(of(&detections, "b").len(), 2, "{detections:#?}");
    for plugin in &report.plugins {
        assert_eq!(plugin.stats.events, 4, "{}: three events and the other's finding", plugin.name);
    }
}
