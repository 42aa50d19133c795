//! What the baseline knows of one principal and of one access key, how each learns from a
//! call, and what a call departs from ([`Flag`]). A principal or long-term key learns for the
//! configured period from its first call; after that, what it has not done before is news
//! (once: then it is learned). A session key learns its first network and tools, and a call
//! from elsewhere later in the session is news at once.

use serde::{Deserialize, Serialize};
use trailhound_sdk::AccessLevel;

use crate::config::Config;
use crate::network::Place;
use crate::observe::Call;
use crate::sketch::{Bloom, Capped};

/// The caps of the learned sets: an entity past one of them roams (see [`Capped`]).
pub const REGIONS: usize = 24;
pub const NETWORKS: usize = 16;
pub const RANGES: usize = 8;
pub const AGENTS: usize = 8;
pub const SERVICES: usize = 32;
/// Discovery calls kept per principal within the window: one per region, so more than any
/// threshold a config sets is never needed.
const SWEEP_REGIONS: usize = 64;

/// What a call departs from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flag {
    /// Discovery in many regions within the window: each region with the latest call there.
    Sweep { regions: Vec<Sighting> },
    /// A session key used by a tool it was not used by before, from a range it was not used
    /// from before.
    SessionAgents { agent: String, network: String, known_agents: usize },
    /// A key used from a network it was not used from; `range_new` when the whole ASN-sized
    /// range is new to it, `principal_knows` when its principal used that range before.
    NewNetwork { network: String, range: String, range_new: bool, principal_knows: bool, known: usize },
    /// The principal's first call at this access level.
    FirstLevel { level: AccessLevel, service_new: bool, action_new: bool, known_services: usize },
    /// The principal's first call in this region that reads or changes something.
    NewRegion { region: String, known: usize },
}

/// A discovery call in one region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sighting {
    pub region: Box<str>,
    pub time: i64,
    pub event: Box<str>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub first_seen: i64,
    pub last_seen: i64,
    pub regions: Capped,
    pub networks: Capped,
    pub ranges: Capped,
    pub agents: Capped,
    pub services: Capped,
    pub actions: Bloom,
    /// Access levels used, one bit each ([`level_bit`]).
    pub levels: u8,
    /// Discovery calls within the window, one per region.
    pub sweep: Vec<Sighting>,
    /// A sweep was reported; another is not until this time.
    pub swept_until: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    pub first_seen: i64,
    pub last_seen: i64,
    pub session: bool,
    pub networks: Capped,
    pub ranges: Capped,
    pub agents: Capped,
}

fn level_bit(level: AccessLevel) -> u8 {
    1 << AccessLevel::ALL.iter().position(|l| *l == level).unwrap_or_default()
}

impl Principal {
    pub fn new(time: i64) -> Self {
        Principal { first_seen: time, last_seen: time, ..Principal::default() }
    }

    pub fn learning(&self, now: i64, config: &Config) -> bool {
        now.saturating_sub(self.first_seen) < config.learning_ms()
    }

    /// Learns from the call, pushing what it departs from.
    pub fn observe(&mut self, call: &Call<'_>, config: &Config, flags: &mut Vec<Flag>) {
        let learning = self.learning(call.time, config);
        self.last_seen = self.last_seen.max(call.time);
        if call.discovery && !call.region.is_empty() {
            flags.extend(self.sweep(call, config));
        }
        if let Some(level) = call.level {
            let first = self.levels & level_bit(level) == 0;
            if first && !learning && matches!(level, AccessLevel::Write | AccessLevel::PermissionsManagement)
            {
                flags.push(Flag::FirstLevel {
                    level,
                    service_new: !self.services.knows(call.service, SERVICES),
                    action_new: !self.actions.contains(call.action),
                    known_services: self.services.len(),
                });
            }
            self.levels |= level_bit(level);
        }
        // Discovery in new regions is the sweep's to report; after learning it does not make
        // a region known, so that what the principal then does there is still news.
        if !call.region.is_empty() && (learning || !call.discovery) {
            if !learning && !self.regions.knows(call.region, REGIONS) {
                flags.push(Flag::NewRegion { region: call.region.to_string(), known: self.regions.len() });
            }
            self.regions.insert(call.region, REGIONS);
        }
        self.services.insert(call.service, SERVICES);
        self.actions.insert(call.action);
        if let Some(agent) = &call.agent {
            self.agents.insert(agent, AGENTS);
        }
        if let Some(place) = &call.place {
            self.networks.insert(&place.network, NETWORKS);
            self.ranges.insert(&place.range, RANGES);
        }
    }

    /// Records a discovery call; a sweep when the window holds enough regions, none is
    /// reported yet for it, and the principal does not always sweep these regions.
    fn sweep(&mut self, call: &Call<'_>, config: &Config) -> Option<Flag> {
        let horizon = call.time.saturating_sub(config.discovery_window_ms());
        self.sweep.retain(|s| s.time >= horizon);
        let len = self.sweep.len();
        match self.sweep.iter_mut().find(|s| &*s.region == call.region) {
            Some(seen) => {
                seen.time = call.time;
                seen.event = call.id.into();
            }
            None if len < SWEEP_REGIONS => {
                self.sweep.push(Sighting {
                    region: call.region.into(),
                    time: call.time,
                    event: call.id.into(),
                });
            }
            None => {}
        }
        if self.sweep.len() < config.discovery_regions || call.time < self.swept_until {
            return None;
        }
        // A principal sweeping the regions it worked in before (an inventory job, a security
        // scanner, or its own earlier sweep) does what it always does.
        if self.sweep.iter().all(|s| self.regions.knows(&s.region, REGIONS)) {
            return None;
        }
        self.swept_until = call.time.saturating_add(config.discovery_window_ms());
        let mut regions = self.sweep.clone();
        regions.sort_by_key(|s| s.time);
        Some(Flag::Sweep { regions })
    }
}

impl Key {
    pub fn new(time: i64, session: bool) -> Self {
        Key { first_seen: time, last_seen: time, session, ..Key::default() }
    }

    /// Learns from the call, pushing what it departs from; `principal` is the key's
    /// principal, before it learns from the call.
    pub fn observe(
        &mut self,
        call: &Call<'_>,
        principal: &Principal,
        config: &Config,
        flags: &mut Vec<Flag>,
    ) {
        let learning = if self.session {
            self.networks.is_empty()
        } else {
            call.time.saturating_sub(self.first_seen) < config.learning_ms()
        };
        self.last_seen = self.last_seen.max(call.time);
        let agent_new =
            call.agent.as_deref().is_some_and(|a| !self.agents.is_empty() && !self.agents.knows(a, AGENTS));
        if let Some(Place { network, range, trusted }) = &call.place {
            // A trusted address is never news, but it is where the key was: a session that
            // starts behind a VPC endpoint and turns up on the internet has moved.
            if !learning && !trusted {
                let range_new = !self.ranges.knows(range, RANGES);
                if range_new && self.session && agent_new {
                    flags.push(Flag::SessionAgents {
                        agent: call.agent.clone().unwrap_or_default(),
                        network: network.clone(),
                        known_agents: self.agents.len(),
                    });
                } else if range_new || !self.networks.knows(network, NETWORKS) {
                    flags.push(Flag::NewNetwork {
                        principal_knows: principal.ranges.knows(range, RANGES),
                        network: network.clone(),
                        range: range.clone(),
                        range_new,
                        known: self.networks.len(),
                    });
                }
            }
            self.networks.insert(network, NETWORKS);
            self.ranges.insert(range, RANGES);
        }
        if let Some(agent) = &call.agent {
            self.agents.insert(agent, AGENTS);
        }
    }
}
