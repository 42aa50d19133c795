//! Tests: the bundled example data through the real host and the first-party plugins, as
//! README command 1 runs it. Both CloudTrail stories must come out — the insider followed
//! across hosts, roles and accounts, and the public bucket that lost its encryption — and the
//! contractor's grants on GCP and Azure, and story 4's privileged assume and snapshot share
//! with the escaped node's key, and nobody from the background activity may be reported.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use trailhound::sources::{self, Item};

use crate::support;

const INSIDER: &str = "arn:aws:iam::418295730164:user/m.hollis";
const EXPOSER: &str = "arn:aws:iam::562014837795:user/k.brennan";
/// Story 3's contractor on Azure, and the GCP service account the contractor acted as.
const CONTRACTOR: &str = "r.vance@acme.example";
const EXPORTER: &str = "analytics-exporter@acme-analytics-prod.iam.gserviceaccount.com";
/// Role sessions of the insider's story: the two instances, then the two assumed roles.
const INSIDER_SESSIONS: [&str; 4] = [
    "i-0a4f19c2d7e3b5816",
    "i-07d2e8b1c9f4a6035",
    "botocore-session-1793784262",
    "botocore-session-1793786118",
];
/// Story 4: the orders node's instance role session, then the privileged role's session.
const NODE_SESSION: &str = "arn:aws:sts::738219460512:assumed-role/eks-node-role/i-05e9c1d4a7b3f2608";
const DBA_SESSION: &str = "arn:aws:sts::738219460512:assumed-role/prod-dba-admin/orders-db-migrate";
/// Story 4 began at the orders node's instance, where the container escaped to.
const ESCAPE_ORIGIN: &str = "instance:i-05e9c1d4a7b3f2608";

fn scan(workers: &str) -> Vec<Value> {
    let data = support::workspace().join("examples/data");
    let mut command = Command::new(env!("CARGO_BIN_EXE_trailhound"));
    command.arg("scan").arg(&data).args(["--format", "json", "--workers", workers]);
    for plugin in ["storyline", "s3-exposure", "iam-risk"] {
        command.arg("--plugin").arg(support::component(plugin));
    }
    let output = command
        .env("CI", "true")
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("stories-cache"))
        .output()
        .expect("trailhound runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("malformed: 0"), "the bundled data is clean: {stderr}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect()
}

fn rule(finding: &Value) -> &str {
    finding["finding_info"]["analytic"]["uid"].as_str().unwrap_or_default()
}

fn related(finding: &Value) -> BTreeSet<String> {
    finding["finding_info"]["related_events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["uid"].as_str().map(str::to_string))
        .collect()
}

/// The event id of the first record of the bundled data doing `action` on `needle`.
fn event_id(action: &str, needle: &str) -> String {
    let inputs = sources::expand(&[support::workspace().join("examples/data")]).unwrap().inputs;
    let mut found = None;
    for input in &inputs {
        sources::read(input, Default::default(), &mut |item| {
            if let Item::Record(raw) = item {
                let value: serde_json::Value = serde_json::from_str(&raw.text).unwrap();
                if found.is_none() && value["eventName"] == action && value.to_string().contains(needle) {
                    found = value["eventID"].as_str().map(str::to_string);
                }
            }
        })
        .unwrap();
    }
    found.unwrap_or_else(|| panic!("no {action} on {needle} in examples/data"))
}

fn in_a_story(finding: &Value) -> bool {
    let actor = finding["actor"]["user"]["uid"].as_str().unwrap_or_default();
    [INSIDER, EXPOSER, CONTRACTOR, EXPORTER, NODE_SESSION, DBA_SESSION, ESCAPE_ORIGIN].contains(&actor)
        || INSIDER_SESSIONS.iter().any(|s| actor.ends_with(&format!("/{s}")))
}

pub fn assert_both_stories(findings: &[Value]) {
    let background: Vec<&Value> = findings.iter().filter(|f| !in_a_story(f)).collect();
    assert!(background.is_empty(), "background activity reported: {background:#?}");

    let storylines: Vec<&Value> = findings.iter().filter(|f| rule(f) == "storyline.risk-threshold").collect();
    let about = |f: &Value| f["evidences"][0]["data"]["revision.of"].as_str().unwrap_or_default().to_string();
    let keys: BTreeSet<String> = storylines.iter().map(|f| about(f)).collect();
    assert_eq!(keys, BTreeSet::from([INSIDER.to_string(), ESCAPE_ORIGIN.to_string()]), "{storylines:#?}");
    let trail: Vec<&Value> = storylines.iter().copied().filter(|f| about(f) == INSIDER).collect();
    let uids: BTreeSet<&str> = trail.iter().filter_map(|f| f["finding_info"]["uid"].as_str()).collect();
    assert_eq!(uids.len(), 1, "the insider is one story, its revisions one finding: {trail:#?}");
    let revision =
        |f: &Value| f["evidences"][0]["data"]["revision"].as_str().and_then(|r| r.parse::<u32>().ok());
    let trail = *trail.iter().max_by_key(|f| revision(f)).expect("the insider is reported");
    assert_eq!(trail["actor"]["user"]["uid"], INSIDER, "the trail is told about its origin");
    assert_eq!(trail["severity"], "Critical");
    let trail_events = related(trail);
    for (action, needle) in [
        ("StartSession", "i-0a4f19c2d7e3b5816"),
        ("SendSSHPublicKey", "i-07d2e8b1c9f4a6035"),
        ("SetDefaultPolicyVersion", "ci-deploy-permissions"),
        ("ModifySnapshotAttribute", "903481726654"),
    ] {
        assert!(trail_events.contains(&event_id(action, needle)), "{action} missing from the trail");
    }

    let exposure: Vec<&Value> =
        findings.iter().filter(|f| rule(f) == "aws.s3.public-bucket-lost-encryption").collect();
    assert_eq!(exposure.len(), 1, "{exposure:#?}");
    let exposure_events = related(exposure[0]);
    assert!(exposure_events.contains(&event_id("DeleteBucketEncryption", "acme-campaign-assets-2026")));
    assert!(exposure_events.contains(&event_id("CreateBucket", "acme-campaign-assets-2026")));

    let signals: BTreeSet<&str> = findings.iter().map(rule).filter(|r| r.starts_with("aws.iam.")).collect();
    assert_eq!(
        signals,
        BTreeSet::from([
            "aws.iam.access-key-created-for-other-user",
            "aws.iam.policy-default-version-changed"
        ])
    );
    let denied = findings.iter().filter(|f| rule(f) == "aws.sts.cross-account-assume-denied").count();
    assert_eq!(denied, 3, "one per external corporate account");

    let grants: BTreeSet<(&str, &str)> = findings
        .iter()
        .filter(|f| rule(f).starts_with("gcp.") || rule(f).starts_with("azure."))
        .map(|f| (rule(f), f["actor"]["user"]["uid"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(
        grants,
        BTreeSet::from([
            ("azure.authorization.privileged-role-assigned", CONTRACTOR),
            ("gcp.iam.public-member-granted", EXPORTER)
        ]),
        "story 3: the guest made Owner, allUsers granted on the exports bucket"
    );

    let escape: BTreeSet<(&str, &str)> = findings
        .iter()
        .map(|f| (rule(f), f["actor"]["user"]["uid"].as_str().unwrap_or_default()))
        .filter(|(_, actor)| [NODE_SESSION, DBA_SESSION].contains(actor))
        .collect();
    assert_eq!(
        escape,
        BTreeSet::from([
            ("aws.ec2.snapshot-shared-externally", DBA_SESSION),
            ("aws.sts.privileged-role-assumed-without-mfa", NODE_SESSION)
        ]),
        "story 4: the node's key assumes prod-dba-admin, whose key shares the orders snapshot"
    );
    let share = findings.iter().find(|f| {
        rule(f) == "aws.ec2.snapshot-shared-externally" && f["actor"]["user"]["uid"] == DBA_SESSION
    });
    let shared = event_id("ModifyDBSnapshotAttribute", "orders-prod-2026-11-03-export");
    assert!(share.is_some_and(|f| related(f).contains(&shared)), "the share's event proves it");
}

#[test]
fn both_stories_are_told_on_one_worker() {
    assert_both_stories(&scan("1"));
}

#[test]
fn both_stories_are_told_when_actors_are_sharded_over_workers() {
    assert_both_stories(&scan("3"));
}
