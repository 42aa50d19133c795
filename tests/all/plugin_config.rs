//! Tests: plugin config reaches the instance that runs. Each first-party plugin with config
//! is run as its real component through the engine with different configs on the same
//! events, and the findings must change as the config says. A config applied to a different
//! instance (or object) than the one that gets the events shows only here: the native
//! harness tests in `plugins/*/tests` call one Rust value directly. The Python detector's
//! own config tests are in `python.rs`.

use serde_json::json;
use trailhound::record::Record;

use crate::engine::{record, run, settings, spec};

/// `(rule id, event ids)` of every finding `component`, configured with `config`, reports.
fn findings(component: &str, config: serde_json::Value, records: Vec<Record>) -> Vec<(String, Vec<String>)> {
    let (report, detections) = run(settings(), vec![spec("p", component, config)], records);
    let stats = &report.plugins[0].stats;
    assert_eq!(stats.traps, 0, "{:?}", stats.last_fault);
    let mut found: Vec<(String, Vec<String>)> =
        detections.into_iter().map(|d| (d.finding.rule_id, d.finding.event_ids)).collect();
    found.sort();
    found
}

fn refusal(component: &str, config: serde_json::Value) -> String {
    let (tx, _rx) = crossbeam_channel::unbounded();
    let error = trailhound::engine::Engine::start(settings(), vec![spec("p", component, config.clone())], tx)
        .err()
        .unwrap_or_else(|| panic!("{component} accepted {config}"));
    error.to_string()
}

fn one(rule: &str, ids: &[&str]) -> Vec<(String, Vec<String>)> {
    vec![(rule.to_string(), ids.iter().map(|s| s.to_string()).collect())]
}

const NONE: Vec<(String, Vec<String>)> = Vec::new();

#[test]
fn storylines_threshold_and_weights_reach_the_component() {
    // An IAM user creating an access key for another user (`requestParameters.userName` is
    // user0): one signal, 25 risk by default, a quarter of the default threshold.
    let key = || vec![record(0, "arn:aws:iam::1:user/eve", "CreateAccessKey")];
    let rule = "storyline.risk-threshold";
    assert_eq!(findings("storyline", json!(null), key()), NONE);
    assert_eq!(findings("storyline", json!({"threshold": 25}), key()), one(rule, &["e0"]));
    assert_eq!(findings("storyline", json!({"threshold": 26}), key()), NONE);
    assert_eq!(
        findings("storyline", json!({"weights": {"access_key_for_other_user": 100}}), key()),
        one(rule, &["e0"])
    );
    let text = refusal("storyline", json!({"threshold": 0}));
    assert!(
        text.contains("refused its config: storyline config: threshold must be greater than 0"),
        "{text}"
    );
}

#[test]
fn iam_risk_ignore_actors_reaches_the_component() {
    // Three IAM users each creating an access key for another user.
    let keys = || crate::engine::records(3, |_| "CreateAccessKey");
    let rule = "aws.iam.access-key-created-for-other-user";
    let all = [one(rule, &["e0"]), one(rule, &["e1"]), one(rule, &["e2"])].concat();
    assert_eq!(findings("iam-risk", json!(null), keys()), all);
    assert_eq!(
        findings("iam-risk", json!({"ignore_actors": ["arn:aws:iam::1:user/u1"]}), keys()),
        [one(rule, &["e0"]), one(rule, &["e2"])].concat()
    );
    assert_eq!(findings("iam-risk", json!({"ignore_actors": ["arn:aws:iam::1:"]}), keys()), NONE);
    let text = refusal("iam-risk", json!({"ignore_actor": []}));
    assert!(text.contains("refused its config: iam-risk config: unknown field `ignore_actor`"), "{text}");
}
