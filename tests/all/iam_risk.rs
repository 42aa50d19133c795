//! Tests: the `iam-risk` component on records of the shapes each provider documents, through
//! the real host: normalized, projected (a string value as-is, an object as JSON text) and
//! sent to the plugin, so the paths it declares are the ones the records carry; and the
//! rows of Panther's labeled events (`../shared/fixtures/panther/`) for the threats it
//! covers, where it must agree with Panther's expectation or the disagreement be explained.

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

/// Panther's rules whose threat `iam-risk` covers, with the rules of ours that cover it.
const PANTHER_COVERED: [(&str, &[&str]); 7] = [
    ("AWS.IAM.AttachAdminRolePolicy", &["aws.iam.risky-managed-policy-attached"]),
    ("AWS.IAM.AttachAdminUserPolicy", &["aws.iam.risky-managed-policy-attached"]),
    ("AWS.IAM.BackdoorRole", &["aws.iam.role-trusts-any-principal", "aws.iam.role-trusts-foreign-account"]),
    ("AWS.CloudTrail.SnapshotMadePublic", &["aws.ec2.snapshot-shared-externally"]),
    ("GCP.GCS.Public", &["gcp.iam.public-member-granted"]),
    ("Standard.AdminRoleAssigned", &["gcp.iam.primitive-role-granted", "gcp.iam.iam-admin-role-granted"]),
    (
        "Azure.MonitorActivity.RoleAssignment.PrivilegedOrElevated",
        &["azure.authorization.privileged-role-assigned"],
    ),
];

/// The rows where we disagree with Panther on purpose, by test name, with why.
const KEPT_DISAGREEMENTS: [(&str, &str); 2] = [
    // The issue asks for trust without an external id or MFA condition; this one has an
    // external id (Cloudsplaining rates it "assumable by any principal with conditions").
    ("IAM Role Policy Updated to Allow Internet Access", "trust in * guarded by sts:ExternalId"),
    // A data-plane role on one storage account: it reads and writes blobs, it does not
    // control access to the scope; the data story is the storage plugins'.
    ("Elevated Role Assignment (Storage Blob Data Owner)", "a data role, not one that controls the scope"),
];

#[test]
fn panther_rows_of_the_threats_we_cover_agree_or_are_explained() {
    let mut rows = Vec::new();
    for file in ["aws-cloudtrail.jsonl", "gcp-audit.jsonl", "azure-activity.jsonl"] {
        let Some(path) = crate::support::fixture(&format!("panther/{file}")) else { return };
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for line in text.lines() {
            let row: Value = serde_json::from_str(line).unwrap();
            let rule = row["rule_id"].as_str().unwrap_or_default();
            let Some((_, ours)) = PANTHER_COVERED.iter().find(|(r, _)| *r == rule) else { continue };
            if row["needs_mocks"] == true {
                continue;
            }
            let origin = Origin::line(Arc::from(file), rows.len() as u64 + 1);
            let raw = RawRecord { origin, text: Arc::from(row["event"].to_string()) };
            // Standard.* rules hold other products' records too: only cloud audit records count.
            let Some(mut record) =
                trailhound::normalize::normalize(raw, None).ok().and_then(|n| n.into_record())
            else {
                continue;
            };
            if !["aws-cloudtrail", "gcp-audit", "azure-activity"].contains(&record.event.source.as_str()) {
                continue;
            }
            // Panther's tests reuse event ids; each row gets its own.
            record.event.id = format!("row{}", rows.len());
            rows.push((
                rule.to_string(),
                row["test"].as_str().unwrap_or_default().to_string(),
                row["expected"] == true,
                *ours,
                record,
            ));
        }
    }
    let records: Vec<Record> = rows.iter().map(|r| r.4.clone()).collect();
    let (report, detections) = run(settings(), vec![spec("iam", "iam-risk", json!(null))], records);
    assert_eq!(report.plugins[0].stats.traps, 0);
    let mut table: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    let mut disagreements = Vec::new();
    for (rule, test, expected, ours, record) in &rows {
        let fired = detections.iter().any(|d| {
            d.finding.event_ids.contains(&record.event.id) && ours.contains(&d.finding.rule_id.as_str())
        });
        let entry = table.entry(rule.as_str()).or_default();
        if fired == *expected {
            entry.0 += 1;
        } else {
            entry.1 += 1;
            disagreements.push(test.as_str());
        }
    }
    eprintln!("{:<60} {:>7} {:>6} {:>9}", "Panther rule", "covered", "agreed", "disagreed");
    for (rule, (agreed, disagreed)) in &table {
        eprintln!("{rule:<60} {:>7} {agreed:>6} {disagreed:>9}", agreed + disagreed);
    }
    let (agreed, disagreed): (usize, usize) = table.values().fold((0, 0), |(a, d), (x, y)| (a + x, d + y));
    eprintln!("{:<60} {:>7} {agreed:>6} {disagreed:>9}", "all", agreed + disagreed);
    for (test, why) in KEPT_DISAGREEMENTS {
        eprintln!("kept disagreement: {test}: {why}");
    }
    let kept: Vec<&str> = KEPT_DISAGREEMENTS.iter().map(|(test, _)| *test).collect();
    disagreements.sort_unstable();
    let mut expected_disagreements = kept.clone();
    expected_disagreements.sort_unstable();
    assert_eq!(
        disagreements, expected_disagreements,
        "a disagreement appeared or went away: explain it or drop it"
    );
    assert!(agreed + disagreed >= 18, "every covered row is read: {}", agreed + disagreed);
}
