//! All chains, and the index from every entity and address alias to the chain that holds it.
//! An alert joins the chain of any entity it names; when it names entities of several chains,
//! it shows they are about one thing, and they merge into the one reported first (else the
//! oldest), whose key the alert keeps. Bounded: at most `max_chains` chains, the least
//! recently active evicted first; steps leave with the window and idle chains with the TTL,
//! in stream time.
//!
//! The snapshot holds the chains only (in creation order, so it is the same every time); the
//! index is rebuilt from them on restore.

use std::collections::{BTreeMap, HashMap};

use foldhash::fast::FixedState;
use serde::{Deserialize, Serialize};
use trailhound_sdk::bounded::stalest;

use crate::chain::Chain;
use crate::config::Config;
use crate::observe::Observation;

/// Version 1: chains with their steps, members and links.
pub const STATE_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// Stream time: the latest event or tick seen.
    pub now: i64,
    pub next_id: u64,
    pub chains: BTreeMap<u64, Chain>,
    /// Entity ids and aliases to chain ids. Hashed with a fixed seed, so runs repeat.
    #[serde(skip)]
    index: HashMap<String, u64, FixedState>,
}

impl Default for State {
    fn default() -> Self {
        State {
            version: STATE_VERSION,
            now: 0,
            next_id: 0,
            chains: BTreeMap::new(),
            index: HashMap::default(),
        }
    }
}

impl State {
    /// Reads a snapshot of this version.
    ///
    /// # Errors
    /// Bytes that are not a snapshot, or a snapshot of another version.
    pub fn from_snapshot(bytes: &[u8]) -> Result<State, String> {
        let mut state: State = serde_json::from_slice(bytes).map_err(|e| {
            format!("composite snapshot cannot be read ({e}); it is not one this plugin wrote")
        })?;
        if state.version != STATE_VERSION {
            return Err(format!(
                "composite snapshot has version {}, this build reads version {STATE_VERSION}",
                state.version
            ));
        }
        for (&id, chain) in &state.chains {
            for key in chain.keys() {
                state.index.insert(key.to_string(), id);
            }
        }
        Ok(state)
    }

    pub fn snapshot(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// How many entities and aliases lead to a chain.
    pub fn indexed(&self) -> usize {
        self.index.len()
    }

    /// The chain an entity id or alias leads to.
    pub fn chain_of(&self, id: &str) -> Option<&Chain> {
        self.chains.get(self.index.get(id)?)
    }

    /// Adds an alert to the chain of its entities (merging the chains it ties together, or
    /// opening one); returns that chain's id. Alerts below the configured severity, and
    /// alerts already outside the window, are left out.
    pub fn apply(&mut self, observation: &Observation, config: &Config) -> Option<u64> {
        self.now = self.now.max(observation.time);
        let horizon = self.now.saturating_sub(config.window_ms());
        if observation.severity < config.min_finding_severity || observation.time < horizon {
            return None;
        }
        let names = observation.entities.iter().map(|e| e.id.as_str()).chain(observation.address.as_deref());
        let mut found: Vec<u64> = names.filter_map(|id| self.index.get(id).copied()).collect();
        found.sort_unstable();
        found.dedup();
        let id = match self.first_reported(&found) {
            Some(id) => {
                for other in found.into_iter().filter(|&o| o != id) {
                    self.merge(id, other);
                }
                id
            }
            None => self.open(&observation.key, observation.time, config),
        };
        let chain = self.chains.get_mut(&id)?;
        chain.expire(horizon);
        for joined in chain.add(observation) {
            self.index.insert(joined, id);
        }
        Some(id)
    }

    /// Of these chains, the one reported first, else the oldest.
    fn first_reported(&self, ids: &[u64]) -> Option<u64> {
        ids.iter()
            .filter_map(|id| self.chains.get(id).map(|c| (c.revision == 0, c.first_seen, *id)))
            .min()
            .map(|(_, _, id)| id)
    }

    fn open(&mut self, key: &str, time: i64, config: &Config) -> u64 {
        self.make_room(config);
        let id = self.next_id;
        self.next_id += 1;
        self.chains.insert(id, Chain::new(key.to_string(), time));
        id
    }

    /// Moves chain `other` into chain `into`, and its index entries with it.
    fn merge(&mut self, into: u64, other: u64) {
        let Some(other) = self.chains.remove(&other) else { return };
        self.unindex(&other);
        let Some(chain) = self.chains.get_mut(&into) else { return };
        chain.absorb(other);
        for key in chain.keys() {
            self.index.insert(key.to_string(), into);
        }
    }

    fn unindex(&mut self, chain: &Chain) {
        for key in chain.keys() {
            self.index.remove(key);
        }
    }

    fn remove(&mut self, id: u64) {
        if let Some(chain) = self.chains.remove(&id) {
            self.unindex(&chain);
        }
    }

    /// Evicts the stalest chains when the bound is reached (see [`stalest`]).
    fn make_room(&mut self, config: &Config) {
        if self.chains.len() < config.max_chains {
            return;
        }
        let entries = self.chains.iter().map(|(id, c)| (c.last_seen, *id));
        for id in stalest(entries, config.max_chains) {
            self.remove(id);
        }
    }

    /// Advances stream time: steps older than the window leave their chains; a chain with
    /// none left goes, unless it was reported and is still within the TTL (later findings on
    /// it then update that alert).
    pub fn expire(&mut self, now: i64, config: &Config) {
        self.now = self.now.max(now);
        let horizon = self.now.saturating_sub(config.window_ms());
        let idle = self.now.saturating_sub(config.ttl_ms());
        let mut gone = Vec::new();
        for (id, chain) in self.chains.iter_mut() {
            chain.expire(horizon);
            if chain.steps.is_empty() && (chain.revision == 0 || chain.last_seen < idle) {
                gone.push(*id);
            }
        }
        for id in gone {
            self.remove(id);
        }
    }
}
