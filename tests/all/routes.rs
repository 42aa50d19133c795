//! Tests: `trailhound run` with `[[routes]]` and `[throttle]`, as an operator configures them:
//! high-severity findings of one account page, the rest is archived by the default route,
//! and one finding per (rule, actor) an hour passes, the next one that passes saying how many
//! were held back; the summary accounts for every finding.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::support;

const PROD: &str = "111122223333";
const SANDBOX: &str = "444455556666";

/// The root user of `account` creating a user at `minute` past 10:00 (`minute` may pass 59).
fn root_call(id: &str, account: &str, minute: u32) -> String {
    let time = format!("2026-11-03T{:02}:{:02}:00Z", 10 + minute / 60, minute % 60);
    json!({
        "eventVersion": "1.08", "eventID": id, "eventTime": time,
        "eventSource": "iam.amazonaws.com", "eventName": "CreateUser", "awsRegion": "us-east-1",
        "recipientAccountId": account, "sourceIPAddress": "203.0.113.9", "userAgent": "aws-cli/2.15.30",
        "userIdentity": {"type": "Root", "principalId": account, "arn": format!("arn:aws:iam::{account}:root"), "accountId": account}
    })
    .to_string()
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn uid(finding: &Value) -> &str {
    finding["finding_info"]["related_events"][0]["uid"].as_str().unwrap_or_default()
}

#[test]
fn routes_send_each_finding_to_its_sinks_and_throttling_holds_back_repeats_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut log: Vec<String> = (0..5).map(|i| root_call(&format!("prod-{i}"), PROD, i * 5)).collect();
    log.extend((0..2).map(|i| root_call(&format!("sandbox-{i}"), SANDBOX, i * 5)));
    // Past the hour: passes, and says four were held back since the first.
    log.push(root_call("prod-later", PROD, 90));
    std::fs::write(dir.path().join("root.jsonl"), log.join("\n") + "\n").unwrap();
    let config = format!(
        "[engine]\nworkers = 1\n\
         [[sources]]\ntype = \"files\"\npaths = [\"root.jsonl\"]\n\
         [[plugins]]\nname = \"root\"\npath = {:?}\n\
         [[sinks]]\ntype = \"file\"\nname = \"pager\"\npath = \"pager.jsonl\"\n\
         [[sinks]]\ntype = \"file\"\nname = \"archive\"\npath = \"archive.jsonl\"\n\
         [[routes]]\nsinks = [\"pager\"]\nmin_severity = \"high\"\naccounts = [\"{PROD}\"]\nrules = [\"aws.root-*\"]\n\
         [[routes]]\nsinks = [\"archive\"]\ndefault = true\n\
         [throttle]\nwindow_secs = 3600\n",
        support::component("minimal-detector").display().to_string(),
    );
    std::fs::write(dir.path().join("service.toml"), config).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(["run", "--config", "service.toml"])
        .current_dir(dir.path())
        .env("CI", "true")
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("routes-cache"))
        .output()
        .expect("trailhound runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    let pager = lines(&dir.path().join("pager.jsonl"));
    let paged: Vec<&str> = pager.iter().map(uid).collect();
    assert_eq!(paged, ["prod-0", "prod-later"], "{pager:#?}");
    assert_eq!(pager[1]["evidences"][0]["data"]["throttle.suppressed"], "4", "{:#}", pager[1]);
    let archive = lines(&dir.path().join("archive.jsonl"));
    assert_eq!(archive.iter().map(uid).collect::<Vec<_>>(), ["sandbox-0"], "the other account, by default");
    assert!(stderr.contains("findings: 8"), "every finding counted: {stderr}");
    assert!(stderr.contains("findings suppressed by throttling: 5"), "{stderr}");
    assert!(!stderr.contains("no route took"), "{stderr}");
}

#[test]
fn a_route_naming_a_sink_that_does_not_exist_is_refused_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let config = "[[sources]]\ntype = \"stdin\"\n\
                  [[sinks]]\ntype = \"stdout\"\nname = \"console\"\n\
                  [[routes]]\nsinks = [\"console\", \"pagr\"]\n\
                  [[routes]]\nsinks = [\"console\"]\ndefault = true\n\
                  [[routes]]\nsinks = [\"console\"]\ndefault = true\n\
                  [throttle]\nwindow_secs = 60\nmax_per_window = 0\n";
    std::fs::write(dir.path().join("bad.toml"), config).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(["validate", "bad.toml"])
        .current_dir(dir.path())
        .output()
        .expect("trailhound runs");
    let out =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!output.status.success(), "{out}");
    assert!(
        out.contains("bad.toml:7:21:") && out.contains("routes[0].sinks[1]: no sink is named \"pagr\""),
        "{out}"
    );
    assert!(out.contains("routes[2].default: routes[1] is already the default route"), "{out}");
    assert!(out.contains("throttle.max_per_window: must be at least 1"), "{out}");
}
