//! One worker thread: its own instance of every plugin, fed batches of one shard in order.

use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};
use trailhound_sdk::Finding;

use super::lowering::Sent;
use super::plugin::LoadedPlugin;
use super::reload::{PluginSet, Swap};
use super::runtime::WasmRuntime;
use super::shard::{Audience, Routed};
use super::state::cut::Cut;
use super::state::{self, StateDir, WorkerClock};
use super::supervisor::{Outcome, PluginStats, Supervised};
use super::EngineSettings;
use crate::findings::recent::RecentEvents;
use crate::findings::{feedback, Detection, RelatedEvent};
use crate::metrics::{Due, Metrics, PluginView};
use crate::projection::{BatchValues, FieldMap};

/// Work for a worker.
pub enum Job {
    Batch(Vec<Routed>),
    /// The input has been quiet: tick if a tick is due by the time that has passed since
    /// the last batch, so windows close and findings arrive without waiting for more input.
    Idle,
    /// Save the state into this cut now: every batch before this one is done.
    Snapshot(Arc<Cut>),
    /// Run another set of plugins from the next batch on, if every worker can (see
    /// [`super::reload`]).
    Swap(Arc<Swap>),
    /// No more input: run the final tick, save the state into the cut (when the state is
    /// kept) and return the stats.
    Finish(Option<Arc<Cut>>),
}

/// What every worker shares.
#[derive(Clone)]
pub struct Shared {
    pub runtime: Arc<WasmRuntime>,
    pub set: PluginSet,
    pub settings: EngineSettings,
    pub out: Sender<Detection>,
    /// Where state is restored from and saved; none: state lasts as long as the run.
    pub state: Option<Arc<StateDir>>,
    pub metrics: Arc<Metrics>,
}

/// Each plugin this worker ran (every version of it, when it was reloaded) and its stats.
pub type WorkerStats = Vec<(Arc<LoadedPlugin>, PluginStats)>;

/// Starts worker `id`; its handle yields the stats of each plugin it ran.
///
/// # Errors
/// The OS refuses a new thread.
pub fn spawn(
    id: usize,
    shared: Shared,
    jobs: Receiver<Job>,
) -> std::io::Result<std::thread::JoinHandle<WorkerStats>> {
    std::thread::Builder::new().name(format!("worker-{id}")).spawn(move || Worker::new(id, shared).run(jobs))
}

struct Worker {
    id: usize,
    shared: Shared,
    plugins: Vec<(Supervised, FieldMap)>,
    /// The stats of the plugins a reload replaced or removed.
    retired: WorkerStats,
    recent: RecentEvents,
    stream_time: Option<i64>,
    last_tick: Option<i64>,
    /// When the last batch arrived, for idle ticks.
    last_batch: std::time::Instant,
    /// When its counters are next published to the metrics.
    publish: Due,
}

impl Worker {
    fn new(id: usize, shared: Shared) -> Self {
        let mut plugins: Vec<(Supervised, FieldMap)> = shared
            .set
            .plugins
            .iter()
            .map(|(plugin, fields)| (Supervised::new(plugin.clone(), &shared.settings), fields.clone()))
            .collect();
        let mut recent = RecentEvents::new(shared.settings.recent_events);
        let clock = shared.state.as_ref().map_or_else(WorkerClock::default, |state| {
            let supervised = plugins.iter_mut().map(|(s, _)| s);
            state.resume_worker(id, &shared.runtime, &shared.settings, supervised, &mut recent)
        });
        Worker {
            id,
            shared,
            plugins,
            retired: Vec::new(),
            recent,
            stream_time: clock.stream_time,
            last_tick: clock.last_tick,
            last_batch: std::time::Instant::now(),
            publish: Due::default(),
        }
    }

    fn save_state(&mut self, cut: &Arc<Cut>) {
        let clock = WorkerClock { stream_time: self.stream_time, last_tick: self.last_tick };
        state::save_worker(cut, self.id, self.plugins.iter_mut().map(|(s, _)| s), &self.recent, clock);
        cut.saved();
    }

    fn run(mut self, jobs: Receiver<Job>) -> WorkerStats {
        let mut final_cut = None;
        for job in jobs {
            match job {
                Job::Batch(records) => {
                    self.last_batch = std::time::Instant::now();
                    self.batch(records);
                    if let Some(now) = self.stream_time {
                        self.maybe_tick(now);
                    }
                    if self.publish.now() {
                        self.publish();
                    }
                }
                Job::Idle => {
                    // A quiet stream's time goes on with the wall clock since its last event.
                    let quiet = i64::try_from(self.last_batch.elapsed().as_millis()).unwrap_or(i64::MAX);
                    if let Some(now) = self.stream_time {
                        self.maybe_tick(now.saturating_add(quiet));
                    }
                    self.publish();
                }
                Job::Snapshot(cut) => self.save_state(&cut),
                Job::Swap(swap) => self.swap(&swap),
                Job::Finish(cut) => {
                    final_cut = cut;
                    break;
                }
            }
        }
        // The final tick closes windows at the end of this input; the saved schedule leaves it
        // out, so a run that resumes ticks when an uninterrupted one would.
        let scheduled = self.last_tick;
        if let Some(now) = self.stream_time {
            self.tick(now);
        }
        self.last_tick = scheduled;
        if let Some(cut) = final_cut {
            self.save_state(&cut);
        }
        self.publish();
        let running = self.plugins.into_iter().map(|(s, _)| (s.plugin, s.stats));
        self.retired.into_iter().chain(running).collect()
    }

    /// Starts the plugins of the new set this worker does not run yet, each replacing version
    /// from the snapshot of the one it replaces; votes; swaps if every worker could.
    fn swap(&mut self, swap: &Swap) {
        let (runtime, settings) = (&self.shared.runtime, &self.shared.settings);
        let mut started: Vec<Option<Supervised>> = Vec::with_capacity(swap.set.plugins.len());
        let mut failure = None;
        let starting = std::time::Instant::now();
        for (plugin, _) in swap.set.plugins.iter() {
            if self.plugins.iter().any(|(s, _)| Arc::ptr_eq(&s.plugin, plugin)) {
                started.push(None);
                continue;
            }
            let replaced = self.plugins.iter_mut().find(|(s, _)| s.plugin.name() == plugin.name());
            let state = replaced.and_then(|(old, _)| old.snapshot());
            let mut new = Supervised::new(plugin.clone(), settings);
            if let Err(why) = new.take_over(runtime, settings, state) {
                failure = Some(why);
                break;
            }
            started.push(Some(new));
        }
        let voted = swap.vote.send(failure.map_or_else(|| Ok(starting.elapsed()), Err)).is_ok();
        // No decision (the engine went away) is no swap.
        if !voted || !swap.decision.recv().unwrap_or(false) {
            return;
        }
        let mut old = std::mem::take(&mut self.plugins);
        for ((plugin, fields), new) in swap.set.plugins.iter().zip(started) {
            let supervised = match new {
                Some(new) => new,
                None => {
                    let at = old
                        .iter()
                        .position(|(s, _)| Arc::ptr_eq(&s.plugin, plugin))
                        .expect("kept plugin runs");
                    old.swap_remove(at).0
                }
            };
            self.plugins.push((supervised, fields.clone()));
        }
        self.shared.set = swap.set.clone();
        // What is left was replaced or removed. A removed one is drained: its last tick
        // closes its windows. A replaced one handed its state to its successor instead.
        let mut drained = Vec::new();
        for (mut supervised, _) in old {
            let removed = !self.plugins.iter().any(|(s, _)| s.plugin.name() == supervised.plugin.name());
            if let (true, Some(now)) = (removed, self.stream_time) {
                let outcome = supervised.run(runtime, settings, 0, |i| i.on_tick(now));
                let cited = |id: &str| self.recent.get(id);
                collect(outcome, &mut supervised, 0, &cited, Some(now), &mut drained);
            }
            self.retired.push((supervised.plugin, supervised.stats));
        }
        self.send(drained);
    }

    fn batch(&mut self, records: Vec<Routed>) {
        // Only plausible times move the stream (see `clock`).
        let batch_time = records.iter().filter(|r| r.advances).map(|r| r.record.event.time).max();
        self.stream_time = self.stream_time.max(batch_time);
        let produced = self.round(&records, None, &records);
        self.offer(produced, &records);
        // Moved, not cloned: this is the last use of the batch's events.
        for routed in records {
            self.recent.remember(RelatedEvent::from(routed.record.event));
        }
    }

    /// Runs every plugin over the records it is sent (for finding events, `provenance[i]`
    /// lists the plugins record `i` came from, which it is not sent back to); returns the
    /// detections with the plugins each derives from, its own last. Ids the findings cite
    /// are resolved in `context` (the batch of events) and the recent events.
    fn round(
        &mut self,
        records: &[Routed],
        provenance: Option<&[Vec<usize>]>,
        context: &[Routed],
    ) -> Vec<Produced> {
        // Most events of a stream concern no plugin that projects fields.
        let values = BatchValues::evaluate(
            &self.shared.set.projection,
            records.iter().map(|r| {
                let needed = self.plugins.iter().any(|(s, fields)| !fields.is_empty() && sent(&s.plugin, r));
                (&*r.record.raw, needed)
            }),
        );
        let shared = &self.shared;
        let mut produced = Vec::new();
        for (index, (supervised, fields)) in self.plugins.iter_mut().enumerate() {
            let plugin = supervised.plugin.clone();
            let chosen: Vec<usize> = (0..records.len())
                .filter(|&i| sent(&plugin, &records[i]))
                .filter(|&i| provenance.is_none_or(|p| !p[i].contains(&index)))
                .collect();
            if chosen.is_empty() {
                continue;
            }
            let batch: Vec<Sent<'_>> = chosen
                .iter()
                .map(|&i| {
                    let r = &records[i].record;
                    let raw = plugin.info.wants_raw.then_some(&*r.raw);
                    Sent { event: &r.event, fields: values.pick(i, fields), raw }
                })
                .collect();
            let n = batch.len() as u64;
            let started = std::time::Instant::now();
            let outcome = supervised.run(&shared.runtime, &shared.settings, n, |i| i.on_events(&batch));
            if !matches!(outcome, Outcome::Skipped) {
                supervised.stats.batches += 1;
                supervised.stats.events += n;
                supervised.stats.latency.record(started.elapsed());
            }
            let cited = |id: &str| self.recent.cited(context.iter().map(|r| &r.record.event), id);
            let mut detections = Vec::new();
            collect(outcome, supervised, n, &cited, self.stream_time, &mut detections);
            let mut from: Vec<usize> = provenance.map_or_else(Vec::new, |p| {
                let mut from: Vec<usize> = chosen.iter().flat_map(|&i| p[i].iter().copied()).collect();
                from.sort_unstable();
                from.dedup();
                from
            });
            from.push(index);
            produced
                .extend(detections.into_iter().map(|detection| Produced { detection, from: from.clone() }));
        }
        produced
    }

    /// Delivers the detections, and offers them back as finding events to the plugins that
    /// ask for findings, round after round, until no plugin adds one. Each round's findings
    /// derive from one more plugin and none is offered to a plugin it derives from, so there
    /// are at most as many rounds as plugins.
    fn offer(&mut self, mut produced: Vec<Produced>, context: &[Routed]) {
        let wanted = self.plugins.iter().any(|(s, _)| s.plugin.info.wants_findings);
        while !produced.is_empty() {
            if !wanted {
                self.send(produced.into_iter().map(|p| p.detection).collect());
                return;
            }
            let mut events = Vec::with_capacity(produced.len());
            let mut provenance = Vec::with_capacity(produced.len());
            for p in &produced {
                let proving = latest_proving(&p.detection, context);
                let record = feedback::as_record(&p.detection, proving);
                events.push(Routed { record, audience: Audience::All, advances: false });
                provenance.push(p.from.clone());
            }
            self.send(produced.into_iter().map(|p| p.detection).collect());
            produced = self.round(&events, Some(&provenance), context);
        }
    }

    fn maybe_tick(&mut self, now: i64) {
        let due = self.last_tick.is_none_or(|last| now - last >= self.shared.settings.tick_interval_ms);
        if due {
            self.tick(now);
        }
    }

    fn tick(&mut self, now: i64) {
        self.last_tick = Some(now);
        let shared = &self.shared;
        let mut produced = Vec::new();
        for (index, (supervised, _)) in self.plugins.iter_mut().enumerate() {
            let outcome = supervised.run(&shared.runtime, &shared.settings, 0, |i| i.on_tick(now));
            let cited = |id: &str| self.recent.get(id);
            let mut detections = Vec::new();
            collect(outcome, supervised, 0, &cited, Some(now), &mut detections);
            produced
                .extend(detections.into_iter().map(|detection| Produced { detection, from: vec![index] }));
        }
        self.offer(produced, &[]);
    }

    /// Publishes the counters of every plugin version this worker ran to the metrics.
    fn publish(&self) {
        let view = |plugin: &LoadedPlugin, stats: &PluginStats| PluginView {
            name: plugin.name().to_string(),
            version: plugin.info.version.clone(),
            stats: stats.clone(),
        };
        let running = self.plugins.iter().map(|(s, _)| view(&s.plugin, &s.stats));
        let retired = self.retired.iter().map(|(plugin, stats)| view(plugin, stats));
        self.shared.metrics.publish_worker(self.id, running.chain(retired).collect());
    }

    fn send(&self, detections: Vec<Detection>) {
        for detection in detections {
            // The receiver only goes away when the run is being torn down.
            if self.shared.out.send(detection).is_err() {
                break;
            }
        }
    }
}

/// A detection, and the plugins (by index) it derives from, the one that made it last.
struct Produced {
    detection: Detection,
    from: Vec<usize>,
}

/// The latest of the finding's proving events among `context`.
fn latest_proving<'c>(detection: &Detection, context: &'c [Routed]) -> Option<&'c crate::event::Event> {
    let ids = &detection.finding.event_ids;
    context.iter().map(|r| &r.record.event).filter(|e| ids.contains(&e.id)).max_by_key(|e| e.time)
}

/// Whether `plugin` is sent this record: it is in the record's audience and wants its source
/// and action.
fn sent(plugin: &LoadedPlugin, routed: &Routed) -> bool {
    routed.audience.includes(plugin.info.state) && plugin.wants(&routed.record.event)
}

/// Turns a call's outcome into detections: the plugin's findings, or a health finding when
/// the plugin was just quarantined.
fn collect(
    outcome: Outcome<Vec<Finding>>,
    supervised: &mut Supervised,
    events: u64,
    cited: &dyn Fn(&str) -> Option<RelatedEvent>,
    stream_time: Option<i64>,
    out: &mut Vec<Detection>,
) {
    let plugin = &supervised.plugin;
    match outcome {
        Outcome::Done(findings) => {
            supervised.stats.findings += findings.len() as u64;
            for finding in findings {
                let related: Vec<RelatedEvent> =
                    finding.event_ids.iter().filter_map(|id| cited(id)).collect();
                let time = related.iter().map(|r| r.time).max().or(stream_time).unwrap_or_default();
                out.push(Detection {
                    plugin: plugin.name().to_string(),
                    plugin_version: plugin.info.version.clone(),
                    finding,
                    related,
                    time,
                });
            }
        }
        Outcome::Skipped => {}
        Outcome::Failed { quarantined: None, .. } => {}
        Outcome::Failed { fault, quarantined: Some(period) } => {
            out.push(supervised.quarantine_finding(&fault, events, period, stream_time.unwrap_or_default()));
        }
    }
}
