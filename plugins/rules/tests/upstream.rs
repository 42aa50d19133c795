//! Existing Falco rules files load unmodified, and fire: each `.yaml` file in the folder named
//! by `FALCO_RULES_DIR` (the `rules/` files of Falco's cloudtrail, k8saudit and gcpaudit
//! plugins, for example) is loaded and compiled on its own, and those files' best-known rules
//! fire on an event shaped after the provider's documentation. Skipped without the variable.

mod support;

use std::path::{Path, PathBuf};

use rules::Rules;
use serde_json::{json, Value};
use support::{file, projected};
use trailhound_sdk::model::Actor;
use trailhound_sdk::testing::{Harness, TestEvent};
use trailhound_sdk::Finding;

fn rules_files() -> Option<Vec<PathBuf>> {
    let Some(dir) = std::env::var_os("FALCO_RULES_DIR") else {
        println!("SKIPPED: set FALCO_RULES_DIR to a folder of Falco rules files");
        return None;
    };
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("FALCO_RULES_DIR {dir:?}: {e}"))
        .map(|entry| entry.expect("a readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no rules files in {dir:?}");
    Some(paths)
}

fn load(path: &Path) -> Result<Harness<Rules>, String> {
    let contents = std::fs::read_to_string(path).expect("a readable rules file");
    Harness::with_files(Value::Null, vec![file(&path.display().to_string(), &contents)])
}

#[test]
fn upstream_falco_rules_files_load_unmodified() {
    let Some(paths) = rules_files() else { return };
    let mut failures = Vec::new();
    for path in paths {
        match load(&path) {
            Ok(harness) => {
                let rules = harness.detector();
                println!(
                    "{}: {} rules, {} skipped",
                    path.display(),
                    rules.rules().len(),
                    rules.skipped().len()
                );
            }
            Err(error) => failures.push(error),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The findings of the rules in the file named `name` on `event` made of `record`; none
/// without the folder or that file in it.
fn findings(name: &str, event: TestEvent, record: &Value) -> Option<Vec<Finding>> {
    let Some(path) = rules_files()?.into_iter().find(|p| p.file_name().is_some_and(|n| n == name)) else {
        println!("SKIPPED: no {name} in FALCO_RULES_DIR");
        return None;
    };
    let mut rules = load(&path).unwrap();
    let event = projected(&rules, event, record);
    Some(rules.events(&[event]))
}

/// Each finding's rule and summary.
fn fired(name: &str, event: TestEvent, record: &Value) -> Option<Vec<(String, String)>> {
    Some(findings(name, event, record)?.into_iter().map(|f| (f.rule_id, f.summary)).collect())
}

#[test]
fn a_console_login_without_mfa_fires_the_cloudtrail_rule() {
    let record = json!({
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": "arn:aws:iam::111111111111:user/alice", "accountId": "111111111111", "userName": "alice"},
        "eventTime": "2026-11-30T10:00:00Z", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7", "userAgent": "Mozilla/5.0",
        "requestParameters": null, "responseElements": {"ConsoleLogin": "Success"},
        "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/", "MobileVersion": "No", "MFAUsed": "No"},
        "eventID": "11111111-2222-3333-4444-555555555555", "readOnly": false, "eventType": "AwsConsoleSignIn",
        "managementEvent": true, "recipientAccountId": "111111111111"
    });
    let mut event = TestEvent::new("signin.amazonaws.com", "ConsoleLogin");
    event.event.actor.name = Some("alice".into());
    event.event.source_ip = Some("203.0.113.7".into());
    let Some(fired) = fired("aws_cloudtrail_rules.yaml", event, &record) else { return };
    assert_eq!(
        fired,
        vec![(
            "Console Login Without MFA".to_string(),
            "Detected a console login without MFA (requesting user=alice, requesting IP=203.0.113.7, AWS region=us-east-1)".to_string()
        )]
    );
}

#[test]
fn a_privileged_pod_fires_the_kubernetes_rule() {
    let record = json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
        "auditID": "4f0e8b3c-6f5a-4d4b-9a0e-2a3b4c5d6e7f", "stage": "ResponseComplete",
        "requestURI": "/api/v1/namespaces/payments/pods", "verb": "create",
        "user": {"username": "dev@example.com", "groups": ["system:authenticated"]},
        "sourceIPs": ["198.51.100.20"], "userAgent": "kubectl/v1.30.0",
        "objectRef": {"resource": "pods", "namespace": "payments", "name": "web", "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": 201},
        "requestObject": {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "web"}, "spec": {"containers": [
            {"name": "app", "image": "nginx:1.27"},
            {"name": "debug", "image": "busybox:1.36", "securityContext": {"privileged": true}}
        ]}},
        "responseObject": {"kind": "Pod", "metadata": {"name": "web", "namespace": "payments"}},
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
    });
    // A time: Falco's Kubernetes rules test `jevt.rawtime=0` for "never".
    let mut event = TestEvent::new("k8s.io", "create pods").time(1_764_583_200_000);
    event.event.source = "k8s-audit".into();
    event.event.actor = Actor { id: "dev@example.com".into(), kind: "User".into(), ..Actor::default() };
    let Some(fired) = fired("k8s_audit_rules.yaml", event, &record) else { return };
    let rules: Vec<_> = fired.iter().map(|(rule, _)| rule.as_str()).collect();
    assert_eq!(
        rules,
        ["Disallowed K8s User", "Create Privileged Pod"],
        "the user is in no allowed list either"
    );
    assert_eq!(
        fired[1],
        (
            "Create Privileged Pod".to_string(),
            "Pod started with privileged container (user=dev@example.com pod=web resource=pods ns=payments images=(nginx:1.27,busybox:1.36) init_images=<NA> ephemeral_images=<NA>)".to_string()
        )
    );
}

#[test]
fn a_deleted_logging_sink_fires_the_gcp_rule() {
    let record = json!({
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog", "status": {},
            "authenticationInfo": {"principalEmail": "alice@example.com"},
            "requestMetadata": {"callerIp": "203.0.113.9", "callerSuppliedUserAgent": "gcloud/460.0.0"},
            "serviceName": "logging.googleapis.com", "methodName": "google.logging.v2.ConfigServiceV2.DeleteSink",
            "authorizationInfo": [{"resource": "projects/p", "permission": "logging.sinks.delete", "granted": true}],
            "resourceName": "projects/p/sinks/audit-export",
            "request": {"sinkName": "projects/p/sinks/audit-export"}
        },
        "resource": {"type": "logging_sink", "labels": {"name": "audit-export", "project_id": "p"}},
        "timestamp": "2026-11-30T10:00:00Z", "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity"
    });
    let mut event = TestEvent::new("logging.googleapis.com", "google.logging.v2.ConfigServiceV2.DeleteSink");
    event.event.source = "gcp-audit".into();
    let Some(findings) = findings("gcp_auditlog_rules.yaml", event, &record) else { return };
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].rule_id, "GCP logging sink deleted");
    assert_eq!(findings[0].techniques, vec!["T1562"]);
    assert!(findings[0].summary.starts_with(
        "project=p A GCP Pub/Sub subscription has been deleted by user=alice@example.com userIP=203.0.113.9"
    ));
}
