//! Trails: one per origin actor, with the hops it made, the risk it gathered and the events
//! that prove both; plus the links that map issued credentials and instance sessions back to
//! the origin. Everything is bounded. The two large maps (trails and links, keyed by ARNs and
//! credentials) are hashed with foldhash and a fixed seed: a lookup reads its key once, where
//! an ordered map compares it against a dozen others that share long `arn:aws:…` prefixes,
//! which is slow in WebAssembly (no vectorized memcmp), and foldhash reads it several times
//! faster than the standard SipHash. Snapshots write them sorted, so the state serializes the
//! same way every time; nothing depends on a random hasher.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use foldhash::fast::FixedState;

use serde::{Deserialize, Serialize};
use trailhound_sdk::Event;

use crate::config::Config;
use crate::signals::{self, Link, Signal};

/// Per-trail caps: the finding stays readable and one busy actor cannot grow without bound.
const MAX_HOPS: usize = 32;
const MAX_EVENT_IDS: usize = 256;
const MAX_SIGNALS: usize = 64;
const MAX_RECON_IDS: usize = 16;
const MAX_REGIONS: usize = 32;

/// One move from an identity to another the actor now controls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    /// How: `ssm:StartSession`, `ec2-instance-connect:SendSSHPublicKey`, `sts:AssumeRole`,
    /// `instance role`.
    pub via: String,
    pub from: String,
    pub to: String,
    pub event_id: String,
    pub time: i64,
}

/// One contribution to a trail's risk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scored {
    pub signal: Signal,
    pub weight: u32,
    pub event_ids: Vec<String>,
    /// What made it (action, region), for the evidence.
    pub detail: String,
    pub time: i64,
}

/// Discovery calls in the current window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recon {
    pub start: i64,
    pub actions: BTreeSet<String>,
    pub services: BTreeSet<String>,
    pub event_ids: Vec<String>,
    /// Regions with discovery calls over the whole trail, with the first event in each.
    pub regions: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trail {
    pub origin: String,
    pub origin_kind: String,
    pub hops: Vec<Hop>,
    pub scored: Vec<Scored>,
    pub risk: u32,
    pub recon: Recon,
    pub accounts: BTreeSet<String>,
    pub first_seen: i64,
    pub last_seen: i64,
    pub reported: bool,
}

impl Trail {
    fn new(event: &Event) -> Self {
        Trail {
            origin: event.actor().id().to_string(),
            origin_kind: event.actor().kind().to_string(),
            hops: Vec::new(),
            scored: Vec::new(),
            risk: 0,
            recon: Recon::default(),
            accounts: BTreeSet::new(),
            first_seen: event.time(),
            last_seen: event.time(),
            reported: false,
        }
    }

    fn count(&self, signal: Signal) -> u32 {
        self.scored.iter().filter(|s| s.signal == signal).count() as u32
    }

    /// Whether `signal` can still add to the risk: it has not counted as often as it may.
    fn may_score(&self, signal: Signal, config: &Config) -> bool {
        let limit = if signal.once_per_trail() { 1 } else { config.max_repeats };
        self.count(signal) < limit && self.scored.len() < MAX_SIGNALS
    }

    /// Adds a signal's weight unless it already counted as often as it may.
    fn score(&mut self, signal: Signal, event_ids: Vec<String>, detail: String, time: i64, config: &Config) {
        if !self.may_score(signal, config) {
            return;
        }
        let weight = signal.weight(&config.weights);
        self.risk = self.risk.saturating_add(weight);
        self.scored.push(Scored { signal, weight, event_ids, detail, time });
    }

    fn hop(&mut self, hop: Hop) {
        if self.hops.len() < MAX_HOPS && !self.hops.iter().any(|h| h.to == hop.to) {
            self.hops.push(hop);
        }
    }

    /// Every event that contributed, in trail order, without repeats.
    pub fn event_ids(&self) -> Vec<String> {
        let mut timed: Vec<(i64, &String)> = self.hops.iter().map(|h| (h.time, &h.event_id)).collect();
        for s in &self.scored {
            timed.extend(s.event_ids.iter().map(|id| (s.time, id)));
        }
        timed.sort_by_key(|(t, _)| *t);
        let mut seen = BTreeSet::new();
        timed
            .into_iter()
            .filter(|(_, id)| seen.insert(*id))
            .map(|(_, id)| id.clone())
            .take(MAX_EVENT_IDS)
            .collect()
    }

    /// Distinct strong signals on the trail.
    pub fn strong(&self) -> usize {
        self.scored.iter().filter(|s| s.signal.strong()).map(|s| s.signal).collect::<BTreeSet<_>>().len()
    }

    fn discovery(&mut self, event: &Event, config: &Config) {
        let window = config.recon_window_minutes * 60_000;
        let recon = &mut self.recon;
        if recon.event_ids.is_empty() || (event.time() - recon.start).abs() > window {
            recon.start = event.time();
            recon.actions.clear();
            recon.services.clear();
            recon.event_ids.clear();
        }
        recon.actions.insert(format!("{}:{}", event.service(), event.action()));
        if !recon.services.contains(event.service()) {
            recon.services.insert(event.service().to_string());
        }
        if recon.event_ids.len() < MAX_RECON_IDS {
            recon.event_ids.push(event.id().to_string());
        }
        if recon.regions.len() < MAX_REGIONS && !recon.regions.contains_key(event.region()) {
            recon.regions.insert(event.region().to_string(), event.id().to_string());
        }
        // The evidence is only put together while the signal can still count.
        let burst = recon.actions.len() >= config.recon_min_actions
            && recon.services.len() >= config.recon_min_services;
        if burst && self.may_score(Signal::ReconBurst, config) {
            let recon = &self.recon;
            let detail = format!("{} distinct calls on {}", recon.actions.len(), join(&recon.services));
            let ids = recon.event_ids.clone();
            self.score(Signal::ReconBurst, ids, detail, event.time(), config);
        }
        if self.recon.regions.len() >= config.multi_region_min
            && self.may_score(Signal::MultiRegionDiscovery, config)
        {
            let detail = format!("regions {}", join(self.recon.regions.keys()));
            let ids = self.recon.regions.values().cloned().collect();
            self.score(Signal::MultiRegionDiscovery, ids, detail, event.time(), config);
        }
    }
}

fn join<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    items.into_iter().map(String::as_str).collect::<Vec<_>>().join(", ")
}

/// A credential or session mapped to the trail of its origin actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkTo {
    pub origin: String,
    pub time: i64,
}

/// All trails and links. This is what `snapshot` writes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    #[serde(serialize_with = "sorted")]
    pub trails: Keyed<Trail>,
    /// `key:ASIA…`, `arn:arn:aws:sts::…`, `instance:i-…` → origin.
    #[serde(serialize_with = "sorted")]
    pub links: Keyed<LinkTo>,
}

pub const STATE_VERSION: u32 = 1;

/// A map keyed by strings, hashed with a fixed seed (`FixedState::default()`), so runs repeat.
pub type Keyed<V> = HashMap<String, V, FixedState>;

/// Writes a [`Keyed`] map in key order.
fn sorted<V: Serialize, S: serde::Serializer>(map: &Keyed<V>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(map.iter().collect::<BTreeMap<_, _>>())
}

impl State {
    /// The origin actor behind the event's actor: the issued key first (it is what signs the
    /// request), then the session ARN, then the instance a session is named after.
    pub fn origin_of(&self, event: &Event) -> String {
        let actor = &event.actor();
        // Every event asks up to three times; one buffer serves all of them.
        let mut key = String::with_capacity(16 + actor.id().len());
        let mut known = |prefix: &str, id: &str| {
            key.clear();
            key.push_str(prefix);
            key.push_str(id);
            self.links.get(key.as_str()).map(|l| l.origin.clone())
        };
        actor
            .access_key()
            .and_then(|k| known("key:", k))
            .or_else(|| known("arn:", actor.id()))
            .or_else(|| {
                let session = actor.session_name().filter(|s| signals::is_instance_id(s))?;
                known("instance:", session)
            })
            .unwrap_or_else(|| actor.id().to_string())
    }

    /// Applies one event to its trail; returns the trail's origin when the event made it cross
    /// the threshold.
    pub fn apply(&mut self, event: &Event, config: &Config) -> Option<String> {
        if event.actor().kind() == "AWSService" || event.actor().id().is_empty() {
            return None;
        }
        let link = signals::link(event);
        let single = signals::single(event, config);
        let discovery = signals::is_discovery(event);
        let origin = self.origin_of(event);
        let known = self.trails.contains_key(&origin);
        // Most events of most actors are routine: only open a trail when there is something to follow.
        if !known && link.is_none() && single.is_empty() && !discovery {
            return None;
        }
        if !known {
            self.make_room(config);
            self.trails.insert(origin.clone(), Trail::new(event));
        }
        let trail = self.trails.get_mut(&origin)?;
        trail.last_seen = trail.last_seen.max(event.time());
        if !trail.accounts.contains(event.account()) {
            trail.accounts.insert(event.account().to_string());
        }

        // An instance-role session used for the first time on this trail is a hop of its own.
        if origin != event.actor().id() && !trail.hops.iter().any(|h| h.to == event.actor().id()) {
            if let Some(instance) = event.actor().session_name().filter(|s| signals::is_instance_id(s)) {
                trail.hop(Hop {
                    via: "instance role".into(),
                    from: instance.to_string(),
                    to: event.actor().id().to_string(),
                    event_id: event.id().to_string(),
                    time: event.time(),
                });
            }
        }
        if discovery {
            trail.discovery(event, config);
        }
        for signal in single {
            let detail = format!("{} in {}", event.action(), event.account());
            trail.score(signal, vec![event.id().to_string()], detail, event.time(), config);
        }
        let mut new_links = Vec::new();
        if let Some(link) = link {
            let via = format!("{}:{}", event.service().trim_end_matches(".amazonaws.com"), event.action());
            let hop = |to: String| Hop {
                via: via.clone(),
                from: event.actor().id().to_string(),
                to,
                event_id: event.id().to_string(),
                time: event.time(),
            };
            match link {
                Link::Credentials { key, session, role } => {
                    trail
                        .hop(hop(session.clone().or(role).unwrap_or_else(|| "temporary credentials".into())));
                    new_links.extend(key.map(|k| format!("key:{k}")));
                    new_links.extend(session.map(|s| format!("arn:{s}")));
                }
                Link::Instance { instance } => {
                    trail.hop(hop(instance.clone()));
                    new_links.push(format!("instance:{instance}"));
                }
            }
        }
        let crossed = !trail.reported && trail.risk >= config.threshold;
        if crossed {
            trail.reported = true;
        }
        for key in new_links {
            self.link(key, &origin, event.time(), config);
        }
        crossed.then_some(origin)
    }

    fn link(&mut self, key: String, origin: &str, time: i64, config: &Config) {
        if !self.links.contains_key(&key) && self.links.len() >= config.max_links {
            let stalest = stalest(self.links.iter().map(|(k, l)| (l.time, k)), config.max_links);
            for key in stalest {
                self.links.remove(&key);
            }
        }
        self.links.insert(key, LinkTo { origin: origin.to_string(), time });
    }

    fn make_room(&mut self, config: &Config) {
        if self.trails.len() >= config.max_trails {
            let stalest = stalest(self.trails.iter().map(|(k, t)| (t.last_seen, k)), config.max_trails);
            for key in stalest {
                self.trails.remove(&key);
            }
        }
    }

    /// Forgets trails and links idle for longer than the TTL, measured in stream time.
    pub fn expire(&mut self, now: i64, config: &Config) {
        let horizon = now - config.ttl_hours * 3_600_000;
        self.trails.retain(|_, t| t.last_seen >= horizon);
        let trails = &self.trails;
        // A link outlives its creation only while its trail is alive (credentials last hours,
        // but a trail still active keeps its links resolvable).
        self.links.retain(|_, l| l.time >= horizon || trails.contains_key(&l.origin));
    }
}

/// The keys to drop from a map that reached its bound: the least recently active tenth of
/// `bound` (at least one, and enough to get under it), ties broken by key so the choice is the same on every run. Dropping a
/// share at once makes one pass serve many insertions; dropping one per insertion made every
/// new actor cost a pass over thousands of trails once the bound was reached.
fn stalest<'a>(entries: impl Iterator<Item = (i64, &'a String)>, bound: usize) -> Vec<String> {
    let mut by_age: Vec<(i64, &String)> = entries.collect();
    // Enough to get under the bound (it may have been lowered since a snapshot), and a tenth.
    let n = (by_age.len() + 1).saturating_sub(bound).max(bound / 10).max(1).min(by_age.len());
    if n < by_age.len() {
        by_age.select_nth_unstable(n);
    }
    by_age.truncate(n);
    by_age.into_iter().map(|(_, k)| k.clone()).collect()
}
