//! [`Engine`]: loads the plugins, starts the workers, shards and batches events to them, and
//! collects their statistics when the input ends.

use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::Sender;
use trailhound_sdk::StateScope;

use super::clock::{ClockReport, StreamClock};
use super::lineage::Lineage;
use super::plugin::{LoadedPlugin, PluginError, PluginSpec};
use super::runtime::WasmRuntime;
use super::shard::{Audience, Routed, Sharder};
use super::state::{StateDir, StateReport};
use super::supervisor::PluginStats;
use super::worker::{self, Job, Shared};
use super::EngineSettings;
use crate::findings::Detection;
use crate::projection::{Projection, ProjectionError};
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
}

/// The running engine.
pub struct Engine {
    // Declared before `runtime` so workers are joined before the epoch ticker stops.
    workers: Vec<(Sender<Job>, std::thread::JoinHandle<Vec<PluginStats>>)>,
    plugins: Vec<Arc<LoadedPlugin>>,
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
    _runtime: Arc<WasmRuntime>,
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
        let mut projection = Projection::default();
        let mut plugins = Vec::with_capacity(specs.len());
        for spec in specs {
            let plugin = LoadedPlugin::load(spec, &runtime, &settings)?;
            let fields = projection.register(plugin.name(), &plugin.info.fields)?;
            tracing::info!(
                plugin = plugin.name(),
                version = %plugin.info.version,
                cached = plugin.from_cache,
                fields = plugin.info.fields.len(),
                "plugin loaded"
            );
            plugins.push((Arc::new(plugin), fields));
        }
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
        let shared = Shared {
            runtime: runtime.clone(),
            plugins: plugins.clone().into(),
            projection: Arc::new(projection),
            settings: settings.clone(),
            out,
            state: state.clone(),
        };
        let mut workers = Vec::with_capacity(workers_n);
        for id in 0..workers_n {
            let (tx, rx) = crossbeam_channel::bounded(settings.queued_batches_per_worker);
            let handle =
                worker::spawn(id, shared.clone(), rx).map_err(|e| EngineError::Runtime(e.to_string()))?;
            workers.push((tx, handle));
        }
        let plugins: Vec<Arc<LoadedPlugin>> = plugins.into_iter().map(|(p, _)| p).collect();
        Ok(Engine {
            workers,
            per_resource: plugins.iter().filter(|p| p.info.state == StateScope::Resource).cloned().collect(),
            plugins,
            pending: (0..workers_n).map(|_| Vec::with_capacity(settings.batch_size)).collect(),
            lineage,
            sharder: Sharder::new(workers_n),
            clock,
            batch_size: settings.batch_size.max(1),
            state,
            snapshot_interval: settings.snapshot_interval,
            next_snapshot: Instant::now() + settings.snapshot_interval,
            _runtime: runtime,
        })
    }

    pub fn plugins(&self) -> &[Arc<LoadedPlugin>] {
        &self.plugins
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
        self.snapshot_if_due()
    }

    /// Sends what is pending, runs the final tick, waits for the workers and sums their stats.
    ///
    /// # Errors
    /// A worker died.
    pub fn finish(mut self) -> Result<EngineReport, EngineError> {
        for shard in 0..self.workers.len() {
            self.flush(shard)?;
        }
        let mut totals: Vec<PluginStats> = vec![PluginStats::default(); self.plugins.len()];
        for (id, (tx, handle)) in self.workers.drain(..).enumerate() {
            let _ = tx.send(Job::Finish);
            drop(tx);
            let stats = handle.join().map_err(|_| EngineError::WorkerDied(id))?;
            for (total, s) in totals.iter_mut().zip(&stats) {
                total.merge(s);
            }
        }
        let plugins = self
            .plugins
            .iter()
            .zip(totals)
            .map(|(p, stats)| PluginReport {
                name: p.name().to_string(),
                version: p.info.version.clone(),
                from_cache: p.from_cache,
                stats,
            })
            .collect();
        // The workers saved theirs before they returned.
        let state = self.state.as_ref().map(|state| state.finish(&self.lineage, self.clock.now()));
        Ok(EngineReport { plugins, clock: self.clock.report.clone(), state })
    }
}
