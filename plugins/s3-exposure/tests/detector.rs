//! The detector driven through the SDK harness: exposure, encryption removal, both, and the
//! look-alikes that must stay quiet.

use s3_exposure::{
    S3Exposure, ACL_POLICY, BLOCK_CONFIG, BUCKET, CANNED_ACL, GRANT_READ, RULE_PUBLIC,
    RULE_PUBLIC_UNENCRYPTED, RULE_UNENCRYPTED,
};
use trailhound_sdk::testing::{Harness, TestEvent};
use trailhound_sdk::Severity;

const ALL_USERS_ACL: &str = r#"{"AccessControlList":{"Grant":[{"Grantee":{"xsi:type":"Group","URI":"http://acs.amazonaws.com/groups/global/AllUsers"},"Permission":"READ"}]}}"#;
const ALL_BLOCKED: &str = r#"{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}"#;

fn s3(id: &str, action: &str, bucket: &str) -> TestEvent {
    TestEvent::new("s3.amazonaws.com", action).id(id).time(1_000).field(BUCKET, bucket)
}

#[test]
fn public_then_unencrypted_is_one_high_finding_with_both_events() {
    let mut harness = Harness::<S3Exposure>::new();
    let first = harness.events(&[s3("create", "CreateBucket", "b").field(CANNED_ACL, r#"["public-read"]"#)]);
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].rule_id.as_str(), first[0].severity), (RULE_PUBLIC, Severity::Medium));
    assert_eq!(first[0].techniques, ["T1530"]);
    // A second way of exposing the same bucket is not a second finding.
    assert!(harness.events(&[s3("acl", "PutBucketAcl", "b").field(ACL_POLICY, ALL_USERS_ACL)]).is_empty());
    let both = harness.events(&[s3("enc", "DeleteBucketEncryption", "b")]);
    assert_eq!(both.len(), 1, "{both:#?}");
    assert_eq!((both[0].rule_id.as_str(), both[0].severity), (RULE_PUBLIC_UNENCRYPTED, Severity::High));
    assert_eq!(both[0].event_ids, ["create", "acl", "enc"]);
    assert_eq!(both[0].actor.as_deref(), Some("arn:aws:iam::111111111111:user/test"));
}

#[test]
fn unencrypted_then_public_also_combines() {
    let mut harness = Harness::<S3Exposure>::new();
    let first = harness.events(&[s3("enc", "DeleteBucketEncryption", "b")]);
    assert_eq!((first[0].rule_id.as_str(), first[0].severity), (RULE_UNENCRYPTED, Severity::Medium));
    let both = harness.events(&[s3("pab", "DeletePublicAccessBlock", "b")]);
    assert_eq!(both[0].rule_id, RULE_PUBLIC_UNENCRYPTED);
    assert_eq!(both[0].event_ids, ["pab", "enc"]);
}

#[test]
fn every_exposure_path_fires() {
    let weakened = ALL_BLOCKED.replacen("true", "false", 1);
    let authenticated = ALL_USERS_ACL.replace("AllUsers", "AuthenticatedUsers");
    for event in [
        s3("1", "PutBucketAcl", "b").field(ACL_POLICY, &authenticated),
        s3("2", "PutBucketAcl", "b")
            .field(GRANT_READ, r#"["uri=http://acs.amazonaws.com/groups/global/AllUsers"]"#),
        s3("3", "PutBucketAcl", "b").field(CANNED_ACL, "public-read-write"),
        s3("4", "PutPublicAccessBlock", "b").field(BLOCK_CONFIG, &weakened),
        s3("5", "DeletePublicAccessBlock", "b"),
    ] {
        let findings = Harness::<S3Exposure>::new().events(std::slice::from_ref(&event));
        assert_eq!(findings.len(), 1, "{event:?}");
        assert_eq!(findings[0].rule_id, RULE_PUBLIC);
    }
}

#[test]
fn private_buckets_and_failures_stay_quiet() {
    let mut harness = Harness::<S3Exposure>::new();
    let quiet = [
        s3("a", "CreateBucket", "logs"),
        s3("b", "PutBucketAcl", "logs")
            .field(GRANT_READ, r#"["uri=http://acs.amazonaws.com/groups/s3/LogDelivery"]"#),
        s3("c", "PutPublicAccessBlock", "logs").field(BLOCK_CONFIG, ALL_BLOCKED),
        s3("d", "PutBucketEncryption", "logs"),
        s3("e", "DeleteBucketEncryption", "other").error("AccessDenied"),
        s3("f", "CreateBucket", "other").field(CANNED_ACL, r#"["private"]"#),
        TestEvent::new("ec2.amazonaws.com", "DeletePublicAccessBlock").field(BUCKET, "x"),
    ];
    assert_eq!(harness.events(&quiet), vec![]);
    assert!(harness.detector().state().buckets.is_empty(), "nothing worth remembering");
}

#[test]
fn locking_down_again_resets_the_bucket() {
    let mut harness = Harness::<S3Exposure>::new();
    harness.events(&[s3("pab", "DeletePublicAccessBlock", "b")]);
    harness.events(&[s3("lock", "PutPublicAccessBlock", "b").field(BLOCK_CONFIG, ALL_BLOCKED)]);
    let findings = harness.events(&[s3("enc", "DeleteBucketEncryption", "b")]);
    assert_eq!(findings[0].rule_id, RULE_UNENCRYPTED, "no longer public: only the encryption finding");
    harness.events(&[s3("gone", "DeleteBucket", "b")]);
    assert!(harness.detector().state().buckets.is_empty());
}

#[test]
fn state_survives_a_reload_and_expires() {
    use trailhound_sdk::Detector;
    let mut harness = Harness::<S3Exposure>::new();
    harness.events(&[s3("pab", "DeletePublicAccessBlock", "b")]);
    harness.reload().unwrap();
    let both = harness.events(&[s3("enc", "DeleteBucketEncryption", "b")]);
    assert_eq!(both[0].event_ids, ["pab", "enc"]);
    harness.tick(1_000 + 8 * 24 * 3_600_000);
    assert!(harness.detector().state().buckets.is_empty());
    assert!(S3Exposure::default().restore(b"{").unwrap_err().contains("s3-exposure snapshot"));
}
