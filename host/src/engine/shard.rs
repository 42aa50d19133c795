//! Sharding by actor, following the actor across AssumeRole hops and instance sessions.
//!
//! A stateful detector must see every event of one actor, in order, on one instance. An
//! attacker who assumes a role continues as a *different* principal, so keying on the
//! principal alone would scatter one story across workers. The sharder, which sees every
//! event in stream order on one thread, remembers which credentials each successful
//! AssumeRole handed out and to whom, and which instances a principal opened a session on
//! (SSM, EC2 Instance Connect); later events made with those credentials or from that
//! instance's role session are keyed to the same origin actor.
//!
//! A detector that keeps state per resource instead (a bucket made public, then stripped of
//! its encryption by someone else) is sent each event on the worker that owns the event's
//! first resource; when that is not the actor's worker, the event travels twice, each copy
//! marked with the plugins it is for ([`Audience`]).
//!
//! Keys are hashed with fixed keys (foldhash with a fixed seed: fast, and the same in every
//! run of one build), so the same input on the same number of workers is always split the
//! same way and a run can be repeated exactly.

use std::collections::{HashMap, VecDeque};
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
    /// credential or session id → origin actor key.
    lineage: HashMap<String, String, FixedState>,
    /// Insertion order, to forget the oldest links once `capacity` is reached.
    order: VecDeque<String>,
    capacity: usize,
    hasher: FixedState,
}

impl Sharder {
    /// `capacity` bounds the remembered links (each a few hundred bytes).
    pub fn new(workers: usize, capacity: usize) -> Self {
        Sharder {
            workers: workers.max(1),
            lineage: HashMap::default(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
            hasher: FixedState::with_seed(SHARD_SEED),
        }
    }

    /// The worker for this record; also learns the links the record creates.
    pub fn assign(&mut self, record: &Record) -> usize {
        let origin = self.origin(record);
        self.learn(record, &origin);
        if self.workers == 1 {
            return 0;
        }
        (self.hasher.hash_one(&origin) % self.workers as u64) as usize
    }

    /// The worker that owns the record's first resource, when it names one.
    pub fn resource_worker(&self, record: &Record) -> Option<usize> {
        let resource = record.event.resources.first()?;
        Some((self.hasher.hash_one(&resource.id) % self.workers as u64) as usize)
    }

    /// The origin actor key of the record's actor.
    pub fn origin(&self, record: &Record) -> String {
        let actor = &record.event.actor;
        let known = |key: &str| self.lineage.get(key).cloned();
        actor
            .access_key
            .as_deref()
            .and_then(known)
            .or_else(|| known(&actor.id))
            .or_else(|| actor.session_name.as_deref().and_then(|s| known(&instance_key(s))))
            .or_else(|| actor.source_identity.as_ref().map(|s| format!("source-identity:{s}")))
            .unwrap_or_else(|| actor.id.clone())
    }

    fn learn(&mut self, record: &Record, origin: &str) {
        let event = &record.event;
        // A service assuming roles on behalf of many callers (Lambda, ECS) is not one story;
        // linking all its sessions to it would funnel them onto a single worker.
        if !event.success || event.actor.kind == "AWSService" {
            return;
        }
        match event.action.as_str() {
            "AssumeRole"
            | "AssumeRoleWithSAML"
            | "AssumeRoleWithWebIdentity"
            | "GetFederationToken"
            | "GetSessionToken" => {
                let raw = record.json();
                let response = &raw["responseElements"];
                for issued in [
                    &response["credentials"]["accessKeyId"],
                    &response["assumedRoleUser"]["arn"],
                    &response["federatedUser"]["arn"],
                ] {
                    if let Some(id) = issued.as_str() {
                        self.link(id.to_string(), origin);
                    }
                }
            }
            "StartSession" | "SendSSHPublicKey" | "SendSerialConsoleSSHPublicKey" => {
                let raw = record.json();
                let request = &raw["requestParameters"];
                if let Some(instance) = request["target"].as_str().or_else(|| request["instanceId"].as_str())
                {
                    self.link(instance_key(instance), origin);
                }
            }
            _ => {}
        }
    }

    fn link(&mut self, issued: String, origin: &str) {
        if self.lineage.len() >= self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.lineage.remove(&oldest);
            }
        }
        if self.lineage.insert(issued.clone(), origin.to_string()).is_none() {
            self.order.push_back(issued);
        }
    }
}

/// EC2 instance roles name their sessions after the instance id.
fn instance_key(instance: &str) -> String {
    format!("instance:{instance}")
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
            let mut sharder = Sharder::new(8, 1000);
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
        assert_eq!(Sharder::new(4, 10).resource_worker(&r), None);
    }
}
