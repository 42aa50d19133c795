//! `s3-exposure`: buckets made public, buckets losing their encryption, and — worst — a
//! public bucket losing its encryption.
//!
//! A bucket becomes exposed when it is created with a public canned ACL, an ACL grants
//! `AllUsers` or `AuthenticatedUsers`, or its public access block is deleted or weakened
//! (any of the four settings false). Each is a medium finding, once per bucket. Deleting the
//! bucket's default encryption is a medium finding too. When both happen to one bucket, in
//! either order, the second one is reported as one high finding carrying every event id of
//! both. Locking the bucket down again (all four block settings true) or re-enabling
//! encryption clears the matching half; deleting the bucket forgets it.
//!
//! Stateful per bucket. The host shards by actor, so the combination is seen when one actor
//! (or actors routed to the same worker) makes both changes — the usual case for a console
//! user or a pipeline. State is capped and expires by stream time.

mod bucket;

use trailhound_sdk::prelude::*;

pub use bucket::{Change, State};

pub const BUCKET: &str = "$.requestParameters.bucketName";
pub const CANNED_ACL: &str = "$.requestParameters['x-amz-acl']";
pub const ACL_POLICY: &str = "$.requestParameters.AccessControlPolicy";
pub const GRANT_READ: &str = "$.requestParameters['x-amz-grant-read']";
pub const GRANT_FULL: &str = "$.requestParameters['x-amz-grant-full-control']";
pub const BLOCK_CONFIG: &str = "$.requestParameters.PublicAccessBlockConfiguration";

pub const RULE_PUBLIC: &str = "aws.s3.bucket-made-public";
pub const RULE_UNENCRYPTED: &str = "aws.s3.bucket-encryption-removed";
pub const RULE_PUBLIC_UNENCRYPTED: &str = "aws.s3.public-bucket-lost-encryption";

/// Buckets remembered at most, and for how long without a change (stream time).
const MAX_BUCKETS: usize = 10_000;
const TTL_MS: i64 = 7 * 24 * 3_600_000;

#[derive(Default)]
pub struct S3Exposure {
    state: State,
}

impl S3Exposure {
    pub fn state(&self) -> &State {
        &self.state
    }
}

/// Every action [`change`] looks at; the host sends no others.
pub const ACTIONS: [&str; 7] = [
    "CreateBucket",
    "PutBucketAcl",
    "DeletePublicAccessBlock",
    "PutPublicAccessBlock",
    "DeleteBucketEncryption",
    "PutBucketEncryption",
    "DeleteBucket",
];

/// What an event does to a bucket's exposure or encryption, from the projected fields.
pub fn change(event: &Event) -> Option<Change> {
    if !event.success() || event.service() != "s3.amazonaws.com" {
        return None;
    }
    let public_grant = |path: &str| event.field(path).is_some_and(grants_public);
    match event.action() {
        "CreateBucket" | "PutBucketAcl" => {
            let canned = event
                .field(CANNED_ACL)
                .is_some_and(|acl| acl.contains("public-read") || acl.contains("authenticated-read"));
            if canned || public_grant(ACL_POLICY) || public_grant(GRANT_READ) || public_grant(GRANT_FULL) {
                Some(Change::Exposed(format!("{} grants public access", event.action())))
            } else if event.action() == "PutBucketAcl" {
                Some(Change::Private)
            } else {
                None
            }
        }
        "DeletePublicAccessBlock" => Some(Change::Exposed("public access block deleted".into())),
        "PutPublicAccessBlock" => {
            let config =
                event.field(BLOCK_CONFIG).and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())?;
            let settings =
                ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"];
            let off: Vec<&str> = settings.into_iter().filter(|s| config[*s] == false).collect();
            if off.is_empty() {
                Some(Change::Private)
            } else {
                Some(Change::Exposed(format!("public access block weakened ({} off)", off.join(", "))))
            }
        }
        "DeleteBucketEncryption" => Some(Change::Unencrypted),
        "PutBucketEncryption" => Some(Change::Encrypted),
        "DeleteBucket" => Some(Change::Deleted),
        _ => None,
    }
}

/// ACL text naming the everyone or any-AWS-account groups.
fn grants_public(text: &str) -> bool {
    text.contains("acs.amazonaws.com/groups/global/AllUsers")
        || text.contains("acs.amazonaws.com/groups/global/AuthenticatedUsers")
}

impl Detector for S3Exposure {
    fn info() -> Info {
        [BUCKET, CANNED_ACL, ACL_POLICY, GRANT_READ, GRANT_FULL, BLOCK_CONFIG].into_iter().fold(
            Info::new("s3-exposure", env!("CARGO_PKG_VERSION"))
                .source("aws-cloudtrail")
                .actions(ACTIONS)
                .stateful_per_resource(),
            |i, f| i.field(f),
        )
    }

    fn on_event(&mut self, event: &Event, findings: &mut Vec<Finding>) {
        let (Some(bucket), Some(change)) = (event.field(BUCKET), change(event)) else { return };
        findings.extend(self.state.apply(bucket, change, event, MAX_BUCKETS));
    }

    fn on_tick(&mut self, now: i64, _findings: &mut Vec<Finding>) {
        self.state.expire(now - TTL_MS);
    }

    fn snapshot(&self) -> Vec<u8> {
        serde_json::to_vec(&self.state).unwrap_or_default()
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), String> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.state = serde_json::from_slice(bytes).map_err(|e| format!("s3-exposure snapshot: {e}"))?;
        Ok(())
    }
}

trailhound_sdk::export_detector!(S3Exposure);
