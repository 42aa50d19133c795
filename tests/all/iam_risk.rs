//! Tests: the `iam-risk` component on records of the shapes each provider documents, through
//! the real host: normalized, projected (a string value as-is, an object as JSON text) and
//! sent to the plugin, so the paths it declares are the ones the records carry.

use std::sync::Arc;

use serde_json::{json, Value};
use trailhound::record::{Origin, RawRecord, Record};

use crate::engine::{run, settings, spec};

fn normalized(i: usize, raw: Value) -> Record {
    let origin = Origin::line(Arc::from("iam.jsonl"), i as u64 + 1);
    trailhound::normalize::normalize(RawRecord { origin, text: Arc::from(raw.to_string()) }, None)
        .unwrap_or_else(|e| panic!("{raw}: {e:?}"))
        .into_record()
        .expect("an event")
}

/// A CloudTrail IAM call by an IAM user of 111122223333, as the CloudTrail record reference shows one.
fn cloudtrail(id: &str, action: &str, request: Value) -> Value {
    json!({
        "eventVersion": "1.08",
        "eventID": id,
        "eventTime": "2026-03-01T10:00:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": action,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.7",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/ops", "accountId": "111122223333", "userName": "ops"},
        "requestParameters": request,
    })
}

fn gcp_set_iam_policy(id: &str, member: &str, role: &str) -> Value {
    json!({
        "insertId": id,
        "logName": "projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity",
        "timestamp": "2026-03-01T10:00:00Z",
        "resource": {"type": "project", "labels": {"project_id": "acme-prod"}},
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "serviceName": "cloudresourcemanager.googleapis.com",
            "methodName": "SetIamPolicy",
            "resourceName": "projects/acme-prod",
            "authenticationInfo": {"principalEmail": "alice@acme.example"},
            "serviceData": {
                "@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
                "policyDelta": {"bindingDeltas": [{"action": "ADD", "role": role, "member": member}]}
            }
        }
    })
}

fn azure_assignment(id: &str, role_definition: &str) -> Value {
    let subscription = "5f3c9a12-0000-4000-8000-000000000001";
    let body = json!({"properties": {
        "roleDefinitionId": format!("/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role_definition}"),
        "principalId": "e7d41c09-0000-4000-8000-000000000002",
        "principalType": "User",
        "scope": format!("/subscriptions/{subscription}"),
    }});
    json!({
        "time": "2026-03-01T10:00:00Z",
        "eventDataId": id,
        "resourceId": format!("/SUBSCRIPTIONS/{subscription}/PROVIDERS/MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/A1"),
        "operationName": "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE",
        "category": "Administrative",
        "resultType": "Success",
        "callerIpAddress": "203.0.113.7",
        "identity": {"claims": {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "admin@acme.example"}},
        "properties": {"responseBody": body.to_string(), "statusCode": "Created"},
    })
}

fn rules_found(config: Value, records: Vec<Record>) -> Vec<(String, Vec<String>)> {
    let (report, detections) = run(settings(), vec![spec("iam", "iam-risk", config)], records);
    assert_eq!(report.plugins[0].stats.traps, 0, "{:?}", report.plugins[0].stats.last_fault);
    let mut found: Vec<(String, Vec<String>)> =
        detections.into_iter().map(|d| (d.finding.rule_id, d.finding.event_ids)).collect();
    found.sort();
    found
}

fn found(rule: &str, id: &str) -> (String, Vec<String>) {
    (rule.to_string(), vec![id.to_string()])
}

#[test]
fn documents_bindings_and_bodies_reach_the_component_as_the_records_carry_them() {
    let escalation = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:PassRole","ec2:RunInstances"],"Resource":"*"}]}"#;
    let url_encoded: String = escalation
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    let records = vec![
        normalized(
            0,
            cloudtrail(
                "put",
                "PutRolePolicy",
                json!({"roleName": "app", "policyName": "p", "policyDocument": url_encoded}),
            ),
        ),
        // An exporter that kept the document as JSON: the host projects it as JSON text.
        normalized(
            1,
            cloudtrail(
                "create",
                "CreatePolicy",
                json!({"policyName": "all", "policyDocument": {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}}),
            ),
        ),
        normalized(
            2,
            cloudtrail(
                "role",
                "CreateRole",
                json!({"roleName": "x", "assumeRolePolicyDocument": r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#}),
            ),
        ),
        normalized(
            3,
            cloudtrail(
                "attach",
                "AttachUserPolicy",
                json!({"userName": "bob", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            ),
        ),
        normalized(4, gcp_set_iam_policy("gcp", "user:someone@gmail.com", "roles/owner")),
        normalized(5, azure_assignment("azure", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9")),
        // Near misses: a Reader assignment, an in-domain viewer.
        normalized(6, azure_assignment("reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7")),
        normalized(7, gcp_set_iam_policy("viewer", "user:bob@acme.example", "roles/viewer")),
    ];
    let expected = |extra: Vec<(String, Vec<String>)>| {
        let mut all = vec![
            found("aws.iam.policy-privilege-escalation", "put"),
            found("aws.iam.policy-full-admin", "create"),
            found("aws.iam.role-trusts-any-principal", "role"),
            found("aws.iam.risky-managed-policy-attached", "attach"),
            found("gcp.iam.primitive-role-granted", "gcp"),
            found("azure.authorization.privileged-role-assigned", "azure"),
        ];
        all.extend(extra);
        all.sort();
        all
    };
    assert_eq!(rules_found(json!(null), records.clone()), expected(vec![]));
    // trusted_domains reaches the component: the gmail owner is outside, the viewer is not.
    assert_eq!(
        rules_found(json!({"trusted_domains": ["acme.example"]}), records),
        expected(vec![found("gcp.iam.outside-domain-member-granted", "gcp")])
    );
}
