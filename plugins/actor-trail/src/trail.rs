//! Trails: one per origin actor (as the host traced it), with the hops it made, the risk it
//! gathered and the events that prove both. Everything is bounded. Trails are keyed by ARNs
//! and hashed with foldhash and a fixed seed: a lookup reads its key once, where an ordered
//! map compares it against a dozen others that share long `arn:aws:…` prefixes, which is slow
//! in WebAssembly (no vectorized memcmp), and foldhash reads it several times faster than the
//! standard SipHash. Snapshots write them sorted, so the state serializes the same way every
//! time; nothing depends on a random hasher.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use foldhash::fast::FixedState;

use serde::{Deserialize, Serialize};
use trailhound_sdk::Event;

use crate::config::Config;
use crate::signals::{self, Signal};

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
    /// `instance role`, or [`ISSUED_CREDENTIALS`].
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

/// How a hop was made when the call that issued the actor's credentials is not on the trail
/// (it came before the trail was opened again after expiring, or before the detector ran):
/// with the key the host says another identity obtained.
pub const ISSUED_CREDENTIALS: &str = "issued credentials";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trail {
    pub origin: String,
    /// The origin's identity type (`IAMUser`, ...); empty until an event of the origin itself
    /// is on the trail.
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
    fn new(origin: &str, event: &Event) -> Self {
        Trail {
            origin: origin.to_string(),
            origin_kind: String::new(),
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

    fn leads_to(&self, identity: &str) -> bool {
        self.hops.iter().any(|h| h.to == identity)
    }

    fn hop(&mut self, hop: Hop) {
        if self.hops.len() < MAX_HOPS && !self.leads_to(&hop.to) {
            self.hops.push(hop);
        }
    }

    /// The hop that brought the trail to an actor that is not its origin, the first time the
    /// actor is on it and no hop leads there yet: an instance's role session comes from the
    /// instance; a session whose key another identity obtained, from that identity.
    fn arrive(&mut self, event: &Event) {
        let actor = event.actor();
        if event.lineage().hops() == 0 || self.leads_to(actor.id()) {
            return;
        }
        let instance = actor.session_name().filter(|s| signals::is_instance_id(s));
        let (via, from) = match instance {
            Some(instance) => ("instance role", instance),
            None => match event.lineage().key_obtained_by().filter(|by| *by != actor.id()) {
                Some(by) => (ISSUED_CREDENTIALS, by),
                None => return,
            },
        };
        self.hop(Hop {
            via: via.into(),
            from: from.to_string(),
            to: actor.id().to_string(),
            event_id: event.id().to_string(),
            time: event.time(),
        });
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

/// All trails. This is what `snapshot` writes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    #[serde(serialize_with = "sorted")]
    pub trails: Keyed<Trail>,
}

/// Version 2: trails only. Version 1 also held the detector's own links from issued
/// credentials and instance sessions to origins, which the host traces since.
pub const STATE_VERSION: u32 = 2;

/// A map keyed by strings, hashed with a fixed seed (`FixedState::default()`), so runs repeat.
pub type Keyed<V> = HashMap<String, V, FixedState>;

/// Writes a [`Keyed`] map in key order.
fn sorted<V: Serialize, S: serde::Serializer>(map: &Keyed<V>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(map.iter().collect::<BTreeMap<_, _>>())
}

impl State {
    /// Reads a snapshot: this version's, or version 1's, whose trails are kept and whose links
    /// are dropped (serde skips the key).
    ///
    /// # Errors
    /// Bytes that are not a snapshot, or a snapshot of another version.
    pub fn from_snapshot(bytes: &[u8]) -> Result<State, String> {
        let mut state: State =
            serde_json::from_slice(bytes).map_err(|e| format!("actor-trail snapshot: {e}"))?;
        match state.version {
            STATE_VERSION => {}
            1 => state.version = STATE_VERSION,
            other => {
                return Err(format!(
                    "actor-trail snapshot has version {other}, this build reads 1 and {STATE_VERSION}"
                ))
            }
        }
        Ok(state)
    }

    /// Applies one event to the trail of its origin; returns the origin when the event made
    /// the trail cross the threshold.
    pub fn apply(&mut self, event: &Event, config: &Config) -> Option<String> {
        if event.actor().kind() == "AWSService" || event.actor().id().is_empty() {
            return None;
        }
        let moved_to = signals::moved_to(event);
        let single = signals::single(event, config);
        let discovery = signals::is_discovery(event);
        let origin = event.lineage().origin();
        let known = self.trails.contains_key(origin);
        // Most events of most actors are routine: only open a trail when there is something to follow.
        if !known && moved_to.is_none() && single.is_empty() && !discovery {
            return None;
        }
        if !known {
            self.make_room(config);
            self.trails.insert(origin.to_string(), Trail::new(origin, event));
        }
        let trail = self.trails.get_mut(origin)?;
        trail.last_seen = trail.last_seen.max(event.time());
        if !trail.accounts.contains(event.account()) {
            trail.accounts.insert(event.account().to_string());
        }
        if trail.origin_kind.is_empty() && event.actor().id() == origin {
            trail.origin_kind = event.actor().kind().to_string();
        }
        trail.arrive(event);
        if discovery {
            trail.discovery(event, config);
        }
        for signal in single {
            let detail = format!("{} in {}", event.action(), event.account());
            trail.score(signal, vec![event.id().to_string()], detail, event.time(), config);
        }
        if let Some(to) = moved_to {
            trail.hop(Hop {
                via: format!("{}:{}", event.service().trim_end_matches(".amazonaws.com"), event.action()),
                from: event.actor().id().to_string(),
                to,
                event_id: event.id().to_string(),
                time: event.time(),
            });
        }
        let crossed = !trail.reported && trail.risk >= config.threshold;
        if crossed {
            trail.reported = true;
        }
        crossed.then(|| origin.to_string())
    }

    fn make_room(&mut self, config: &Config) {
        if self.trails.len() >= config.max_trails {
            let stalest = stalest(self.trails.iter().map(|(k, t)| (t.last_seen, k)), config.max_trails);
            for key in stalest {
                self.trails.remove(&key);
            }
        }
    }

    /// Forgets trails idle for longer than the TTL, measured in stream time.
    pub fn expire(&mut self, now: i64, config: &Config) {
        let horizon = now - config.ttl_hours * 3_600_000;
        self.trails.retain(|_, t| t.last_seen >= horizon);
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
