//! Every principal's and access key's profile, bounded: at most `max_profiles` of each, the
//! least recently active evicted first; principals and long-term keys idle for `idle_days`,
//! and session keys idle for [`SESSION_IDLE_MS`], are forgotten, in stream time.
//!
//! The snapshot lists the profiles sorted by name, so the same state always writes the same
//! bytes; the maps are rebuilt from it on restore.

use std::collections::HashMap;

use foldhash::fast::FixedState;
use serde::{Deserialize, Serialize};
use trailhound_sdk::bounded::stalest;

use crate::config::Config;
use crate::observe::Call;
use crate::profile::{Flag, Key, Principal};

/// Version 1: principals and keys with their hashed sets.
pub const STATE_VERSION: u32 = 1;
/// STS sessions last at most 36 hours (`GetSessionToken`; role sessions 12), so a session key
/// idle that long is gone.
pub const SESSION_IDLE_MS: i64 = 36 * 3_600_000;
/// How often, in stream time, idle profiles are looked for: a pass reads every profile.
const EXPIRY_EVERY_MS: i64 = 3_600_000;

type Map<V> = HashMap<Box<str>, V, FixedState>;

#[derive(Debug, Clone, Default)]
pub struct State {
    /// Stream time: the latest call or tick seen.
    pub now: i64,
    expired_at: i64,
    principals: Map<Principal>,
    keys: Map<Key>,
    /// Profiles evicted to stay within the cap, since the start.
    pub evicted: u64,
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    version: u32,
    now: i64,
    expired_at: i64,
    evicted: u64,
    principals: Vec<(Box<str>, Principal)>,
    keys: Vec<(Box<str>, Key)>,
}

/// Anything with a last activity, for eviction and expiry.
trait Recent {
    fn last_seen(&self) -> i64;
}

impl Recent for Principal {
    fn last_seen(&self) -> i64 {
        self.last_seen
    }
}

impl Recent for Key {
    fn last_seen(&self) -> i64 {
        self.last_seen
    }
}

impl State {
    pub fn principal(&self, id: &str) -> Option<&Principal> {
        self.principals.get(id)
    }

    pub fn key(&self, id: &str) -> Option<&Key> {
        self.keys.get(id)
    }

    /// Profiles held: (principals, keys).
    pub fn len(&self) -> (usize, usize) {
        (self.principals.len(), self.keys.len())
    }

    /// Learns from one call; what it departs from.
    pub fn apply(&mut self, call: &Call<'_>, config: &Config) -> Vec<Flag> {
        self.now = self.now.max(call.time);
        let mut flags = Vec::new();
        if !self.principals.contains_key(call.principal) {
            self.evicted += make_room(&mut self.principals, config.max_profiles);
            self.principals.insert(call.principal.into(), Principal::new(call.time));
        }
        if let Some(key) = call.key {
            if !self.keys.contains_key(key) {
                self.evicted += make_room(&mut self.keys, config.max_profiles);
                self.keys.insert(key.into(), Key::new(call.time, call.session));
            }
            let principal = &self.principals[call.principal];
            if let Some(profile) = self.keys.get_mut(key) {
                profile.observe(call, principal, config, &mut flags);
            }
        }
        if let Some(principal) = self.principals.get_mut(call.principal) {
            principal.observe(call, config, &mut flags);
        }
        flags
    }

    /// Advances stream time, and forgets idle profiles at most once an hour of it.
    pub fn expire(&mut self, now: i64, config: &Config) {
        self.now = self.now.max(now);
        if self.now.saturating_sub(self.expired_at) < EXPIRY_EVERY_MS {
            return;
        }
        self.expired_at = self.now;
        let idle = self.now.saturating_sub(config.idle_ms());
        let session_idle = self.now.saturating_sub(SESSION_IDLE_MS);
        self.principals.retain(|_, p| p.last_seen >= idle);
        self.keys.retain(|_, k| k.last_seen >= if k.session { session_idle } else { idle });
    }

    pub fn snapshot(&self) -> Vec<u8> {
        fn sorted<V: Clone>(map: &Map<V>) -> Vec<(Box<str>, V)> {
            let mut all: Vec<(Box<str>, V)> = map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            all.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            all
        }
        let snapshot = Snapshot {
            version: STATE_VERSION,
            now: self.now,
            expired_at: self.expired_at,
            evicted: self.evicted,
            principals: sorted(&self.principals),
            keys: sorted(&self.keys),
        };
        serde_json::to_vec(&snapshot).unwrap_or_default()
    }

    /// Reads a snapshot of this version.
    ///
    /// # Errors
    /// Bytes that are not a snapshot, or a snapshot of another version.
    pub fn from_snapshot(bytes: &[u8]) -> Result<State, String> {
        let snapshot: Snapshot = serde_json::from_slice(bytes).map_err(|e| {
            format!("baseline snapshot cannot be read ({e}); it is not one this plugin wrote")
        })?;
        if snapshot.version != STATE_VERSION {
            return Err(format!(
                "baseline snapshot has version {}, this build reads version {STATE_VERSION}",
                snapshot.version
            ));
        }
        Ok(State {
            now: snapshot.now,
            expired_at: snapshot.expired_at,
            evicted: snapshot.evicted,
            principals: snapshot.principals.into_iter().collect(),
            keys: snapshot.keys.into_iter().collect(),
        })
    }
}

/// Evicts the stalest profiles of `map` when it is full (see [`stalest`]); how many went.
fn make_room<V: Recent>(map: &mut Map<V>, cap: usize) -> u64 {
    if map.len() < cap {
        return 0;
    }
    let gone: Vec<Box<str>> =
        stalest(map.iter().map(|(k, v)| (v.last_seen(), &**k)), cap).into_iter().map(Box::from).collect();
    for key in &gone {
        map.remove(key);
    }
    gone.len() as u64
}
