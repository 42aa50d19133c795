//! Delivery: each detection the engine produces is counted, throttled ([`super::throttle`]),
//! routed ([`super::routes`]) and handed to its sinks; what happened to every one is counted,
//! so none is dropped silently. One broken sink does not stop the others: its failures are
//! counted and logged, and the finding counts as lost.

use std::collections::BTreeMap;

use trailhound_sdk::{Evidence, Severity};

use super::routes::Routes;
use super::throttle::{Throttle, Verdict, SUPPRESSED};
use super::Detection;
use crate::sinks::Sink;

/// Sink errors kept verbatim for the summary.
const ERROR_SAMPLES: usize = 20;

/// The sinks, and how findings reach them.
pub struct Outputs {
    pub sinks: Vec<Box<dyn Sink>>,
    pub routes: Routes,
    pub throttle: Throttle,
}

/// Every finding to every sink, none throttled.
impl From<Vec<Box<dyn Sink>>> for Outputs {
    fn from(sinks: Vec<Box<dyn Sink>>) -> Self {
        Outputs { routes: Routes::everything(sinks.len()), sinks, throttle: Throttle::default() }
    }
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

/// Delivers every detection `rx` yields until it closes, then flushes the sinks.
pub fn deliver(rx: crossbeam_channel::Receiver<Detection>, mut outputs: Outputs) -> Delivered {
    let mut delivered = Delivered::default();
    for mut detection in rx {
        *delivered.by_severity.entry(detection.finding.severity).or_insert(0) += 1;
        match outputs.throttle.check(&detection) {
            Verdict::Suppress => {
                delivered.suppressed += 1;
                continue;
            }
            Verdict::Pass(0) => {}
            Verdict::Pass(n) => {
                detection.finding.evidence.push(Evidence { key: SUPPRESSED.into(), value: n.to_string() })
            }
        }
        let to = outputs.routes.sinks_of(&detection);
        if to.is_empty() {
            delivered.unrouted += 1;
            continue;
        }
        let mut lost = false;
        for i in to {
            if let Err(e) = outputs.sinks[i].deliver(&detection) {
                delivered.failed(&e);
                lost = true;
            }
        }
        delivered.lost += u64::from(lost);
    }
    for sink in &mut outputs.sinks {
        if let Err(e) = sink.flush() {
            // What the sink buffered is lost with it; it cannot say how much.
            delivered.failed(&e);
        }
    }
    delivered
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
        let delivered = deliver(rx, outputs);
        assert_eq!((delivered.suppressed, delivered.unrouted, delivered.lost), (2, 1, 0));
        assert_eq!(delivered.by_severity.values().sum::<u64>(), 5);
        let got = pager.detections();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].finding.evidence_value(SUPPRESSED), Some("2"));
        assert!(archive.detections().is_empty(), "no route names it");
    }
}
