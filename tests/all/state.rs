//! State across restarts: a story whose events span two scans with a state folder gives the
//! findings (uid, rule, proving events) one scan over all of it gives, with one worker and
//! with two; a corrupt state file and a state folder of another worker count are refused
//! with a clear message and the run goes on empty; state files are only ever whole.
//!
//! The story, built from the record shapes of the CloudTrail documentation: an IAM user
//! assumes a privileged role without MFA, and with the role's temporary key maps the account
//! across regions, makes a policy version the default and creates an access key for another
//! user (first log); then shares an EBS snapshot with a foreign account (second log). The
//! second log alone is no story; with the state of the first it is the trail's last revision.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use trailhound::engine::state::file::{self, Kind};

use crate::support;

const ACCOUNT: &str = "111122223333";
const FOREIGN: &str = "444455556666";
const USER: &str = "arn:aws:iam::111122223333:user/alice";
const ROLE: &str = "arn:aws:iam::111122223333:role/ops-admin";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/ops-admin/alice-session";
/// The temporary key AssumeRole hands out.
const SESSION_KEY: &str = "ASIAEXAMPLESESSION01";
const TRAIL_RULE: &str = "storyline.risk-threshold";

fn user() -> Value {
    json!({"type": "IAMUser", "principalId": "AIDAEXAMPLEALICE", "arn": USER, "accountId": ACCOUNT,
           "accessKeyId": "AKIAEXAMPLEALICE0001", "userName": "alice"})
}

fn session() -> Value {
    json!({"type": "AssumedRole", "principalId": "AROAEXAMPLEOPS:alice-session", "arn": SESSION,
           "accountId": ACCOUNT, "accessKeyId": SESSION_KEY,
           "sessionContext": {
               "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEOPS", "arn": ROLE,
                                 "accountId": ACCOUNT, "userName": "ops-admin"},
               "attributes": {"creationDate": "2026-03-02T10:00:00Z", "mfaAuthenticated": "false"}}})
}

/// One management event at 10:MM:00 on 2026-03-02.
fn call(
    minute: u32,
    identity: Value,
    source: &str,
    action: &str,
    region: &str,
    request: Value,
    response: Value,
) -> Value {
    json!({
        "eventVersion": "1.08", "userIdentity": identity,
        "eventTime": format!("2026-03-02T10:{minute:02}:00Z"),
        "eventSource": source, "eventName": action, "awsRegion": region,
        "sourceIPAddress": "203.0.113.24", "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.1",
        "requestParameters": request, "responseElements": response,
        "requestID": format!("req-{minute:02}"), "eventID": format!("9e1c4b2a-0000-4000-8000-0000000000{minute:02}"),
        "readOnly": action.starts_with("List") || action.starts_with("Describe") || action.starts_with("Get"),
        "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": ACCOUNT,
        "eventCategory": "Management"
    })
}

/// The story's two halves, in time order.
fn story() -> (Vec<Value>, Vec<Value>) {
    let none = Value::Null;
    let first = vec![
        call(
            1,
            user(),
            "sts.amazonaws.com",
            "AssumeRole",
            "us-east-1",
            json!({"roleArn": ROLE, "roleSessionName": "alice-session"}),
            json!({"credentials": {"accessKeyId": SESSION_KEY, "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE",
                                   "expiration": "Mar 2, 2026, 11:01:00 AM"},
                   "assumedRoleUser": {"assumedRoleId": "AROAEXAMPLEOPS:alice-session", "arn": SESSION}}),
        ),
        call(
            2,
            session(),
            "s3.amazonaws.com",
            "ListBuckets",
            "us-east-1",
            json!({"host": ["s3.amazonaws.com"]}),
            none.clone(),
        ),
        call(
            3,
            session(),
            "ec2.amazonaws.com",
            "DescribeInstances",
            "us-east-1",
            json!({"instancesSet": {}}),
            none.clone(),
        ),
        call(
            4,
            session(),
            "ec2.amazonaws.com",
            "DescribeSnapshots",
            "us-west-2",
            json!({"snapshotSet": {}}),
            none.clone(),
        ),
        call(5, session(), "rds.amazonaws.com", "DescribeDBInstances", "eu-west-1", json!({}), none.clone()),
        call(6, session(), "iam.amazonaws.com", "ListUsers", "us-east-1", json!({}), none.clone()),
        call(
            8,
            session(),
            "iam.amazonaws.com",
            "SetDefaultPolicyVersion",
            "us-east-1",
            json!({"policyArn": "arn:aws:iam::111122223333:policy/deploy-permissions", "versionId": "v3"}),
            none.clone(),
        ),
        call(
            20,
            session(),
            "iam.amazonaws.com",
            "CreateAccessKey",
            "us-east-1",
            json!({"userName": "bob"}),
            json!({"accessKey": {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOB000001", "status": "Active",
                                 "createDate": "Mar 2, 2026, 10:20:00 AM"}}),
        ),
    ];
    let second = vec![call(
        25,
        session(),
        "ec2.amazonaws.com",
        "ModifySnapshotAttribute",
        "us-east-1",
        json!({"snapshotId": "snap-0a1b2c3d4e5f60718", "attributeType": "CREATE_VOLUME_PERMISSION",
                   "createVolumePermission": {"add": {"items": [{"userId": FOREIGN}]}}}),
        json!({"_return": true}),
    )];
    (first, second)
}

fn jsonl(path: &Path, records: &[Value]) -> PathBuf {
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

/// The two halves as JSON-lines files in `dir`.
fn logs(dir: &Path) -> (PathBuf, PathBuf) {
    let (first, second) = story();
    (jsonl(&dir.join("first.jsonl"), &first), jsonl(&dir.join("second.jsonl"), &second))
}

struct Scan {
    findings: Vec<Value>,
    stderr: String,
}

/// `trailhound scan INPUTS --format json` with storyline and iam-risk, and `args`.
fn scan(inputs: &[&Path], args: &[&str]) -> Scan {
    scan_with(&["storyline", "iam-risk"], inputs, args)
}

/// `trailhound scan INPUTS --format json` with `plugins` and `args`.
fn scan_with(plugins: &[&str], inputs: &[&Path], args: &[&str]) -> Scan {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trailhound"));
    command.arg("scan").args(inputs).args(["--format", "json"]).args(args);
    for plugin in plugins {
        command.arg("--plugin").arg(support::component(plugin));
    }
    let output = command
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("state-cache"))
        .output()
        .expect("trailhound runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    let findings = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    Scan { findings, stderr }
}

/// What must be the same: each finding's uid, rule and proving events, as its last revision
/// has them (how many revisions a story gets in between depends on where batches end).
fn essence(findings: &[Value]) -> BTreeSet<(String, String, Vec<String>)> {
    let mut last: std::collections::BTreeMap<String, (String, Vec<String>)> = Default::default();
    for f in findings {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let mut events: Vec<String> = f["finding_info"]["related_events"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| text(&e["uid"]))
            .collect();
        events.sort();
        let rule = text(&f["finding_info"]["analytic"]["uid"]);
        let entry = last.entry(text(&f["finding_info"]["uid"])).or_insert_with(|| (rule, Vec::new()));
        if events.len() >= entry.1.len() {
            entry.1 = events;
        }
    }
    last.into_iter().map(|(uid, (rule, events))| (uid, rule, events)).collect()
}

fn trail_events(findings: &[Value]) -> Option<usize> {
    // The trail's last revision cites the most.
    let trails = findings.iter().filter(|f| f["finding_info"]["analytic"]["uid"] == TRAIL_RULE);
    trails.filter_map(|f| f["finding_info"]["related_events"].as_array().map(Vec::len)).max()
}

#[test]
fn a_story_over_two_scans_with_a_state_folder_gives_the_findings_of_one_scan() {
    for workers in ["1", "2"] {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = logs(dir.path());
        let whole = scan(&[&first, &second], &["--workers", workers]);
        assert_eq!(
            trail_events(&whole.findings),
            Some(9),
            "the trail cites the AssumeRole, five discovery calls in three regions, the policy \
             version, the access key and the snapshot share: {:#?}",
            whole.findings
        );

        let state = dir.path().join("state");
        let state_arg = state.to_str().unwrap();
        let before = scan(&[&first], &["--workers", workers, "--state", state_arg]);
        assert!(before.stderr.contains("nothing restored"), "{}", before.stderr);
        let after = scan(&[&second], &["--workers", workers, "--state", state_arg]);
        assert!(after.stderr.contains("state: restored from"), "{}", after.stderr);
        assert!(after.stderr.contains("state: plugins restored: storyline"), "{}", after.stderr);
        let resumed: Vec<Value> = before.findings.into_iter().chain(after.findings).collect();
        assert_eq!(essence(&resumed), essence(&whole.findings), "with {workers} worker(s)");

        // Without the state the second half alone is no story: the test above means something.
        let alone = scan(&[&second], &["--workers", workers]);
        assert_eq!(trail_events(&alone.findings), None, "{:#?}", alone.findings);

        state_files_are_whole(&state, workers.parse().unwrap());
    }
}

#[test]
fn the_baseline_keeps_what_a_session_learned_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = story();
    // The session's key, later, from another network and with another tool.
    let mut stolen =
        call(40, session(), "s3.amazonaws.com", "ListBuckets", "us-east-1", json!({}), Value::Null);
    stolen["sourceIPAddress"] = json!("198.51.100.94");
    stolen["userAgent"] = json!("Boto3/1.34.10 md/Botocore#1.34.10 ua/2.0 os/linux#5.10");
    let (first, second) =
        (jsonl(&dir.path().join("first.jsonl"), &first), jsonl(&dir.path().join("second.jsonl"), &[stolen]));
    let rules = |scan: &Scan| -> Vec<String> {
        scan.findings
            .iter()
            .map(|f| f["finding_info"]["analytic"]["uid"].as_str().unwrap().to_string())
            .collect()
    };
    let whole = scan_with(&["baseline"], &[&first, &second], &[]);
    assert_eq!(rules(&whole), ["baseline.session-token-second-user-agent"], "{:#?}", whole.findings);

    let state = dir.path().join("state");
    let state_arg = state.to_str().unwrap();
    let before = scan_with(&["baseline"], &[&first], &["--state", state_arg]);
    let after = scan_with(&["baseline"], &[&second], &["--state", state_arg]);
    assert!(after.stderr.contains("state: plugins restored: baseline"), "{}", after.stderr);
    let resumed: Vec<Value> = before.findings.into_iter().chain(after.findings).collect();
    assert_eq!(essence(&resumed), essence(&whole.findings));
    // Alone, the second log is the session's first network: nothing departs from it.
    assert_eq!(rules(&scan_with(&["baseline"], &[&second], &[])), [] as [String; 0]);
}

/// Every file in the state folder reads back whole (header, length, checksum), says whom it
/// belongs to, and no temporary file is left behind.
fn state_files_are_whole(state: &Path, workers: usize) {
    let mut plugins = BTreeSet::new();
    assert_eq!(
        std::fs::read_dir(state).unwrap().count(),
        3,
        "the committed cut, the link to it and the lock, nothing else: {:?}",
        std::fs::read_dir(state).unwrap().collect::<Vec<_>>()
    );
    let state = &state.join("current");
    let mut files = vec![state.join("engine.state")];
    for worker in 0..workers {
        for entry in std::fs::read_dir(state.join(format!("worker-{worker}"))).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.ends_with(".state") && !name.starts_with('.'), "a temporary file is left: {name}");
        let (header, _) = file::read(path).unwrap().unwrap_or_else(|| panic!("{} is absent", path.display()));
        assert_eq!(header.workers, workers, "{name}");
        // The last event of the second half, 10:25, on the worker the story went to; a worker
        // that saw no event has no stream time yet.
        let last = Some(1_772_447_100_000);
        assert!(
            header.stream_time == last || (header.kind != Kind::Engine && header.stream_time.is_none()),
            "{header:?}"
        );
        if header.kind == Kind::Plugin {
            assert!(
                header.worker.is_some_and(|w| w < workers) && header.plugin_version.is_some(),
                "{header:?}"
            );
            plugins.insert(header.plugin.unwrap());
        }
    }
    // iam-risk keeps no state, so it has none to save.
    assert_eq!(plugins, BTreeSet::from(["storyline".to_string()]));
    assert_eq!(
        std::fs::read_dir(state).unwrap().count(),
        1 + workers,
        "engine.state and a folder per worker"
    );
}

#[test]
fn a_corrupt_state_file_is_refused_and_the_plugin_starts_empty() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = logs(dir.path());
    let state = dir.path().join("state");
    let state_arg = state.to_str().unwrap();
    scan(&[&first], &["--workers", "1", "--state", state_arg]);
    let snapshot = state.join("current/worker-0/plugin-storyline.state");
    let whole = std::fs::read(&snapshot).unwrap();
    std::fs::write(&snapshot, &whole[..whole.len() / 2]).unwrap();

    let after = scan(&[&second], &["--workers", "1", "--state", state_arg]);
    assert!(after.stderr.contains("plugin-storyline.state is corrupt"), "{}", after.stderr);
    assert!(after.stderr.contains("plugin storyline started empty on 1 worker(s)"), "{}", after.stderr);
    assert!(!after.stderr.contains("plugins restored"), "{}", after.stderr);
    assert_eq!(trail_events(&after.findings), None, "the trail was lost with its state");
    assert!(file::read(&snapshot).unwrap().is_some(), "the run saved a whole snapshot again");
}

#[test]
fn state_saved_with_another_worker_count_is_refused_with_the_count_that_fits() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = logs(dir.path());
    let state = dir.path().join("state");
    let state_arg = state.to_str().unwrap();
    scan(&[&first], &["--workers", "1", "--state", state_arg]);
    let after = scan(&[&second], &["--workers", "2", "--state", state_arg]);
    assert!(
        after.stderr.contains("was saved by a run with 1 worker(s), this run has 2")
            && after.stderr.contains("run with --workers 1 to resume it"),
        "{}",
        after.stderr
    );
    assert!(after.stderr.contains("nothing restored"), "{}", after.stderr);
    assert!(after.stderr.contains("plugin storyline started empty on 1 worker(s)"), "{}", after.stderr);
    assert_eq!(trail_events(&after.findings), None);
    assert_eq!(
        file::read(&state.join("current/engine.state")).unwrap().unwrap().0.workers,
        2,
        "saved anew for two"
    );
}

#[test]
fn a_snapshot_the_plugin_cannot_read_starts_it_empty_with_the_plugins_reason_in_both_summaries() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = logs(dir.path());
    let state = dir.path().join("state");
    let state_arg = state.to_str().unwrap();
    scan(&[&first], &["--workers", "1", "--state", state_arg]);
    // A whole file, as an older build of the plugin might have left it: the host accepts it,
    // the plugin does not.
    let snapshot = state.join("current/worker-0/plugin-storyline.state");
    let (header, _) = file::read(&snapshot).unwrap().unwrap();
    file::write(&snapshot, header, br#"{"version": 99, "trails": {}}"#).unwrap();

    let summary = dir.path().join("summary.json");
    let summary_arg = summary.to_str().unwrap();
    let after = scan(&[&second], &["--workers", "1", "--state", state_arg, "--summary-json", summary_arg]);
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(summary["state"]["restored_from"], "2026-03-02T10:20:00Z", "{summary:#}");
    let trail = summary["plugins"].as_array().unwrap().iter().find(|p| p["name"] == "storyline").unwrap();
    assert_eq!(trail["state"]["started_empty"], 1, "{summary:#}");
    assert!(trail["state"]["why_empty"].as_str().unwrap().contains("version 99"), "{summary:#}");
    assert!(after.stderr.contains("state: restored from"), "{}", after.stderr);
    assert!(
        after
            .stderr
            .contains("plugin storyline started empty on 1 worker(s): storyline snapshot has version 99"),
        "{}",
        after.stderr
    );
    assert_eq!(trail_events(&after.findings), None);
}
