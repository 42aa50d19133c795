//! Turns a trail that crossed the threshold into one finding: the origin actor, the hops in
//! order, every contributing event, the techniques of every hop and signal.

use trailhound_sdk::{Finding, Severity};

use crate::config::Config;
use crate::trail::Trail;

pub const RULE_ID: &str = "aws.actor-trail.risk-threshold";

/// Techniques of the moves themselves, by how the hop was made.
fn hop_techniques(via: &str) -> &'static [&'static str] {
    match via {
        "ssm:StartSession" => &["T1021.007"],
        "ec2-instance-connect:SendSSHPublicKey" | "ec2-instance-connect:SendSerialConsoleSSHPublicKey" => {
            &["T1021.004"]
        }
        "instance role" => &["T1552.005"],
        // AssumeRole and the other calls that issue credentials, and those credentials in use.
        _ => &["T1550.001"],
    }
}

pub fn finding(trail: &Trail, config: &Config) -> Finding {
    // Three different strong signals on one trail (escalation, persistence, exfiltration) is an
    // intrusion in progress, not a risky afternoon.
    let severity = if trail.strong() >= 3 { Severity::Critical } else { Severity::High };
    let name = trail.origin.rsplit(['/', ':']).next().unwrap_or(&trail.origin);
    let title = format!("{name} crossed {} hops and reached risk {}", trail.hops.len(), trail.risk);
    let path: Vec<&str> =
        std::iter::once(trail.origin.as_str()).chain(trail.hops.iter().map(|h| h.to.as_str())).collect();
    let signals: Vec<String> =
        trail.scored.iter().map(|s| format!("{} (+{})", s.signal.label(), s.weight)).collect();
    let kind = if trail.origin_kind.is_empty() { String::new() } else { format!(" ({})", trail.origin_kind) };
    let summary = format!(
        "{}{kind} moved {}; risk {} reached the threshold {} with: {}.",
        trail.origin,
        path.join(" → "),
        trail.risk,
        config.threshold,
        signals.join(", ")
    );
    let mut finding = Finding::new(RULE_ID, title, severity)
        .summary(summary)
        .actor(trail.origin.clone())
        .events(trail.event_ids())
        .tag("actor-trail")
        .tag("aws")
        .evidence("origin", trail.origin.clone())
        .evidence("risk", trail.risk.to_string())
        .evidence("threshold", config.threshold.to_string())
        .evidence("accounts", trail.accounts.iter().cloned().collect::<Vec<_>>().join(", "));
    let mut techniques: Vec<&str> = Vec::new();
    for (i, hop) in trail.hops.iter().enumerate() {
        finding = finding.evidence(
            format!("hop.{}", i + 1),
            format!("{}: {} → {} [{}]", hop.via, hop.from, hop.to, hop.event_id),
        );
        techniques.extend(hop_techniques(&hop.via));
    }
    for (i, scored) in trail.scored.iter().enumerate() {
        let value = format!(
            "{} +{}: {} [{}]",
            scored.signal.label(),
            scored.weight,
            scored.detail,
            scored.event_ids.join(", ")
        );
        finding = finding.evidence(format!("signal.{}", i + 1), value);
        techniques.extend(scored.signal.techniques());
    }
    let mut seen = std::collections::BTreeSet::new();
    for technique in techniques {
        if seen.insert(technique) {
            finding = finding.technique(technique);
        }
    }
    finding
}
