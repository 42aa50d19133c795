//! Tests: OCSF rendering — a detection becomes a Detection Finding (class_uid 2004) with the
//! required fields, the proving event ids in `finding_info.related_events`, MITRE techniques
//! in `attacks`, a stable finding uid; one readable line for terminals; and, for a few
//! representative detections, the file sink's exact bytes against golden files.

use serde_json::json;
use trailhound::findings::ocsf;
use trailhound::findings::{Detection, RelatedEvent};
use trailhound::sinks::file::FileSink;
use trailhound::sinks::Sink;
use trailhound_sdk::{Finding, Severity};

const ACTOR: &str = "arn:aws:sts::418295730164:assumed-role/dev-admin/m.hollis";

fn related(uid: &str, time: i64, action: &str, region: &str) -> RelatedEvent {
    RelatedEvent {
        uid: uid.into(),
        time,
        provider: "aws".into(),
        service: "iam.amazonaws.com".into(),
        action: action.into(),
        account: "418295730164".into(),
        region: region.into(),
        actor: ACTOR.into(),
        source_ip: Some("198.51.100.7".into()),
    }
}

/// A detection with three proving events, two resolved by the host.
pub fn detection() -> Detection {
    let finding =
        Finding::new("aws.iam.policy-version-changed", "Default policy version changed", Severity::High)
            .summary("dev-admin made version v2 of policy ci-deploy the default")
            .actor(ACTOR)
            .events(["ev-3", "ev-1", "ev-2"])
            .technique("T1098.003")
            .technique("T1078")
            .tag("iam")
            .tag("privilege-escalation")
            .evidence("policy", "arn:aws:iam::418295730164:policy/ci-deploy")
            .evidence("version", "v2")
            .evidence("version", "v3");
    Detection {
        plugin: "storyline".into(),
        plugin_version: "0.3.1".into(),
        finding,
        related: vec![
            related("ev-3", 1_793_700_000_000, "SetDefaultPolicyVersion", "us-east-1"),
            related("ev-1", 1_793_699_000_000, "CreatePolicyVersion", "us-east-1"),
        ],
        time: 1_793_700_000_000,
    }
}

#[test]
fn detection_finding_has_the_required_fields() {
    let out = ocsf::to_json(&detection());
    for (field, expected) in [
        ("class_uid", json!(2004)),
        ("category_uid", json!(2)),
        ("activity_id", json!(1)),
        ("type_uid", json!(200401)),
        ("severity_id", json!(4)),
        ("severity", json!("High")),
        ("status_id", json!(1)),
        ("status", json!("New")),
        ("time", json!(1_793_700_000_000_i64)),
        ("start_time", json!(1_793_699_000_000_i64)),
        ("end_time", json!(1_793_700_000_000_i64)),
        ("message", json!("dev-admin made version v2 of policy ci-deploy the default")),
    ] {
        assert_eq!(out[field], expected, "{field} in {out:#}");
    }
    let metadata = &out["metadata"];
    assert_eq!(metadata["version"], "1.3.0");
    assert_eq!(metadata["product"]["name"], "trailhound");
    assert_eq!(metadata["product"]["vendor_name"], "trailhound");
    assert_eq!(metadata["product"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(out["unmapped"], json!({ "plugin": "storyline", "plugin_version": "0.3.1" }));
}

#[test]
fn finding_info_names_rule_events_techniques_and_tags() {
    let out = ocsf::to_json(&detection());
    let info = &out["finding_info"];
    assert_eq!(info["title"], "Default policy version changed");
    assert_eq!(info["desc"], "dev-admin made version v2 of policy ci-deploy the default");
    assert_eq!(
        info["analytic"],
        json!({ "uid": "aws.iam.policy-version-changed", "name": "Default policy version changed", "type_id": 1, "type": "Rule" })
    );
    let uids: Vec<&str> =
        info["related_events"].as_array().unwrap().iter().map(|e| e["uid"].as_str().unwrap()).collect();
    assert_eq!(uids, ["ev-3", "ev-1", "ev-2"], "every proving event id, in the plugin's order");
    assert_eq!(info["related_events"][0]["type"], "iam:SetDefaultPolicyVersion");
    assert_eq!(info["related_events"][2], json!({ "uid": "ev-2" }), "an unresolved id is still listed");
    assert_eq!(info["related_events_count"], 3);
    assert_eq!(info["types"], json!(["iam", "privilege-escalation"]));
    assert_eq!(info["created_time"], 1_793_700_000_000_i64);
    assert_eq!(info["first_seen_time"], 1_793_699_000_000_i64);

    let expected_attacks = json!([
        { "technique": { "uid": "T1098", "name": "Account Manipulation" },
          "sub_technique": { "uid": "T1098.003", "name": "Additional Cloud Roles" } },
        { "technique": { "uid": "T1078", "name": "Valid Accounts" } },
    ]);
    assert_eq!(info["attacks"], expected_attacks);
    assert_eq!(out["attacks"], expected_attacks);
}

#[test]
fn actor_cloud_resources_and_evidence_are_derived() {
    let out = ocsf::to_json(&detection());
    assert_eq!(out["actor"]["user"]["uid"], ACTOR);
    assert_eq!(out["actor"]["user"]["name"], "m.hollis");
    assert_eq!(out["actor"]["user"]["account"]["uid"], "418295730164");
    assert_eq!(out["cloud"]["provider"], "AWS");
    assert_eq!(out["cloud"]["account"]["uid"], "418295730164");
    assert_eq!(out["cloud"]["region"], "us-east-1");
    assert_eq!(out["metadata"]["profiles"], json!(["cloud"]));

    let resources = out["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 1, "{resources:?}");
    assert_eq!(resources[0]["uid"], "arn:aws:iam::418295730164:policy/ci-deploy");
    assert_eq!(resources[0]["type"], "AWS::IAM::ManagedPolicy");
    assert_eq!(resources[0]["name"], "ci-deploy");

    let evidences = out["evidences"].as_array().unwrap();
    assert_eq!(
        evidences[0]["data"],
        json!({ "policy": "arn:aws:iam::418295730164:policy/ci-deploy", "version": ["v2", "v3"] })
    );
    assert_eq!(evidences.len(), 3, "the key/value evidence, then one per resolved event");
    assert_eq!(evidences[1]["api"]["operation"], "SetDefaultPolicyVersion");
    assert_eq!(evidences[1]["src_endpoint"]["ip"], "198.51.100.7");
    assert_eq!(evidences[1]["data"]["event_uid"], "ev-3");
}

#[test]
fn without_related_events_optional_objects_are_left_out() {
    let detection = Detection {
        plugin: "p".into(),
        plugin_version: "1".into(),
        finding: Finding::new("r", "Title only", Severity::Info),
        related: Vec::new(),
        time: 5,
    };
    let out = ocsf::to_json(&detection);
    let fields = out.as_object().unwrap();
    for absent in ["actor", "cloud", "resources", "start_time", "end_time"] {
        assert!(!fields.contains_key(absent), "{absent} in {out:#}");
    }
    assert_eq!(out["message"], "Title only", "the title stands in for an empty summary");
    assert_eq!(out["severity_id"], 1);
    assert_eq!(out["severity"], "Informational");
    assert_eq!(out["finding_info"]["related_events"], json!([]));
}

#[test]
fn severities_map_onto_ocsf_ids() {
    let expected = [
        (Severity::Info, 1, "Informational"),
        (Severity::Low, 2, "Low"),
        (Severity::Medium, 3, "Medium"),
        (Severity::High, 4, "High"),
        (Severity::Critical, 5, "Critical"),
    ];
    for (severity, id, name) in expected {
        let mut detection = detection();
        detection.finding.severity = severity;
        let out = ocsf::to_json(&detection);
        assert_eq!((out["severity_id"].clone(), out["severity"].clone()), (json!(id), json!(name)));
    }
}

#[test]
fn finding_uid_is_stable_and_discriminating() {
    let base = detection();
    let uid = |d: &Detection| ocsf::to_json(d)["finding_info"]["uid"].as_str().unwrap().to_string();
    let first = uid(&base);
    assert_eq!(first.len(), 64);
    assert!(first.chars().all(|c| c.is_ascii_hexdigit()));

    let mut reordered = base.clone();
    reordered.finding.event_ids.reverse();
    reordered.time += 1000;
    reordered.finding.title = "Reworded".into();
    assert_eq!(uid(&reordered), first, "event order, time and title do not change the identity");

    let mut other_rule = base.clone();
    other_rule.finding.rule_id.push('x');
    let mut other_plugin = base.clone();
    other_plugin.plugin.push('x');
    let mut other_events = base.clone();
    other_events.finding.event_ids.push("ev-4".into());
    for changed in [other_rule, other_plugin, other_events] {
        assert_ne!(uid(&changed), first);
    }
}

#[test]
fn to_line_is_one_readable_line() {
    let line = ocsf::to_line(&detection());
    assert_eq!(
        line,
        format!("HIGH      aws.iam.policy-version-changed  Default policy version changed — dev-admin made version v2 of policy ci-deploy the default  actor={ACTOR}  events=3  (plugin storyline)")
    );
    let mut from_rules = detection();
    from_rules.finding.title = from_rules.finding.rule_id.clone();
    from_rules.finding.summary.clear();
    assert_eq!(
        ocsf::to_line(&from_rules),
        format!("HIGH      aws.iam.policy-version-changed  actor={ACTOR}  events=3  (plugin storyline)"),
        "a title that repeats the rule id, and an empty summary, are left out"
    );
    let mut hostile = detection();
    hostile.finding.title = "evil\x1b[2J\ntitle".into();
    hostile.finding.actor = None;
    hostile.finding.summary = "evil\x1b[2J\nsummary".into();
    let line = ocsf::to_line(&hostile);
    assert!(!line.contains('\x1b') && !line.contains('\n'), "{line:?}");
    assert!(line.contains("evil\\u{1b}[2J\\ntitle — evil\\u{1b}[2J\\nsummary  events=3"), "{line:?}");
}

/// Representative detections, each with the golden file of what the file sink writes for it.
fn representative() -> Vec<(&'static str, Detection)> {
    let bucket = "arn:aws:s3:::acme-campaign-assets-2026";
    let exposer = "arn:aws:iam::562014837795:user/k.brennan";
    let public_bucket = Detection {
        plugin: "s3-exposure".into(),
        plugin_version: "0.2.0".into(),
        finding: Finding::new(
            "aws.s3.public-bucket-unencrypted",
            "Public bucket lost its encryption",
            Severity::Critical,
        )
        .summary("acme-campaign-assets-2026 is readable by everyone and no longer encrypted")
        .actor(exposer)
        .events(["ev-acl", "ev-enc"])
        .technique("T1530")
        .tag("s3")
        .tag("exposure")
        .evidence("bucket", bucket)
        .evidence("grantee", "http://acs.amazonaws.com/groups/global/AllUsers"),
        related: vec![
            RelatedEvent {
                uid: "ev-acl".into(),
                time: 1_793_725_000_000,
                provider: "aws".into(),
                service: "s3.amazonaws.com".into(),
                action: "PutBucketAcl".into(),
                account: "562014837795".into(),
                region: "eu-west-1".into(),
                actor: exposer.into(),
                source_ip: None,
            },
            RelatedEvent {
                uid: "ev-enc".into(),
                time: 1_793_728_800_000,
                provider: "aws".into(),
                service: "s3.amazonaws.com".into(),
                action: "DeleteBucketEncryption".into(),
                account: "562014837795".into(),
                region: "eu-west-1".into(),
                actor: exposer.into(),
                source_ip: Some("203.0.113.40".into()),
            },
        ],
        time: 1_793_728_800_000,
    };
    let title_only = Detection {
        plugin: "minimal-detector".into(),
        plugin_version: "0.1.0".into(),
        finding: Finding::new("example.hello", "Title only", Severity::Info),
        related: Vec::new(),
        time: 5,
    };
    let outside_aws = Detection {
        plugin: "rules".into(),
        plugin_version: "1.0.0".into(),
        finding: Finding::new("gcp.iam.sa-key-created", "Service account key created", Severity::Medium)
            .actor("deployer@acme-prod.iam.gserviceaccount.com")
            .events(["gcp-1"])
            .technique("T1098.001"),
        related: Vec::new(),
        time: 1_793_730_000_000,
    };
    vec![
        ("policy-version-changed", detection()),
        ("public-bucket", public_bucket),
        ("title-only", title_only),
        ("outside-aws", outside_aws),
    ]
}

/// The file sink's bytes for each representative detection equal its golden file under
/// `tests/data/ocsf/` (`BLESS=1` rewrites them). The one unstable field is
/// `metadata.product.version`, trailhound's own version, which changes with every release:
/// it is written as `VERSION` in the golden files.
#[test]
fn file_sink_output_matches_the_golden_ocsf_files() {
    let dir = tempfile::tempdir().unwrap();
    let golden_dir = crate::support::workspace().join("tests/data/ocsf");
    let bless = std::env::var_os("BLESS").is_some();
    let product_version = format!(r#""vendor_name":"trailhound","version":"{}""#, env!("CARGO_PKG_VERSION"));
    let mut failures = Vec::new();
    for (name, detection) in representative() {
        let path = dir.path().join(format!("{name}.jsonl"));
        let mut sink = FileSink::open(&path).unwrap();
        sink.deliver(&detection).unwrap();
        sink.flush().unwrap();
        let written = std::fs::read_to_string(&path).unwrap();
        assert_eq!(written.matches(&product_version).count(), 1, "{name}: product version in {written}");
        let actual = written.replace(&product_version, r#""vendor_name":"trailhound","version":"VERSION""#);
        let golden = golden_dir.join(format!("{name}.json"));
        if bless {
            std::fs::create_dir_all(&golden_dir).unwrap();
            std::fs::write(&golden, &actual).unwrap();
            continue;
        }
        match std::fs::read_to_string(&golden) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!("{name}:\n  expected {expected}  got      {actual}")),
            Err(e) => {
                failures.push(format!("{name}: cannot read {} ({e}); run with BLESS=1", golden.display()))
            }
        }
    }
    assert!(failures.is_empty(), "OCSF output differs from the golden files:\n{}", failures.join("\n"));
}
