//! One chain: the findings on one group of related entities (a host, the instance it is, the
//! role sessions of that instance and the keys they used, ...), in time order, with the
//! entities and the links between them. Everything in it is capped, so one busy entity cannot
//! grow it without bound, and it decides when it is worth an alert ([`Chain::verdict`]).

use serde::{Deserialize, Serialize};
use trailhound_sdk::Severity;

use crate::config::Config;
use crate::entity::Entity;
use crate::observe::{Link, Observation};
use crate::scenario::Scenario;

/// Per-chain caps, so an alert stays readable and within the host's finding budget.
const MAX_STEPS: usize = 32;
const MAX_ENTITIES: usize = 32;
const MAX_LINKS: usize = 32;
const MAX_ADDRESSED: usize = 16;
const MAX_RESOURCES: usize = 16;
const MAX_STEP_EVENT_IDS: usize = 16;
const MAX_STEP_TAGS: usize = 24;

/// One finding of the chain: a rule of a reporter at one entity. Repeats of it (a Falco rule
/// firing again, a later revision of a storyline) fold into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub reporter: String,
    pub rule: String,
    pub title: String,
    pub severity: Severity,
    pub plane: String,
    /// The entity it happened at.
    pub node: String,
    /// When it was first seen, and last.
    pub time: i64,
    pub last: i64,
    pub techniques: Vec<String>,
    pub tags: Vec<String>,
    pub event_ids: Vec<String>,
}

impl Step {
    fn of(observation: &Observation) -> Step {
        Step {
            reporter: observation.reporter.clone(),
            rule: observation.rule.clone(),
            title: observation.title.clone(),
            severity: observation.severity,
            plane: observation.plane.into(),
            node: observation.node().into(),
            time: observation.time,
            last: observation.time,
            techniques: observation.techniques.clone(),
            tags: observation.tags.clone(),
            event_ids: observation.event_ids.iter().take(MAX_STEP_EVENT_IDS).cloned().collect(),
        }
    }

    fn same(&self, other: &Step) -> bool {
        self.reporter == other.reporter && self.rule == other.rule && self.node == other.node
    }

    /// Folds a repeat in: the latest title, the worst severity, the new event ids.
    fn absorb(&mut self, repeat: Step) {
        self.time = self.time.min(repeat.time);
        self.last = self.last.max(repeat.last);
        self.severity = self.severity.max(repeat.severity);
        self.title = repeat.title;
        for (mine, theirs) in [(&mut self.techniques, repeat.techniques), (&mut self.tags, repeat.tags)] {
            extend_distinct(mine, theirs, MAX_STEP_TAGS);
        }
        extend_distinct(&mut self.event_ids, repeat.event_ids, MAX_STEP_EVENT_IDS);
    }

    /// Who saw it: its reporter, on its plane.
    pub fn vantage(&self) -> (&str, &str) {
        (&self.reporter, &self.plane)
    }
}

/// An entity of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub entity: Entity,
    pub first_seen: i64,
}

/// An entity that was at a private address (a host, as its name spells it; a principal,
/// calling from it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Addressed {
    pub address: String,
    pub entity: String,
    pub host: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chain {
    /// The entity the alert is about; every revision keeps it.
    pub key: String,
    pub members: Vec<Member>,
    /// Address aliases that lead to this chain.
    pub aliases: Vec<String>,
    pub addressed: Vec<Addressed>,
    pub links: Vec<Link>,
    /// In time order.
    pub steps: Vec<Step>,
    pub resources: Vec<String>,
    pub first_seen: i64,
    pub last_seen: i64,
    /// Distinct steps ever added, so a new one is noticed after older ones left the window.
    pub added: u32,
    /// The last revision reported (0: not reported yet), with what it reported.
    pub revision: u32,
    pub reported_added: u32,
    pub reported_severity: Severity,
}

/// Why a chain is worth an alert now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict<'a> {
    pub severity: Severity,
    /// The scenario whose every stage matched, if any.
    pub scenario: Option<&'a Scenario>,
}

impl Chain {
    pub fn new(key: String, time: i64) -> Chain {
        Chain {
            key,
            members: Vec::new(),
            aliases: Vec::new(),
            addressed: Vec::new(),
            links: Vec::new(),
            steps: Vec::new(),
            resources: Vec::new(),
            first_seen: time,
            last_seen: time,
            added: 0,
            revision: 0,
            reported_added: 0,
            reported_severity: Severity::Info,
        }
    }

    /// Whether an entity or alias leads to this chain.
    pub fn holds(&self, id: &str) -> bool {
        self.members.iter().any(|m| m.entity.id == id) || self.aliases.iter().any(|a| a == id)
    }

    /// The entity ids and aliases that lead here.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|m| m.entity.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// Adds what an alert says; returns the entities and aliases newly held (for the index).
    pub fn add(&mut self, observation: &Observation) -> Vec<String> {
        let mut joined = Vec::new();
        for entity in &observation.entities {
            if self.members.len() < MAX_ENTITIES && !self.holds(&entity.id) {
                joined.push(entity.id.clone());
                self.members.push(Member { entity: entity.clone(), first_seen: observation.time });
            }
        }
        if let Some(address) = &observation.address {
            if self.aliases.len() < MAX_ENTITIES && !self.holds(address) {
                joined.push(address.clone());
                self.aliases.push(address.clone());
            }
            self.meet_at(address, observation);
        }
        for link in &observation.links {
            self.link(link.clone());
        }
        extend_distinct(&mut self.resources, observation.resources.clone(), MAX_RESOURCES);
        self.step(Step::of(observation));
        self.first_seen = self.first_seen.min(observation.time);
        self.last_seen = self.last_seen.max(observation.time);
        joined
    }

    /// A host and a principal at one private address: the principal's calls came from the
    /// host, which is the link a compromised host's stolen role credentials leave.
    fn meet_at(&mut self, address: &str, observation: &Observation) {
        let node = observation.node();
        let host = observation.plane == "host";
        let met: Vec<String> = self
            .addressed
            .iter()
            .filter(|a| a.address == address && a.host != host && a.entity != node)
            .map(|a| a.entity.clone())
            .collect();
        for other in met {
            let (from, to) = if host { (node.to_string(), other) } else { (other, node.to_string()) };
            let (time, event_id) =
                (observation.time, observation.event_ids.first().cloned().unwrap_or_default());
            self.link(Link { from, to, via: "calls from the host's address".into(), time, event_id });
        }
        let known = self.addressed.iter().any(|a| a.address == address && a.entity == node);
        if !known && self.addressed.len() < MAX_ADDRESSED {
            self.addressed.push(Addressed { address: address.into(), entity: node.into(), host });
        }
    }

    fn link(&mut self, link: Link) {
        let known = self.links.iter().any(|l| l.from == link.from && l.to == link.to);
        if !known && self.links.len() < MAX_LINKS {
            let at = self.links.partition_point(|l| l.time <= link.time);
            self.links.insert(at, link);
        }
    }

    /// Adds a step in time order, or folds it into the same one; a full chain drops its oldest.
    fn step(&mut self, step: Step) {
        if let Some(same) = self.steps.iter_mut().find(|s| s.same(&step)) {
            same.absorb(step);
            self.steps.sort_by_key(|s| s.time);
            return;
        }
        if self.steps.len() >= MAX_STEPS {
            self.steps.remove(0);
        }
        let at = self.steps.partition_point(|s| s.time <= step.time);
        self.steps.insert(at, step);
        self.added = self.added.saturating_add(1);
    }

    /// Takes in another chain that an alert showed is about the same thing.
    pub fn absorb(&mut self, other: Chain) {
        for member in other.members {
            if self.members.len() < MAX_ENTITIES && !self.holds(&member.entity.id) {
                self.members.push(member);
            }
        }
        for alias in other.aliases {
            if self.aliases.len() < MAX_ENTITIES && !self.holds(&alias) {
                self.aliases.push(alias);
            }
        }
        for addressed in other.addressed {
            if self.addressed.len() < MAX_ADDRESSED && !self.addressed.contains(&addressed) {
                self.addressed.push(addressed);
            }
        }
        other.links.into_iter().for_each(|link| self.link(link));
        other.steps.into_iter().for_each(|step| self.step(step));
        extend_distinct(&mut self.resources, other.resources, MAX_RESOURCES);
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
    }

    /// Drops the steps whose latest occurrence is older than `horizon`.
    pub fn expire(&mut self, horizon: i64) {
        self.steps.retain(|s| s.last >= horizon);
    }

    /// Whether the chain is worth an alert now, and how severe; `None` when it is not, or when
    /// nothing changed since it was last reported.
    pub fn verdict<'c>(&self, config: &'c Config) -> Option<Verdict<'c>> {
        let peak = self.steps.iter().map(|s| s.severity).max()?;
        let scenario = config.scenarios.iter().find(|s| s.matched(&self.steps));
        let mut vantages: Vec<(&str, &str)> = self.steps.iter().map(Step::vantage).collect();
        vantages.sort_unstable();
        vantages.dedup();
        let correlated = self.steps.len() >= config.min_findings
            && vantages.len() >= config.min_reporters
            && peak >= config.min_peak_severity;
        if !correlated && scenario.is_none() {
            return None;
        }
        let severity = if scenario.is_some() { raised(peak) } else { peak };
        let changed =
            self.revision == 0 || self.added > self.reported_added || severity > self.reported_severity;
        changed.then_some(Verdict { severity, scenario })
    }

    /// Records that revision `revision + 1` was reported with `severity`.
    pub fn reported(&mut self, severity: Severity) {
        self.revision += 1;
        self.reported_added = self.added;
        self.reported_severity = severity;
    }

    /// The member an entity id names.
    pub fn member(&self, id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.entity.id == id)
    }
}

/// One level more severe, critical at most.
fn raised(severity: Severity) -> Severity {
    match severity {
        Severity::Info => Severity::Low,
        Severity::Low => Severity::Medium,
        Severity::Medium => Severity::High,
        Severity::High | Severity::Critical => Severity::Critical,
    }
}

/// Appends the items `list` lacks, up to `cap` items.
fn extend_distinct(list: &mut Vec<String>, items: Vec<String>, cap: usize) {
    for item in items {
        if list.len() >= cap {
            break;
        }
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_is_raised_one_level() {
        assert_eq!(raised(Severity::Medium), Severity::High);
        assert_eq!(raised(Severity::High), Severity::Critical);
        assert_eq!(raised(Severity::Critical), Severity::Critical);
    }

    #[test]
    fn lists_grow_to_their_cap_without_repeats() {
        let mut list = vec!["a".to_string()];
        extend_distinct(&mut list, vec!["a".into(), "b".into(), "c".into()], 2);
        assert_eq!(list, ["a", "b"]);
    }
}
