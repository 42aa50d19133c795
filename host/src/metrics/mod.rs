//! Live metrics of a run, rendered in the Prometheus text format (see [`server`] for the
//! `/metrics`, `/healthz` and `/readyz` endpoints).
//!
//! The threads that count keep counting in their own structures, as they do for the run's
//! summary; each publishes a copy here at most every [`PUBLISH_EVERY`] (and when it goes
//! quiet), so a scrape costs the hot path nothing but that copy. What a scrape shows is at
//! most that old.

pub mod histogram;
pub mod server;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use trailhound_sdk::Severity;

use crate::engine::reload::ReloadCounters;
use crate::engine::state::StateDir;
use crate::engine::supervisor::PluginStats;
use crate::findings::ocsf::severity_label;
use crate::sources::http::Counts as HttpCounts;

/// How often a counting thread publishes its copy.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(500);

/// When a thread's next publication is due.
#[derive(Debug)]
pub struct Due(Instant);

impl Default for Due {
    fn default() -> Self {
        Due(Instant::now())
    }
}

impl Due {
    /// Whether a publication is due now; if so, the next is due [`PUBLISH_EVERY`] later.
    pub fn now(&mut self) -> bool {
        let now = Instant::now();
        if now < self.0 {
            return false;
        }
        self.0 = now + PUBLISH_EVERY;
        true
    }
}

/// What the reader thread counted.
#[derive(Debug, Clone, Default)]
pub struct ReaderView {
    pub events_by_source: BTreeMap<&'static str, u64>,
    pub events_by_provider: BTreeMap<String, u64>,
    pub malformed: u64,
    pub late: u64,
    pub unreadable: u64,
}

/// One plugin version's counters on one worker.
#[derive(Debug, Clone)]
pub struct PluginView {
    pub name: String,
    pub version: String,
    pub stats: PluginStats,
}

/// One sink's counters.
#[derive(Debug, Clone, Default)]
pub struct SinkView {
    pub label: String,
    pub delivered: u64,
    pub failures: u64,
    /// Its own queue's counts, for the queued sinks.
    pub progress: crate::sinks::SinkProgress,
}

/// What delivery counted.
#[derive(Debug, Clone, Default)]
pub struct DeliveryView {
    pub by_severity: BTreeMap<Severity, u64>,
    pub suppressed: u64,
    pub unrouted: u64,
    pub lost: u64,
    /// Findings each route took (`route#i`, by its place in the config).
    pub routes: Vec<u64>,
    pub sinks: Vec<SinkView>,
    /// Detections waiting for delivery.
    pub queue_depth: usize,
}

/// The registry of one run.
#[derive(Debug)]
pub struct Metrics {
    reader: Mutex<ReaderView>,
    workers: Mutex<Vec<Vec<PluginView>>>,
    delivery: Mutex<DeliveryView>,
    reloads: Arc<ReloadCounters>,
    state: Option<Arc<StateDir>>,
    /// The counters of the run's HTTP sources, which count for themselves.
    http: Mutex<Vec<Arc<HttpCounts>>>,
    ready: AtomicBool,
    started: Instant,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A publisher that panicked left a whole copy behind: it only ever replaces it.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Metrics {
    pub fn new(workers: usize, reloads: Arc<ReloadCounters>, state: Option<Arc<StateDir>>) -> Self {
        Metrics {
            reader: Mutex::default(),
            workers: Mutex::new(vec![Vec::new(); workers]),
            delivery: Mutex::default(),
            reloads,
            state,
            http: Mutex::default(),
            ready: AtomicBool::new(false),
            started: Instant::now(),
        }
    }

    pub fn publish_reader(&self, view: ReaderView) {
        *lock(&self.reader) = view;
    }

    pub fn publish_worker(&self, worker: usize, plugins: Vec<PluginView>) {
        if let Some(slot) = lock(&self.workers).get_mut(worker) {
            *slot = plugins;
        }
    }

    pub fn publish_delivery(&self, view: DeliveryView) {
        *lock(&self.delivery) = view;
    }

    /// Adds an HTTP source's counters to what is rendered.
    pub fn add_http(&self, counts: Arc<HttpCounts>) {
        lock(&self.http).push(counts);
    }

    /// Whether the run takes input: its plugins are loaded and its sources open, and it is
    /// not stopping.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// Every metric, in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = Text::default();
        out.gauge(
            "trailhound_up_seconds",
            "Seconds since the run started.",
            &[],
            self.started.elapsed().as_secs_f64(),
        );
        out.gauge(
            "trailhound_ready",
            "1 while the run takes input.",
            &[],
            f64::from(u8::from(self.is_ready())),
        );
        self.render_reader(&mut out);
        self.render_plugins(&mut out);
        self.render_delivery(&mut out);
        self.render_http(&mut out);
        let reloads = &self.reloads;
        out.family("trailhound_reloads_total", "Plugin reloads, by outcome.", "counter");
        out.sample(
            "trailhound_reloads_total",
            &[("outcome", "applied")],
            reloads.applied.load(Ordering::Relaxed) as f64,
        );
        out.sample(
            "trailhound_reloads_total",
            &[("outcome", "refused")],
            reloads.refused.load(Ordering::Relaxed) as f64,
        );
        if let Some(state) = &self.state {
            let report = state.report_now();
            out.counter(
                "trailhound_checkpoints_total",
                "Checkpoints committed.",
                &[],
                report.committed as f64,
            );
            let since = report.committed_at.unwrap_or(self.started).elapsed().as_secs_f64();
            out.gauge(
                "trailhound_checkpoint_lag_seconds",
                "Seconds since the last checkpoint was committed (since the start, before the first).",
                &[],
                since,
            );
            out.counter(
                "trailhound_state_write_failures_total",
                "State files that could not be written.",
                &[],
                report.write_failures as f64,
            );
        }
        out.0
    }

    fn render_reader(&self, out: &mut Text) {
        let reader = lock(&self.reader).clone();
        out.family("trailhound_events_total", "Events read, by log source.", "counter");
        for (source, n) in &reader.events_by_source {
            out.sample("trailhound_events_total", &[("source", source)], *n as f64);
        }
        out.family("trailhound_provider_events_total", "Events read, by provider.", "counter");
        for (provider, n) in &reader.events_by_provider {
            out.sample("trailhound_provider_events_total", &[("provider", provider)], *n as f64);
        }
        out.counter(
            "trailhound_malformed_total",
            "Records that could not be read as events.",
            &[],
            reader.malformed as f64,
        );
        out.counter(
            "trailhound_late_events_total",
            "Events delivered out of time order.",
            &[],
            reader.late as f64,
        );
        out.counter(
            "trailhound_unreadable_inputs_total",
            "Inputs that could not be read at all.",
            &[],
            reader.unreadable as f64,
        );
    }

    fn render_plugins(&self, out: &mut Text) {
        let mut plugins: BTreeMap<(String, String), PluginStats> = BTreeMap::new();
        for view in lock(&self.workers).iter().flatten() {
            plugins.entry((view.name.clone(), view.version.clone())).or_default().merge(&view.stats);
        }
        type Pick = fn(&PluginStats) -> u64;
        let counters: [(&str, &str, Pick); 5] = [
            ("trailhound_plugin_batches_total", "Batches a plugin ran.", |s| s.batches),
            ("trailhound_plugin_events_total", "Events a plugin was sent.", |s| s.events),
            ("trailhound_plugin_findings_total", "Findings a plugin reported.", |s| s.findings),
            ("trailhound_plugin_quarantines_total", "Times a plugin was quarantined.", |s| s.quarantines),
            ("trailhound_plugin_events_skipped_total", "Events a quarantined plugin did not see.", |s| {
                s.events_skipped
            }),
        ];
        for (name, help, pick) in counters {
            out.family(name, help, "counter");
            for ((plugin, version), stats) in &plugins {
                out.sample(name, &[("plugin", plugin), ("version", version)], pick(stats) as f64);
            }
        }
        let errors = "trailhound_plugin_errors_total";
        out.family(errors, "Faulted plugin calls, by kind.", "counter");
        for ((plugin, version), s) in &plugins {
            for (kind, n) in [
                ("timeout", s.timeouts),
                ("out_of_memory", s.out_of_memory),
                ("trap", s.traps),
                ("over_budget", s.over_budget),
            ] {
                out.sample(errors, &[("plugin", plugin), ("version", version), ("kind", kind)], n as f64);
            }
        }
        let latency = "trailhound_plugin_batch_seconds";
        out.family(latency, "How long a plugin took over one batch.", "histogram");
        for ((plugin, version), s) in &plugins {
            let labels = [("plugin", plugin.as_str()), ("version", version.as_str())];
            for (bound, n) in s.latency.cumulative() {
                let le = bound.map_or_else(|| "+Inf".to_string(), |b| b.to_string());
                out.sample(&format!("{latency}_bucket"), &[labels[0], labels[1], ("le", &le)], n as f64);
            }
            out.sample(&format!("{latency}_sum"), &labels, s.latency.sum().as_secs_f64());
            out.sample(&format!("{latency}_count"), &labels, s.latency.count() as f64);
        }
    }

    fn render_http(&self, out: &mut Text) {
        let sources = lock(&self.http).clone();
        if sources.is_empty() {
            return;
        }
        let sum = |pick: fn(&HttpCounts) -> u64| sources.iter().map(|c| pick(c)).sum::<u64>() as f64;
        out.counter(
            "trailhound_http_requests_total",
            "Requests the HTTP sources took.",
            &[],
            sum(|c| c.accepted_requests.load(Ordering::Relaxed)),
        );
        out.counter(
            "trailhound_http_records_total",
            "Records the HTTP sources took.",
            &[],
            sum(|c| c.accepted_records.load(Ordering::Relaxed)),
        );
        let mut refused: BTreeMap<&str, u64> = BTreeMap::new();
        for (reason, n) in sources.iter().flat_map(|c| c.refusals()) {
            *refused.entry(reason).or_insert(0) += n;
        }
        out.family(
            "trailhound_http_refused_total",
            "Requests the HTTP sources refused, by reason.",
            "counter",
        );
        for (reason, n) in refused {
            out.sample("trailhound_http_refused_total", &[("reason", reason)], n as f64);
        }
    }

    fn render_delivery(&self, out: &mut Text) {
        let delivery = lock(&self.delivery).clone();
        out.family("trailhound_findings_total", "Findings the plugins reported, by severity.", "counter");
        for (severity, n) in &delivery.by_severity {
            out.sample("trailhound_findings_total", &[("severity", severity_label(*severity))], *n as f64);
        }
        out.counter(
            "trailhound_findings_suppressed_total",
            "Findings held back by throttling.",
            &[],
            delivery.suppressed as f64,
        );
        out.counter(
            "trailhound_findings_unrouted_total",
            "Findings no route took.",
            &[],
            delivery.unrouted as f64,
        );
        out.counter(
            "trailhound_findings_lost_total",
            "Findings that did not reach every sink.",
            &[],
            delivery.lost as f64,
        );
        let sink_families: [SinkFamily; 5] = [
            ("trailhound_sink_findings_total", "Findings handed to a sink.", "counter", |s| s.delivered),
            ("trailhound_sink_failures_total", "Deliveries or flushes a sink failed.", "counter", |s| {
                s.failures
            }),
            (
                "trailhound_sink_retries_total",
                "Attempts a sink made after a batch's first.",
                "counter",
                |s| s.progress.retries,
            ),
            (
                "trailhound_sink_dead_letters_total",
                "Findings a sink wrote to its dead-letter file.",
                "counter",
                |s| s.progress.dead_lettered,
            ),
            ("trailhound_sink_queue_depth", "Findings waiting in a sink's own queue.", "gauge", |s| {
                s.progress.queued
            }),
        ];
        for (name, help, kind, value) in sink_families {
            out.family(name, help, kind);
            for sink in &delivery.sinks {
                out.sample(name, &[("sink", &sink.label)], value(sink) as f64);
            }
        }
        out.family("trailhound_route_findings_total", "Findings a route took.", "counter");
        for (i, n) in delivery.routes.iter().enumerate() {
            out.sample("trailhound_route_findings_total", &[("route", &format!("route#{i}"))], *n as f64);
        }
        out.gauge(
            "trailhound_delivery_queue_depth",
            "Findings waiting for delivery.",
            &[],
            delivery.queue_depth as f64,
        );
    }
}

/// A metric family with a sample per sink: name, help, type and the value it reads.
type SinkFamily = (&'static str, &'static str, &'static str, fn(&SinkView) -> u64);

/// The text being rendered.
#[derive(Default)]
struct Text(String);

impl Text {
    fn family(&mut self, name: &str, help: &str, kind: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
            let _ = write!(self.0, "{{{}}}", labels.join(","));
        }
        let _ = writeln!(self.0, " {value}");
    }

    fn counter(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        self.family(name, help, "counter");
        self.sample(name, labels, value);
    }

    fn gauge(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        self.family(name, help, "gauge");
        self.sample(name, labels, value);
    }
}

/// A label value as the format wants it: backslash, quote and newline escaped.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_published_is_rendered_with_its_labels_escaped() {
        let metrics = Metrics::new(2, Arc::default(), None);
        let mut reader = ReaderView::default();
        reader.events_by_source.insert("aws-cloudtrail", 7);
        metrics.publish_reader(reader);
        let mut stats = PluginStats { batches: 2, events: 7, ..PluginStats::default() };
        stats.latency.record(Duration::from_micros(700));
        for worker in 0..2 {
            let view = PluginView { name: "odd \"name\"".into(), version: "1".into(), stats: stats.clone() };
            metrics.publish_worker(worker, vec![view]);
        }
        let text = metrics.render();
        assert!(text.contains("trailhound_events_total{source=\"aws-cloudtrail\"} 7\n"), "{text}");
        assert!(
            text.contains("trailhound_plugin_events_total{plugin=\"odd \\\"name\\\"\",version=\"1\"} 14\n"),
            "{text}"
        );
        assert!(text.contains("trailhound_plugin_batch_seconds_bucket{plugin=\"odd \\\"name\\\"\",version=\"1\",le=\"0.001\"} 2\n"), "{text}");
        assert!(text.contains("trailhound_ready 0\n"), "{text}");
        assert!(text.contains("# TYPE trailhound_plugin_batch_seconds histogram\n"), "{text}");
    }
}
