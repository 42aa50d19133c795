//! Turns a chain worth an alert into one finding: a readable title and summary, the entity as
//! actor, every proving event of the chain, the union of techniques, and the story (entities
//! as nodes, links as hops, findings as steps) that `trailhound story` draws. Every revision
//! of one chain carries the same key, so the host reports the later ones as updates.
//!
//! The host refuses a finding larger than its budget (64 KiB of text by default): when a long
//! chain of long names would pass [`MAX_FINDING_BYTES`], the story is cut down, the event ids
//! of each step first, then the oldest steps.

use trailhound_sdk::story::{Hop, Node, Step as StoryStep, Story, StoryKind};
use trailhound_sdk::Finding;

use crate::chain::{Chain, Step, Verdict};
use crate::entity;
use crate::tactics;

/// Every rule id of this plugin starts with this; findings of these rules are not correlated.
pub const RULE_PREFIX: &str = "composite.";
pub const RULE_ID: &str = "composite.correlated-findings";

/// A quarter below the host's default finding budget, for the evidence keys and whatever the
/// host adds.
const MAX_FINDING_BYTES: usize = 48 << 10;
/// How much of the chain the finding carries, from all of it down to its newest steps.
struct Detail {
    /// The newest steps, in the summary and the story.
    steps: usize,
    /// Event ids per step of the story.
    ids_per_step: usize,
    /// Proving event ids on the finding.
    event_ids: usize,
    /// Entities of the story (its key first); links are kept between those only.
    nodes: usize,
}

const DETAIL: [Detail; 4] = [
    Detail { steps: usize::MAX, ids_per_step: usize::MAX, event_ids: 128, nodes: usize::MAX },
    Detail { steps: usize::MAX, ids_per_step: 2, event_ids: 64, nodes: usize::MAX },
    Detail { steps: 12, ids_per_step: 0, event_ids: 32, nodes: 16 },
    Detail { steps: 4, ids_per_step: 0, event_ids: 8, nodes: 4 },
];

/// The finding for revision `revision` of `chain`.
pub fn finding(chain: &Chain, verdict: &Verdict<'_>, revision: u32) -> Finding {
    let mut finding = Finding::default();
    for detail in &DETAIL {
        finding = build(chain, verdict, revision, detail);
        if text_bytes(&finding) <= MAX_FINDING_BYTES {
            break;
        }
    }
    finding
}

fn build(chain: &Chain, verdict: &Verdict<'_>, revision: u32, detail: &Detail) -> Finding {
    let steps = &chain.steps;
    let mut reporters: Vec<&str> = steps.iter().map(|s| s.reporter.as_str()).collect();
    dedup_in_order(&mut reporters);
    let mut planes: Vec<&str> = steps.iter().map(|s| s.plane.as_str()).collect();
    dedup_in_order(&mut planes);
    let mut techniques: Vec<&str> =
        steps.iter().flat_map(|s| s.techniques.iter().map(String::as_str)).collect();
    dedup_in_order(&mut techniques);
    let tags = steps.iter().flat_map(|s| s.tags.iter().map(String::as_str));
    let tactics = tactics::covered(tags, techniques.iter().copied());
    let subject = subject(chain);

    let counted = format!("{} findings from {}", steps.len(), words(&reporters));
    let title = match verdict.scenario {
        Some(scenario) => format!("{} on {subject}: {counted}", scenario.title),
        None => format!("{counted} on {subject}"),
    };
    let skip = steps.len().saturating_sub(detail.steps);
    let told: Vec<String> =
        steps[skip..].iter().map(|s| format!("{} {} ({})", s.reporter, s.title, s.severity)).collect();
    let earlier = if skip > 0 { format!("{skip} earlier findings; then ") } else { String::new() };
    let mut summary = format!("On {subject}, in time order: {earlier}{}.", told.join("; then "));
    summary.push_str(&format!(" Planes: {}.", planes.join(", ")));
    if !tactics.is_empty() {
        summary.push_str(&format!(" Tactics: {}.", tactics.join(", ")));
    }
    if let Some(scenario) = verdict.scenario {
        let stages: Vec<&str> = scenario.stages.iter().map(|s| s.name.as_str()).collect();
        summary.push_str(&format!(
            " Every stage of {:?} matched: {}.",
            scenario.name,
            stages.join(", then ")
        ));
    }

    let mut finding = Finding::new(RULE_ID, title, verdict.severity)
        .summary(summary)
        .actor(chain.key.clone())
        .events(event_ids(steps, detail.event_ids))
        .tag("composite")
        .evidence("entity", chain.key.clone())
        .evidence("reporters", reporters.join(", "))
        .evidence("planes", planes.join(", "))
        .evidence("tactics", tactics.join(", "));
    if let Some(scenario) = verdict.scenario {
        finding =
            finding.tag(format!("scenario:{}", scenario.name)).evidence("scenario", scenario.name.clone());
    }
    finding = techniques.into_iter().fold(finding, |f, t| f.technique(t));
    finding.story(&story(chain, revision, detail))
}

/// The story: the chain's entities (its key first), links and steps, as much as `detail` says.
fn story(chain: &Chain, revision: u32, detail: &Detail) -> Story {
    let mut members: Vec<_> = chain.members.iter().collect();
    members.sort_by_key(|m| m.entity.id != chain.key);
    members.truncate(detail.nodes);
    let kept = |id: &str| members.iter().any(|m| m.entity.id == id);
    let hops = chain
        .links
        .iter()
        .filter(|l| kept(&l.from) && kept(&l.to))
        .map(|l| Hop {
            from: l.from.clone(),
            to: l.to.clone(),
            via: l.via.clone(),
            time: l.time,
            event_id: l.event_id.clone(),
        })
        .collect();
    let nodes = members
        .iter()
        .map(|m| Node {
            id: m.entity.id.clone(),
            label: m.entity.label().to_string(),
            kind: m.entity.kind.as_str().into(),
            plane: m.entity.plane.clone(),
            account: m.entity.account.clone(),
            first_seen: m.first_seen,
        })
        .collect();
    let skip = chain.steps.len().saturating_sub(detail.steps);
    let steps = chain.steps[skip..]
        .iter()
        .map(|s| StoryStep {
            time: s.time,
            node: s.node.clone(),
            label: s.title.clone(),
            severity: s.severity,
            weight: 0,
            plane: s.plane.clone(),
            event_ids: s.event_ids.iter().take(detail.ids_per_step).cloned().collect(),
            reporter: Some(s.reporter.clone()),
            rule: Some(s.rule.clone()),
            techniques: s.techniques.clone(),
        })
        .collect();
    Story {
        kind: StoryKind::Composite,
        key: chain.key.clone(),
        revision,
        nodes,
        hops,
        steps,
        resources: chain.resources.clone(),
        ..Story::default()
    }
}

/// What the chain is about, in words: `host ip-10-40-7-188.ec2.internal`.
fn subject(chain: &Chain) -> String {
    let kind = chain.member(&chain.key).map_or(entity::kind_of(&chain.key), |m| m.entity.kind);
    format!("{} {}", kind.as_str().replace('-', " "), entity::label(&chain.key))
}

/// The proving events of every step, in time order, without repeats.
fn event_ids(steps: &[Step], max: usize) -> Vec<String> {
    let mut ids: Vec<&str> = steps.iter().flat_map(|s| s.event_ids.iter().map(String::as_str)).collect();
    dedup_in_order(&mut ids);
    ids.into_iter().take(max).map(str::to_string).collect()
}

/// `a`, `a and b`, `a, b and c`.
fn words(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn dedup_in_order(items: &mut Vec<&str>) {
    let mut seen = std::collections::BTreeSet::new();
    items.retain(|item| seen.insert(*item));
}

/// The bytes of text a finding holds, counted as the host counts them against its budget.
pub fn text_bytes(finding: &Finding) -> usize {
    let lists = [&finding.event_ids, &finding.techniques, &finding.tags];
    let listed: usize = lists.iter().flat_map(|l| l.iter()).map(String::len).sum();
    let evidence: usize = finding.evidence.iter().map(|e| e.key.len() + e.value.len()).sum();
    let actor = finding.actor.as_ref().map_or(0, String::len);
    finding.rule_id.len() + finding.title.len() + finding.summary.len() + actor + listed + evidence
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_join_like_a_sentence() {
        assert_eq!(words(&["falco"]), "falco");
        assert_eq!(words(&["falco", "rules"]), "falco and rules");
        assert_eq!(words(&["a", "b", "c"]), "a, b and c");
    }
}
