//! One worker thread: its own instance of every plugin, fed batches of one shard in order.

use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};
use trailhound_sdk::{Finding, Severity};

use super::lowering::Sent;
use super::plugin::{Fault, LoadedPlugin};
use super::recent::RecentEvents;
use super::runtime::WasmRuntime;
use super::shard::Routed;
use super::supervisor::{Outcome, PluginStats, Supervised};
use super::EngineSettings;
use crate::findings::{Detection, RelatedEvent};
use crate::projection::{FieldMap, Projection};

/// Work for a worker.
pub enum Job {
    Batch(Vec<Routed>),
    /// The input has been quiet: tick if a tick is due by the time that has passed since
    /// the last batch, so windows close and findings arrive without waiting for more input.
    Idle,
    /// No more input: run the final tick and return the stats.
    Finish,
}

/// What every worker shares.
#[derive(Clone)]
pub struct Shared {
    pub runtime: Arc<WasmRuntime>,
    pub plugins: Arc<[(Arc<LoadedPlugin>, FieldMap)]>,
    pub projection: Arc<Projection>,
    pub settings: EngineSettings,
    pub out: Sender<Detection>,
}

/// Starts worker `id`; its handle yields the stats of each plugin, in plugin order.
///
/// # Errors
/// The OS refuses a new thread.
pub fn spawn(
    id: usize,
    shared: Shared,
    jobs: Receiver<Job>,
) -> std::io::Result<std::thread::JoinHandle<Vec<PluginStats>>> {
    std::thread::Builder::new().name(format!("worker-{id}")).spawn(move || Worker::new(shared).run(jobs))
}

struct Worker {
    shared: Shared,
    plugins: Vec<(Supervised, FieldMap)>,
    recent: RecentEvents,
    stream_time: Option<i64>,
    last_tick: Option<i64>,
    /// When the last batch arrived, for idle ticks.
    last_batch: std::time::Instant,
}

impl Worker {
    fn new(shared: Shared) -> Self {
        let plugins = shared
            .plugins
            .iter()
            .map(|(plugin, fields)| (Supervised::new(plugin.clone(), &shared.settings), fields.clone()))
            .collect();
        let recent = RecentEvents::new(shared.settings.recent_events);
        Worker {
            shared,
            plugins,
            recent,
            stream_time: None,
            last_tick: None,
            last_batch: std::time::Instant::now(),
        }
    }

    fn run(mut self, jobs: Receiver<Job>) -> Vec<PluginStats> {
        for job in jobs {
            match job {
                Job::Batch(records) => {
                    self.last_batch = std::time::Instant::now();
                    self.batch(records);
                    if let Some(now) = self.stream_time {
                        self.maybe_tick(now);
                    }
                }
                Job::Idle => {
                    // A quiet stream's time goes on with the wall clock since its last event.
                    let quiet = i64::try_from(self.last_batch.elapsed().as_millis()).unwrap_or(i64::MAX);
                    if let Some(now) = self.stream_time {
                        self.maybe_tick(now.saturating_add(quiet));
                    }
                }
                Job::Finish => break,
            }
        }
        if let Some(now) = self.stream_time {
            self.tick(now);
        }
        self.plugins.into_iter().map(|(s, _)| s.stats).collect()
    }

    fn batch(&mut self, records: Vec<Routed>) {
        // A record is parsed whole only for projection, and only when a plugin that projects
        // fields is sent it: most events of a stream concern no such plugin.
        let projection = &self.shared.projection;
        let values: Vec<Option<Vec<Option<String>>>> = if projection.is_empty() {
            Vec::new()
        } else {
            records
                .iter()
                .map(|r| {
                    let needed =
                        self.plugins.iter().any(|(s, fields)| !fields.is_empty() && sent(&s.plugin, r));
                    needed.then(|| projection.evaluate(&r.record.raw))
                })
                .collect()
        };
        // Only plausible times move the stream (see `clock`).
        let batch_time = records.iter().filter(|r| r.advances).map(|r| r.record.event.time).max();
        self.stream_time = self.stream_time.max(batch_time);

        let shared = &self.shared;
        let mut detections = Vec::new();
        for (supervised, fields) in &mut self.plugins {
            let plugin = supervised.plugin.clone();
            let batch: Vec<Sent<'_>> = records
                .iter()
                .enumerate()
                .filter(|(_, r)| sent(&plugin, r))
                .map(|(i, Routed { record: r, .. })| {
                    let projected = match &values[..] {
                        [] => Vec::new(),
                        values => fields.pick(values[i].as_deref().unwrap_or_default()),
                    };
                    let raw = plugin.info.wants_raw.then_some(&*r.raw);
                    Sent { event: &r.event, fields: projected, raw }
                })
                .collect();
            if batch.is_empty() {
                continue;
            }
            let n = batch.len() as u64;
            let outcome = supervised.run(&shared.runtime, &shared.settings, n, |i| i.on_events(&batch));
            if !matches!(outcome, Outcome::Skipped) {
                supervised.stats.batches += 1;
                supervised.stats.events += n;
            }
            let cited = Cited { batch: &records, recent: &self.recent };
            collect(outcome, supervised, n, &cited, self.stream_time, &mut detections);
        }
        self.send(detections);
        // Moved, not cloned: this is the last use of the batch's events.
        for routed in records {
            self.recent.remember(RelatedEvent::from(routed.record.event));
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
        let mut detections = Vec::new();
        for (supervised, _) in &mut self.plugins {
            let outcome = supervised.run(&shared.runtime, &shared.settings, 0, |i| i.on_tick(now));
            let cited = Cited { batch: &[], recent: &self.recent };
            collect(outcome, supervised, 0, &cited, Some(now), &mut detections);
        }
        self.send(detections);
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
    cited: &Cited<'_>,
    stream_time: Option<i64>,
    out: &mut Vec<Detection>,
) {
    let max_failures = supervised.max_failures();
    let plugin = &supervised.plugin;
    match outcome {
        Outcome::Done(findings) => {
            supervised.stats.findings += findings.len() as u64;
            for finding in findings {
                let related: Vec<RelatedEvent> =
                    finding.event_ids.iter().filter_map(|id| cited.get(id)).collect();
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
            out.push(quarantine_finding(
                plugin,
                max_failures,
                &fault,
                events,
                period,
                stream_time.unwrap_or_default(),
            ));
        }
    }
}

fn quarantine_finding(
    plugin: &LoadedPlugin,
    plugin_failures: u32,
    fault: &Fault,
    events: u64,
    period: std::time::Duration,
    time: i64,
) -> Detection {
    let name = plugin.name();
    let summary = format!(
        "plugin {name:?} {fault} on a batch of {events} event(s), and again on a fresh instance, \
         {} batches in a row; quarantined for {} s",
        plugin_failures,
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

/// Where the events a finding cites are looked up: the batch being processed (findings are
/// rare, so a scan of it is cheaper than indexing every event up front), then earlier batches.
struct Cited<'a> {
    batch: &'a [Routed],
    recent: &'a RecentEvents,
}

impl Cited<'_> {
    fn get(&self, id: &str) -> Option<RelatedEvent> {
        match self.batch.iter().find(|r| r.record.event.id == id) {
            Some(routed) => Some(RelatedEvent::of(&routed.record.event)),
            None => self.recent.get(id),
        }
    }
}
