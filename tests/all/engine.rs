//! Tests: the engine end to end with real components — batching, projection, sharding by
//! actor across AssumeRole hops, related-event resolution, and the compiled-component cache.

use std::sync::Arc;

use serde_json::json;
use trailhound::engine::{Engine, EngineReport, EngineSettings, PluginSpec};
use trailhound::event::{Actor, Event};
use trailhound::findings::Detection;
use trailhound::record::{Origin, Record};

use crate::support;

/// Settings for tests: small batches, one worker unless a test says otherwise, and a cache
/// shared by the whole test run.
pub fn settings() -> EngineSettings {
    EngineSettings {
        workers: 1,
        batch_size: 4,
        cache_dir: std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-cache"),
        ..EngineSettings::default()
    }
}

pub fn spec(name: &str, component: &str, config: serde_json::Value) -> PluginSpec {
    PluginSpec::new(name, support::component(component), config)
}

/// A CloudTrail-like record for `actor` doing `action`, event id `e<i>`.
pub fn record(i: usize, actor: &str, action: &str) -> Record {
    let raw = json!({
        "eventID": format!("e{i}"),
        "eventName": action,
        "eventSource": "iam.amazonaws.com",
        "userIdentity": {"type": "IAMUser", "arn": actor, "accessKeyId": format!("AKIA{actor}")},
        "requestParameters": {"userName": format!("user{i}")},
    });
    Record {
        origin: Origin::line(Arc::from("test.jsonl"), i as u64 + 1),
        event: Event {
            id: format!("e{i}"),
            time: 1_700_000_000_000 + i as i64 * 1000,
            provider: "aws".into(),
            source: "aws-cloudtrail".into(),
            service: "iam.amazonaws.com".into(),
            action: action.into(),
            success: true,
            actor: Actor {
                id: actor.into(),
                kind: "IAMUser".into(),
                access_key: Some(format!("AKIA{actor}")),
                ..Actor::default()
            },
            ..Event::default()
        },
        raw: Arc::from(raw.to_string()),
        time_missing: false,
    }
}

pub fn records(n: usize, action: impl Fn(usize) -> &'static str) -> Vec<Record> {
    (0..n).map(|i| record(i, &format!("arn:aws:iam::1:user/u{}", i % 3), action(i))).collect()
}

/// Runs the records through an engine and returns its report and every detection.
pub fn run(
    settings: EngineSettings,
    specs: Vec<PluginSpec>,
    records: Vec<Record>,
) -> (EngineReport, Vec<Detection>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut engine = Engine::start(settings, specs, tx).expect("engine starts");
    for record in records {
        engine.submit(record).expect("submit");
    }
    let report = engine.finish().expect("finish");
    (report, rx.into_iter().collect())
}

fn report<'a>(report: &'a EngineReport, name: &str) -> &'a trailhound::engine::PluginReport {
    report.plugins.iter().find(|p| p.name == name).expect("plugin in report")
}

#[test]
fn every_batch_reaches_the_plugin_and_findings_cite_their_events() {
    let (rep, detections) =
        run(settings(), vec![spec("m", "misbehaving", json!({}))], records(10, |_| "ListUsers"));
    let stats = &report(&rep, "m").stats;
    assert_eq!((stats.events, stats.batches), (10, 3), "10 events in batches of 4");
    assert_eq!(stats.findings, 3);
    let first = detections.iter().find(|d| d.finding.event_ids == ["e0"]).expect("first batch finding");
    assert_eq!(first.related.len(), 1, "related event resolved");
    assert_eq!(first.related[0].action, "ListUsers");
    assert_eq!(first.plugin, "m");
}

#[test]
fn root_activity_example_fires_only_on_root() {
    let mut recs = records(6, |_| "ListUsers");
    recs[4].event.actor.kind = "Root".into();
    let (_, detections) = run(settings(), vec![spec("root", "minimal-detector", json!(null))], recs);
    assert_eq!(detections.len(), 1);
    assert_eq!(detections[0].finding.rule_id, "aws.root-activity");
    assert_eq!(detections[0].finding.event_ids, ["e4"]);
    assert_eq!(detections[0].finding.techniques, ["T1078.004"]);
}

#[test]
fn compiled_components_are_cached_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let settings = EngineSettings { cache_dir: dir.path().to_path_buf(), ..settings() };
    let (first, _) = run(settings.clone(), vec![spec("m", "misbehaving", json!({}))], records(1, |_| "X"));
    let (second, _) = run(settings, vec![spec("m", "misbehaving", json!({}))], records(1, |_| "X"));
    assert!(!report(&first, "m").from_cache);
    assert!(report(&second, "m").from_cache);
}

#[test]
fn a_plugin_that_refuses_its_config_is_not_loaded() {
    let (tx, _rx) = crossbeam_channel::unbounded();
    let err = Engine::start(settings(), vec![spec("picky", "misbehaving", json!("loud"))], tx)
        .err()
        .expect("refused");
    let text = err.to_string();
    assert!(text.contains("\"picky\" refused its config") && text.contains("must be a table"), "{text}");
}

#[test]
fn a_missing_component_is_named_in_the_error() {
    let (tx, _rx) = crossbeam_channel::unbounded();
    let missing = PluginSpec::new("gone", "/nonexistent/x.wasm", json!(null));
    let text = Engine::start(settings(), vec![missing], tx).err().expect("refused").to_string();
    assert!(text.contains("\"gone\"") && text.contains("/nonexistent/x.wasm"), "{text}");
}

#[test]
fn events_of_one_actor_stay_on_one_worker_across_assume_role_hops() {
    // The caller assumes a role; the new session's calls use the issued key. With many workers,
    // both must land on the same worker, which the misbehaving plugin shows by batching them together.
    let mut assume = record(0, "arn:aws:iam::1:user/origin", "AssumeRole");
    let mut raw = assume.json();
    raw["responseElements"] = json!({
        "credentials": {"accessKeyId": "ASIAHOP1"},
        "assumedRoleUser": {"arn": "arn:aws:sts::2:assumed-role/dev/s"}
    });
    assume.raw = Arc::from(raw.to_string());
    let mut hop = record(1, "arn:aws:sts::2:assumed-role/dev/s", "CreateAccessKey");
    hop.event.actor.access_key = Some("ASIAHOP1".into());
    let mut lineage = trailhound::engine::lineage::Lineage::new(100);
    lineage.trace(&mut assume);
    lineage.trace(&mut hop);
    let sharder = trailhound::engine::shard::Sharder::new(64);
    let a = sharder.assign(&assume);
    let b = sharder.assign(&hop);
    assert_eq!(a, b, "hop keyed to its origin actor");
    assert_eq!(hop.event.enrichment.lineage.origin, "arn:aws:iam::1:user/origin");
}

#[test]
fn python_detector_runs_in_the_sandbox_with_projected_fields() {
    let login = |i: usize, actor: &str, mfa: &str, result: &str| {
        let mut r = record(i, actor, "ConsoleLogin");
        r.event.actor.name = Some(actor.rsplit('/').next().unwrap().into());
        r.event.source_ip = Some("203.0.113.9".into());
        let mut raw = r.json();
        raw["additionalEventData"] = json!({"MFAUsed": mfa});
        raw["responseElements"] = json!({"ConsoleLogin": result});
        r.raw = Arc::from(raw.to_string());
        r
    };
    let records = vec![
        login(0, "arn:aws:iam::1:user/with-mfa", "Yes", "Success"),
        login(1, "arn:aws:iam::1:user/no-mfa", "No", "Success"),
        login(2, "arn:aws:iam::1:user/guess", "No", "Failure"),
        login(3, "arn:aws:iam::1:user/guess", "No", "Failure"),
        login(4, "arn:aws:iam::1:user/guess", "No", "Failure"),
    ];
    let (rep, detections) =
        run(settings(), vec![spec("py", "python-detector", json!({"threshold": 3}))], records);
    let py = &rep.plugins[0];
    assert_eq!((py.stats.events, py.stats.traps), (5, 0), "{:?}", py.stats.last_fault);
    let mut rules: Vec<(&str, Vec<String>)> =
        detections.iter().map(|d| (d.finding.rule_id.as_str(), d.finding.event_ids.clone())).collect();
    rules.sort();
    assert_eq!(
        rules,
        vec![
            ("aws.console.login-without-mfa", vec!["e1".to_string()]),
            ("aws.console.repeated-login-failures", vec!["e2".into(), "e3".into(), "e4".into()]),
        ]
    );
}

#[test]
fn a_plugin_is_sent_only_the_actions_it_declared() {
    let actions = ["CreateAccessKey", "ListUsers", "AssumeRole", "GetUser", "CreateAccessKey"];
    let recs = records(10, |i| actions[i % actions.len()]);
    let plugins = vec![spec("iam", "iam-risk", json!(null)), spec("m", "misbehaving", json!({}))];
    let (rep, _) = run(settings(), plugins, recs);
    let events = |name: &str| rep.plugins.iter().find(|p| p.name == name).unwrap().stats.events;
    // iam-risk declares AssumeRole and CreateAccessKey among its actions, not the reads.
    assert_eq!(events("iam"), 6, "2 of every 5 are CreateAccessKey, 1 is AssumeRole");
    assert_eq!(events("m"), 10, "a plugin that declares no actions sees all");
}

/// One S3 call by `actor` on `bucket`, normalized as the pipeline would.
fn s3_call(i: usize, actor: &str, kind: &str, action: &str, request: serde_json::Value) -> Record {
    let raw = json!({
        "eventID": format!("s{i}"),
        "eventTime": format!("2026-03-01T10:{:02}:00Z", i % 60),
        "eventSource": "s3.amazonaws.com",
        "eventName": action,
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": kind, "arn": actor, "accountId": "111122223333"},
        "requestParameters": request,
    });
    let text = Arc::from(raw.to_string());
    let origin = Origin::line(Arc::from("s3.jsonl"), i as u64 + 1);
    trailhound::normalize::normalize(trailhound::record::RawRecord { origin, text }, None)
        .expect("normalizes")
        .into_record()
        .expect("an event")
}

#[test]
fn a_plugin_keeping_state_per_resource_sees_each_bucket_whole_on_any_number_of_workers() {
    // Sixteen buckets, each made public by one principal and stripped of its encryption by
    // another. Sharded by actor alone, most pairs would land on different workers and the
    // second half of each story would reach an instance that never saw the first.
    let mut records = Vec::new();
    for b in 0..16 {
        let bucket = format!("shared-bucket-{b}");
        let maker = format!("arn:aws:iam::111122223333:user/maker-{b}");
        records.push(s3_call(
            2 * b,
            &maker,
            "IAMUser",
            "PutBucketAcl",
            json!({"bucketName": bucket, "x-amz-acl": ["public-read"]}),
        ));
        let (breaker, kind) = if b == 0 {
            ("arn:aws:iam::111122223333:root".to_string(), "Root")
        } else {
            (format!("arn:aws:iam::111122223333:user/breaker-{b}"), "IAMUser")
        };
        records.push(s3_call(
            2 * b + 1,
            &breaker,
            kind,
            "DeleteBucketEncryption",
            json!({"bucketName": bucket}),
        ));
    }
    let plugins =
        || vec![spec("s3", "s3-exposure", json!(null)), spec("root", "minimal-detector", json!(null))];
    let rules = |detections: &[Detection]| {
        let mut rules: Vec<String> = detections.iter().map(|d| d.finding.rule_id.clone()).collect();
        rules.sort();
        rules
    };
    let (_, one) = run(settings(), plugins(), records.clone());
    let (report8, eight) = run(EngineSettings { workers: 8, ..settings() }, plugins(), records);
    let lost = |detections: &[Detection]| {
        detections.iter().filter(|d| d.finding.rule_id == "aws.s3.public-bucket-lost-encryption").count()
    };
    assert_eq!(lost(&one), 16);
    assert_eq!(rules(&one), rules(&eight), "the same findings on 1 and on 8 workers");
    // The copy sent to a bucket's worker is for s3-exposure only: the root call is seen once.
    assert_eq!(eight.iter().filter(|d| d.finding.rule_id == "aws.root-activity").count(), 1);
    assert_eq!(report(&report8, "root").stats.events, 32, "each event reaches the other plugin once");
}
