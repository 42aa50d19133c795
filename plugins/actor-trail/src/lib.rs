//! `actor-trail`: follows one actor across planes and reports it once its trail is risky.
//!
//! An insider or an intruder rarely trips one loud alarm: they open a shell on an instance,
//! use its role, hop to a bastion, assume a role, then another. Each step alone is routine.
//! The host traces every event back to its *origin* actor (`event.lineage()`: through the
//! access keys and sessions AssumeRole hands out, and the role sessions of an instance the
//! actor opened a shell on); this detector keeps one trail per origin, records each hop as it
//! sees it (SSM `StartSession`, EC2 Instance Connect, AssumeRole, an instance's role session
//! in use), and accumulates risk from weak signals (reconnaissance bursts, discovery across
//! regions, permission discovery, an unguarded privileged AssumeRole, cross-account assumes,
//! denied ones) and strong ones (policy default version changes, access keys for other users,
//! snapshots shared out). When a trail's risk reaches the threshold it reports one finding
//! about the origin actor, with the hops in order and every contributing event.
//!
//! Modules: [`config`] (weights, threshold, bounds), [`signals`] (what one event says),
//! [`trail`] (the bounded state), [`report`] (the finding).
//!
//! Stateful: the host routes every event of one origin actor to the same instance. State is
//! bounded (trails are capped and expire by stream time in `on_tick`) and survives reloads
//! through `snapshot`/`restore`.

pub mod config;
pub mod report;
pub mod signals;
pub mod trail;

use trailhound_sdk::prelude::*;

use config::Config;
use trail::{State, STATE_VERSION};

#[derive(Default)]
pub struct ActorTrail {
    config: Config,
    state: State,
}

impl ActorTrail {
    /// The current trails (for tests and benchmarks).
    pub fn state(&self) -> &State {
        &self.state
    }
}

impl Detector for ActorTrail {
    fn info() -> Info {
        signals::FIELDS.iter().fold(
            Info::new("actor-trail", env!("CARGO_PKG_VERSION")).source("aws-cloudtrail").stateful(),
            |info, f| info.field(*f),
        )
    }

    fn configure(&mut self, config: &serde_json::Value) -> Result<(), String> {
        self.config = Config::from_json(config)?;
        Ok(())
    }

    fn on_event(&mut self, event: &Event, findings: &mut Vec<Finding>) {
        if let Some(origin) = self.state.apply(event, &self.config) {
            if let Some(trail) = self.state.trails.get(&origin) {
                findings.push(report::finding(trail, &self.config));
            }
        }
    }

    fn on_tick(&mut self, now: i64, _findings: &mut Vec<Finding>) {
        self.state.expire(now, &self.config);
    }

    fn snapshot(&self) -> Vec<u8> {
        let state = State { version: STATE_VERSION, ..self.state.clone() };
        serde_json::to_vec(&state).unwrap_or_default()
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), String> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.state = State::from_snapshot(bytes)?;
        Ok(())
    }
}

trailhound_sdk::export_detector!(ActorTrail);
