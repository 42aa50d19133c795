//! Tests: CloudTrail normalization — every identity type, the fields around them, lenient
//! inputs exporters write, clear errors, and the real labeled events of the Panther fixtures.

use serde_json::{json, Value};
use trailhound::event::Event;
use trailhound::normalize::event as cloudtrail;

fn normalized(record: Value) -> Event {
    cloudtrail(&record.to_string()).unwrap_or_else(|e| panic!("{record}: {e}"))
}

fn with_identity(identity: Value) -> Value {
    json!({
        "eventVersion": "1.08",
        "eventID": "e-1",
        "eventTime": "2024-05-01T10:00:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": "ListRoles",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "userIdentity": identity,
    })
}

#[test]
fn root() {
    let actor = normalized(with_identity(json!({
        "type": "Root", "principalId": "111122223333",
        "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"
    })))
    .actor;
    assert_eq!((actor.kind.as_str(), actor.id.as_str()), ("Root", "arn:aws:iam::111122223333:root"));
    assert_eq!(actor.name.as_deref(), Some("root"));
    assert_eq!(actor.account, "111122223333");
}

#[test]
fn iam_user_with_access_key() {
    let actor = normalized(with_identity(json!({
        "type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": "arn:aws:iam::111122223333:user/alice",
        "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLE", "userName": "alice"
    })))
    .actor;
    assert_eq!(actor.id, "arn:aws:iam::111122223333:user/alice");
    assert_eq!(actor.name.as_deref(), Some("alice"));
    assert_eq!(actor.access_key.as_deref(), Some("AKIAEXAMPLE"));
    assert!(!actor.mfa);
}

#[test]
fn assumed_role_with_session_context_issuer_source_identity_and_mfa() {
    let actor = normalized(with_identity(json!({
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLE:bob-session",
        "arn": "arn:aws:sts::111122223333:assumed-role/Admin/bob-session",
        "accountId": "111122223333",
        "accessKeyId": "ASIAEXAMPLE",
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE",
                "arn": "arn:aws:iam::111122223333:role/Admin", "accountId": "111122223333", "userName": "Admin"},
            "attributes": {"creationDate": "2024-05-01T09:00:00Z", "mfaAuthenticated": "true"},
            "sourceIdentity": "bob@example.com"
        }
    })))
    .actor;
    assert_eq!(actor.kind, "AssumedRole");
    assert_eq!(actor.session_name.as_deref(), Some("bob-session"));
    assert_eq!(actor.session_issuer.as_deref(), Some("arn:aws:iam::111122223333:role/Admin"));
    assert_eq!(actor.name.as_deref(), Some("Admin"));
    assert_eq!(actor.source_identity.as_deref(), Some("bob@example.com"));
    assert!(actor.mfa, "mfaAuthenticated is written as the string \"true\"");
}

#[test]
fn assumed_role_without_arn_takes_the_session_from_the_principal_id() {
    let actor = normalized(with_identity(json!({
        "type": "AssumedRole", "principalId": "AROAEXAMPLE:i-0abc", "accountId": "111122223333"
    })))
    .actor;
    assert_eq!(actor.id, "AROAEXAMPLE:i-0abc");
    assert_eq!(actor.session_name.as_deref(), Some("i-0abc"));
}

#[test]
fn federated_user() {
    let actor = normalized(with_identity(json!({
        "type": "FederatedUser", "principalId": "111122223333:carol",
        "arn": "arn:aws:sts::111122223333:federated-user/carol", "accountId": "111122223333",
        "sessionContext": {"sessionIssuer": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/fed", "userName": "fed"}}
    })))
    .actor;
    assert_eq!(actor.session_name.as_deref(), Some("carol"));
    assert_eq!(actor.session_issuer.as_deref(), Some("arn:aws:iam::111122223333:user/fed"));
}

#[test]
fn aws_service_is_named_by_the_service_that_invoked() {
    let actor =
        normalized(with_identity(json!({"type": "AWSService", "invokedBy": "lambda.amazonaws.com"}))).actor;
    assert_eq!(actor.id, "lambda.amazonaws.com");
    assert_eq!(actor.name.as_deref(), Some("lambda.amazonaws.com"));
    assert_eq!(actor.invoked_by.as_deref(), Some("lambda.amazonaws.com"));
    assert_eq!(actor.account, "111122223333", "falls back to the recipient account");
}

#[test]
fn aws_account() {
    let actor = normalized(with_identity(json!({
        "type": "AWSAccount", "principalId": "AIDAOTHER", "accountId": "444455556666"
    })))
    .actor;
    assert_eq!((actor.id.as_str(), actor.account.as_str()), ("AIDAOTHER", "444455556666"));
}

#[test]
fn identity_center_user() {
    let actor = normalized(with_identity(json!({
        "type": "IdentityCenterUser", "accountId": "111122223333",
        "onBehalfOf": {"userId": "906784e0-1234", "identityStoreArn": "arn:aws:identitystore::111122223333:identitystore/d-1"},
        "credentialId": "abc"
    })))
    .actor;
    assert_eq!(actor.kind, "IdentityCenterUser");
    assert_eq!(actor.id, "906784e0-1234");
}

#[test]
fn saml_and_web_identity_users() {
    let saml = normalized(with_identity(json!({
        "type": "SAMLUser", "principalId": "SAMPLE:dave@example.com", "userName": "dave@example.com",
        "identityProvider": "bdGOnTesti4+ii4rAmKA="
    })))
    .actor;
    assert_eq!(saml.id, "SAMPLE:dave@example.com");
    assert_eq!(saml.name.as_deref(), Some("dave@example.com"));
    let web = normalized(with_identity(json!({
        "type": "WebIdentityUser", "principalId": "accounts.google.com:app:sub",
        "userName": "sub", "identityProvider": "accounts.google.com"
    })))
    .actor;
    assert_eq!(web.kind, "WebIdentityUser");
    assert_eq!(web.id, "accounts.google.com:app:sub");
}

#[test]
fn unknown_and_absent_identities_still_have_an_actor() {
    let unknown = normalized(with_identity(json!({"type": "Unknown", "userName": "someone"}))).actor;
    assert_eq!((unknown.kind.as_str(), unknown.id.as_str()), ("Unknown", "someone"));
    let mut record = with_identity(json!(null));
    record.as_object_mut().unwrap().remove("userIdentity");
    let absent = normalized(record).actor;
    assert_eq!((absent.kind.as_str(), absent.id.as_str()), ("Unknown", "unknown"));
}

#[test]
fn outcome_error_read_only_management_region_and_category() {
    let event = normalized(json!({
        "eventID": "e-2", "eventTime": "2024-05-01T10:00:00Z", "eventSource": "ec2.amazonaws.com",
        "eventName": "ModifySnapshotAttribute", "awsRegion": "eu-west-1", "recipientAccountId": "111122223333",
        "errorCode": "AccessDenied", "errorMessage": "not authorized", "managementEvent": true,
        "sourceIPAddress": "203.0.113.9", "userAgent": "aws-cli/2",
        "requestParameters": {"snapshotId": "snap-1"}
    }));
    assert!(!event.success);
    assert_eq!(event.error_code.as_deref(), Some("AccessDenied"));
    assert_eq!(event.error_message.as_deref(), Some("not authorized"));
    assert!(!event.read_only, "a Modify call is a write");
    assert!(event.management);
    assert_eq!((event.category.as_str(), event.service.as_str()), ("compute", "ec2.amazonaws.com"));
    assert_eq!(event.region, "eu-west-1");
    assert_eq!(event.source_ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(event.time, 1_714_557_600_000);
}

#[test]
fn a_failed_console_login_is_unsuccessful_without_an_error_code() {
    let event = normalized(json!({
        "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "eventTime": "2024-05-01T10:00:00Z",
        "responseElements": {"ConsoleLogin": "Failure"}, "additionalEventData": {"MFAUsed": "No"}
    }));
    assert!(!event.success);
}

#[test]
fn categories_cover_the_seed_set() {
    for (source, category) in [
        ("ec2.amazonaws.com", "compute"),
        ("s3.amazonaws.com", "storage"),
        ("elasticloadbalancing.amazonaws.com", "network"),
        ("rds.amazonaws.com", "database"),
        ("sts.amazonaws.com", "identity"),
        ("cloudformation.amazonaws.com", "management"),
        ("guardduty.amazonaws.com", "security"),
    ] {
        assert_eq!(trailhound::normalize::category(source).as_str(), category, "{source}");
    }
}

#[test]
fn resources_come_from_the_resources_list_and_from_request_parameters() {
    let event = normalized(json!({
        "eventID": "e-3", "eventTime": "2024-05-01T10:00:00Z", "eventSource": "s3.amazonaws.com",
        "eventName": "PutBucketAcl", "recipientAccountId": "111122223333",
        "requestParameters": {"bucketName": "reports"},
        "resources": [{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::reports", "accountId": "111122223333"}]
    }));
    assert_eq!(
        event.resources.len(),
        1,
        "the same bucket named twice is one resource: {:?}",
        event.resources
    );
    assert_eq!(event.resources[0].id, "arn:aws:s3:::reports");
    let ec2 = normalized(json!({
        "eventSource": "ec2.amazonaws.com", "eventName": "StopInstances", "eventTime": "2024-05-01T10:00:00Z",
        "requestParameters": {"instancesSet": {"items": [{"instanceId": "i-1"}, {"instanceId": "i-2"}]}}
    }));
    let ids: Vec<&str> = ec2.resources.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["i-1", "i-2"]);
}

#[test]
fn exporters_lowercased_keys_and_space_separated_times_are_accepted() {
    let event = normalized(json!({
        "eventid": "e-4", "eventtime": "2024-05-01 10:00:00", "eventsource": "iam.amazonaws.com",
        "eventname": "CreateAccessKey", "recipientaccountid": "111122223333",
        "useridentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"}
    }));
    assert_eq!((event.id.as_str(), event.action.as_str()), ("e-4", "CreateAccessKey"));
    assert_eq!(event.time, 1_714_557_600_000);
    assert_eq!(event.actor.id, "arn:aws:iam::111122223333:user/alice");
    // No `readOnly`: read-only as its IAM access level says (Permissions management); the
    // level itself is left to enrichment.
    assert!(!event.read_only);
    assert_eq!(event.access_level, None);
}

#[test]
fn folded_keys_are_read_at_every_depth() {
    let event = normalized(json!({
        "eventsource": "s3.amazonaws.com", "eventname": "PutBucketAcl",
        "useridentity": {"type": "AssumedRole", "accountid": "111122223333",
            "sessioncontext": {"sessionissuer": {"arn": "arn:aws:iam::111122223333:role/ops", "username": "ops"},
                "attributes": {"mfaauthenticated": "true"}}},
        "requestparameters": {"bucketname": "logs"},
        "resources": [{"arn": "arn:aws:s3:::logs", "type": "AWS::S3::Bucket"}]
    }));
    assert_eq!(event.actor.session_issuer.as_deref(), Some("arn:aws:iam::111122223333:role/ops"));
    assert_eq!(event.actor.name.as_deref(), Some("ops"));
    assert!(event.actor.mfa);
    assert_eq!(event.resources.len(), 1, "{:?}", event.resources);
    assert_eq!(event.resources[0].id, "arn:aws:s3:::logs");
}

#[test]
fn a_mistyped_nested_field_is_ignored_not_fatal() {
    let event = normalized(json!({
        "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "recipientAccountId": "111122223333",
        "userIdentity": "not an object", "requestParameters": ["bucketName"], "resources": {"ARN": "x"},
        "readOnly": "true", "awsRegion": 7
    }));
    assert_eq!((event.actor.id.as_str(), event.actor.kind.as_str()), ("unknown", "Unknown"));
    assert!(event.resources.is_empty());
    assert!(event.read_only);
    assert_eq!(event.region, "");
}

#[test]
fn escaped_strings_are_unescaped() {
    let text =
        r#"{"eventSource":"s3.amazonaws.com","eventName":"Get\u004fbject","userAgent":"a \"quoted\" agent"}"#;
    let event = cloudtrail(text).unwrap();
    assert_eq!(event.action, "GetObject");
    assert_eq!(event.user_agent.as_deref(), Some("a \"quoted\" agent"));
}

#[test]
fn epoch_times_in_seconds_and_milliseconds_are_accepted() {
    for time in [json!(1_714_557_600), json!(1_714_557_600_000_i64)] {
        let event = normalized(
            json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "eventTime": time}),
        );
        assert_eq!(event.time, 1_714_557_600_000);
    }
}

#[test]
fn a_record_without_an_id_gets_a_stable_content_id() {
    let record = json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "eventTime": "2024-05-01T10:00:00Z"});
    let first = normalized(record.clone()).id;
    assert!(first.starts_with("sha256:"), "{first}");
    assert_eq!(first, normalized(record).id);
    let reordered = r#"{ "eventTime": "2024-05-01T10:00:00Z", "eventName": "GetObject", "eventSource": "s3.amazonaws.com" }"#;
    assert_eq!(first, cloudtrail(reordered).unwrap().id, "key order and spacing do not change the id");
}

#[test]
fn errors_name_the_field() {
    let cases = [
        (json!({"eventSource": "s3.amazonaws.com"}), "not a CloudTrail record: no eventName"),
        (json!({"eventName": "GetObject"}), "not a CloudTrail record: no eventSource"),
        (
            json!({"eventSource": "s3.amazonaws.com", "eventName": 7}),
            "eventName: expected a non-empty string",
        ),
        (
            json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "eventTime": "yesterday"}),
            "eventTime: cannot read \"yesterday\" as a timestamp",
        ),
        (json!([1, 2]), "expected a log record (a JSON object)"),
    ];
    for (record, expected) in cases {
        let error = cloudtrail(&record.to_string()).expect_err(expected);
        assert!(error.contains(expected), "{record}: {error:?} does not contain {expected:?}");
    }
}

/// Every CloudTrail record among Panther's labeled `aws-cloudtrail` test events normalizes
/// with actor, action, account and time filled. The file also holds rows that are not
/// CloudTrail at all (Okta, Zoom, GCP, `{}` placeholders), which must be rejected with a
/// reason naming what is missing or read as their own source, and two whose `eventTime` was
/// redacted to a non-time.
#[test]
fn every_panther_cloudtrail_event_normalizes() {
    let Some(path) = super::support::fixture("panther/aws-cloudtrail.jsonl") else { return };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (mut normalized, mut not_cloudtrail, mut unreadable_time) = (0, 0, 0);
    for (index, line) in text.lines().enumerate() {
        let row: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", index + 1));
        let record = &row["event"];
        let is_cloudtrail = ["eventSource", "eventName"]
            .iter()
            .all(|key| record.as_object().is_some_and(|o| o.keys().any(|k| k.eq_ignore_ascii_case(key))));
        match cloudtrail(&record.to_string()) {
            // A GCP or Azure record among the rows: another source's to read.
            Ok(event) if event.source != "aws-cloudtrail" => {
                assert!(
                    !is_cloudtrail,
                    "line {}: a CloudTrail record was read as {}",
                    index + 1,
                    event.source
                );
                not_cloudtrail += 1;
            }
            Ok(event) => {
                assert!(is_cloudtrail, "line {}: a non-CloudTrail record was accepted", index + 1);
                assert!(!event.actor.id.is_empty(), "line {}: no actor", index + 1);
                assert!(!event.action.is_empty(), "line {}: no action", index + 1);
                assert!(!event.account.is_empty(), "line {}: no account", index + 1);
                assert!(event.time > 0, "line {}: no time", index + 1);
                normalized += 1;
            }
            Err(reason) if !is_cloudtrail => {
                assert!(reason.starts_with("not a"), "line {}: {reason}", index + 1);
                not_cloudtrail += 1;
            }
            Err(reason) => {
                assert!(reason.starts_with("eventTime: cannot read"), "line {}: {reason}", index + 1);
                unreadable_time += 1;
            }
        }
    }
    eprintln!(
        "panther aws-cloudtrail: {normalized} normalized, {not_cloudtrail} rejected as not CloudTrail, \
         {unreadable_time} rejected for an unreadable eventTime"
    );
    assert!(normalized > 400, "only {normalized} records normalized");
    assert!(unreadable_time <= 2, "{unreadable_time} records had an unreadable eventTime");
}
