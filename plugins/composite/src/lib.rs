//! `composite`: ties the findings of other plugins, and upstream alerts, on one entity into one
//! alert with the evidence chain.
//!
//! One finding is a hint; several detectors seeing the same thing go wrong within hours is an
//! intrusion: a container escapes to its host (Falco), that host's role credentials run
//! discovery across many regions, a privileged role is assumed, database snapshots are shared
//! out. This plugin asks for the findings of the other plugins (offered back by the host as
//! events of the finding plane) and for Falco's alerts, reads what each names ([`observe`]:
//! the lineage origin, the principal, its access key, the host and its instance, the private
//! address that ties a host to the calls made from it), and keeps one chain per group of
//! related entities ([`state`], [`chain`]). When a chain holds enough findings within the
//! window (by default 3, from 2 reporters, one at least medium; [`config`]), or matches every
//! stage of a named scenario in order ([`scenario`]), it reports one composite alert
//! ([`report`]) whose story the host can draw; later findings on the chain report it again as
//! the next revision of the same alert.
//!
//! Stateful and deterministic: time comes from events and ticks only, state is bounded (a cap
//! on chains with eviction by last activity, steps leave with the window) and survives reloads
//! through `snapshot`/`restore`.

pub mod chain;
pub mod config;
pub mod entity;
pub mod observe;
pub mod report;
pub mod scenario;
pub mod state;
pub mod tactics;

use trailhound_sdk::prelude::*;

use config::Config;
use state::State;

/// The plugin's name, which is also the reporter of its findings.
pub const NAME: &str = "composite";

#[derive(Default)]
pub struct Composite {
    config: Config,
    state: State,
}

impl Composite {
    /// The current chains (for tests and benchmarks).
    pub fn state(&self) -> &State {
        &self.state
    }
}

impl Detector for Composite {
    fn info() -> Info {
        // Findings are offered whatever the sources say; naming their source too keeps the
        // filter truthful for whatever checks it.
        Info::new(NAME, env!("CARGO_PKG_VERSION"))
            .source("falco")
            .source("finding")
            .findings()
            .field(observe::TITLE)
            .field(observe::RELATED_EVENTS)
    }

    fn configure(&mut self, config: &serde_json::Value) -> Result<(), String> {
        self.config = Config::from_json(config)?;
        Ok(())
    }

    /// Adds the batch's alerts to their chains, then reports each chain the batch made worth
    /// an alert once, so a batch that adds several findings to a chain makes one revision.
    fn on_events(&mut self, events: &Batch, findings: &mut Vec<Finding>) {
        let mut touched: Vec<u64> = Vec::new();
        for event in events.iter() {
            let Some(observation) = observe::observe(&event, NAME) else { continue };
            if let Some(id) = self.state.apply(&observation, &self.config) {
                if !touched.contains(&id) {
                    touched.push(id);
                }
            }
        }
        for id in touched {
            let Some(chain) = self.state.chains.get_mut(&id) else { continue };
            let Some(verdict) = chain.verdict(&self.config) else { continue };
            findings.push(report::finding(chain, &verdict, chain.revision + 1));
            let severity = verdict.severity;
            chain.reported(severity);
        }
    }

    fn on_tick(&mut self, now: i64, _findings: &mut Vec<Finding>) {
        self.state.expire(now, &self.config);
    }

    fn snapshot(&self) -> Vec<u8> {
        self.state.snapshot()
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), String> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.state = State::from_snapshot(bytes)?;
        Ok(())
    }
}

trailhound_sdk::export_detector!(Composite);
