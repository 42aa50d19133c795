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
//! Instances and their hosts: an EC2 instance-profile session (its session name is the
//! instance id) began at the instance, `instance:ID`, unless someone opened a shell on it.
//! Host events (Falco) are about a host name; a host is known as an instance when its name is
//! EC2's resource name (`i-….ec2.internal`), or when it is EC2's IP name (`ip-10-0-1-5…`) and
//! the instance's address is known — from a call the instance's role made from a private
//! address (through a VPC endpoint) or a `RunInstances` response. A known host's events share
//! its instance's origin, so a container on it and the instance's keys are one story; an
//! unknown host is its own origin, `host:NAME`, and an instance later found at its address
//! joins that origin.
//!
//! A web identity session of a Kubernetes service account (IAM roles for service accounts)
//! began with the service account, as the cluster's audit log names it.
//!
//! Everything learned is bounded: past `capacity`, the oldest is forgotten.

use std::collections::{HashMap, VecDeque};
use std::net::Ipv4Addr;

use foldhash::fast::FixedState;
use serde::{Deserialize, Serialize};
use trailhound_sdk::aws::{hostname_instance, ip_name_address, is_instance_id, private_address};

use crate::event::Lineage as Traced;
use crate::record::Record;

/// Where a credential or session leads back to.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Link {
    origin: String,
    hops: u32,
    /// The identity that obtained the credential.
    obtained_by: String,
}

/// A map that forgets its oldest entries past its capacity.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Bounded<V> {
    map: HashMap<String, V, FixedState>,
    /// Insertion order, to forget the oldest once `capacity` is reached.
    order: VecDeque<String>,
    capacity: usize,
}

impl<V> Bounded<V> {
    fn new(capacity: usize) -> Self {
        Bounded { map: HashMap::default(), order: VecDeque::new(), capacity: capacity.max(1) }
    }

    fn get(&self, key: &str) -> Option<&V> {
        self.map.get(key)
    }

    /// Forgets the oldest entries down to a new capacity.
    fn rebound(&mut self, capacity: usize) {
        self.capacity = capacity.max(1);
        while self.map.len() > self.capacity {
            let Some(oldest) = self.order.pop_front() else { break };
            self.map.remove(&oldest);
        }
    }

    fn insert(&mut self, key: String, value: V) {
        if self.map.len() >= self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.map.remove(&oldest);
            }
        }
        if self.map.insert(key.clone(), value).is_none() {
            self.order.push_back(key);
        }
    }
}

/// The links learned so far; kept in the state folder whole (see [`super::state`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Lineage {
    /// credential, session or `instance:ID` → its link.
    links: Bounded<Link>,
    /// private IPv4 address → the instance id found there.
    instance_at: Bounded<String>,
    /// private IPv4 address → the host name seen there before its instance was known.
    host_at: Bounded<String>,
}

impl Lineage {
    /// `capacity` bounds what is remembered, per kind (each entry a few hundred bytes).
    pub fn new(capacity: usize) -> Self {
        Lineage {
            links: Bounded::new(capacity),
            instance_at: Bounded::new(capacity),
            host_at: Bounded::new(capacity),
        }
    }

    /// For the state folder: what an earlier run learned, under this run's bound.
    pub fn bounded(mut self, capacity: usize) -> Self {
        self.links.rebound(capacity);
        self.instance_at.rebound(capacity);
        self.host_at.rebound(capacity);
        self
    }

    /// Fills the record's lineage, then learns the links the record creates.
    pub fn trace(&mut self, record: &mut Record) {
        // Where the call came from is known before whose story it is: the call that shows
        // an instance at a host's address is already part of the host's story.
        self.locate(record);
        let traced = self.traced(record);
        self.learn(record, &traced);
        record.event.enrichment.lineage = traced;
    }

    fn traced(&self, record: &Record) -> Traced {
        let event = &record.event;
        if let Some(host) = event.process.as_ref().and_then(|p| p.hostname.as_deref()) {
            return self.on_host(host);
        }
        let actor = &event.actor;
        let key_link = actor.access_key.as_deref().and_then(|key| self.links.get(key));
        let instance =
            actor.session_name.as_deref().filter(|s| is_instance_id(s) && actor.kind == "AssumedRole");
        let link = key_link
            .or_else(|| self.links.get(&actor.id))
            .or_else(|| instance.and_then(|i| self.links.get(&instance_key(i))));
        if let Some(link) = link {
            return Traced {
                origin: link.origin.clone(),
                hops: link.hops,
                key_obtained_by: key_link.map(|l| l.obtained_by.clone()),
            };
        }
        if let Some(instance) = instance {
            return Traced { origin: instance_key(instance), hops: 1, key_obtained_by: None };
        }
        if let Some(first) = actor.delegation.first() {
            return Traced {
                origin: first.clone(),
                hops: u32::try_from(actor.delegation.len()).unwrap_or(u32::MAX),
                key_obtained_by: None,
            };
        }
        if let Some(account) = service_account(actor) {
            return Traced { origin: account.to_string(), hops: 1, key_obtained_by: None };
        }
        // A role session carrying a source identity began with that identity.
        let origin = actor
            .source_identity
            .as_ref()
            .map_or_else(|| actor.id.clone(), |s| format!("source-identity:{s}"));
        let hops = u32::from(actor.source_identity.is_some());
        Traced { origin, hops, key_obtained_by: None }
    }

    /// The lineage of an event on a host: its instance's, when the host is known as one.
    fn on_host(&self, host: &str) -> Traced {
        let instance = hostname_instance(host)
            .map(str::to_string)
            .or_else(|| ip_name_address(host).and_then(|ip| self.instance_at.get(&ip.to_string()).cloned()));
        let Some(instance) = instance else {
            return Traced { origin: host_key(host), hops: 1, key_obtained_by: None };
        };
        match self.links.get(&instance_key(&instance)) {
            Some(link) => Traced { origin: link.origin.clone(), hops: link.hops + 1, key_obtained_by: None },
            None => Traced { origin: instance_key(&instance), hops: 1, key_obtained_by: None },
        }
    }

    /// An instance's role calling from a private address is at that address (CloudTrail
    /// shows a private address only for calls through a VPC endpoint).
    fn locate(&mut self, record: &Record) {
        let actor = &record.event.actor;
        if let (Some(instance), Some(ip)) = (
            actor.session_name.as_deref().filter(|s| is_instance_id(s) && actor.kind == "AssumedRole"),
            record.event.source_ip.as_deref().and_then(private_address),
        ) {
            self.found_instance(instance, ip);
        }
    }

    /// Learns what a host event says: an unknown host at its address, for the instance
    /// found there later.
    fn learn_host(&mut self, host: &str, traced: &Traced) {
        if traced.origin != host_key(host) {
            return;
        }
        if let Some(ip) = ip_name_address(host) {
            if self.host_at.get(&ip.to_string()).is_none() {
                self.host_at.insert(ip.to_string(), host.to_string());
            }
        }
    }

    /// The instance `instance` is at private address `ip`: remembered, and when an unknown
    /// host was seen there first, the instance joins that host's story.
    fn found_instance(&mut self, instance: &str, ip: Ipv4Addr) {
        let ip = ip.to_string();
        if self.instance_at.get(&ip).is_some_and(|known| known == instance) {
            return;
        }
        self.instance_at.insert(ip.clone(), instance.to_string());
        if let Some(host) = self.host_at.get(&ip).cloned() {
            if self.links.get(&instance_key(instance)).is_none() {
                let link = Link { origin: host_key(&host), hops: 1, obtained_by: host_key(&host) };
                self.links.insert(instance_key(instance), link);
            }
        }
    }

    fn learn(&mut self, record: &Record, traced: &Traced) {
        let event = &record.event;
        if let Some(host) = event.process.as_ref().and_then(|p| p.hostname.as_deref()) {
            self.learn_host(host, traced);
            return;
        }
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
                        self.links.insert(id.to_string(), link(hops));
                    }
                }
            }
            "RunInstances" => {
                let raw = record.json();
                for item in raw["responseElements"]["instancesSet"]["items"].as_array().into_iter().flatten()
                {
                    let ip = item["privateIpAddress"].as_str().and_then(private_address);
                    if let (Some(instance), Some(ip)) = (item["instanceId"].as_str(), ip) {
                        self.found_instance(instance, ip);
                    }
                }
            }
            "StartSession" | "SendSSHPublicKey" | "SendSerialConsoleSSHPublicKey" => {
                let raw = record.json();
                let request = &raw["requestParameters"];
                if let Some(instance) = request["target"].as_str().or_else(|| request["instanceId"].as_str())
                {
                    self.links.insert(instance_key(instance), link(traced.hops + 1));
                }
            }
            _ => {}
        }
    }
}

/// EC2 instance roles name their sessions after the instance id.
fn instance_key(instance: &str) -> String {
    format!("instance:{instance}")
}

fn host_key(host: &str) -> String {
    format!("host:{host}")
}

/// The Kubernetes service account a web identity session was issued to (IAM roles for
/// service accounts name it as the token's subject).
fn service_account(actor: &crate::event::Actor) -> Option<&str> {
    (actor.kind == "WebIdentityUser")
        .then_some(actor.name.as_deref()?)
        .filter(|name| name.starts_with("system:serviceaccount:"))
}
