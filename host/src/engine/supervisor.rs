//! Fault isolation for one plugin on one worker: a fault drops the instance, a fresh one
//! retries the batch once, and a plugin whose batches keep failing is quarantined with a
//! doubling backoff and reported.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::plugin::{Fault, LoadedPlugin, PluginError, PluginInstance};
use super::runtime::WasmRuntime;
use super::EngineSettings;
use crate::findings::Detection;
use trailhound_sdk::{Finding, Severity};

/// Counters for one plugin on one worker; summed across workers for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginStats {
    pub batches: u64,
    pub events: u64,
    pub findings: u64,
    pub timeouts: u64,
    pub out_of_memory: u64,
    pub traps: u64,
    pub over_budget: u64,
    /// Faults after which the retry on a fresh instance succeeded.
    pub recovered: u64,
    pub quarantines: u64,
    /// Events this plugin did not see because it was quarantined.
    pub events_skipped: u64,
    /// Events in batches that failed even on retry.
    pub events_failed: u64,
    pub peak_memory: usize,
    /// The last fault, for the report.
    pub last_fault: Option<String>,
    /// What became of the plugin's state across runs.
    pub state: StateStats,
    /// How long its event batches took.
    pub latency: crate::metrics::histogram::Histogram,
}

/// One plugin's state across runs, on one worker; summed across workers for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateStats {
    /// Instances that resumed from the state folder.
    pub restored: u64,
    /// Instances that had state in the folder but started empty.
    pub started_empty: u64,
    /// Why the last of them started empty.
    pub why_empty: Option<String>,
    /// Snapshots that failed (the call faulted); the state folder keeps the one before.
    pub snapshot_failures: u64,
}

impl StateStats {
    fn merge(&mut self, other: &StateStats) {
        self.restored += other.restored;
        self.started_empty += other.started_empty;
        self.snapshot_failures += other.snapshot_failures;
        if other.why_empty.is_some() {
            self.why_empty.clone_from(&other.why_empty);
        }
    }

    /// Counts an instance that could not take the state it was given.
    pub fn started_empty(&mut self, why: String) {
        self.started_empty += 1;
        self.why_empty = Some(why);
    }
}

impl PluginStats {
    pub fn merge(&mut self, other: &PluginStats) {
        self.batches += other.batches;
        self.events += other.events;
        self.findings += other.findings;
        self.timeouts += other.timeouts;
        self.out_of_memory += other.out_of_memory;
        self.traps += other.traps;
        self.over_budget += other.over_budget;
        self.recovered += other.recovered;
        self.quarantines += other.quarantines;
        self.events_skipped += other.events_skipped;
        self.events_failed += other.events_failed;
        self.peak_memory = self.peak_memory.max(other.peak_memory);
        if other.last_fault.is_some() {
            self.last_fault.clone_from(&other.last_fault);
        }
        self.state.merge(&other.state);
        self.latency.merge(&other.latency);
    }

    fn record(&mut self, fault: &Fault) {
        match fault {
            Fault::Timeout(_) => self.timeouts += 1,
            Fault::OutOfMemory(_) => self.out_of_memory += 1,
            Fault::OverBudget(_) => self.over_budget += 1,
            Fault::Trap(_) => self.traps += 1,
        }
        self.last_fault = Some(fault.to_string());
    }
}

/// What happened to one call.
pub enum Outcome<T> {
    Done(T),
    /// Quarantined: the call was not made.
    Skipped,
    /// Failed twice; `quarantined` says whether this failure put the plugin in quarantine.
    Failed {
        fault: Fault,
        quarantined: Option<Duration>,
    },
}

/// One plugin's instance on one worker, with its fault history.
pub struct Supervised {
    pub plugin: Arc<LoadedPlugin>,
    pub stats: PluginStats,
    instance: Option<PluginInstance>,
    /// The last snapshot this worker holds of the plugin (restored from the state folder, or
    /// taken since): a fresh instance starts from it, so a fault does not lose all state.
    held: Option<Vec<u8>>,
    consecutive_failures: u32,
    quarantined_until: Option<Instant>,
    next_quarantine: Duration,
    max_failures: u32,
}

impl Supervised {
    pub fn new(plugin: Arc<LoadedPlugin>, settings: &EngineSettings) -> Self {
        Supervised {
            plugin,
            stats: PluginStats::default(),
            instance: None,
            held: None,
            consecutive_failures: 0,
            quarantined_until: None,
            next_quarantine: settings.quarantine,
            max_failures: settings.max_failures,
        }
    }

    /// Consecutive failed batches that lead to quarantine.
    pub fn max_failures(&self) -> u32 {
        self.max_failures
    }

    /// The health finding that reports this plugin quarantined after `fault` on a batch of
    /// `events`, for `period`.
    pub fn quarantine_finding(&self, fault: &Fault, events: u64, period: Duration, time: i64) -> Detection {
        let name = self.plugin.name();
        let summary = format!(
            "plugin {name:?} {fault} on a batch of {events} event(s), and again on a fresh instance, \
             {} batches in a row; quarantined for {} s",
            self.max_failures,
            period.as_secs()
        );
        Detection {
            plugin: "trailhound".into(),
            plugin_version: env!("CARGO_PKG_VERSION").into(),
            finding: Finding::new(
                "trailhound.plugin-quarantined",
                format!("Plugin {name} quarantined"),
                Severity::High,
            )
            .summary(summary)
            .tag("health")
            .evidence("plugin", name)
            .evidence("fault", fault.to_string())
            .evidence("quarantine_secs", period.as_secs().to_string()),
            related: Vec::new(),
            time,
        }
    }

    pub fn is_quarantined(&mut self) -> bool {
        match self.quarantined_until {
            Some(until) if Instant::now() < until => true,
            Some(_) => {
                tracing::info!(
                    plugin = self.plugin.name(),
                    "quarantine over; the plugin gets a fresh instance"
                );
                self.quarantined_until = None;
                false
            }
            None => false,
        }
    }

    /// Runs `call` on the live instance; on a fault, retries once on a fresh instance.
    pub fn run<T>(
        &mut self,
        runtime: &WasmRuntime,
        settings: &EngineSettings,
        events: u64,
        call: impl Fn(&mut PluginInstance) -> Result<T, Fault>,
    ) -> Outcome<T> {
        if self.is_quarantined() {
            self.stats.events_skipped += events;
            return Outcome::Skipped;
        }
        let mut last = None;
        for attempt in 0..2 {
            match self.attempt(runtime, settings, &call) {
                Ok(value) => {
                    if attempt > 0 {
                        self.stats.recovered += 1;
                    }
                    // Only event batches count: a plugin that fails every batch but survives
                    // ticks is still failing repeatedly.
                    if events > 0 {
                        self.consecutive_failures = 0;
                    }
                    return Outcome::Done(value);
                }
                Err(fault) => {
                    tracing::warn!(plugin = self.plugin.name(), attempt, %fault, "plugin call failed; recreating the instance");
                    self.stats.record(&fault);
                    self.instance = None;
                    last = Some(fault);
                }
            }
        }
        let fault = last.expect("two failed attempts leave a fault");
        self.stats.events_failed += events;
        self.consecutive_failures += 1;
        let mut quarantined = None;
        if self.consecutive_failures >= self.max_failures {
            let period = self.next_quarantine;
            self.quarantined_until = Instant::now().checked_add(period);
            // Doubling stops at the longest quarantine a config may ask for.
            let longest = Duration::from_secs(super::settings::ranges::QUARANTINE_SECS.max);
            self.next_quarantine = period.saturating_mul(2).min(longest.max(period));
            self.consecutive_failures = 0;
            self.stats.quarantines += 1;
            tracing::error!(plugin = self.plugin.name(), %fault, seconds = period.as_secs_f64(), "plugin quarantined");
            quarantined = Some(period);
        }
        Outcome::Failed { fault, quarantined }
    }

    fn attempt<T>(
        &mut self,
        runtime: &WasmRuntime,
        settings: &EngineSettings,
        call: &impl Fn(&mut PluginInstance) -> Result<T, Fault>,
    ) -> Result<T, Fault> {
        if self.instance.is_none() {
            self.instance = Some(self.fresh(runtime, settings)?);
        }
        let instance = self.instance.as_mut().expect("instance was just created");
        let result = call(instance);
        self.stats.peak_memory = self.stats.peak_memory.max(instance.peak_memory());
        result
    }

    /// A new instance, configured, with the held snapshot restored into it. When the plugin
    /// cannot take that snapshot (it refuses it, or faults reading it), it is dropped and the
    /// plugin starts empty on an instance of its own: a refused restore may have left part of
    /// the state behind.
    fn fresh(&mut self, runtime: &WasmRuntime, settings: &EngineSettings) -> Result<PluginInstance, Fault> {
        let start = || {
            PluginInstance::start(&self.plugin, runtime, settings).map_err(|e| match e {
                PluginError::Start { fault, .. } => fault,
                other => Fault::Trap(other.to_string()),
            })
        };
        let mut instance = start()?;
        let Some(state) = self.held.as_deref() else { return Ok(instance) };
        let why = match instance.restore(state) {
            Ok(Ok(())) => return Ok(instance),
            Ok(Err(message)) => message,
            Err(fault) => format!("its restore {fault}"),
        };
        tracing::warn!(plugin = self.plugin.name(), %why, "the plugin cannot restore its state; it starts empty");
        self.held = None;
        self.stats.state.started_empty(why);
        start()
    }

    /// Starts the instance from `state` (a snapshot from the state folder), now rather than at
    /// the first batch, so the run knows at once whether the plugin resumed.
    pub fn resume(&mut self, runtime: &WasmRuntime, settings: &EngineSettings, state: Vec<u8>) {
        self.held = Some(state);
        self.instance = None;
        match self.fresh(runtime, settings) {
            Ok(instance) => {
                if self.held.is_some() {
                    self.stats.state.restored += 1;
                }
                self.instance = Some(instance);
            }
            // The held state stays: the next call starts an instance from it, as after a fault.
            Err(fault) => {
                tracing::warn!(plugin = self.plugin.name(), %fault, "the plugin failed to start to resume its state")
            }
        }
    }

    /// Starts the instance now, from `state` (the snapshot of the version this one replaces)
    /// when there is one, for a reload: unlike [`Supervised::resume`], a plugin that cannot
    /// start, or cannot take the state, is an error, so the reload is refused.
    ///
    /// # Errors
    /// Why the instance could not start or take the state.
    pub fn take_over(
        &mut self,
        runtime: &WasmRuntime,
        settings: &EngineSettings,
        state: Option<Vec<u8>>,
    ) -> Result<(), String> {
        let name = self.plugin.name();
        let mut instance =
            PluginInstance::start(&self.plugin, runtime, settings).map_err(|e| e.to_string())?;
        if let Some(state) = &state {
            match instance.restore(state) {
                Ok(Ok(())) => {}
                Ok(Err(message)) => {
                    return Err(format!(
                        "plugin {name:?} refused the state of the version it replaces: {message}"
                    ))
                }
                Err(fault) => {
                    return Err(format!(
                        "plugin {name:?} {fault} restoring the state of the version it replaces"
                    ))
                }
            }
        }
        self.held = state;
        self.instance = Some(instance);
        Ok(())
    }

    /// The plugin's state now, which this worker then holds: the live instance's snapshot, or
    /// with no live instance (never started, or dropped after a fault) the snapshot held.
    /// `None` when there is no state, or the snapshot faulted (counted; the instance is dropped).
    pub fn snapshot(&mut self) -> Option<Vec<u8>> {
        let Some(instance) = &mut self.instance else { return self.held.clone() };
        match instance.snapshot() {
            Ok(state) => {
                self.held = Some(state);
                self.held.clone()
            }
            Err(fault) => {
                tracing::error!(plugin = self.plugin.name(), %fault, "plugin snapshot failed; its saved state stays as it was");
                self.stats.record(&fault);
                self.stats.state.snapshot_failures += 1;
                self.instance = None;
                None
            }
        }
    }
}
