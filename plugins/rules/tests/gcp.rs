//! Rules in Falco's syntax over GCP audit log entries, with the `gcp.*` fields of Falco's GCP
//! audit plugin. The entries are shaped after the `LogEntry` and `AuditLog` the Cloud
//! Logging documentation describes.

mod support;

use serde_json::{json, Value};
use support::{harness, projected};
use trailhound_sdk::model::Actor;
use trailhound_sdk::testing::TestEvent;

const RULES: &str = include_str!("rules/gcp_audit.yaml");

/// An Admin Activity audit log entry.
fn entry(service: &str, method: &str, resource: Value, extra: Value) -> Value {
    let mut entry = json!({
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "status": {},
            "authenticationInfo": {"principalEmail": "alice@example.com"},
            "requestMetadata": {"callerIp": "203.0.113.9", "callerSuppliedUserAgent": "google-cloud-sdk gcloud/460.0.0"},
            "serviceName": service,
            "methodName": method,
            "authorizationInfo": [{"resource": "projects/analytics-prod", "permission": "logging.sinks.delete", "granted": true}],
            "resourceName": "projects/analytics-prod/sinks/audit-export",
            "request": {"@type": "type.googleapis.com/google.logging.v2.DeleteSinkRequest"}
        },
        "insertId": "1abcd2efgh",
        "resource": resource,
        "timestamp": "2026-11-30T10:00:00.123456Z",
        "severity": "NOTICE",
        "logName": "projects/analytics-prod/logs/cloudaudit.googleapis.com%2Factivity"
    });
    if let (Value::Object(payload), Value::Object(extra)) = (&mut entry["protoPayload"], extra) {
        payload.extend(extra);
    }
    entry
}

fn model(record: &Value) -> TestEvent {
    let payload = &record["protoPayload"];
    let mut event =
        TestEvent::new(payload["serviceName"].as_str().unwrap(), payload["methodName"].as_str().unwrap());
    event.event.provider = "gcp".into();
    event.event.source = "gcp-audit".into();
    event.event.actor = Actor { id: "alice@example.com".into(), kind: "user".into(), ..Actor::default() };
    event
}

fn fire(record: &Value) -> Vec<trailhound_sdk::Finding> {
    let mut rules = harness(RULES).unwrap();
    let event = projected(&rules, model(record), record);
    rules.events(&[event])
}

#[test]
fn a_deleted_sink_names_the_sink_project_and_zone_region() {
    let sink = json!({"type": "logging_sink", "labels": {"name": "audit-export", "project_id": "analytics-prod", "zone": "europe-west1-b"}});
    let record =
        entry("logging.googleapis.com", "google.logging.v2.ConfigServiceV2.DeleteSink", sink, json!({}));
    let findings = fire(&record);
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].summary,
        "Sink audit-export deleted in analytics-prod (europe-west1) by alice@example.com from 203.0.113.9 using google-cloud-sdk gcloud/460.0.0"
    );
    assert_eq!(findings[0].techniques, vec!["T1562.008"]);
    // The same method on another resource type names no sink.
    let other = json!({"type": "project", "labels": {"project_id": "analytics-prod", "location": "global"}});
    let record =
        entry("logging.googleapis.com", "google.logging.v2.ConfigServiceV2.DeleteSink", other, json!({}));
    assert_eq!(fire(&record)[0].summary.split(" deleted").next(), Some("Sink <NA>"));
}

#[test]
fn a_denied_call_does_not_fire() {
    let sink =
        json!({"type": "logging_sink", "labels": {"name": "audit-export", "project_id": "analytics-prod"}});
    let denied = json!({"authorizationInfo": [{"resource": "projects/analytics-prod", "permission": "logging.sinks.delete", "granted": false}]});
    let record =
        entry("logging.googleapis.com", "google.logging.v2.ConfigServiceV2.DeleteSink", sink, denied);
    assert!(fire(&record).is_empty());
}

#[test]
fn a_bucket_policy_delta_is_read_for_buckets() {
    let bucket = json!({"type": "gcs_bucket", "labels": {"bucket_name": "exports", "project_id": "analytics-prod", "location": "eu"}});
    let delta = json!({"serviceData": {"@type": "type.googleapis.com/google.iam.v1.logging.AuditData", "policyDelta": {
        "bindingDeltas": [{"action": "ADD", "role": "roles/storage.objectViewer", "member": "allUsers"}]
    }}});
    let record = entry("storage.googleapis.com", "storage.setIamPermissions", bucket, delta);
    let findings = fire(&record);
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].summary,
        r#"exports opened to everyone by alice@example.com: [{"action":"ADD","member":"allUsers","role":"roles/storage.objectViewer"}]"#
    );
}

#[test]
fn gcp_rules_declare_their_source_and_actions() {
    let rules = harness(RULES).unwrap();
    let info = trailhound_sdk::Detector::declared(rules.detector());
    assert_eq!(info.sources, vec!["gcp-audit"]);
    assert!(info.actions.is_empty(), "a rule matching its method by suffix can match any action");
    let exact = harness("- rule: r\n  condition: gcp.methodName in (SetIamPolicy, storage.setIamPermissions)\n  output: o\n  priority: INFO\n  source: gcp_auditlog\n").unwrap();
    let info = trailhound_sdk::Detector::declared(exact.detector());
    assert_eq!(info.actions, vec!["SetIamPolicy", "storage.setIamPermissions"]);
}
