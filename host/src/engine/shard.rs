//! Sharding by actor, following the actor across AssumeRole hops and instance sessions.
//!
//! A stateful detector must see every event of one actor, in order, on one instance. An
//! attacker who assumes a role continues as a *different* principal, so keying on the
//! principal alone would scatter one story across workers. The sharder, which sees every
//! event in stream order on one thread, remembers which credentials each successful
//! AssumeRole handed out and to whom, and which instances a principal opened a session on
//! (SSM, EC2 Instance Connect); later events made with those credentials or from that
//! instance's role session are keyed to the same origin actor.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;

use crate::record::Record;

/// Assigns events to workers by origin actor.
pub struct Sharder {
    workers: usize,
    /// credential or session id → origin actor key.
    lineage: HashMap<String, String>,
    /// Insertion order, to forget the oldest links once `capacity` is reached.
    order: VecDeque<String>,
    capacity: usize,
    hasher: std::collections::hash_map::RandomState,
}

impl Sharder {
    /// `capacity` bounds the remembered links (each a few hundred bytes).
    pub fn new(workers: usize, capacity: usize) -> Self {
        Sharder {
            workers: workers.max(1),
            lineage: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
            hasher: Default::default(),
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
