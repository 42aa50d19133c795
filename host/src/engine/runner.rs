//! [`Engine`]: loads the plugins, starts the workers, shards and batches events to them, and
//! collects their statistics when the input ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use trailhound_sdk::StateScope;

use super::clock::{ClockReport, StreamClock};
use super::lineage::Lineage;
use super::plugin::{LoadedPlugin, PluginError, PluginSpec};
use super::reload::{PluginSet, ReloadCounters, Reloader, Request, Swap, SwapTiming};
use super::runtime::WasmRuntime;
use super::shard::{Audience, Routed, Sharder};
use super::state::cut::Cut;
use super::state::lock::StateLock;
use super::state::{self, StateDir, StateReport};
use super::supervisor::PluginStats;
use super::worker::{self, Job, Shared, WorkerStats};
use super::EngineSettings;
use crate::findings::Detection;
use crate::metrics::Metrics;
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
    #[error("{0}")]
    StateInUse(String),
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
    /// How long each applied swap took.
    pub swaps: Vec<SwapTiming>,
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
    metrics: Arc<Metrics>,
    settings: EngineSettings,
    /// The plugins that keep state per resource.
    per_resource: Vec<Arc<LoadedPlugin>>,
    pending: Vec<Vec<Routed>>,
    lineage: Lineage,
    sharder: Sharder,
    clock: StreamClock,
    batch_size: usize,
    state: Option<Arc<StateDir>>,
    /// The last cut begun, until it is committed or abandoned: one at a time.
    cut: Option<Arc<Cut>>,
    /// Where a cut goes once every worker saved it (see [`Engine::deliver_cuts_to`]).
    commits: Option<Sender<Arc<Cut>>>,
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
        let mut state_lock = settings
            .state_dir
            .as_deref()
            .map(StateLock::take)
            .transpose()
            .map_err(EngineError::StateInUse)?;
        let state = settings.state_dir.as_deref().map(|dir| {
            let mut state = StateDir::new(dir, workers_n);
            // Held with the state, so it outlasts the engine until the last cut is committed.
            state.hold(state_lock.take());
            if let Some((saved, stream_time)) = state.resume_engine(settings.lineage_capacity) {
                lineage = saved;
                clock.resume(stream_time);
            }
            Arc::new(state)
        });
        let plugins: Vec<Arc<LoadedPlugin>> = set.loaded().cloned().collect();
        let reloads: Arc<ReloadCounters> = Arc::default();
        let metrics = Arc::new(Metrics::new(workers_n, reloads.clone(), state.clone()));
        let shared = Shared {
            runtime: runtime.clone(),
            set,
            settings: settings.clone(),
            out,
            state: state.clone(),
            metrics: metrics.clone(),
        };
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
            reloads,
            metrics,
            pending: (0..workers_n).map(|_| Vec::with_capacity(settings.batch_size)).collect(),
            lineage,
            sharder: Sharder::new(workers_n),
            clock,
            batch_size: settings.batch_size.max(1),
            state,
            cut: None,
            commits: None,
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
            let outcome = self.swap(request.set).inspect_err(|_| {
                let _ = request.answer.send(Err("a worker stopped during the swap".into()));
            })?;
            match &outcome {
                Ok(held) => self.reloads.applied(SwapTiming { total: started.elapsed(), held: *held }),
                Err(why) => tracing::warn!(%why, "a worker refused the new plugin set"),
            }
            let _ = request.answer.send(outcome.map(drop));
        }
        Ok(())
    }

    /// Every worker finishes the batches it has, then starts `set` and votes; all swap (how
    /// long the longest-held worker stood still), or none (`Ok(Err(why))`).
    ///
    /// # Errors
    /// A worker died.
    fn swap(&mut self, set: PluginSet) -> Result<Result<Duration, String>, EngineError> {
        let n = self.workers.len();
        let (vote, votes) = crossbeam_channel::bounded(n);
        let (decide, decision) = crossbeam_channel::bounded(n);
        let swap = Arc::new(Swap { set: set.clone(), vote, decision });
        for shard in 0..n {
            self.flush(shard)?;
            self.workers[shard]
                .0
                .send(Job::Swap(swap.clone()))
                .map_err(|_| EngineError::WorkerDied(shard))?;
        }
        drop(swap);
        let mut refusal = None;
        let mut voted = 0;
        // When each worker stopped working for the swap: it voted after starting the new
        // versions for this long.
        let mut stood_still = Vec::with_capacity(n);
        while voted < n {
            match votes.recv_timeout(Duration::from_millis(100)) {
                Ok(vote) => {
                    voted += 1;
                    match vote {
                        Ok(starting) => stood_still.push(Instant::now().checked_sub(starting)),
                        Err(why) => refusal = refusal.or(Some(why)),
                    }
                }
                // The workers that voted hold the vote channel while they wait for the
                // decision, so a dead one is found by its thread, not by the channel.
                Err(_) => {
                    if let Some(dead) = self.workers.iter().position(|(_, handle)| handle.is_finished()) {
                        for _ in 0..n {
                            let _ = decide.send(false);
                        }
                        return Err(EngineError::WorkerDied(dead));
                    }
                }
            }
        }
        let commit = refusal.is_none();
        let decided = Instant::now();
        for _ in 0..n {
            let _ = decide.send(commit);
        }
        if let Some(why) = refusal {
            return Ok(Err(why));
        }
        self.plugins = set.loaded().cloned().collect();
        self.per_resource = per_resource(&self.plugins);
        for plugin in &self.plugins {
            if !self.history.iter().any(|p| Arc::ptr_eq(p, plugin)) {
                self.history.push(plugin.clone());
            }
        }
        let held = stood_still.into_iter().flatten().map(|since| decided - since).max().unwrap_or_default();
        Ok(Ok(held))
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
            self.apply_reloads()?;
        }
        Ok(())
    }

    /// The run's live metrics, which the workers publish into.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// The state folder, when the state is kept.
    pub fn state_dir(&self) -> Option<Arc<StateDir>> {
        self.state.clone()
    }

    /// Has every cut, once its workers saved it, sent to `ready` to be committed there (by
    /// delivery, once the findings before it are delivered) instead of committed at once.
    pub fn deliver_cuts_to(&mut self, ready: Sender<Arc<Cut>>) {
        self.commits = Some(ready);
    }

    /// Whether the last cut begun is still being saved or delivered: one at a time.
    pub fn cut_in_flight(&self) -> bool {
        self.cut.as_ref().is_some_and(|cut| !cut.is_done())
    }

    /// A cut at this point of the stream with the reader thread's part saved, `sources` to be
    /// saved with it, going to `ready` once every worker saved (none when no state is kept).
    fn begin_cut(&self, sources: Option<Vec<u8>>, ready: Option<Sender<Arc<Cut>>>) -> Option<Arc<Cut>> {
        let state = self.state.as_ref()?;
        let cut = state.begin_cut(self.clock.now(), sources, ready);
        state::save_engine(&cut, &self.lineage, self.clock.now());
        Some(cut)
    }

    /// Begins a cut of the state at this point of the stream, `sources` saved with it: every
    /// worker saves its own once it has done the batches sent before, and the reader thread
    /// its own now. Nothing when no state is kept; callers wait for [`Engine::cut_in_flight`]
    /// to clear.
    ///
    /// # Errors
    /// A worker died.
    pub fn cut(&mut self, sources: Option<Vec<u8>>) -> Result<(), EngineError> {
        let Some(cut) = self.begin_cut(sources, self.commits.clone()) else { return Ok(()) };
        for shard in 0..self.workers.len() {
            self.flush(shard)?;
            self.workers[shard]
                .0
                .send(Job::Snapshot(cut.clone()))
                .map_err(|_| EngineError::WorkerDied(shard))?;
        }
        self.cut = Some(cut);
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
        self.apply_reloads()
    }

    /// [`Engine::finish_at`] for sources that keep no positions.
    ///
    /// # Errors
    /// A worker died.
    pub fn finish(self) -> Result<EngineReport, EngineError> {
        self.finish_at(None)
    }

    /// Sends what is pending, runs the final tick, waits for the workers and sums their stats.
    /// When the state is kept, a last cut is saved, `sources` with it.
    ///
    /// # Errors
    /// A worker died.
    pub fn finish_at(mut self, sources: Option<Vec<u8>>) -> Result<EngineReport, EngineError> {
        for shard in 0..self.workers.len() {
            self.flush(shard)?;
        }
        // A reload asked for as the input ends is answered: it was not applied.
        while let Ok(request) = self.requests.1.try_recv() {
            let _ = request.answer.send(Err("the run ended first".into()));
        }
        let commits = self.commits.take();
        let last_cut = self.begin_cut(sources, commits);
        let mut totals: Vec<PluginStats> = vec![PluginStats::default(); self.history.len()];
        for (id, (tx, handle)) in self.workers.drain(..).enumerate() {
            let _ = tx.send(Job::Finish(last_cut.clone()));
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
        // The workers saved theirs before they returned; the cut is committed, or on its way
        // to delivery, which commits it (and so completes this report) before it returns.
        let state = self.state.as_ref().map(|state| state.report_now());
        let reloads = ReloadReport {
            applied: self.reloads.applied.load(std::sync::atomic::Ordering::Relaxed),
            refused: self.reloads.refused.load(std::sync::atomic::Ordering::Relaxed),
            swaps: self.reloads.swaps(),
        };
        Ok(EngineReport { plugins, clock: self.clock.report.clone(), state, reloads })
    }
}

/// The plugins that keep state per resource.
fn per_resource(plugins: &[Arc<LoadedPlugin>]) -> Vec<Arc<LoadedPlugin>> {
    plugins.iter().filter(|p| p.info.state == StateScope::Resource).cloned().collect()
}
