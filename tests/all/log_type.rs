//! Tests: a source's `log_type` in the config forces the log source its records are read as
//! — on a folder of records no source recognises by their keys, on two sources that each keep
//! their own, on stdin and a watched folder read side by side, where a file that arrives later
//! keeps its folder's — and an unknown value is an error naming the key, its line and the
//! accepted values.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use serde_json::json;
use trailhound::config::Config;
use trailhound::normalize::SourceType;

use super::service::{watch_sources, Service};
use crate::support;

/// A Falco alert as Falco writes it with `json_output: true` and both
/// `json_include_output_property` and `json_include_output_fields_property` set to false:
/// only the properties Falco always writes (rule, time, priority, source, hostname) and the
/// tags. No source recognises it by its keys (a Falco alert is told by its `output` or
/// `output_fields`), so only a forced `falco` reads it.
fn terse_falco_alert(rule: &str) -> String {
    json!({
        "hostname": "node-1",
        "priority": "Warning",
        "rule": rule,
        "source": "syscall",
        "tags": ["container", "mitre_execution", "shell"],
        "time": "2024-05-01T10:44:11.355339010Z"
    })
    .to_string()
}

/// A Kubernetes audit event of EKS as `aws logs filter-log-events` prints the log events of
/// the cluster's `kube-apiserver-audit` stream: the audit event is the log event's message.
fn eks_log_event(audit_id: &str) -> String {
    let audit = json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": audit_id,
        "stage": "ResponseComplete", "requestURI": "/api/v1/namespaces/default/secrets", "verb": "list",
        "user": {"username": "alice@example.com", "groups": ["system:authenticated"]},
        "sourceIPs": ["203.0.113.10"], "userAgent": "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819",
        "objectRef": {"resource": "secrets", "namespace": "default", "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": 200},
        "requestReceivedTimestamp": "2024-05-01T10:00:00.123456Z", "stageTimestamp": "2024-05-01T10:00:00.200000Z"
    });
    json!({
        "logStreamName": "kube-apiserver-audit-0a1b2c3d4e5f67890a1b2c3d4e5f6789",
        "timestamp": 1_714_557_600_200_i64,
        "message": audit.to_string(),
        "ingestionTime": 1_714_557_601_000_i64,
        "eventId": format!("3774158342587{audit_id}")
    })
    .to_string()
}

/// A CloudTrail record, which needs no forcing.
fn cloudtrail_record(id: &str) -> String {
    json!({
        "eventVersion": "1.08", "eventID": id, "eventTime": "2026-11-03T10:00:00Z",
        "eventSource": "iam.amazonaws.com", "eventName": "ListUsers", "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": "arn:aws:iam::111122223333:user/alice", "accountId": "111122223333"}
    })
    .to_string()
}

fn write_lines(path: &Path, lines: &[String]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

/// `[[sources]]` of files, with `log_type` when given.
fn files_source(folder: &Path, log_type: Option<&str>) -> String {
    let forced = log_type.map(|t| format!("log_type = {t:?}\n")).unwrap_or_default();
    format!("[[sources]]\ntype = \"files\"\npaths = [{:?}]\n{forced}", folder.display().to_string())
}

/// Runs `trailhound run` on a config of these (unwatched) sources to its end; its stderr.
fn run_once(dir: &Path, sources: &str) -> String {
    let config = format!(
        "[engine]\nworkers = 1\n{sources}[[plugins]]\nname = \"p\"\npath = {:?}\n[[sinks]]\ntype = \"stdout\"\n",
        support::component("minimal-detector").display().to_string()
    );
    let path = dir.join("trailhound.toml");
    std::fs::write(&path, config).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(["run", "--config", path.to_str().unwrap()])
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("service-cache"))
        .output()
        .expect("trailhound runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    stderr
}

#[test]
fn log_type_names_a_source_type_for_files_and_stdin() {
    let text = "[[sources]]\ntype = \"files\"\npaths = [\"falco\"]\nlog_type = \"falco\"\n\
                [[sources]]\ntype = \"files\"\npaths = [\"trail\"]\n\
                [[sources]]\ntype = \"stdin\"\nlog_type = \"k8s-audit\"\n\
                [[plugins]]\nname = \"a\"\npath = \"a.wasm\"\n[[sinks]]\ntype = \"stdout\"\n";
    let config = Config::parse(text, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"));
    let types: Vec<Option<SourceType>> = config.sources.iter().map(|s| s.log_type()).collect();
    assert_eq!(types, [Some(SourceType::Falco), None, Some(SourceType::K8sAudit)]);
}

#[test]
fn an_unknown_log_type_names_the_key_its_line_and_the_accepted_values() {
    let text = "[[sources]]\ntype = \"stdin\"\n\
                [[sources]]\ntype = \"files\"\npaths = [\"logs\"]\nlog_type = \"cloudtrail\"\n\
                [[plugins]]\nname = \"a\"\npath = \"a.wasm\"\n[[sinks]]\ntype = \"stdout\"\n";
    let error = Config::parse(text, Path::new("t.toml")).unwrap_err().to_string();
    let names: Vec<&str> = SourceType::ALL.iter().map(|s| s.name()).collect();
    assert!(error.starts_with("t.toml:6:12: sources[1].log_type: "), "{error}");
    assert!(error.contains("\"cloudtrail\""), "{error}");
    assert!(error.contains(&names.join(", ")), "every accepted value: {error}");
}

/// Without `log_type`, terse Falco alerts are of no known source; with it, each is an event.
#[test]
fn a_forced_log_type_reads_a_folder_no_source_recognises() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("falco");
    write_lines(
        &folder.join("alerts.json"),
        &[
            terse_falco_alert("Terminal shell in container"),
            terse_falco_alert("Read sensitive file untrusted"),
        ],
    );

    let recognised = run_once(dir.path(), &files_source(&folder, None));
    assert!(recognised.contains("malformed: 2 "), "{recognised}");
    assert!(recognised.contains("not a record of any known source"), "{recognised}");

    let forced = run_once(dir.path(), &files_source(&folder, Some("falco")));
    assert!(forced.contains("events read: 2 ") && forced.contains("malformed: 0 "), "{forced}");
    assert!(forced.contains("events by source: falco: 2\n"), "{forced}");
}

/// Three sources read one after another, their records sharing the normalizers' chunks: each
/// is read as its own source's log type (one that leaked into another source's records would
/// make them malformed).
#[test]
fn two_sources_with_different_log_types_each_keep_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let (falco, eks, trail) = (dir.path().join("falco"), dir.path().join("eks"), dir.path().join("trail"));
    write_lines(&falco.join("alerts.json"), &[terse_falco_alert("Terminal shell in container")]);
    write_lines(&eks.join("audit.json"), &[eks_log_event("a1"), eks_log_event("a2")]);
    write_lines(&trail.join("trail.json"), &[cloudtrail_record("c1")]);
    let sources = [
        files_source(&falco, Some("falco")),
        files_source(&eks, Some("k8s-audit")),
        files_source(&trail, None),
    ]
    .concat();
    let stderr = run_once(dir.path(), &sources);
    assert!(stderr.contains("events read: 4 ") && stderr.contains("malformed: 0 "), "{stderr}");
    assert!(stderr.contains("events by source: aws-cloudtrail: 1  falco: 1  k8s-audit: 2\n"), "{stderr}");
}

/// Stdin and two watched folders, read side by side by the service: stdin and one folder
/// forced to `falco`, the other to `k8s-audit`. A file that lands in a folder later is read as
/// that folder's log type (terse Falco alerts are malformed as any other), and stdin's
/// records, before and after, as stdin's.
#[test]
fn a_file_that_arrives_later_in_a_watched_folder_keeps_its_log_type() {
    let dir = tempfile::tempdir().unwrap();
    let (alerts, eks) = (dir.path().join("alerts"), dir.path().join("eks"));
    std::fs::create_dir_all(&alerts).unwrap();
    std::fs::create_dir_all(&eks).unwrap();
    let sources = format!(
        "[[sources]]\ntype = \"stdin\"\nlog_type = \"falco\"\n\
         {}log_type = \"falco\"\n{}log_type = \"k8s-audit\"\n",
        watch_sources(&alerts),
        watch_sources(&eks)
    );
    // One finding per batch it sees, whatever the source; each arrival below is one batch.
    let mut service = Service::start(dir.path(), &sources, ("misbehaving", json!({})));
    let stdin = service.stdin.as_mut().unwrap();
    writeln!(stdin, "{}", terse_falco_alert("Terminal shell in container")).unwrap();
    stdin.flush().unwrap();
    service.wait_for_findings(1);

    write_lines(&alerts.join("later.json"), &[terse_falco_alert("Read sensitive file untrusted")]);
    service.wait_for_findings(2);
    write_lines(&eks.join("later.json"), &[eks_log_event("b1"), eks_log_event("b2")]);
    service.wait_for_findings(3);
    let stdin = service.stdin.as_mut().unwrap();
    writeln!(stdin, "{}", terse_falco_alert("Launch privileged container")).unwrap();
    stdin.flush().unwrap();
    service.wait_for_findings(4);

    service.signal("TERM");
    let (code, stderr, _) = service.wait();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("events read: 5 ") && stderr.contains("malformed: 0 "), "{stderr}");
    assert!(stderr.contains("events by source: falco: 3  k8s-audit: 2\n"), "{stderr}");
}
