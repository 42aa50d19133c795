//! Sharding by origin actor.
//!
//! A stateful detector must see every event of one actor, in order, on one instance. An
//! attacker who assumes a role continues as a *different* principal, so keying on the
//! principal alone would scatter one story across workers: events are keyed by the origin
//! their [`super::lineage`] traced instead.
//!
//! A detector that keeps state per resource instead (a bucket made public, then stripped of
//! its encryption by someone else) is sent each event on the worker that owns the event's
//! first resource; when that is not the actor's worker, the event travels twice, each copy
//! marked with the plugins it is for ([`Audience`]).
//!
//! Keys are hashed with fixed keys (foldhash with a fixed seed: fast, and the same in every
//! run of one build), so the same input on the same number of workers is always split the
//! same way and a run can be repeated exactly.

use std::hash::BuildHasher;

use foldhash::fast::FixedState;

use trailhound_sdk::StateScope;

use crate::record::Record;

/// A record on its way to a worker, and which of the worker's plugins it is for.
#[derive(Debug, Clone)]
pub struct Routed {
    pub record: Record,
    pub audience: Audience,
    /// The record's time is plausible: it may move the worker's stream time.
    pub advances: bool,
}

/// Which plugins a routed record is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every plugin: the record's actor and its resource belong to the same worker.
    All,
    /// The plugins that do not keep state per resource: the resource belongs to another worker.
    ByActor,
    /// Only the plugins that keep state per resource: the copy sent to the resource's worker.
    ByResource,
}

impl Audience {
    /// Whether a plugin keeping state of this scope is sent the record.
    pub fn includes(self, scope: StateScope) -> bool {
        match self {
            Audience::All => true,
            Audience::ByActor => scope != StateScope::Resource,
            Audience::ByResource => scope == StateScope::Resource,
        }
    }
}

/// The seed of every shard hash; any constant will do, as long as it never changes in a run.
const SHARD_SEED: u64 = 0x7472_6169_6c68_6f75;

/// Assigns events to workers by origin actor.
pub struct Sharder {
    workers: usize,
    hasher: FixedState,
}

impl Sharder {
    pub fn new(workers: usize) -> Self {
        Sharder { workers: workers.max(1), hasher: FixedState::with_seed(SHARD_SEED) }
    }

    /// The worker for this record: its origin's, as traced into its lineage.
    pub fn assign(&self, record: &Record) -> usize {
        if self.workers == 1 {
            return 0;
        }
        let lineage = &record.event.enrichment.lineage;
        let origin = if lineage.origin.is_empty() { &record.event.actor.id } else { &lineage.origin };
        (self.hasher.hash_one(origin) % self.workers as u64) as usize
    }

    /// The worker that owns the record's first resource, when it names one.
    pub fn resource_worker(&self, record: &Record) -> Option<usize> {
        let resource = record.event.resources.first()?;
        Some((self.hasher.hash_one(&resource.id) % self.workers as u64) as usize)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::event::{Actor, Event, Resource};

    use super::*;
    use crate::record::Origin;

    fn record(actor: &str, bucket: &str) -> Record {
        let event = Event {
            actor: Actor { id: actor.into(), kind: "IAMUser".into(), ..Actor::default() },
            resources: vec![Resource { kind: "AWS::S3::Bucket".into(), id: bucket.into(), account: None }],
            success: true,
            ..Event::default()
        };
        Record { origin: Origin::whole(Arc::from("-")), event, raw: Arc::from("{}"), time_missing: false }
    }

    #[test]
    fn the_same_input_is_split_the_same_way_every_time() {
        let records: Vec<Record> = (0..64)
            .map(|i| record(&format!("arn:aws:iam::1:user/u{i}"), &format!("arn:aws:s3:::b{i}")))
            .collect();
        let split = || {
            let sharder = Sharder::new(8);
            records.iter().map(|r| (sharder.assign(r), sharder.resource_worker(r))).collect::<Vec<_>>()
        };
        let first = split();
        assert_eq!(first, split());
        let used: std::collections::HashSet<usize> = first.iter().map(|(a, _)| *a).collect();
        assert!(used.len() > 4, "64 actors spread over the workers: {used:?}");
    }

    #[test]
    fn an_event_without_a_resource_has_no_resource_worker() {
        let mut r = record("arn:aws:iam::1:user/u", "b");
        r.event.resources.clear();
        assert_eq!(Sharder::new(4).resource_worker(&r), None);
    }
}
