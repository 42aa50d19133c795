//! `baseline`: learns what each principal and access key normally does, and reports what
//! departs from it.
//!
//! A stolen key still authenticates; what gives it away is that it behaves unlike itself. For
//! every principal (a role's sessions count as the role) and every access key, this detector
//! learns ([`profile`]) the regions, user agents ([`agent`]), source networks and ASN-sized
//! ranges ([`network`]), services, actions and access levels it uses, during a learning
//! period from its first call ([`config`]), in bounded memory: hashed sets with caps and a
//! Bloom filter for actions ([`sketch`]), profiles expiring when idle and evicted least
//! recently active first past a cap ([`state`]). It reports ([`report`]):
//! - discovery calls across many regions within minutes (during learning too);
//! - one session token used by a second tool from a range it was not used from;
//! - an access key used from a new network or range (a session's first network is its
//!   baseline; trusted ranges, by default the private ones, are never new);
//! - a principal's first Permissions-management or Write call;
//! - a principal's first call in a new region (discovery there is the sweep's to report).
//!
//! Stateful and deterministic: the host routes every event of one origin actor to the same
//! instance, time comes from events and ticks only, and the state survives reloads through
//! `snapshot`/`restore`.

pub mod agent;
pub mod config;
pub mod network;
pub mod observe;
pub mod profile;
pub mod report;
pub mod sketch;
pub mod state;

use trailhound_sdk::prelude::*;

use config::Config;
use state::State;

#[derive(Default)]
pub struct Baseline {
    config: Config,
    state: State,
}

impl Baseline {
    /// The current profiles (for tests and benchmarks).
    pub fn state(&self) -> &State {
        &self.state
    }
}

impl Detector for Baseline {
    fn info() -> Info {
        observe::SOURCES
            .iter()
            .fold(Info::new("baseline", env!("CARGO_PKG_VERSION")).stateful(), |info, s| info.source(*s))
    }

    fn configure(&mut self, config: &serde_json::Value) -> Result<(), String> {
        self.config = Config::from_json(config)?;
        Ok(())
    }

    fn on_event(&mut self, event: &Event<'_>, findings: &mut Vec<Finding>) {
        let Some(call) = observe::observe(event, &self.config) else { return };
        for flag in self.state.apply(&call, &self.config) {
            findings.push(report::finding(&flag, &call, event));
        }
    }

    fn on_tick(&mut self, now: i64, _findings: &mut Vec<Finding>) {
        self.state.expire(now, &self.config);
    }

    fn snapshot(&self) -> Vec<u8> {
        self.state.snapshot()
    }

    /// A snapshot this build cannot read leaves the detector empty, and the message says so.
    fn restore(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.state = State::default();
        if bytes.is_empty() {
            return Ok(());
        }
        self.state = State::from_snapshot(bytes)?;
        Ok(())
    }
}

trailhound_sdk::export_detector!(Baseline);
