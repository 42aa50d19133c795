//! Rules in Falco's syntax with the `ct.*`, `s3.*` and `ec2.*` fields of Falco's CloudTrail
//! plugin that read raw fields or compute them, over records shaped after CloudTrail's
//! documented record contents and the S3, EC2 and STS API references.

mod support;

use serde_json::{json, Value};
use support::{harness, projected};
use trailhound_sdk::model::Actor;
use trailhound_sdk::testing::TestEvent;
use trailhound_sdk::Finding;

const RULES: &str = include_str!("rules/aws_cloudtrail.yaml");

fn record(name: &str, source: &str, extra: Value) -> Value {
    let mut record = json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLEID:build-session",
            "arn": "arn:aws:sts::111111111111:assumed-role/ci/build-session",
            "accountId": "111111111111",
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "ci", "arn": "arn:aws:iam::111111111111:role/ci"}}
        },
        "eventTime": "2026-11-30T10:00:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15.0",
        "requestID": "EXAMPLE123",
        "eventID": "11111111-2222-3333-4444-555555555555",
        "readOnly": name.starts_with("Get"),
        "eventType": "AwsApiCall",
        "managementEvent": false,
        "recipientAccountId": "111111111111"
    });
    if let (Value::Object(record), Value::Object(extra)) = (&mut record, extra) {
        record.extend(extra);
    }
    record
}

fn model(record: &Value) -> TestEvent {
    let mut event =
        TestEvent::new(record["eventSource"].as_str().unwrap(), record["eventName"].as_str().unwrap());
    event.event.actor = Actor {
        id: "arn:aws:sts::111111111111:assumed-role/ci/build-session".into(),
        kind: "AssumedRole".into(),
        account: "111111111111".into(),
        name: Some("ci".into()),
        ..Actor::default()
    };
    event.event.source_ip = Some("203.0.113.7".into());
    event.event.read_only = record["readOnly"].as_bool().unwrap_or_default();
    event
}

fn fire(record: &Value) -> Vec<Finding> {
    let mut rules = harness(RULES).unwrap();
    let event = projected(&rules, model(record), record);
    rules.events(&[event])
}

#[test]
fn s3_bytes_and_uri_and_the_info_line() {
    let download = |bytes: f64| {
        record(
            "GetObject",
            "s3.amazonaws.com",
            json!({
                "requestParameters": {"bucketName": "exports", "key": "2026/customers.csv", "Host": "exports.s3.us-east-1.amazonaws.com"},
                "additionalEventData": {"bytesTransferredIn": 0.0, "bytesTransferredOut": bytes},
                "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::exports/2026/customers.csv"}]
            }),
        )
    };
    let findings = fire(&download(52428800.0));
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(
        findings[0].summary,
        "s3://exports/2026/customers.csv (52428800 bytes) by build-session: ci via 203.0.113.7 ← GetObject Size=52428800 URI=s3://exports/2026/customers.csv"
    );
    assert!(fire(&download(2048.0)).is_empty(), "bytes compare as numbers");
}

#[test]
fn val_compares_with_another_field() {
    let mut call = record("DescribeInstances", "ec2.amazonaws.com", json!({}));
    assert!(fire(&call).is_empty());
    call["recipientAccountId"] = json!("222222222222");
    let findings = fire(&call);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].summary, "111111111111 called DescribeInstances in 222222222222");
}

#[test]
fn image_ids_list_every_instance_launched() {
    let launch = |images: &[&str]| {
        let items: Vec<Value> =
            images.iter().map(|i| json!({"instanceId": "i-0123456789abcdef0", "imageId": i})).collect();
        record(
            "RunInstances",
            "ec2.amazonaws.com",
            json!({
                "requestParameters": {"instancesSet": {"items": [{"imageId": images[0], "minCount": 1, "maxCount": 1}]},
                    "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": [{"key": "Name", "value": "miner"}]}]}},
                "responseElements": {"instancesSet": {"items": items}, "subnetId": "subnet-0abc"}
            }),
        )
    };
    assert!(fire(&launch(&["ami-0aaaaaaaaaaaaaaaa", "ami-0aaaaaaaaaaaaaaaa"])).is_empty());
    let findings = fire(&launch(&["ami-0aaaaaaaaaaaaaaaa", "ami-0bbbbbbbbbbbbbbbb"]));
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].summary,
        "miner from (ami-0aaaaaaaaaaaaaaaa,ami-0bbbbbbbbbbbbbbbb) (first ami-0aaaaaaaaaaaaaaaa) in subnet-0abc"
    );
}

#[test]
fn request_parameters_by_name_and_techniques_from_tags() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::exports/*"}]}"#;
    let put = record(
        "PutBucketPolicy",
        "s3.amazonaws.com",
        json!({"requestParameters": {"bucketName": "exports", "policy": policy}}),
    );
    let findings = fire(&put);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].summary, format!("exports policy {policy}"));
    assert_eq!(findings[0].techniques, vec!["T1530"]);
    assert!(findings[0].tags.is_empty());
}
