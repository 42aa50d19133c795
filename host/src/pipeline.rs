//! The pipeline: sources → normalize → engine → sinks, and the run's counters.
//!
//! The calling thread reads and decodes; a pool of threads normalizes and enriches
//! ([`crate::normalize::pool`], one thread per worker), handing the records back in stream
//! order for lineage and sharding; the engine's workers run the plugins; one delivery thread
//! hands detections to the sinks, so a slow sink slows the run instead of
//! growing a queue (the channel between them is bounded).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use trailhound_sdk::Severity;

use crate::decode::Limits;
use crate::engine::{Engine, EngineError, EngineReport, EngineSettings, PluginSpec};
use crate::findings::delivery::{deliver, Delivered, Outputs, Rewire};
use crate::findings::Detection;
use crate::merge::Merge;
use crate::metrics::{Due, Metrics, ReaderView, SinkView};
use crate::normalize::pool::{Outcome, Pool};
use crate::normalize::{Normalized, SourceType};
use crate::record::Malformed;
use crate::sinks::Sink;
use crate::sources::{self, Input, Item, SourceError};

/// Malformed records kept verbatim for the summary; the rest are only counted (and logged).
const MALFORMED_SAMPLES: usize = 20;

/// Called with the running count of events read, for a progress display.
pub type Progress<'a> = &'a mut dyn FnMut(u64);

/// What a run did.
#[derive(Debug, Default)]
pub struct RunSummary {
    pub events: u64,
    /// Events by log source (`aws-cloudtrail`, `gcp-audit`, ...).
    pub events_by_source: BTreeMap<&'static str, u64>,
    /// Events by provider (`aws`, `gcp`, `azure`, `kubernetes`, `host`), as the normalizers
    /// name it.
    pub events_by_provider: BTreeMap<String, u64>,
    /// Records recognised as not being events (a CloudTrail digest file), by what they are.
    pub skipped: BTreeMap<&'static str, u64>,
    pub malformed: u64,
    /// Events of several inputs that could not be merged in time order (older than events
    /// already handed on when the merge was full): delivered late.
    pub late: u64,
    /// The first malformed records, with file and line or record index.
    pub malformed_samples: Vec<Malformed>,
    /// Inputs that could not be read at all.
    pub unreadable: Vec<String>,
    pub findings_by_severity: BTreeMap<Severity, u64>,
    /// Findings held back by throttling (`[throttle]`).
    pub findings_suppressed: u64,
    /// Findings no route took (`[[routes]]`).
    pub findings_unrouted: u64,
    /// Deliveries a sink refused (a finding refused by two sinks counts twice).
    pub sink_failures: u64,
    /// Findings that did not reach every sink.
    pub findings_lost: u64,
    /// The first of those errors, verbatim.
    pub sink_errors: Vec<String>,
    /// What each sink was handed and failed, in config order.
    pub sinks: Vec<SinkView>,
    pub engine: EngineReport,
    pub elapsed: Duration,
}

impl RunSummary {
    pub fn findings(&self) -> u64 {
        self.findings_by_severity.values().sum()
    }

    /// Events per second over the whole run.
    pub fn rate(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Why a run could not take place at all. Per-record and per-input problems are not errors:
/// they are counted in the [`RunSummary`].
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("the delivery thread stopped unexpectedly")]
    Delivery,
    #[error("cannot start the normalizer threads: {0}")]
    Threads(std::io::Error),
}

/// Runs every input through the plugins into the sinks, then finishes.
///
/// # Errors
/// The plugins cannot be loaded, or a worker dies.
pub fn run(
    inputs: &[Input],
    settings: EngineSettings,
    reading: Reading,
    plugins: Vec<PluginSpec>,
    sinks: Vec<Box<dyn Sink>>,
    progress: Progress<'_>,
) -> Result<RunSummary, RunError> {
    let mut pipeline = Pipeline::start(settings, plugins, sinks)?.with_limits(reading.limits);
    if inputs.len() > 1 {
        pipeline.merge = Some(Merge::new(crate::merge::BUDGET_BYTES));
    }
    for input in inputs {
        pipeline.ingest(input, reading.source_type, progress)?;
        pipeline.checkpoint_if_due(|| None)?;
    }
    progress(pipeline.summary.events);
    pipeline.finish()
}

/// How inputs are read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reading {
    pub limits: Limits,
    /// Every record is of this source (`--source-type`); `None` recognises each record's.
    pub source_type: Option<SourceType>,
}

/// A running pipeline: inputs can be ingested one after another (as a folder watcher finds
/// them) until [`Pipeline::finish`].
pub struct Pipeline {
    engine: Engine,
    delivery: std::thread::JoinHandle<Delivered>,
    /// Where changed outputs go to the delivery thread.
    rewirer: Sender<Rewire>,
    summary: RunSummary,
    limits: Limits,
    normalizers: Pool,
    /// Merges several inputs in time order (see [`crate::merge`]); `None` passes records on
    /// as they are read.
    merge: Option<Merge>,
    metrics: Arc<Metrics>,
    /// When the reader's counters are next published to the metrics.
    publish: Due,
    /// Where the state is kept, if it is: its report is complete once delivery is done.
    state: Option<Arc<crate::engine::state::StateDir>>,
    checkpoint_interval: Duration,
    /// When the next cut of the state is due (wall clock).
    next_checkpoint: Instant,
    started: Instant,
}

impl Pipeline {
    /// Loads the plugins and starts the workers and the delivery thread.
    ///
    /// # Errors
    /// A plugin cannot be loaded.
    pub fn start(
        settings: EngineSettings,
        plugins: Vec<PluginSpec>,
        outputs: impl Into<Outputs>,
    ) -> Result<Self, RunError> {
        let outputs = outputs.into();
        let started = Instant::now();
        let (tx, rx) = crossbeam_channel::bounded::<Detection>(settings.detection_queue);
        let normalizers = Pool::start(settings.workers).map_err(RunError::Threads)?;
        let checkpoint_interval = settings.checkpoint_interval;
        let mut engine = Engine::start(settings, plugins, tx)?;
        let (cuts_tx, cuts) = crossbeam_channel::unbounded();
        engine.deliver_cuts_to(cuts_tx);
        let (rewirer, rewires) = crossbeam_channel::unbounded();
        let metrics = engine.metrics();
        let published = metrics.clone();
        let delivery = std::thread::Builder::new()
            .name("delivery".into())
            .spawn(move || deliver(rx, cuts, rewires, outputs, &published))
            .map_err(|_| RunError::Delivery)?;
        Ok(Pipeline {
            metrics,
            publish: Due::default(),
            state: engine.state_dir(),
            checkpoint_interval,
            next_checkpoint: started + checkpoint_interval,
            engine,
            delivery,
            rewirer,
            summary: RunSummary::default(),
            limits: Limits::default(),
            normalizers,
            merge: None,
            started,
        })
    }

    /// Reads inputs within these bounds (default: [`Limits::default`]).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Reads one input to its end, every record as of the `forced` source type (`None`: each
    /// record's is recognised). An unreadable input is counted in the summary, not an error.
    ///
    /// # Errors
    /// A worker died.
    pub fn ingest(
        &mut self,
        input: &Input,
        forced: Option<SourceType>,
        progress: Progress<'_>,
    ) -> Result<(), RunError> {
        let limits = self.limits;
        let mut failure: Option<RunError> = None;
        let result = sources::read(input, limits, &mut |item| {
            if failure.is_none() {
                match self.take(item, forced) {
                    Ok(()) if self.summary.events.is_multiple_of(4096) => progress(self.summary.events),
                    Ok(()) => {}
                    Err(e) => failure = Some(e),
                }
            }
        });
        if let Err(e) = result {
            self.note_unreadable(&e);
        }
        failure.map_or(Ok(()), Err)
    }

    /// Takes one decoded item (from a source read elsewhere, e.g. stdin on its own thread),
    /// to be read as of the `forced` source type (`None`: recognised).
    ///
    /// # Errors
    /// A worker died.
    pub fn take(&mut self, item: Item, forced: Option<SourceType>) -> Result<(), RunError> {
        let (engine, summary, merge) = (&mut self.engine, &mut self.summary, &mut self.merge);
        self.normalizers.push(item, forced, &mut |outcome| submit(engine, summary, merge, outcome))?;
        // Looking at the clock every record would cost more than the counting.
        if self.summary.events.is_multiple_of(256) && self.publish.now() {
            self.publish();
        }
        Ok(())
    }

    /// Publishes the reader's counters to the metrics.
    fn publish(&self) {
        let summary = &self.summary;
        self.metrics.publish_reader(ReaderView {
            events_by_source: summary.events_by_source.clone(),
            events_by_provider: summary.events_by_provider.clone(),
            malformed: summary.malformed,
            late: summary.late,
            unreadable: summary.unreadable.len() as u64,
        });
    }

    /// When more than `seen` cuts of the state were committed: how many, and how far the
    /// sources were read at the last (see
    /// [`crate::engine::state::StateReport::sources_committed`]).
    pub fn committed_since(&self, seen: u64) -> Option<(u64, Option<Vec<u8>>)> {
        self.state.as_ref()?.committed_since(seen)
    }

    /// The run's live metrics.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// Hands every record taken so far to the engine, normalized.
    fn drain(&mut self) -> Result<(), RunError> {
        let (engine, summary, merge) = (&mut self.engine, &mut self.summary, &mut self.merge);
        self.normalizers.flush(&mut |outcome| submit(engine, summary, merge, outcome))?;
        if let Some(merge) = &mut self.merge {
            merge.flush(&mut |record| engine.submit(record))?;
            summary.late = merge.late;
        }
        Ok(())
    }

    /// The input is quiet: partial batches go to the plugins now, and due ticks run.
    ///
    /// # Errors
    /// A worker died.
    pub fn idle(&mut self) -> Result<(), RunError> {
        self.drain()?;
        self.publish();
        Ok(self.engine.idle()?)
    }

    /// Counts one record that could not be read (e.g. a file's incomplete tail at shutdown).
    pub fn note_malformed(&mut self, bad: Malformed) {
        note_malformed(&mut self.summary, bad);
    }

    /// A handle that swaps other plugins in while the pipeline runs (see
    /// [`crate::engine::reload`]).
    pub fn reloader(&self) -> crate::engine::Reloader {
        self.engine.reloader()
    }

    /// Where changed outputs go while the pipeline runs: each is applied between two findings
    /// (see [`crate::findings::delivery::Rewire`]).
    pub fn rewirer(&self) -> Sender<Rewire> {
        self.rewirer.clone()
    }

    /// The counters so far.
    pub fn summary(&self) -> &RunSummary {
        &self.summary
    }

    /// How far the sources were read at the cut the state was restored from, as they saved
    /// it; none when there is no such cut, or it holds no positions.
    pub fn resumed_sources(&self) -> Option<Vec<u8>> {
        self.state.as_ref()?.resume_sources()
    }

    /// When the state is kept and `checkpoint_interval` has passed, cuts it here: everything
    /// taken so far goes to the engine first, so `sources` (called only then: how far the
    /// sources were read) is the point of the stream the cut is at. The cut is committed once
    /// the findings before it are delivered.
    ///
    /// # Errors
    /// A worker died.
    pub fn checkpoint_if_due(&mut self, sources: impl FnOnce() -> Option<Vec<u8>>) -> Result<(), RunError> {
        // While the last cut is in flight, nothing is drained or serialised for a new one.
        if self.state.is_none() || Instant::now() < self.next_checkpoint || self.engine.cut_in_flight() {
            return Ok(());
        }
        self.drain()?;
        self.engine.cut(sources())?;
        self.next_checkpoint = Instant::now() + self.checkpoint_interval;
        Ok(())
    }

    /// [`Pipeline::finish_at`] for sources that keep no positions.
    ///
    /// # Errors
    /// A worker or the delivery thread died.
    pub fn finish(self) -> Result<RunSummary, RunError> {
        self.finish_at(None)
    }

    /// Flushes pending batches, runs the final tick, waits for delivery, and reports. When the
    /// state is kept, a last cut is taken with `sources` (how far the sources were read).
    ///
    /// # Errors
    /// A worker or the delivery thread died.
    pub fn finish_at(mut self, sources: Option<Vec<u8>>) -> Result<RunSummary, RunError> {
        self.drain()?;
        self.publish();
        self.summary.engine = self.engine.finish_at(sources)?;
        let delivered = self.delivery.join().map_err(|_| RunError::Delivery)?;
        // Delivery committed the last cut (or gave it up) before it returned.
        if let Some(state) = &self.state {
            self.summary.engine.state = Some(state.report_now());
        }
        self.summary.findings_by_severity = delivered.by_severity;
        self.summary.findings_suppressed = delivered.suppressed;
        self.summary.findings_unrouted = delivered.unrouted;
        self.summary.sink_failures = delivered.failures;
        self.summary.findings_lost = delivered.lost;
        self.summary.sink_errors = delivered.errors;
        self.summary.sinks = delivered.sinks;
        self.summary.elapsed = self.started.elapsed();
        Ok(self.summary)
    }
}

/// One record, normalized off this thread, counted and handed to the engine (through the
/// merge, when there is one).
fn submit(
    engine: &mut Engine,
    summary: &mut RunSummary,
    merge: &mut Option<Merge>,
    outcome: Outcome,
) -> Result<(), RunError> {
    match outcome {
        Ok(Normalized::Event(record)) => {
            summary.events += 1;
            let source = SourceType::parse(&record.event.source).map_or("other", SourceType::name);
            *summary.events_by_source.entry(source).or_default() += 1;
            // Looked up before inserting, so counting costs no allocation per event.
            match summary.events_by_provider.get_mut(&record.event.provider) {
                Some(n) => *n += 1,
                None => {
                    summary.events_by_provider.insert(record.event.provider.clone(), 1);
                }
            }
            match merge {
                Some(merge) => merge.push(record, &mut |record| engine.submit(record))?,
                None => engine.submit(record)?,
            }
        }
        Ok(Normalized::Skipped { origin, reason }) => {
            tracing::debug!(%origin, reason, "skipped a record that is not an event");
            *summary.skipped.entry(reason).or_default() += 1;
        }
        Err(bad) => note_malformed(summary, bad),
    }
    Ok(())
}

fn note_malformed(summary: &mut RunSummary, bad: Malformed) {
    tracing::warn!(origin = %bad.origin, reason = %bad.reason, "malformed record");
    summary.malformed += 1;
    if summary.malformed_samples.len() < MALFORMED_SAMPLES {
        summary.malformed_samples.push(bad);
    }
}

impl Pipeline {
    /// Counts an input (or a folder) that could not be read; the run goes on.
    pub fn note_unreadable(&mut self, error: &SourceError) {
        tracing::error!(%error, "input unreadable");
        self.summary.unreadable.push(error.to_string());
    }
}
