//! Lineage: where each actor's trail began. Done once, in stream order, before sharding, so
//! that the sharder keys every event of one story to one worker and no detector derives it
//! again: the origin, the hops from it, and who obtained the temporary key in use are filled
//! into [`crate::event::Lineage`].
//!
//! An attacker who assumes a role continues as a *different* principal, with a new access key.
//! A successful AssumeRole (or AssumeRoleWithSAML / WithWebIdentity, GetSessionToken,
//! GetFederationToken) names in its response the key and session it handed out; later calls
//! made with that key or as that session are linked to the caller's origin, one hop further.
//! Sessions opened on an instance (SSM, EC2 Instance Connect) link the instance's role
//! sessions (named after the instance id) to whoever opened them. A GCP call made through
//! service-account impersonation, or a Kubernetes request by an impersonating user, names
//! its chain itself (`actor.delegation`).
//!
//! Links are bounded: past `capacity`, the oldest are forgotten.

use std::collections::{HashMap, VecDeque};

use foldhash::fast::FixedState;

use crate::event::Lineage as Traced;
use crate::record::Record;

/// Where a credential or session leads back to.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Link {
    origin: String,
    hops: u32,
    /// The identity that obtained the credential.
    obtained_by: String,
}

/// The links learned so far; kept in the state folder whole (see [`super::state`]).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Lineage {
    /// credential or session id → its link.
    links: HashMap<String, Link, FixedState>,
    /// Insertion order, to forget the oldest links once `capacity` is reached.
    order: VecDeque<String>,
    capacity: usize,
}

impl Lineage {
    /// `capacity` bounds the remembered links (each a few hundred bytes).
    pub fn new(capacity: usize) -> Self {
        Lineage { links: HashMap::default(), order: VecDeque::new(), capacity: capacity.max(1) }
    }

    /// Fills the record's lineage, then learns the links the record creates.
    pub fn trace(&mut self, record: &mut Record) {
        let traced = self.traced(record);
        self.learn(record, &traced);
        record.event.enrichment.lineage = traced;
    }

    fn traced(&self, record: &Record) -> Traced {
        let actor = &record.event.actor;
        let key_link = actor.access_key.as_deref().and_then(|key| self.links.get(key));
        let link = key_link
            .or_else(|| self.links.get(&actor.id))
            .or_else(|| actor.session_name.as_deref().and_then(|s| self.links.get(&instance_key(s))));
        if let Some(link) = link {
            return Traced {
                origin: link.origin.clone(),
                hops: link.hops,
                key_obtained_by: key_link.map(|l| l.obtained_by.clone()),
            };
        }
        if let Some(first) = actor.delegation.first() {
            return Traced {
                origin: first.clone(),
                hops: u32::try_from(actor.delegation.len()).unwrap_or(u32::MAX),
                key_obtained_by: None,
            };
        }
        // A role session carrying a source identity began with that identity.
        let origin = actor
            .source_identity
            .as_ref()
            .map_or_else(|| actor.id.clone(), |s| format!("source-identity:{s}"));
        let hops = u32::from(actor.source_identity.is_some());
        Traced { origin, hops, key_obtained_by: None }
    }

    fn learn(&mut self, record: &Record, traced: &Traced) {
        let event = &record.event;
        // A service assuming roles on behalf of many callers (Lambda, ECS) is not one story;
        // linking all its sessions to it would funnel them onto a single worker.
        if !event.success || event.actor.kind == "AWSService" || event.provider != "aws" {
            return;
        }
        let link = |hops| Link { origin: traced.origin.clone(), hops, obtained_by: event.actor.id.clone() };
        match event.action.as_str() {
            "AssumeRole"
            | "AssumeRoleWithSAML"
            | "AssumeRoleWithWebIdentity"
            | "GetFederationToken"
            | "GetSessionToken" => {
                let raw = record.json();
                let response = &raw["responseElements"];
                // A session token for oneself is no hop; a role or federated session is.
                let hops = traced.hops + u32::from(event.action != "GetSessionToken");
                for issued in [
                    &response["credentials"]["accessKeyId"],
                    &response["assumedRoleUser"]["arn"],
                    &response["federatedUser"]["arn"],
                ] {
                    if let Some(id) = issued.as_str() {
                        self.link(id.to_string(), link(hops));
                    }
                }
            }
            "StartSession" | "SendSSHPublicKey" | "SendSerialConsoleSSHPublicKey" => {
                let raw = record.json();
                let request = &raw["requestParameters"];
                if let Some(instance) = request["target"].as_str().or_else(|| request["instanceId"].as_str())
                {
                    self.link(instance_key(instance), link(traced.hops + 1));
                }
            }
            _ => {}
        }
    }

    fn link(&mut self, issued: String, link: Link) {
        if self.links.len() >= self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.links.remove(&oldest);
            }
        }
        if self.links.insert(issued.clone(), link).is_none() {
            self.order.push_back(issued);
        }
    }
}

/// EC2 instance roles name their sessions after the instance id.
fn instance_key(instance: &str) -> String {
    format!("instance:{instance}")
}

/// For the state folder: links saved by an earlier run, under this run's bound.
impl Lineage {
    pub fn bounded(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        while self.links.len() > self.capacity {
            let Some(oldest) = self.order.pop_front() else { break };
            self.links.remove(&oldest);
        }
        self
    }
}
