//! `storyline`: follows one actor across planes from its origin and reports it, with its
//! whole trail, once the trail is risky.
//!
//! An insider or an intruder rarely trips one loud alarm: they open a shell on an instance
//! (or break out of a container onto one), use its role, hop to a bastion, assume a role,
//! then another. Each step alone is routine. The host traces every event back to its *origin*
//! (`event.lineage()`: through the keys and sessions STS hands out, the role sessions of an
//! instance someone opened a shell on, the hosts it maps to instances, Kubernetes service
//! accounts federated to cloud roles); this detector keeps one trail per origin, records each
//! entity and hop as it sees them (cloud, Kubernetes and host planes), and accumulates risk
//! from weighted behaviors: reconnaissance, failed calls, IAM changes, new access keys,
//! policy versions, snapshots created and shared, cross-account assumes, container escapes
//! and shells (Falco alerts), and the findings of other plugins (offered back on the finding
//! plane; one whose events are all on the trail already adds nothing). Risk fades with a
//! half-life in stream time. When a trail's risk reaches the threshold it reports one finding
//! about the origin with the story of the trail; later risk on the same trail reports it
//! again as the next revision of the same finding, at most once per batch.
//!
//! Modules: [`config`] (weights, threshold, decay, sensitive resources, bounds), [`signals`]
//! (what one cloud event says), [`alerts`] (Falco alerts, findings offered back), [`moves`]
//! (hops between entities), [`sensitive`] (proximity to sensitive resources), [`trail`] (the
//! bounded state), [`report`] (the finding and its story).
//!
//! Stateful: the host routes every event of one origin actor to the same instance. State is
//! bounded (trails are capped and expire by stream time in `on_tick`) and survives reloads
//! through `snapshot`/`restore`. Time comes only from events and ticks.

pub mod alerts;
pub mod config;
pub mod moves;
pub mod report;
pub mod sensitive;
pub mod signals;
pub mod trail;

use trailhound_sdk::prelude::*;

use config::Config;
use trail::{State, STATE_VERSION};

/// The planes a trail crosses: cloud control planes, Kubernetes, hosts and containers.
pub const SOURCES: [&str; 5] = ["aws-cloudtrail", "gcp-audit", "azure-activity", "k8s-audit", "falco"];

#[derive(Default)]
pub struct Storyline {
    config: Config,
    state: State,
}

impl Storyline {
    /// The current trails (for tests and benchmarks).
    pub fn state(&self) -> &State {
        &self.state
    }
}

impl Detector for Storyline {
    fn info() -> Info {
        let info = SOURCES
            .iter()
            .fold(Info::new("storyline", env!("CARGO_PKG_VERSION")).stateful().findings(), |info, s| {
                info.source(*s)
            });
        signals::FIELDS
            .iter()
            .chain(&[alerts::FINDING_EVENTS, alerts::FINDING_TITLE])
            .fold(info, |info, f| info.field(*f))
    }

    fn configure(&mut self, config: &serde_json::Value) -> Result<(), String> {
        self.config = Config::from_json(config)?;
        Ok(())
    }

    /// Applies the whole batch, then reports each trail that is due once: a trail that gains
    /// several steps in one batch is one revision, not several.
    fn on_events(&mut self, events: &Batch, findings: &mut Vec<Finding>) {
        let mut touched: Vec<String> = Vec::new();
        for event in events.iter() {
            if let Some(origin) = self.state.apply(&event, &self.config) {
                if !touched.contains(&origin) {
                    touched.push(origin);
                }
            }
        }
        for trail in self.state.due(&touched, &self.config) {
            findings.push(report::finding(trail, &self.config));
        }
    }

    fn on_tick(&mut self, now: i64, _findings: &mut Vec<Finding>) {
        self.state.expire(now, &self.config);
    }

    fn snapshot(&self) -> Vec<u8> {
        let state = State { version: STATE_VERSION, ..self.state.clone() };
        serde_json::to_vec(&state).unwrap_or_default()
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

trailhound_sdk::export_detector!(Storyline);
