//! Delivery: each detection the engine produces is counted, throttled ([`super::throttle`]),
//! routed ([`super::routes`]) and handed to its sinks; what happened to every one is counted,
//! so none is dropped silently. One broken sink does not stop the others: its failures are
//! counted and logged, and the finding counts as lost.
//!
//! Delivery also commits the cuts of the state (see [`crate::engine::state`]): a cut arrives
//! once every worker saved it, so every finding from before it is already queued here; those
//! are delivered, the sinks flushed, and the cut committed. Once a finding has been lost, no
//! later cut is: a restart reads again from the last cut whose findings all arrived.
//!
//! The outputs can be changed while delivery runs ([`Rewire`], from a reload of the config):
//! between two findings, the sinks kept go on as they are (their queues and connections
//! with them), the new ones start, and each removed one is flushed before it is closed, so
//! a finding it took still reaches it or is counted. Counts are kept by sink label, so a
//! sink that is changed in place counts on.

use std::collections::BTreeMap;
use std::sync::Arc;

use crossbeam_channel::Receiver;

use trailhound_sdk::{Evidence, Severity};

use super::routes::Routes;
use super::throttle::{Throttle, Verdict, SUPPRESSED};
use super::Detection;
use crate::engine::state::cut::Cut;
use crate::metrics::{DeliveryView, Due, Metrics, SinkView, PUBLISH_EVERY};
use crate::sinks::queued::Undelivered;
use crate::sinks::Sink;

/// Sink errors kept verbatim for the summary.
const ERROR_SAMPLES: usize = 20;

/// The sinks, and how findings reach them.
pub struct Outputs {
    pub sinks: Vec<Box<dyn Sink>>,
    /// What logs, the summary and the metrics call each sink: its name, or its type and
    /// place (`webhook#2`).
    pub labels: Vec<String>,
    pub routes: Routes,
    pub throttle: Throttle,
}

/// Every finding to every sink, none throttled.
impl From<Vec<Box<dyn Sink>>> for Outputs {
    fn from(sinks: Vec<Box<dyn Sink>>) -> Self {
        let labels = (0..sinks.len()).map(|i| format!("sink#{i}")).collect();
        Outputs { routes: Routes::everything(sinks.len()), sinks, labels, throttle: Throttle::default() }
    }
}

/// New outputs for a running delivery, in config order (see [`crate::config::Config::rewire`]).
pub struct Rewire {
    pub sinks: Vec<Slot>,
    pub labels: Vec<String>,
    pub routes: Routes,
    /// `None`: the running throttle (and what it holds back) stays.
    pub throttle: Option<Throttle>,
}

/// One sink of a [`Rewire`].
pub enum Slot {
    /// The running sink at this index, as it runs.
    Keep(usize),
    /// A sink opened for the change.
    Open(Box<dyn Sink>),
}

/// What delivery did.
#[derive(Debug, Default)]
pub struct Delivered {
    /// Findings the plugins reported, by severity (suppressed and unrouted ones included).
    pub by_severity: BTreeMap<Severity, u64>,
    /// Held back by throttling (each counted on the next of its key that passed).
    pub suppressed: u64,
    /// Taken by no route.
    pub unrouted: u64,
    /// Deliveries a sink refused (a finding refused by two sinks counts twice).
    pub failures: u64,
    /// Findings that did not reach every sink they were routed to.
    pub lost: u64,
    pub errors: Vec<String>,
    /// A sink failed to flush without saying how many findings it lost with it.
    pub unknown_loss: bool,
    /// Each sink's deliveries and failures, in config order; a sink removed by a
    /// [`Rewire`] stays, after those of the config the run started with.
    pub sinks: Vec<SinkView>,
    /// The index in `sinks` of each running sink.
    active: Vec<usize>,
    /// Findings each route took, in config order.
    pub routes: Vec<u64>,
}

impl Delivered {
    fn failed(&mut self, error: &anyhow::Error) {
        let error = crate::text::chain(error);
        tracing::error!("sink failed: {error}");
        self.failures += 1;
        if self.errors.len() < ERROR_SAMPLES {
            self.errors.push(error);
        }
    }
}

/// Delivers every detection `rx` yields and commits every cut `cuts` yields, until both
/// close, then flushes the sinks. Each [`Rewire`] from `rewires` changes the outputs there
/// and then.
pub fn deliver(
    rx: Receiver<Detection>,
    cuts: Receiver<Arc<Cut>>,
    rewires: Receiver<Rewire>,
    mut outputs: Outputs,
    metrics: &Metrics,
) -> Delivered {
    let mut delivered = Delivered::default();
    delivered.label(&outputs, &[]);
    let mut publish = Due::default();
    let (mut detections, mut cuts, mut rewires) = (Some(rx), Some(cuts), Some(rewires));
    let (no_detections, no_cuts, no_rewires) =
        (crossbeam_channel::never(), crossbeam_channel::never(), crossbeam_channel::never());
    while detections.is_some() || cuts.is_some() {
        crossbeam_channel::select! {
            recv(detections.as_ref().unwrap_or(&no_detections)) -> detection => match detection {
                Ok(detection) => {
                    delivered.one(detection, &mut outputs);
                    if publish.now() {
                        delivered.publish(metrics, detections.as_ref().map_or(0, Receiver::len), &outputs);
                    }
                }
                Err(_) => detections = None,
            },
            recv(cuts.as_ref().unwrap_or(&no_cuts)) -> cut => match cut {
                Ok(cut) => {
                    // What is queued now holds every finding from before the cut.
                    if let Some(rx) = &detections {
                        for detection in rx.try_iter().take(rx.len()) {
                            delivered.one(detection, &mut outputs);
                        }
                    }
                    delivered.flush(&mut outputs);
                    match delivered.loss() {
                        None => {
                            cut.commit();
                        }
                        Some(why) => cut.abandon(&why),
                    }
                    delivered.publish(metrics, detections.as_ref().map_or(0, Receiver::len), &outputs);
                }
                Err(_) => cuts = None,
            },
            recv(rewires.as_ref().unwrap_or(&no_rewires)) -> rewire => match rewire {
                Ok(rewire) => {
                    delivered.rewire(&mut outputs, rewire);
                    delivered.publish(metrics, detections.as_ref().map_or(0, Receiver::len), &outputs);
                }
                Err(_) => rewires = None,
            },
            // A quiet run's last findings show on the metrics, not only once more arrive.
            default(PUBLISH_EVERY) => delivered.publish(metrics, 0, &outputs),
        }
    }
    delivered.flush(&mut outputs);
    delivered.publish(metrics, 0, &outputs);
    delivered
}

impl Delivered {
    /// Points each running sink at its counts: a kept sink (`kept[i]`, the view it counted
    /// into) goes on with its own; another takes up the counts of a sink of its label that
    /// no running sink counts into, or new ones.
    fn label(&mut self, outputs: &Outputs, kept: &[Option<usize>]) {
        let mut active: Vec<usize> = Vec::with_capacity(outputs.labels.len());
        for (i, label) in outputs.labels.iter().enumerate() {
            let taken = |view: usize| active.contains(&view) || kept.contains(&Some(view));
            let view = match kept.get(i).copied().flatten() {
                Some(view) => view,
                None => match (0..self.sinks.len()).find(|&v| &self.sinks[v].label == label && !taken(v)) {
                    Some(view) => view,
                    None => {
                        self.sinks.push(SinkView { label: label.clone(), ..SinkView::default() });
                        self.sinks.len() - 1
                    }
                },
            };
            active.push(view);
        }
        self.active = active;
        if self.routes.len() < outputs.routes.len() {
            self.routes.resize(outputs.routes.len(), 0);
        }
    }

    /// Makes `rewire` the outputs: the sinks it keeps go on, the ones it leaves out are
    /// flushed and closed. A rewire that keeps a sink twice, or one that is not running, is
    /// refused whole (it was made against other outputs).
    fn rewire(&mut self, outputs: &mut Outputs, rewire: Rewire) {
        let mut kept = vec![false; outputs.sinks.len()];
        for slot in &rewire.sinks {
            if let Slot::Keep(i) = *slot {
                if kept.get(i) != Some(&false) {
                    tracing::error!(sink = i, "outputs change refused: it keeps a sink that is not running");
                    return;
                }
                kept[i] = true;
            }
        }
        let kept_views: Vec<Option<usize>> = rewire
            .sinks
            .iter()
            .map(|slot| match slot {
                Slot::Keep(i) => Some(self.active[*i]),
                Slot::Open(_) => None,
            })
            .collect();
        let mut running: Vec<Option<Box<dyn Sink>>> = outputs.sinks.drain(..).map(Some).collect();
        outputs.sinks = rewire
            .sinks
            .into_iter()
            .filter_map(|slot| match slot {
                Slot::Keep(i) => running[i].take(),
                Slot::Open(sink) => Some(sink),
            })
            .collect();
        for (i, sink) in running.into_iter().enumerate() {
            if let Some(mut sink) = sink {
                let view = self.active[i];
                self.flush_one(view, sink.as_mut());
                tracing::info!(sink = %self.sinks[view].label, "sink closed");
            }
        }
        outputs.labels = rewire.labels;
        outputs.routes = rewire.routes;
        if let Some(throttle) = rewire.throttle {
            outputs.throttle = throttle;
        }
        self.label(outputs, &kept_views);
    }

    fn one(&mut self, mut detection: Detection, outputs: &mut Outputs) {
        *self.by_severity.entry(detection.finding.severity).or_insert(0) += 1;
        match outputs.throttle.check(&detection) {
            Verdict::Suppress => {
                self.suppressed += 1;
                return;
            }
            Verdict::Pass(0) => {}
            Verdict::Pass(n) => {
                detection.finding.evidence.push(Evidence { key: SUPPRESSED.into(), value: n.to_string() })
            }
        }
        let routed = outputs.routes.route(&detection);
        for &i in &routed.routes {
            self.routes[i] += 1;
        }
        if routed.sinks.is_empty() {
            self.unrouted += 1;
            return;
        }
        let mut lost = false;
        for i in routed.sinks {
            let view = self.active[i];
            match outputs.sinks[i].deliver(&detection) {
                Ok(()) => self.sinks[view].delivered += 1,
                Err(e) => {
                    self.failed(&e);
                    self.sinks[view].failures += 1;
                    lost = true;
                }
            }
        }
        self.lost += u64::from(lost);
    }

    /// Publishes the counts, each sink's own progress with them.
    fn publish(&mut self, metrics: &Metrics, queue_depth: usize, outputs: &Outputs) {
        for (&view, sink) in self.active.iter().zip(&outputs.sinks) {
            self.sinks[view].progress = sink.progress();
        }
        metrics.publish_delivery(DeliveryView {
            by_severity: self.by_severity.clone(),
            suppressed: self.suppressed,
            unrouted: self.unrouted,
            lost: self.lost,
            sinks: self.sinks.clone(),
            routes: self.routes.clone(),
            queue_depth,
        });
    }

    fn flush(&mut self, outputs: &mut Outputs) {
        for (i, sink) in outputs.sinks.iter_mut().enumerate() {
            self.flush_one(self.active[i], sink.as_mut());
        }
    }

    /// Flushes one sink, whose counts are `self.sinks[view]`.
    fn flush_one(&mut self, view: usize, sink: &mut dyn Sink) {
        if let Err(e) = sink.flush() {
            self.sinks[view].failures += 1;
            match e.downcast_ref::<Undelivered>() {
                // Dead-lettered findings are kept; lost ones are counted.
                Some(undelivered) => self.lost += undelivered.lost,
                // What the sink buffered is lost with it; it cannot say how much.
                None => self.unknown_loss = true,
            }
            self.failed(&e);
        }
        // A removed sink's queue is empty now.
        self.sinks[view].progress = sink.progress();
    }

    /// Why findings from before now may not all have arrived, if they may not.
    fn loss(&self) -> Option<String> {
        match (self.lost, self.unknown_loss) {
            (0, false) => None,
            (0, true) => Some("a sink failed to flush".into()),
            (n, _) => Some(format!("{n} finding(s) were lost")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::routes::RouteConfig;
    use crate::findings::throttle::ThrottleConfig;
    use crate::sinks::MemorySink;
    use trailhound_sdk::Finding;

    fn detection(rule: &str, severity: Severity, secs: i64) -> Detection {
        Detection {
            plugin: "rules".into(),
            plugin_version: "1".into(),
            finding: Finding::new(rule, "t", severity).actor("alice"),
            related: Vec::new(),
            time: secs * 1000,
        }
    }

    #[test]
    fn findings_are_throttled_routed_and_every_one_is_accounted_for() {
        let (pager, archive) = (MemorySink::default(), MemorySink::default());
        let routes = Routes::new(
            &[RouteConfig {
                sinks: vec!["pager".into()],
                min_severity: Some(Severity::High),
                ..Default::default()
            }],
            &[Some("pager"), Some("archive")],
        )
        .unwrap();
        let outputs = Outputs {
            sinks: vec![Box::new(pager.clone()), Box::new(archive.clone())],
            labels: vec!["pager".into(), "archive".into()],
            routes,
            throttle: Throttle::new(ThrottleConfig { window_secs: 60, ..ThrottleConfig::default() }),
        };
        let (tx, rx) = crossbeam_channel::unbounded();
        for d in [
            detection("root", Severity::High, 0),
            detection("root", Severity::High, 5),
            detection("root", Severity::High, 6),
            detection("root", Severity::High, 70),
            detection("noise", Severity::Low, 0),
        ] {
            tx.send(d).unwrap();
        }
        drop(tx);
        let (_, no_cuts) = crossbeam_channel::unbounded();
        let (_, no_rewires) = crossbeam_channel::unbounded();
        let metrics = crate::metrics::Metrics::new(1, Arc::default(), None);
        let delivered = deliver(rx, no_cuts, no_rewires, outputs, &metrics);
        assert_eq!(delivered.sinks.iter().map(|s| s.delivered).collect::<Vec<_>>(), [2, 0]);
        assert_eq!((delivered.suppressed, delivered.unrouted, delivered.lost), (2, 1, 0));
        assert_eq!(delivered.routes, [2], "the route took the two that passed the throttle");
        assert_eq!(delivered.by_severity.values().sum::<u64>(), 5);
        let text = metrics.render();
        assert!(text.contains("trailhound_route_findings_total{route=\"route#0\"} 2\n"), "{text}");
        assert!(text.contains("trailhound_sink_retries_total{sink=\"pager\"} 0\n"), "{text}");
        let got = pager.detections();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].finding.evidence_value(SUPPRESSED), Some("2"));
        assert!(archive.detections().is_empty(), "no route names it");
    }
}
