//! Turns a trail that crossed the threshold into one finding: the origin actor, the hops in
//! order, every contributing event, the techniques of every hop and behavior, and the story
//! (nodes across planes, hops, steps, resources, sensitive proximity) the picture draws. Each
//! report of one trail is a revision of the finding about its origin.

use std::collections::BTreeSet;

use trailhound_sdk::story::{Step, Story, StoryKind};
use trailhound_sdk::{Finding, Severity};

use crate::config::Config;
use crate::moves;
use crate::trail::Trail;

pub const RULE_ID: &str = "storyline.risk-threshold";

/// Techniques of the moves themselves, by how the hop was made.
fn hop_techniques(via: &str) -> &'static [&'static str] {
    match via {
        "ssm:StartSession" => &["T1021.007"],
        "ec2-instance-connect:SendSSHPublicKey" | "ec2-instance-connect:SendSerialConsoleSSHPublicKey" => {
            &["T1021.004"]
        }
        moves::INSTANCE_ROLE => &["T1552.005"],
        moves::CONTAINER_ESCAPE => &["T1611"],
        moves::DENIED_ASSUME | moves::ON_INSTANCE | moves::HOST_OF | moves::TRACED => &[],
        // AssumeRole and the other calls that issue credentials, impersonation, and those
        // credentials in use.
        _ => &["T1550.001"],
    }
}

/// The story of a trail, as its finding carries it. Hops and steps are told in time order:
/// inputs read one after the other, and findings offered back after their batch, reach the
/// trail out of it.
pub fn story(trail: &Trail, config: &Config) -> Story {
    let mut hops = trail.hops.clone();
    hops.sort_by_key(|h| h.time);
    let mut steps: Vec<Step> = trail
        .scored
        .iter()
        .map(|s| Step {
            time: s.time,
            node: s.node.clone(),
            label: s.label().to_string(),
            severity: s.severity,
            weight: s.weight,
            plane: s.plane.clone(),
            event_ids: s.event_ids.clone(),
            reporter: s.reporter.clone(),
            rule: s.rule.clone(),
            techniques: s.techniques().map(str::to_string).collect(),
        })
        .collect();
    steps.sort_by_key(|s| s.time);
    Story {
        kind: StoryKind::Storyline,
        key: trail.origin.clone(),
        revision: trail.revision,
        nodes: trail.nodes.clone(),
        hops,
        steps,
        resources: trail.resources.iter().cloned().collect(),
        sensitive: trail.sensitive.values().cloned().collect(),
        risk: trail.risk,
        threshold: config.threshold,
        ..Story::default()
    }
}

pub fn finding(trail: &Trail, config: &Config) -> Finding {
    // Three different strong signals on one trail (escalation, persistence, exfiltration) is an
    // intrusion in progress, not a risky afternoon.
    let severity = if trail.strong() >= 3 { Severity::Critical } else { Severity::High };
    let name = moves::label_of(&trail.origin);
    let hops = match trail.hops.len() {
        1 => "1 hop".to_string(),
        n => format!("{n} hops"),
    };
    let title = format!("{name} crossed {hops} and reached risk {}", trail.risk);
    let path: Vec<&str> =
        std::iter::once(trail.origin.as_str()).chain(trail.hops.iter().map(|h| h.to.as_str())).collect();
    let signals: Vec<String> =
        trail.scored.iter().map(|s| format!("{} (+{})", s.label(), s.weight)).collect();
    let kind = if trail.origin_kind.is_empty() { String::new() } else { format!(" ({})", trail.origin_kind) };
    let summary = format!(
        "{}{kind} moved {}; risk {} against the threshold {} with: {}.",
        trail.origin,
        path.join(" → "),
        trail.risk,
        config.threshold,
        signals.join(", ")
    );
    let planes: BTreeSet<&str> = trail.nodes.iter().map(|n| n.plane.as_str()).collect();
    let mut finding = Finding::new(RULE_ID, title, severity)
        .summary(summary)
        .actor(trail.origin.clone())
        .events(trail.event_ids())
        .tag("storyline");
    for plane in planes {
        finding = finding.tag(plane);
    }
    finding = finding
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
            scored.label(),
            scored.weight,
            scored.detail,
            scored.event_ids.join(", ")
        );
        finding = finding.evidence(format!("signal.{}", i + 1), value);
        techniques.extend(scored.techniques());
    }
    let mut seen = BTreeSet::new();
    for technique in techniques {
        if seen.insert(technique) {
            finding = finding.technique(technique);
        }
    }
    finding.story(&story(trail, config))
}
