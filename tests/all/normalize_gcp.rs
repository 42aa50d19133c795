//! Tests: GCP Cloud Audit Logs normalization — entries shaped as Google's "Cloud Audit Logs"
//! and `AuditLog` reference documents them (impersonation, denied calls, data access), the
//! lenient inputs exporters write, clear errors, and Panther's labeled `gcp-audit` events.

use serde_json::{json, Value};
use trailhound::event::{Category, Event};
use trailhound::normalize::{self, Read, SourceType};

fn normalized(record: Value) -> Event {
    normalize::event(&record.to_string()).unwrap_or_else(|e| panic!("{record}: {e}"))
}

/// A log entry as a sink exports it, around `payload`.
fn entry(payload: Value) -> Value {
    json!({
        "protoPayload": payload,
        "insertId": "1a2b3c4d5e",
        "resource": {"type": "gcs_bucket", "labels": {"project_id": "shop-prod", "bucket_name": "invoices", "location": "us-east1"}},
        "timestamp": "2024-05-01T10:00:00.250Z",
        "severity": "INFO",
        "logName": "projects/shop-prod/logs/cloudaudit.googleapis.com%2Fdata_access",
        "receiveTimestamp": "2024-05-01T10:00:01Z"
    })
}

fn impersonated_list() -> Value {
    entry(json!({
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "status": {},
        "authenticationInfo": {
            "principalEmail": "deployer@shop-prod.iam.gserviceaccount.com",
            "principalSubject": "serviceAccount:deployer@shop-prod.iam.gserviceaccount.com",
            "serviceAccountDelegationInfo": [
                {"firstPartyPrincipal": {"principalEmail": "alice@example.com"}},
                {"firstPartyPrincipal": {"principalEmail": "builder@shop-ci.iam.gserviceaccount.com"}}
            ]
        },
        "requestMetadata": {"callerIp": "203.0.113.10", "callerSuppliedUserAgent": "google-cloud-sdk gcloud/470.0.0"},
        "serviceName": "storage.googleapis.com",
        "methodName": "storage.objects.list",
        "authorizationInfo": [{
            "resource": "projects/_/buckets/invoices", "permission": "storage.objects.list", "granted": true,
            "resourceAttributes": {}
        }],
        "resourceName": "projects/_/buckets/invoices"
    }))
}

#[test]
fn an_impersonated_call_names_the_service_account_and_who_it_acted_for() {
    let event = normalized(impersonated_list());
    assert_eq!((event.provider.as_str(), event.source.as_str()), ("gcp", "gcp-audit"));
    let actor = &event.actor;
    assert_eq!(
        (actor.id.as_str(), actor.kind.as_str()),
        ("deployer@shop-prod.iam.gserviceaccount.com", "ServiceAccount")
    );
    assert_eq!(actor.account, "shop-prod", "a service account's project is in its email");
    assert_eq!(
        actor.delegation,
        ["alice@example.com", "builder@shop-ci.iam.gserviceaccount.com"],
        "original caller first"
    );
    assert_eq!(
        (event.service.as_str(), event.action.as_str()),
        ("storage.googleapis.com", "storage.objects.list")
    );
    assert_eq!(event.category, Category::Storage);
    assert!(event.read_only);
    assert!(!event.management, "a data_access log entry is a data access");
    assert!(event.success);
    assert_eq!((event.account.as_str(), event.region.as_str()), ("shop-prod", "us-east1"));
    assert_eq!(event.time, 1_714_557_600_250);
    assert_eq!(event.source_ip.as_deref(), Some("203.0.113.10"));
    assert_eq!(event.user_agent.as_deref(), Some("google-cloud-sdk gcloud/470.0.0"));
    assert_eq!(event.id, "1a2b3c4d5e");
    assert_eq!(event.resources.len(), 1, "{:?}", event.resources);
    assert_eq!(
        (event.resources[0].kind.as_str(), event.resources[0].id.as_str()),
        ("gcs_bucket", "projects/_/buckets/invoices")
    );
    assert_eq!(event.access_level, None, "derived later, by enrichment");
}

#[test]
fn a_service_account_key_creation_is_an_admin_write_with_its_key_and_operation() {
    let mut record = entry(json!({
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "authenticationInfo": {
            "principalEmail": "ci@shop-prod.iam.gserviceaccount.com",
            "serviceAccountKeyName": "//iam.googleapis.com/projects/shop-prod/serviceAccounts/ci@shop-prod.iam.gserviceaccount.com/keys/0123abcd"
        },
        "requestMetadata": {"callerIp": "198.51.100.7"},
        "serviceName": "iam.googleapis.com",
        "methodName": "google.iam.admin.v1.CreateServiceAccountKey",
        "authorizationInfo": [{
            "resource": "projects/-/serviceAccounts/1234567890", "permission": "iam.serviceAccountKeys.create", "granted": true,
            "resourceAttributes": {"name": "projects/-/serviceAccounts/1234567890", "type": "iam.googleapis.com/ServiceAccount"}
        }],
        "resourceName": "projects/-/serviceAccounts/1234567890"
    }));
    record["logName"] = json!("projects/shop-prod/logs/cloudaudit.googleapis.com%2Factivity");
    record["resource"] = json!({"type": "service_account", "labels": {"project_id": "shop-prod", "email_id": "x", "unique_id": "1"}});
    record["operation"] =
        json!({"id": "op-77", "producer": "iam.googleapis.com", "first": true, "last": true});
    let event = normalized(record);
    assert_eq!(event.category, Category::Identity);
    assert!(!event.read_only && event.management);
    assert_eq!(event.actor.access_key.as_deref(), Some("//iam.googleapis.com/projects/shop-prod/serviceAccounts/ci@shop-prod.iam.gserviceaccount.com/keys/0123abcd"));
    assert_eq!(event.ids.request.as_deref(), Some("op-77"));
    assert_eq!(event.resources[0].kind, "iam.googleapis.com/ServiceAccount", "typed by the permission check");
    assert_eq!(event.region, "");
}

#[test]
fn a_denied_call_fails_with_its_code_name_and_message() {
    let mut record = impersonated_list();
    record["protoPayload"]["status"] =
        json!({"code": 7, "message": "PERMISSION_DENIED: caller lacks storage.objects.list"});
    record["protoPayload"]["authorizationInfo"][0]["granted"] = json!(false);
    record["severity"] = json!("ERROR");
    let event = normalized(record);
    assert!(!event.success);
    assert_eq!(event.error_code.as_deref(), Some("PERMISSION_DENIED"));
    assert_eq!(event.error_message.as_deref(), Some("PERMISSION_DENIED: caller lacks storage.objects.list"));

    // Some services write only the refused permission check.
    let mut refused = impersonated_list();
    refused["protoPayload"]["authorizationInfo"][0]["granted"] = json!(false);
    let event = normalized(refused);
    assert!(!event.success);
    assert_eq!(event.error_code.as_deref(), Some("PERMISSION_DENIED"));

    let mut other = impersonated_list();
    other["protoPayload"]["status"] = json!({"code": 5, "message": "Not found"});
    assert_eq!(normalized(other).error_code.as_deref(), Some("NOT_FOUND"));
}

#[test]
fn numbers_where_strings_are_expected_are_read_as_text() {
    let mut record = impersonated_list();
    record["insertId"] = json!(4_242);
    record["resource"]["labels"]["project_id"] = json!(123_456_789_012_i64);
    record["protoPayload"]["status"] = json!({"code": "7"});
    record["operation"] = json!({"id": 99});
    record["timestamp"] = json!(1_714_557_600);
    let event = normalized(record);
    assert_eq!(event.id, "4242");
    assert_eq!(event.account, "123456789012");
    assert_eq!(event.error_code.as_deref(), Some("PERMISSION_DENIED"));
    assert_eq!(event.ids.request.as_deref(), Some("99"));
    assert_eq!(event.time, 1_714_557_600_000);
}

#[test]
fn missing_and_mistyped_optional_objects_leave_their_fields_empty() {
    let text = json!({
        "protoPayload": {"methodName": "v1.compute.instances.insert", "authenticationInfo": "redacted",
            "authorizationInfo": {"granted": false}, "requestMetadata": [], "status": null},
        "resource": "gce_instance",
        "logName": "projects/shop-dev/logs/cloudaudit.googleapis.com%2Factivity"
    })
    .to_string();
    let Ok(Read::Event { event, time_missing }) = normalize::read(&text, None) else { panic!("{text}") };
    assert!(time_missing, "no timestamp of any kind");
    assert_eq!((event.actor.id.as_str(), event.actor.kind.as_str()), ("unknown", "Unknown"));
    assert_eq!(event.account, "shop-dev", "the project of the log");
    assert_eq!(event.category, Category::Compute, "no serviceName: the service the method names");
    assert_eq!(event.service, "");
    assert!(event.success, "authorizationInfo that is not a list checks nothing");
    assert!(event.id.starts_with("sha256:"), "{}", event.id);
    assert!(event.source_ip.is_none() && event.resources.is_empty());
    let fallback = json!({"protoPayload": {"methodName": "storage.buckets.get",
        "requestMetadata": {"requestAttributes": {"time": "2024-05-01T10:00:00Z"}}}, "receiveTimestamp": null});
    assert_eq!(normalized(fallback).time, 1_714_557_600_000, "when the service received the request");
}

#[test]
fn an_entry_that_lost_its_method_is_named_by_the_permission_checked() {
    let record = json!({"protoPayload": {"serviceName": "run.googleapis.com",
        "authorizationInfo": [{"granted": false, "permission": "run.services.setIamPolicy",
            "resource": "projects/shop-prod/locations/us-west1/services/web"}]},
        "timestamp": "2024-05-01T10:00:00Z", "receiveTimestamp": "..."});
    let event = normalized(record);
    assert_eq!(event.action, "run.services.setIamPolicy");
    assert!(!event.success, "the permission was refused");
    assert_eq!(event.resources[0].account.as_deref(), Some("shop-prod"));
}

#[test]
fn folded_keys_and_exporters_spellings_are_read() {
    // Written as text: the order of the keys is what is tested.
    let text = r#"{"insertid": "1a2b3c4d5e", "INSERTID": "a later spelling, ignored",
        "logname": "projects/shop-prod/logs/cloudaudit.googleapis.com%2Factivity",
        "protopayload": {"at_type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "methodName": "storage.objects.list", "requestMetadata": {"callerIP": "192.0.2.1"}},
        "receivetimestamp": "2024-05-01 10:00:00.25"}"#;
    let event = normalize::event(text).unwrap();
    assert_eq!(event.id, "1a2b3c4d5e");
    assert_eq!(event.account, "shop-prod");
    assert!(event.management);
    assert_eq!(event.source_ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(event.time, 1_714_557_600_250);
}

#[test]
fn categories_follow_the_service() {
    for (service, method, category) in [
        ("compute.googleapis.com", "v1.compute.instances.insert", Category::Compute),
        ("k8s.io", "io.k8s.core.v1.pods.create", Category::Compute),
        ("storage.googleapis.com", "storage.setIamPermissions", Category::Storage),
        ("iam.googleapis.com", "google.iam.admin.v1.CreateRole", Category::Identity),
        ("cloudresourcemanager.googleapis.com", "SetIamPolicy", Category::Identity),
        ("bigquery.googleapis.com", "google.cloud.bigquery.v2.JobService.InsertJob", Category::Database),
        ("sqladmin.googleapis.com", "cloudsql.instances.update", Category::Database),
        (
            "spanner.googleapis.com",
            "google.spanner.admin.database.v1.DatabaseAdmin.CreateDatabase",
            Category::Database,
        ),
        ("logging.googleapis.com", "google.logging.v2.ConfigServiceV2.DeleteSink", Category::Management),
        (
            "monitoring.googleapis.com",
            "google.monitoring.v3.AlertPolicyService.DeleteAlertPolicy",
            Category::Management,
        ),
        ("cloudkms.googleapis.com", "Decrypt", Category::Security),
        (
            "secretmanager.googleapis.com",
            "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion",
            Category::Security,
        ),
        ("securitycenter.googleapis.com", "UpdateNotificationConfig", Category::Security),
        ("dns.googleapis.com", "dns.changes.create", Category::Network),
    ] {
        let record = json!({"protoPayload": {"serviceName": service, "methodName": method}, "timestamp": "2024-05-01T10:00:00Z"});
        assert_eq!(normalized(record).category, category, "{service} {method}");
    }
}

#[test]
fn entries_of_other_payloads_are_skipped_and_errors_name_the_field() {
    let request_log = json!({"protoPayload": {"@type": "type.googleapis.com/google.appengine.logging.v1.RequestLog"}, "insertId": "x"});
    let read = normalize::read(&request_log.to_string(), None);
    assert!(matches!(read, Ok(Read::Skip(reason)) if reason.contains("not an audit log")), "{request_log}");
    let cases = [
        (
            json!({"protoPayload": {"serviceName": "storage.googleapis.com"}}),
            "not a GCP audit log record: no protoPayload.methodName",
        ),
        (
            json!({"protoPayload": {"methodName": "storage.buckets.get"}, "timestamp": "...", "receiveTimestamp": "2024-05-01T10:00:00Z"}),
            "timestamp: cannot read \"...\"",
        ),
        (
            json!({"protoPayload": {"methodName": 7}}),
            "protoPayload.methodName: expected a non-empty string, found a number",
        ),
        (
            json!({"protoPayload": {"methodName": "storage.buckets.get"}, "timestamp": "yesterday"}),
            "timestamp: cannot read \"yesterday\" as a timestamp",
        ),
    ];
    for (record, expected) in cases {
        let error = normalize::event(&record.to_string()).expect_err(expected);
        assert!(error.contains(expected), "{record}: {error:?} does not contain {expected:?}");
    }
}

#[test]
fn a_forced_source_reads_the_same_event() {
    let text = impersonated_list().to_string();
    let Ok(Read::Event { event: forced, .. }) = normalize::read(&text, Some(SourceType::GcpAudit)) else {
        panic!()
    };
    assert_eq!(forced, normalize::event(&text).unwrap());
}

/// Every Cloud Logging entry among Panther's `gcp-audit` rows normalizes; the file also holds
/// Kubernetes audit events, AKS records, other vendors' events and fragments a rule's test
/// needed (`{"methodName": ...}` alone), none of which is a GCP audit event.
#[test]
fn every_panther_gcp_audit_entry_normalizes() {
    let judge = |record: &Value| {
        if let Some(reason) = super::panther::placeholder(record) {
            return Err(reason);
        }
        let Some(payload) = super::panther::folded(record, "protoPayload") else {
            return Err("not a Cloud Logging entry (another source's record, or a fragment)".into());
        };
        let checked = payload["authorizationInfo"].as_array().into_iter().flatten();
        match payload.get("methodName") {
            Some(Value::String(_)) => Ok(()),
            _ if checked.clone().any(|check| check["permission"].is_string()) => Ok(()),
            _ => Err("an audit log entry that names neither a method nor a permission (a fragment)".into()),
        }
    };
    let Some(tally) = super::panther::check("gcp-audit.jsonl", "gcp-audit", judge) else { return };
    assert!(tally.normalized >= 190, "only {} entries normalized", tally.normalized);
}
