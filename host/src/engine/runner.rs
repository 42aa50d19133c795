//! [`Engine`]: loads the plugins, starts the workers, shards and batches events to them, and
//! collects their statistics when the input ends.

use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::Sender;
use trailhound_sdk::StateScope;

use super::clock::{ClockReport, StreamClock};
use super::lineage::Lineage;
use super::plugin::{LoadedPlugin, PluginError, PluginSpec};
use super::reload::{PluginSet, ReloadCounters, Reloader, Request, Swap};
use super::runtime::WasmRuntime;
use super::shard::{Audience, Routed, Sharder};
use super::state::{StateDir, StateReport};
use super::supervisor::PluginStats;
use super::worker::{self, Job, Shared, WorkerStats};
use super::EngineSettings;
use crate::findings::Detection;
use crate::projection::ProjectionError;
use crate::record::Record;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot start the WebAssembly runtime: {0}")]
    Runtime(String),
    #[error(transparent)]
    Plugin(#[from] PluginError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("worker {0} stopped unexpectedly")]
    WorkerDied(usize),
}

/// One plugin's totals over the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginReport {
    pub name: String,
    pub version: String,
    /// The compiled component came from the on-disk cache.
    pub from_cache: bool,
    /// A reload replaced or removed this version before the end of the run.
    pub retired: bool,
    pub stats: PluginStats,
}

impl PluginReport {
    pub fn quarantined(&self) -> bool {
        self.stats.quarantines > 0
    }
}

/// Totals over the run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineReport {
    pub plugins: Vec<PluginReport>,
    /// What the stream clock made of the event times.
    pub clock: ClockReport,
    /// What was restored from and saved into the state folder, when there is one.
    pub state: Option<StateReport>,
    pub reloads: ReloadReport,
}

/// The reloads of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadReport {
    pub applied: u64,
    pub refused: u64,
    /// How long each applied swap held the stream.
    pub swap_latencies: Vec<std::time::Duration>,
}

/// The running engine.
pub struct Engine {
    // Declared before `runtime` so workers are joined before the epoch ticker stops.
    workers: Vec<(Sender<Job>, std::thread::JoinHandle<WorkerStats>)>,
    plugins: Vec<Arc<LoadedPlugin>>,
    /// Every plugin version the run has loaded, in order: the report has a row for each.
    history: Vec<Arc<LoadedPlugin>>,
    /// Sets prepared by a [`Reloader`], swapped in at the next batch boundary.
    requests: (Sender<Request>, crossbeam_channel::Receiver<Request>),
    reloads: Arc<ReloadCounters>,
    settings: EngineSettings,
    /// The plugins that keep state per resource.
    per_resource: Vec<Arc<LoadedPlugin>>,
    pending: Vec<Vec<Routed>>,
    lineage: Lineage,
    sharder: Sharder,
    clock: StreamClock,
    batch_size: usize,
    state: Option<Arc<StateDir>>,
    snapshot_interval: std::time::Duration,
    /// When the state is next saved (wall clock), checked between batches.
    next_snapshot: Instant,
    runtime: Arc<WasmRuntime>,
}

impl Engine {
    /// Loads every plugin and starts the workers; detections go to `out`.
    ///
    /// # Errors
    /// A plugin cannot be loaded or configured, or its field paths are invalid.
    pub fn start(
        settings: EngineSettings,
        specs: Vec<PluginSpec>,
        out: Sender<Detection>,
    ) -> Result<Self, EngineError> {
        let runtime =
            Arc::new(WasmRuntime::new(&settings).map_err(|e| EngineError::Runtime(format!("{e:#}")))?);
        let set = PluginSet::prepare(specs, &[], &runtime, &settings)?;
        let workers_n = settings.workers.max(1);
        let mut lineage = Lineage::new(settings.lineage_capacity);
        let mut clock = StreamClock::new(settings.time_skew);
        let state = settings.state_dir.as_deref().map(|dir| {
            let mut state = StateDir::new(dir, workers_n);
            if let Some((saved, stream_time)) = state.resume_engine(settings.lineage_capacity) {
                lineage = saved;
                clock.resume(stream_time);
            }
            Arc::new(state)
        });
        let plugins: Vec<Arc<LoadedPlugin>> = set.loaded().cloned().collect();
        let shared =
            Shared { runtime: runtime.clone(), set, settings: settings.clone(), out, state: state.clone() };
        let mut workers = Vec::with_capacity(workers_n);
        for id in 0..workers_n {
            let (tx, rx) = crossbeam_channel::bounded(settings.queued_batches_per_worker);
            let handle =
                worker::spawn(id, shared.clone(), rx).map_err(|e| EngineError::Runtime(e.to_string()))?;
            workers.push((tx, handle));
        }
        Ok(Engine {
            workers,
            per_resource: per_resource(&plugins),
            history: plugins.clone(),
            plugins,
            requests: crossbeam_channel::unbounded(),
            reloads: Arc::default(),
            pending: (0..workers_n).map(|_| Vec::with_capacity(settings.batch_size)).collect(),
            lineage,
            sharder: Sharder::new(workers_n),
            clock,
            batch_size: settings.batch_size.max(1),
            state,
            snapshot_interval: settings.snapshot_interval,
            next_snapshot: Instant::now() + settings.snapshot_interval,
            settings,
            runtime,
        })
    }

    pub fn plugins(&self) -> &[Arc<LoadedPlugin>] {
        &self.plugins
    }

    /// A handle that prepares new plugin sets on its caller's thread and has this engine swap
    /// them in (see [`super::reload`]). One at a time: it diffs against the set it last made.
    pub fn reloader(&self) -> Reloader {
        Reloader::new(
            self.runtime.clone(),
            self.settings.clone(),
            self.plugins.clone(),
            self.requests.0.clone(),
            self.reloads.clone(),
        )
    }

    /// Swaps in the sets reloaders have prepared, if any, between two batches.
    fn apply_reloads(&mut self) -> Result<(), EngineError> {
        while let Ok(request) = self.requests.1.try_recv() {
            let started = Instant::now();
            let outcome = self.swap(request.set);
            match &outcome {
                Ok(()) => self.reloads.applied(started.elapsed()),
                Err(Some(why)) => tracing::warn!(%why, "a worker refused the new plugin set"),
                Err(None) => return Err(EngineError::WorkerDied(0)),
            }
            let _ = request.answer.send(outcome.map_err(Option::unwrap_or_default));
        }
        Ok(())
    }

    /// Every worker finishes the batches it has, then starts `set` and votes; all swap, or
    /// none. `Err(None)`: a worker has died.
    fn swap(&mut self, set: PluginSet) -> Result<(), Option<String>> {
        let n = self.workers.len();
        let (vote, votes) = crossbeam_channel::bounded(n);
        let (decide, decision) = crossbeam_channel::bounded(n);
        let swap = Arc::new(Swap { set: set.clone(), vote, decision });
        for shard in 0..n {
            self.flush(shard).map_err(|_| None)?;
            self.workers[shard].0.send(Job::Swap(swap.clone())).map_err(|_| None)?;
        }
        drop(swap);
        let mut refusal = None;
        for _ in 0..n {
            match votes.recv() {
                Ok(Ok(())) => {}
                Ok(Err(why)) => refusal = refusal.or(Some(why)),
                Err(_) => return Err(None),
            }
        }
        let commit = refusal.is_none();
        for _ in 0..n {
            let _ = decide.send(commit);
        }
        if let Some(why) = refusal {
            return Err(Some(why));
        }
        self.plugins = set.loaded().cloned().collect();
        self.per_resource = per_resource(&self.plugins);
        for plugin in &self.plugins {
            if !self.history.iter().any(|p| Arc::ptr_eq(p, plugin)) {
                self.history.push(plugin.clone());
            }
        }
        Ok(())
    }

    /// Queues one record for its actor's worker, and for its resource's worker when a plugin
    /// keeping state per resource wants it and that is another worker; blocks when a worker
    /// is behind.
    ///
    /// # Errors
    /// The worker has died (a bug: plugin faults are contained inside it).
    pub fn submit(&mut self, mut record: Record) -> Result<(), EngineError> {
        let advances = if record.time_missing {
            record.event.time = self.clock.missing();
            false
        } else {
            self.clock.observe(record.event.time, &record.origin)
        };
        self.lineage.trace(&mut record);
        let by_actor = self.sharder.assign(&record);
        let by_resource = self
            .per_resource
            .iter()
            .any(|p| p.wants(&record.event))
            .then(|| self.sharder.resource_worker(&record))
            .flatten()
            .filter(|worker| *worker != by_actor);
        match by_resource {
            None => self.queue(by_actor, Routed { record, audience: Audience::All, advances }),
            Some(other) => {
                let copy = Routed { record: record.clone(), audience: Audience::ByResource, advances };
                self.queue(other, copy)?;
                self.queue(by_actor, Routed { record, audience: Audience::ByActor, advances })
            }
        }
    }

    fn queue(&mut self, shard: usize, routed: Routed) -> Result<(), EngineError> {
        self.pending[shard].push(routed);
        if self.pending[shard].len() >= self.batch_size {
            self.flush(shard)?;
            self.snapshot_if_due()?;
            self.apply_reloads()?;
        }
        Ok(())
    }

    /// Saves the state when the interval has passed: every worker saves its own once it has
    /// done the batches sent before, and the reader thread its own, all at one point of the
    /// stream.
    fn snapshot_if_due(&mut self) -> Result<(), EngineError> {
        let Some(state) = self.state.clone() else { return Ok(()) };
        if Instant::now() < self.next_snapshot {
            return Ok(());
        }
        for shard in 0..self.workers.len() {
            self.flush(shard)?;
            self.workers[shard].0.send(Job::Snapshot).map_err(|_| EngineError::WorkerDied(shard))?;
        }
        state.save_engine(&self.lineage, self.clock.now());
        self.next_snapshot = Instant::now() + self.snapshot_interval;
        Ok(())
    }

    fn flush(&mut self, shard: usize) -> Result<(), EngineError> {
        if self.pending[shard].is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.pending[shard], Vec::with_capacity(self.batch_size));
        self.workers[shard].0.send(Job::Batch(batch)).map_err(|_| EngineError::WorkerDied(shard))
    }

    /// The input is quiet: sends the partial batches now rather than when they fill, and lets
    /// every worker tick if a tick is due, so findings arrive within a bounded delay.
    ///
    /// # Errors
    /// A worker died.
    pub fn idle(&mut self) -> Result<(), EngineError> {
        for shard in 0..self.workers.len() {
            self.flush(shard)?;
            self.workers[shard].0.send(Job::Idle).map_err(|_| EngineError::WorkerDied(shard))?;
        }
        self.snapshot_if_due()?;
        self.apply_reloads()
    }

    /// Sends what is pending, runs the final tick, waits for the workers and sums their stats.
    ///
    /// # Errors
    /// A worker died.
    pub fn finish(mut self) -> Result<EngineReport, EngineError> {
        for shard in 0..self.workers.len() {
            self.flush(shard)?;
        }
        // A reload asked for as the input ends is answered: it was not applied.
        while let Ok(request) = self.requests.1.try_recv() {
            let _ = request.answer.send(Err("the run ended first".into()));
        }
        let mut totals: Vec<PluginStats> = vec![PluginStats::default(); self.history.len()];
        for (id, (tx, handle)) in self.workers.drain(..).enumerate() {
            let _ = tx.send(Job::Finish);
            drop(tx);
            let stats = handle.join().map_err(|_| EngineError::WorkerDied(id))?;
            for (plugin, s) in &stats {
                if let Some(at) = self.history.iter().position(|p| Arc::ptr_eq(p, plugin)) {
                    totals[at].merge(s);
                }
            }
        }
        let plugins = self
            .history
            .iter()
            .zip(totals)
            .map(|(p, stats)| PluginReport {
                name: p.name().to_string(),
                version: p.info.version.clone(),
                from_cache: p.from_cache,
                retired: !self.plugins.iter().any(|running| Arc::ptr_eq(running, p)),
                stats,
            })
            .collect();
        // The workers saved theirs before they returned.
        let state = self.state.as_ref().map(|state| state.finish(&self.lineage, self.clock.now()));
        let reloads = ReloadReport {
            applied: self.reloads.applied.load(std::sync::atomic::Ordering::Relaxed),
            refused: self.reloads.refused.load(std::sync::atomic::Ordering::Relaxed),
            swap_latencies: self.reloads.swap_latencies(),
        };
        Ok(EngineReport { plugins, clock: self.clock.report.clone(), state, reloads })
    }
}

/// The plugins that keep state per resource.
fn per_resource(plugins: &[Arc<LoadedPlugin>]) -> Vec<Arc<LoadedPlugin>> {
    plugins.iter().filter(|p| p.info.state == StateScope::Resource).cloned().collect()
}
