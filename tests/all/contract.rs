//! Contract versions side by side: a plugin built against the frozen 0.1.0 and plugins of
//! 0.2.0 load into one engine and see the same events.

use serde_json::json;
use trailhound::engine::plugin::Contract;
use trailhound::engine::{Engine, LoadedPlugin, PluginSpec};

use super::engine::{records, run, settings, spec};
use super::support;

#[test]
fn a_0_1_0_plugin_runs_beside_0_2_0_plugins_on_the_same_events() {
    let mut recs = records(40, |i| if i % 2 == 0 { "ListUsers" } else { "CreateUser" });
    for i in [3, 17, 30] {
        recs[i].event.actor.kind = "Root".into();
    }
    let specs = vec![
        spec("old", "minimal-v0-1", json!(null)),
        spec("new", "minimal-detector", json!(null)),
        spec("noisy", "misbehaving", json!({})),
    ];
    let (report, detections) = run(settings(), specs, recs);
    let found = |plugin: &str| {
        let mut ids: Vec<String> = detections
            .iter()
            .filter(|d| d.plugin == plugin)
            .flat_map(|d| d.finding.event_ids.clone())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(found("old"), ["e17", "e3", "e30"]);
    assert_eq!(found("old"), found("new"), "both versions see the same events and agree");
    for plugin in &report.plugins {
        assert_eq!(plugin.stats.events, 40, "{} saw every event", plugin.name);
        assert!(plugin.stats.last_fault.is_none(), "{}: {:?}", plugin.name, plugin.stats.last_fault);
    }
}

#[test]
fn the_contract_version_is_read_from_the_component() {
    let (tx, _rx) = crossbeam_channel::unbounded();
    let specs = vec![spec("old", "minimal-v0-1", json!(null)), spec("new", "minimal-detector", json!(null))];
    let engine = Engine::start(settings(), specs, tx).expect("both load");
    let contracts: Vec<(String, Contract)> = engine
        .plugins()
        .iter()
        .map(|p: &std::sync::Arc<LoadedPlugin>| (p.name().to_string(), p.contract))
        .collect();
    assert_eq!(contracts, [("old".to_string(), Contract::V0_1), ("new".to_string(), Contract::V0_2)]);
}

#[test]
fn a_0_1_0_plugin_given_files_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, "- rule: x\n").unwrap();
    let spec = PluginSpec {
        files: vec![rules],
        ..PluginSpec::new("old", support::component("minimal-v0-1"), json!(null))
    };
    let (tx, _rx) = crossbeam_channel::unbounded();
    let err = Engine::start(settings(), vec![spec], tx).err().expect("refused");
    assert!(err.to_string().contains("cannot receive"), "{err}");
}

#[test]
fn a_0_2_0_plugin_receives_the_files_its_config_names() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, "- rule: shell in container\n").unwrap();
    let spec = PluginSpec { files: vec![rules.clone()], ..spec("reader", "misbehaving", json!({})) };
    let (_, detections) = run(settings(), vec![spec], records(1, |_| "ListUsers"));
    let evidence = &detections[0].finding.evidence;
    let key = format!("file.{}", rules.display());
    assert!(evidence.iter().any(|e| e.key == key && e.value == "27"), "{evidence:?}");
}

#[test]
fn a_folder_the_config_names_hands_over_every_file_under_it_in_path_order() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(rules.join("aws")).unwrap();
    std::fs::write(rules.join("b.yaml"), "bb").unwrap();
    std::fs::write(rules.join("aws/a.yaml"), "a").unwrap();
    std::fs::write(rules.join(".b.yaml.swp"), "editor swap file").unwrap();
    let spec = PluginSpec { files: vec![rules.clone()], ..spec("reader", "misbehaving", json!({})) };
    let (_, detections) = run(settings(), vec![spec], records(1, |_| "ListUsers"));
    let files: Vec<(String, String)> = detections[0]
        .finding
        .evidence
        .iter()
        .filter_map(|e| Some((e.key.strip_prefix("file.")?.to_string(), e.value.clone())))
        .collect();
    let expected = [(rules.join("aws/a.yaml"), "1"), (rules.join("b.yaml"), "2")]
        .map(|(path, size)| (path.display().to_string(), size.to_string()));
    assert_eq!(files, expected, "hidden files are left out");
}

#[test]
fn a_file_the_config_names_that_cannot_be_read_is_named_in_the_error() {
    let missing = std::path::PathBuf::from("/nonexistent/rules.yaml");
    let spec = PluginSpec { files: vec![missing], ..spec("reader", "misbehaving", json!({})) };
    let (tx, _rx) = crossbeam_channel::unbounded();
    let err = Engine::start(settings(), vec![spec], tx).err().expect("refused").to_string();
    assert!(err.contains("\"reader\"") && err.contains("/nonexistent/rules.yaml"), "{err}");
}

#[test]
fn every_field_of_the_event_crosses_into_a_0_2_0_plugin_as_the_host_holds_it() {
    use trailhound::event::{AccessLevel, Alert, Category, Network, Plane, Process, Resource, Risk};
    let mut recs = records(3, |i| ["PutBucketPolicy", "ACCEPT", "Terminal shell in container"][i]);
    {
        let e = &mut recs[0].event;
        e.access_level = Some(AccessLevel::PermissionsManagement);
        e.category = Category::Storage;
        e.error_code = Some("AccessDenied".into());
        e.source_ip = Some("203.0.113.7".into());
        e.user_agent = Some("aws-cli/2.15".into());
        e.ids.request = Some("req-1".into());
        e.ids.correlation = Some("corr-1".into());
        e.actor.mfa = true;
        e.actor.access_key = Some("AKIAEXAMPLE".into());
        e.actor.delegation = vec!["alice@example.com".into(), "sa-1@p.iam.gserviceaccount.com".into()];
        e.resources = vec![
            Resource {
                kind: "AWS::S3::Bucket".into(),
                id: "arn:aws:s3:::b1".into(),
                account: Some("1".into()),
            },
            Resource { kind: "AWS::IAM::Role".into(), id: "arn:aws:iam::1:role/r".into(), account: None },
        ];
        e.enrichment.techniques = &["T1530", "T1098"];
        e.enrichment.risks = [Risk::ResourceExposure, Risk::DefenseEvasion].into_iter().collect();
    }
    recs[1].event.plane = Plane::Network;
    recs[1].event.network = Some(Box::new(Network {
        src_addr: Some("10.0.1.5".into()),
        src_port: Some(49152),
        dst_addr: Some("198.51.100.9".into()),
        dst_port: Some(4444),
        protocol: Some(6),
        bytes: Some(5120),
        packets: Some(12),
        allowed: Some(true),
        interface: Some("eni-0abc".into()),
        end: Some(1_700_000_060_000),
    }));
    recs[2].event.plane = Plane::Host;
    recs[2].event.process = Some(Box::new(Process {
        hostname: Some("node-1".into()),
        name: Some("bash".into()),
        container_id: Some("c0ffee".into()),
        image: Some("nginx:1.25".into()),
        pid: Some(4242),
        privileged: Some(true),
        namespace: Some("kube-system".into()),
        host_paths: vec!["/".into(), "/var/run/docker.sock".into()],
        host_pid: Some(true),
        ..Process::default()
    }));
    recs[2].event.alert = Some(Box::new(Alert {
        rule: "Terminal shell in container".into(),
        severity: trailhound_sdk::Severity::Medium,
        tags: vec!["container".into(), "shell".into()],
        reporter: "falco".into(),
    }));
    let (_, detections) = run(settings(), vec![spec("echo", "misbehaving", json!({"echo": true}))], recs);
    let evidence: std::collections::HashMap<&str, &str> =
        detections[0].finding.evidence.iter().map(|e| (e.key.as_str(), e.value.as_str())).collect();
    let expect = [
        ("e0.action", "PutBucketPolicy"),
        ("e0.category", "storage"),
        ("e0.access_level", "Permissions management"),
        ("e0.error_code", "AccessDenied"),
        ("e0.success", "true"),
        ("e0.source_ip", "203.0.113.7"),
        ("e0.user_agent", "aws-cli/2.15"),
        ("e0.request_id", "req-1"),
        ("e0.correlation_id", "corr-1"),
        ("e0.actor.id", "arn:aws:iam::1:user/u0"),
        ("e0.actor.mfa", "true"),
        ("e0.actor.access_key", "AKIAEXAMPLE"),
        ("e0.actor.delegation", "alice@example.com,sa-1@p.iam.gserviceaccount.com"),
        // The enrichment stage traces the delegation chain back to its first caller.
        ("e0.lineage.origin", "alice@example.com"),
        ("e0.lineage.hops", "2"),
        ("e1.lineage.origin", "arn:aws:iam::1:user/u1"),
        ("e1.lineage.hops", "0"),
        ("e0.resources", "AWS::S3::Bucket=arn:aws:s3:::b1@1,AWS::IAM::Role=arn:aws:iam::1:role/r@-"),
        ("e0.techniques", "T1530,T1098"),
        ("e0.risks", "resource-exposure,defense-evasion"),
        ("e1.plane", "network"),
        ("e1.network", "10.0.1.5:49152 -> 198.51.100.9:4444 proto 6 bytes 5120 packets 12 allowed true on eni-0abc until 1700000060000"),
        ("e2.plane", "host"),
        ("e2.process", "node-1|bash|-|-|-|-|-|c0ffee|-|nginx:1.25|-|kube-system pid 4242 privileged true host paths [/,/var/run/docker.sock] host pid Some(true) host network None"),
        ("e2.alert", "Terminal shell in container medium [container,shell] by falco"),
    ];
    for (key, value) in expect {
        assert_eq!(evidence.get(key).copied(), Some(value), "{key}: {evidence:#?}");
    }
    for absent in
        ["e1.process", "e1.alert", "e2.network", "e0.network", "e1.error_code", "e1.actor.session_name"]
    {
        assert!(!evidence.contains_key(absent), "{absent} has no value: {evidence:#?}");
    }
}

#[test]
fn a_plugin_declares_the_fields_its_config_names_and_is_sent_their_values() {
    // What a rules engine does: the paths its rules read are known once it is configured.
    let recs = records(2, |_| "ListUsers");
    let config = json!({"echo": true, "fields": ["$.eventName", "$.userIdentity.type", "$.nothing.here"]});
    let (_, detections) = run(settings(), vec![spec("declares", "misbehaving", config)], recs);
    let evidence: std::collections::HashMap<&str, &str> =
        detections[0].finding.evidence.iter().map(|e| (e.key.as_str(), e.value.as_str())).collect();
    for id in ["e0", "e1"] {
        assert_eq!(
            evidence.get(format!("{id}.field.$.eventName").as_str()),
            Some(&"ListUsers"),
            "{evidence:#?}"
        );
        assert_eq!(
            evidence.get(format!("{id}.field.$.nothing.here").as_str()),
            Some(&"(none)"),
            "{evidence:#?}"
        );
    }
    assert_eq!(evidence.get("e0.field.$.userIdentity.type"), Some(&"IAMUser"), "{evidence:#?}");
}
