//! Tests: the `trailhound` binary as a user runs it — scan summaries, malformed input
//! reported with file and line, unreadable input failing the run, JSON output, and
//! declarative plugin tests.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

use crate::support;

fn trailhound(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(args)
        .env("CI", "true")
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-cache"))
        .output()
        .expect("trailhound runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn cloudtrail(id: &str, kind: &str, action: &str) -> Value {
    json!({
        "eventVersion": "1.08",
        "eventID": id,
        "eventTime": "2026-11-03T10:00:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": action,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0",
        "recipientAccountId": "111122223333",
        "userIdentity": {
            "type": kind,
            "principalId": "111122223333",
            "arn": if kind == "Root" { "arn:aws:iam::111122223333:root" } else { "arn:aws:iam::111122223333:user/alice" },
            "accountId": "111122223333"
        }
    })
}

/// A folder with a Records file (one root event) and a JSON-lines file with a broken line 2.
fn sample(dir: &Path) {
    let records = json!({"Records": [cloudtrail("r-1", "Root", "CreateUser"), cloudtrail("r-2", "IAMUser", "ListUsers")]});
    std::fs::write(dir.join("trail.json"), records.to_string()).unwrap();
    let lines = [
        cloudtrail("l-1", "IAMUser", "GetUser").to_string(),
        "{not json".into(),
        cloudtrail("l-3", "IAMUser", "ListRoles").to_string(),
    ];
    std::fs::write(dir.join("more.jsonl"), lines.join("\n")).unwrap();
}

#[test]
fn scan_prints_findings_and_a_summary_naming_the_malformed_line() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path());
    let plugin = support::component("minimal-detector");
    let out = trailhound(&["scan", dir.path().to_str().unwrap(), "--plugin", plugin.to_str().unwrap()]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("aws.root-activity"), "stdout: {stdout}");
    assert_eq!(stdout.lines().filter(|l| !l.trim().is_empty()).count(), 1, "one finding: {stdout}");
    assert!(stderr.contains("events read: 4"), "{stderr}");
    assert!(stderr.contains("malformed: 1"), "{stderr}");
    assert!(stderr.contains("more.jsonl:2"), "malformed record named by file and line: {stderr}");
    assert!(stderr.contains("high: 1"), "{stderr}");
}

#[test]
fn log_format_json_writes_log_events_as_json_objects() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path());
    let plugin = support::component("minimal-detector");
    let path = dir.path().to_str().unwrap();
    let out = trailhound(&["--log-format", "json", "scan", path, "--plugin", plugin.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let logged: Vec<Value> = stderr.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let malformed = logged.iter().find(|l| l["fields"]["message"] == "malformed record").expect(&stderr);
    assert_eq!(malformed["level"], "WARN");
    assert!(malformed["fields"]["origin"].as_str().unwrap().contains("more.jsonl:2"), "{malformed}");
    assert!(malformed["timestamp"].is_string());
}

#[test]
fn scan_json_output_is_ocsf_detection_findings() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path());
    let plugin = support::component("minimal-detector");
    let out = trailhound(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--plugin",
        plugin.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let findings: Vec<Value> =
        text(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f["class_uid"], 2004);
    assert_eq!(f["finding_info"]["analytic"]["uid"], "aws.root-activity");
    assert_eq!(f["finding_info"]["related_events"][0]["uid"], "r-1");
    assert_eq!(f["severity_id"], 4);
}

#[test]
fn scan_fails_on_unreadable_input() {
    let plugin = support::component("minimal-detector");
    let out = trailhound(&["scan", "/nonexistent/trail.json", "--plugin", plugin.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("/nonexistent/trail.json"), "{}", text(&out.stderr));
}

#[test]
fn plugin_test_runs_declarative_cases() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::component("minimal-detector");
    let suite = json!({
        "plugin": plugin.to_str().unwrap(),
        "cases": [
            {"name": "root fires", "events": [cloudtrail("a", "Root", "CreateUser")],
             "expect": [{"rule_id": "aws.root-activity", "severity": "high", "events": ["a"]}]},
            {"name": "a user does not", "events": [cloudtrail("b", "IAMUser", "CreateUser")], "expect": []},
        ]
    });
    let passing = dir.path().join("pass.yaml");
    std::fs::write(&passing, serde_yaml_ng::to_string(&suite).unwrap()).unwrap();
    let out = trailhound(&["plugin", "test", passing.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("2 passed, 0 failed"), "{}", text(&out.stdout));

    let mut wrong = suite.clone();
    wrong["cases"][1]["expect"] = json!([{"rule_id": "aws.root-activity"}]);
    let failing = dir.path().join("fail.yaml");
    std::fs::write(&failing, serde_yaml_ng::to_string(&wrong).unwrap()).unwrap();
    let out = trailhound(&["plugin", "test", failing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("FAIL")
            && stdout.contains("a user does not")
            && stdout.contains("1 passed, 1 failed"),
        "{stdout}"
    );
}

/// `validate` used to say ok to configs that `run` then refused.
#[test]
fn validate_dry_runs_every_plugin_and_checks_every_path_reporting_all_problems() {
    let dir = tempfile::tempdir().unwrap();
    let trail = support::component("storyline");
    let minimal = support::component("minimal-detector");
    let config = format!(
        "[[sources]]\ntype = \"files\"\npaths = [\"missing-logs\"]\n\
         [[plugins]]\nname = \"trail\"\npath = {:?}\nconfig = {{ threshold = 0 }}\n\
         [[plugins]]\nname = \"gone\"\npath = \"nowhere.wasm\"\n\
         [[plugins]]\nname = \"fine\"\npath = {:?}\n\
         [[sinks]]\ntype = \"stdout\"\n",
        trail.display().to_string(),
        minimal.display().to_string()
    );
    let path = dir.path().join("t.toml");
    std::fs::write(&path, config).unwrap();
    let out = trailhound(&["validate", path.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("t.toml:3:10: sources[0].paths[0]:")
            && stderr.contains("missing-logs does not exist"),
        "{stderr}"
    );
    assert!(stderr.contains("plugins[0].config: plugin \"trail\" refused its config: storyline config: threshold must be greater than 0"), "{stderr}");
    assert!(
        stderr.contains("plugins[1].path: component") && stderr.contains("nowhere.wasm does not exist"),
        "{stderr}"
    );
    assert!(stderr.contains("3 problem(s)"), "{stderr}");

    let good = format!(
        "[[sources]]\ntype = \"stdin\"\n[[plugins]]\nname = \"fine\"\npath = {:?}\n[[sinks]]\ntype = \"stdout\"\n",
        minimal.display().to_string()
    );
    std::fs::write(&path, good).unwrap();
    let out = trailhound(&["validate", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("1 plugin(s) loaded and configured"), "{}", text(&out.stdout));
}
