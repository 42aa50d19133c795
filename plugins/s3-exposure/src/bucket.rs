//! Per-bucket state: is it exposed, has its encryption been removed, what was reported, and
//! which events prove it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trailhound_sdk::{Event, Finding, Severity};

use crate::{RULE_PUBLIC, RULE_PUBLIC_UNENCRYPTED, RULE_UNENCRYPTED};

/// What one event does to a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Made public, and how.
    Exposed(String),
    /// Public access blocked again, or the ACL made private.
    Private,
    Unencrypted,
    Encrypted,
    Deleted,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// Events that made it public (cleared when it is locked down again).
    pub exposed_by: Vec<String>,
    pub exposure: Vec<String>,
    /// The event that removed its encryption, while not re-enabled.
    pub unencrypted_by: Option<String>,
    pub reported_public: bool,
    pub reported_unencrypted: bool,
    pub reported_both: bool,
    pub last_change: i64,
}

/// Every bucket with a change worth remembering. This is what `snapshot` writes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub buckets: BTreeMap<String, Bucket>,
}

/// Exposure events kept per bucket: enough to prove it, bounded when someone loops.
const MAX_EXPOSURE_EVENTS: usize = 8;

impl State {
    /// Applies one change and returns what it newly reveals.
    pub fn apply(
        &mut self,
        name: &str,
        change: Change,
        event: &Event,
        max_buckets: usize,
    ) -> Option<Finding> {
        if change == Change::Deleted {
            self.buckets.remove(name);
            return None;
        }
        if !self.buckets.contains_key(name) {
            if matches!(change, Change::Private | Change::Encrypted) {
                return None;
            }
            while self.buckets.len() >= max_buckets {
                let stalest =
                    self.buckets.iter().min_by_key(|(_, b)| b.last_change).map(|(k, _)| k.clone())?;
                self.buckets.remove(&stalest);
            }
        }
        let bucket = self.buckets.entry(name.to_string()).or_default();
        bucket.last_change = bucket.last_change.max(event.time());
        match change {
            Change::Exposed(how) => {
                if bucket.exposed_by.len() < MAX_EXPOSURE_EVENTS {
                    bucket.exposed_by.push(event.id().to_string());
                    bucket.exposure.push(how);
                }
            }
            Change::Private => {
                bucket.exposed_by.clear();
                bucket.exposure.clear();
                bucket.reported_public = false;
                bucket.reported_both = false;
            }
            Change::Unencrypted => bucket.unencrypted_by = Some(event.id().to_string()),
            Change::Encrypted => {
                bucket.unencrypted_by = None;
                bucket.reported_unencrypted = false;
                bucket.reported_both = false;
            }
            Change::Deleted => {}
        }
        let public = !bucket.exposed_by.is_empty();
        let finding = match (public, &bucket.unencrypted_by) {
            (true, Some(removed)) if !bucket.reported_both => {
                bucket.reported_both = true;
                bucket.reported_public = true;
                bucket.reported_unencrypted = true;
                let ids = bucket.exposed_by.iter().chain(std::iter::once(removed)).cloned();
                Some(
                    Finding::new(
                        RULE_PUBLIC_UNENCRYPTED,
                        format!("Public bucket {name} lost its encryption"),
                        Severity::High,
                    )
                    .summary(format!(
                        "Bucket {name} is public ({}) and its default encryption was deleted.",
                        bucket.exposure.join("; ")
                    ))
                    .events(ids)
                    .technique("T1530")
                    .technique("T1562"),
                )
            }
            (true, _) if !bucket.reported_public => {
                bucket.reported_public = true;
                Some(
                    Finding::new(RULE_PUBLIC, format!("Bucket {name} made public"), Severity::Medium)
                        .summary(format!("Bucket {name}: {}.", bucket.exposure.join("; ")))
                        .events(bucket.exposed_by.clone())
                        .technique("T1530"),
                )
            }
            (false, Some(removed)) if !bucket.reported_unencrypted => {
                bucket.reported_unencrypted = true;
                Some(
                    Finding::new(
                        RULE_UNENCRYPTED,
                        format!("Bucket {name} lost its encryption"),
                        Severity::Medium,
                    )
                    .summary(format!("The default encryption of bucket {name} was deleted."))
                    .events([removed.clone()])
                    .technique("T1562"),
                )
            }
            _ => None,
        };
        finding.map(|f| {
            f.actor(event.actor().id())
                .tag("s3")
                .tag("exposure")
                .evidence("bucket", name)
                .evidence("account", event.account())
                .evidence("region", event.region())
        })
    }

    /// Forgets buckets unchanged since `horizon` (ms of stream time).
    pub fn expire(&mut self, horizon: i64) {
        self.buckets.retain(|_, b| b.last_change >= horizon);
    }
}
