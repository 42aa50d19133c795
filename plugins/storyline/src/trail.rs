//! Trails: one per origin actor (as the host traced it), with the entities it went through,
//! the moves between them, the behaviors that added risk and the events that prove them all.
//! Risk fades with a half-life measured in stream time, from event times only, so a replay
//! scores the same. Everything is bounded. Trails are keyed by ARNs and hashed with foldhash
//! and a fixed seed: a lookup reads its key once, where an ordered map compares it against a
//! dozen others that share long `arn:aws:…` prefixes, which is slow in WebAssembly (no
//! vectorized memcmp), and foldhash reads it several times faster than the standard SipHash.
//! Snapshots write them sorted, so the state serializes the same way every time; nothing
//! depends on a random hasher.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use foldhash::fast::FixedState;

use serde::{Deserialize, Serialize};
use trailhound_sdk::bounded::stalest;
use trailhound_sdk::model::Plane;
use trailhound_sdk::story::{Hop, Node, Proximity};
use trailhound_sdk::{Event, Severity};

use crate::alerts;
use crate::config::Config;
use crate::moves::{self, Move};
use crate::sensitive;
use crate::signals::{self, Signal};

/// Per-trail caps: the finding stays readable and one busy actor cannot grow without bound.
const MAX_NODES: usize = 48;
const MAX_HOPS: usize = 48;
const MAX_EVENT_IDS: usize = 256;
const MAX_SIGNALS: usize = 64;
const MAX_RECON_IDS: usize = 16;
const MAX_REGIONS: usize = 32;
const MAX_RESOURCES: usize = 64;
const MAX_SENSITIVE: usize = 32;
const MAX_FINDING_IDS: usize = 32;

/// One contribution to a trail's risk: a behavior, or another plugin's finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scored {
    pub signal: Signal,
    pub weight: u32,
    pub event_ids: Vec<String>,
    /// What made it (action, region), for the evidence.
    pub detail: String,
    pub time: i64,
    /// The node it happened at, and its plane.
    pub node: String,
    pub plane: String,
    pub severity: Severity,
    /// For a finding or an alert: its title or rule, who reported it, its techniques.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub techniques: Vec<String>,
}

impl Scored {
    pub fn label(&self) -> &str {
        self.label.as_deref().unwrap_or(self.signal.label())
    }

    pub fn techniques(&self) -> impl Iterator<Item = &str> {
        self.signal.techniques().iter().copied().chain(self.techniques.iter().map(String::as_str))
    }
}

/// Calls in the current window: discovery (for bursts) or denied (for runs of failures).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start: i64,
    pub actions: BTreeSet<String>,
    pub services: BTreeSet<String>,
    pub event_ids: Vec<String>,
}

impl Window {
    /// Adds one call, starting a new window when it falls outside the current one.
    fn add(&mut self, event: &Event, window_ms: i64) {
        if self.event_ids.is_empty() || (event.time() - self.start).abs() > window_ms {
            *self = Window { start: event.time(), ..Window::default() };
        }
        self.actions.insert(format!("{}:{}", event.service(), event.action()));
        if !self.services.contains(event.service()) {
            self.services.insert(event.service().to_string());
        }
        if self.event_ids.len() < MAX_RECON_IDS {
            self.event_ids.push(event.id().to_string());
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trail {
    pub origin: String,
    /// The origin's identity type (`IAMUser`, ...); empty until an event of the origin itself
    /// is on the trail.
    pub origin_kind: String,
    /// The entities, the origin first.
    pub nodes: Vec<Node>,
    pub hops: Vec<Hop>,
    pub scored: Vec<Scored>,
    /// Risk as of `risk_time`: each weight added, faded by the half-life since.
    pub risk: u32,
    pub risk_time: i64,
    pub recon: Window,
    /// Regions with discovery calls over the whole trail, with the first event in each.
    pub regions: BTreeMap<String, String>,
    pub failures: Window,
    pub accounts: BTreeSet<String>,
    pub resources: BTreeSet<String>,
    /// The closest the trail came to each sensitive resource (or pattern).
    pub sensitive: BTreeMap<String, Proximity>,
    pub first_seen: i64,
    pub last_seen: i64,
    /// How often the trail was reported (the last revision), 0 before it first crossed.
    pub revision: u32,
    /// Risk was added or a hop made since the last report.
    pub changed: bool,
}

impl Trail {
    fn new(origin: &str, event: &Event) -> Self {
        Trail {
            origin: origin.to_string(),
            origin_kind: String::new(),
            nodes: Vec::new(),
            hops: Vec::new(),
            scored: Vec::new(),
            risk: 0,
            risk_time: event.time(),
            recon: Window::default(),
            regions: BTreeMap::new(),
            failures: Window::default(),
            accounts: BTreeSet::new(),
            resources: BTreeSet::new(),
            sensitive: BTreeMap::new(),
            first_seen: event.time(),
            last_seen: event.time(),
            revision: 0,
            changed: false,
        }
    }

    fn count(&self, signal: Signal) -> u32 {
        self.scored.iter().filter(|s| s.signal == signal).count() as u32
    }

    /// Whether `signal` can still add to the risk: it has not counted as often as it may.
    fn may_score(&self, signal: Signal, config: &Config) -> bool {
        let limit = if signal.once_per_trail() { 1 } else { config.max_repeats };
        self.count(signal) < limit && self.scored.len() < MAX_SIGNALS
    }

    /// Fades the risk to `time` by the half-life. Events out of order do not fade it back.
    fn fade(&mut self, time: i64, config: &Config) {
        if time > self.risk_time {
            let half_lives = (time - self.risk_time) as f64 / (config.half_life_minutes * 60_000) as f64;
            self.risk = (f64::from(self.risk) * 0.5f64.powf(half_lives)).round() as u32;
            self.risk_time = time;
        }
    }

    /// Adds a step's weight, faded from the last one.
    fn add(&mut self, scored: Scored, config: &Config) {
        self.fade(scored.time, config);
        self.risk = self.risk.saturating_add(scored.weight);
        self.changed |= scored.weight > 0;
        self.scored.push(scored);
    }

    /// Adds a behavior's weight unless it already counted as often as it may.
    fn score(
        &mut self,
        signal: Signal,
        event_ids: Vec<String>,
        detail: String,
        event: &Event,
        config: &Config,
    ) {
        if !self.may_score(signal, config) {
            return;
        }
        let scored = Scored {
            signal,
            weight: signal.weight(&config.weights),
            event_ids,
            detail,
            time: event.time(),
            node: moves::at(event),
            plane: event.plane().as_str().to_string(),
            severity: signal.severity(),
            label: None,
            reporter: None,
            rule: None,
            techniques: Vec::new(),
        };
        self.add(scored, config);
    }

    fn has_node(&self, id: &str) -> bool {
        self.nodes.iter().any(|n| n.id == id)
    }

    fn node(&mut self, id: &str, plane: Plane, account: &str, time: i64) {
        if self.nodes.len() < MAX_NODES && !id.is_empty() && !self.has_node(id) {
            self.nodes.push(Node {
                id: id.to_string(),
                label: moves::label_of(id),
                kind: moves::kind_of(id).to_string(),
                plane: plane.as_str().to_string(),
                account: account.to_string(),
                first_seen: time,
            });
        }
    }

    fn leads_to(&self, identity: &str) -> bool {
        self.hops.iter().any(|h| h.to == identity)
    }

    fn hop(&mut self, m: Move, event: &Event) {
        // A denied attempt repeats per role knocked on, a move only the first time it is made.
        let repeated = if m.via == moves::DENIED_ASSUME {
            self.hops.iter().any(|h| h.to == m.to && h.via == m.via)
        } else {
            self.leads_to(&m.to)
        };
        if self.hops.len() >= MAX_HOPS || repeated {
            return;
        }
        self.node(&m.from, event.plane(), event.actor().account(), event.time());
        self.node(&m.to, m.plane, &m.account, event.time());
        self.changed = true;
        self.hops.push(Hop {
            from: m.from,
            to: m.to,
            via: m.via,
            time: event.time(),
            event_id: event.id().to_string(),
        });
    }

    /// Every event id on the trail's hops and steps.
    fn proven(&self) -> BTreeSet<&str> {
        self.hops
            .iter()
            .map(|h| h.event_id.as_str())
            .chain(
                self.scored
                    .iter()
                    .filter(|s| s.signal != Signal::Finding)
                    .flat_map(|s| s.event_ids.iter().map(String::as_str)),
            )
            .collect()
    }

    /// Every event that contributed, in trail order, without repeats.
    pub fn event_ids(&self) -> Vec<String> {
        let mut timed: Vec<(i64, &String)> = self.hops.iter().map(|h| (h.time, &h.event_id)).collect();
        for s in self.scored.iter().filter(|s| s.signal != Signal::Finding) {
            timed.extend(s.event_ids.iter().map(|id| (s.time, id)));
        }
        timed.sort_by_key(|(t, _)| *t);
        let mut seen = BTreeSet::new();
        timed
            .into_iter()
            .filter(|(_, id)| seen.insert(*id))
            .map(|(_, id)| id.clone())
            .take(MAX_EVENT_IDS)
            .collect()
    }

    /// Distinct strong signals on the trail.
    pub fn strong(&self) -> usize {
        self.scored.iter().filter(|s| s.signal.strong()).map(|s| s.signal).collect::<BTreeSet<_>>().len()
    }

    fn discovery(&mut self, event: &Event, config: &Config) {
        self.recon.add(event, config.recon_window_minutes * 60_000);
        if self.regions.len() < MAX_REGIONS && !self.regions.contains_key(event.region()) {
            self.regions.insert(event.region().to_string(), event.id().to_string());
        }
        // The evidence is only put together while the signal can still count.
        let burst = self.recon.actions.len() >= config.recon_min_actions
            && self.recon.services.len() >= config.recon_min_services;
        if burst && self.may_score(Signal::ReconBurst, config) {
            let detail =
                format!("{} distinct calls on {}", self.recon.actions.len(), join(&self.recon.services));
            let ids = self.recon.event_ids.clone();
            self.score(Signal::ReconBurst, ids, detail, event, config);
        }
        if self.regions.len() >= config.multi_region_min
            && self.may_score(Signal::MultiRegionDiscovery, config)
        {
            let detail = format!("regions {}", join(self.regions.keys()));
            let ids = self.regions.values().cloned().collect();
            self.score(Signal::MultiRegionDiscovery, ids, detail, event, config);
        }
    }

    /// A run of denied calls: each full run counts once, and starts the next.
    fn failure(&mut self, event: &Event, config: &Config) {
        self.failures.add(event, config.recon_window_minutes * 60_000);
        if self.failures.event_ids.len() >= config.failed_calls_min
            && self.may_score(Signal::FailedCalls, config)
        {
            let failures = std::mem::take(&mut self.failures);
            let detail = format!("{} denied calls: {}", failures.event_ids.len(), join(&failures.actions));
            self.score(Signal::FailedCalls, failures.event_ids, detail, event, config);
        }
    }

    /// Another plugin's finding: weighed by its severity, unless every event it proves
    /// with is already on the trail, where it adds a step of weight 0 (nothing counts twice).
    /// A rule that fired on the trail before has one step: its later findings add their
    /// events to it, and their weight only if it had none yet (a rule firing on each of fifty
    /// calls of one sweep is one behavior).
    fn finding(&mut self, event: &Event, config: &Config) {
        let Some(alert) = event.alert() else {
            return;
        };
        let mut ids = alerts::finding_events(event);
        ids.truncate(MAX_FINDING_IDS);
        let known = {
            let proven = self.proven();
            !ids.is_empty() && ids.iter().all(|id| proven.contains(id.as_str()))
        };
        let weight = if known { 0 } else { config.weights.findings.of(alert.severity()) };
        let same_rule = |s: &&mut Scored| {
            s.signal == Signal::Finding
                && s.reporter.as_deref() == Some(alert.reporter())
                && s.rule.as_deref() == Some(alert.rule())
        };
        if let Some(step) = self.scored.iter_mut().find(same_rule) {
            for id in ids {
                if step.event_ids.len() < MAX_FINDING_IDS && !step.event_ids.contains(&id) {
                    step.event_ids.push(id);
                }
            }
            step.severity = step.severity.max(alert.severity());
            if step.weight == 0 && weight > 0 {
                step.weight = weight;
                self.fade(event.time(), config);
                self.risk = self.risk.saturating_add(weight);
                self.changed = true;
            }
            return;
        }
        if self.scored.len() >= MAX_SIGNALS {
            return;
        }
        let title = event.field(alerts::FINDING_TITLE).unwrap_or(alert.rule());
        let scored = Scored {
            signal: Signal::Finding,
            weight,
            event_ids: ids,
            detail: format!("{} by {}", alert.rule(), alert.reporter()),
            time: event.time(),
            node: event.actor().id().to_string(),
            plane: Plane::Finding.as_str().to_string(),
            severity: alert.severity(),
            label: Some(title.to_string()),
            reporter: Some(alert.reporter().to_string()),
            rule: Some(alert.rule().to_string()),
            techniques: alerts::techniques(alert.tags()),
        };
        self.add(scored, config);
    }

    /// A Falco alert of a behavior the trail weighs, named after its rule.
    fn alert(&mut self, signal: Signal, event: &Event, config: &Config) {
        let Some(alert) = event.alert() else {
            return;
        };
        if !self.may_score(signal, config) {
            return;
        }
        let where_ = event.process().and_then(|p| p.container_name().or(p.hostname())).unwrap_or_default();
        let scored = Scored {
            signal,
            weight: signal.weight(&config.weights),
            event_ids: vec![event.id().to_string()],
            detail: format!("{} on {where_}", alert.rule()),
            time: event.time(),
            node: moves::at(event),
            plane: event.plane().as_str().to_string(),
            severity: alert.severity().max(signal.severity()),
            label: Some(format!("{}: {}", signal.label(), alert.rule())),
            reporter: Some(alert.reporter().to_string()),
            rule: Some(alert.rule().to_string()),
            techniques: alerts::techniques(alert.tags()),
        };
        self.add(scored, config);
    }

    fn near(&mut self, event: &Event, discovery: bool, config: &Config) {
        for resource in event.resources() {
            if self.resources.len() < MAX_RESOURCES && !self.resources.contains(resource.id()) {
                self.resources.insert(resource.id().to_string());
            }
        }
        for (resource, reach) in sensitive::near(event, &config.sensitive, discovery) {
            let closer = self
                .sensitive
                .get(&resource)
                .is_none_or(|p| sensitive::rank(reach) < sensitive::rank(&p.reach));
            if closer && (self.sensitive.len() < MAX_SENSITIVE || self.sensitive.contains_key(&resource)) {
                let proximity = Proximity {
                    resource: resource.clone(),
                    reach: reach.into(),
                    event_id: event.id().into(),
                };
                self.sensitive.insert(resource, proximity);
            }
        }
    }
}

fn join<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    items.into_iter().map(String::as_str).collect::<Vec<_>>().join(", ")
}

/// All trails. This is what `snapshot` writes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    #[serde(serialize_with = "sorted")]
    pub trails: Keyed<Trail>,
}

/// Version 3: trails with nodes, planes, faded risk, revisions and sensitive proximity.
/// Version 2 (trails of AWS hops only) and version 1 cannot be read into it.
pub const STATE_VERSION: u32 = 3;

/// A map keyed by strings, hashed with a fixed seed (`FixedState::default()`), so runs repeat.
pub type Keyed<V> = HashMap<String, V, FixedState>;

/// Writes a [`Keyed`] map in key order.
fn sorted<V: Serialize, S: serde::Serializer>(map: &Keyed<V>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(map.iter().collect::<BTreeMap<_, _>>())
}

/// What one event is, for a trail.
enum Seen {
    Nothing,
    Cloud { single: Vec<Signal>, discovery: bool, failed: bool },
    Alert(Signal),
    Finding,
}

impl State {
    /// Reads a snapshot of this version.
    ///
    /// # Errors
    /// Bytes that are not a snapshot, or a snapshot of another version: the caller starts
    /// empty, and the host reports the message.
    pub fn from_snapshot(bytes: &[u8]) -> Result<State, String> {
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let versioned: Versioned =
            serde_json::from_slice(bytes).map_err(|e| format!("storyline snapshot: {e}"))?;
        if versioned.version != STATE_VERSION {
            return Err(format!(
                "storyline snapshot has version {}, this build reads only {STATE_VERSION}: starting with no trails",
                versioned.version
            ));
        }
        serde_json::from_slice(bytes).map_err(|e| format!("storyline snapshot: {e}"))
    }

    /// Applies one event to the trail of its origin; returns the origin when the event is on
    /// a trail.
    pub fn apply(&mut self, event: &Event, config: &Config) -> Option<String> {
        if event.actor().kind() == "AWSService" {
            return None;
        }
        let origin = match event.lineage().origin() {
            "" => moves::host_node(event)
                .or_else(|| Some(event.actor().id().to_string()).filter(|a| !a.is_empty()))?,
            origin => origin.to_string(),
        };
        let seen = match event.plane() {
            Plane::Finding => Seen::Finding,
            Plane::Host => alerts::falco_behavior(event).map_or(Seen::Nothing, Seen::Alert),
            Plane::Network => return None,
            Plane::Cloud | Plane::Kubernetes => Seen::Cloud {
                single: signals::single(event, config),
                discovery: signals::is_discovery(event),
                failed: event.denied(),
            },
        };
        let moves = moves::of(event, &origin);
        let known = self.trails.contains_key(&origin);
        // Most events of most actors are routine: only open a trail when there is something to follow.
        let worth = match &seen {
            Seen::Nothing => false,
            Seen::Cloud { single, discovery, failed } => !single.is_empty() || *discovery || *failed,
            Seen::Alert(_) => true,
            Seen::Finding => event.alert().is_some_and(|a| config.weights.findings.of(a.severity()) > 0),
        };
        let opens = moves.iter().any(|m| m.via != moves::TRACED);
        if !known && !worth && !opens {
            return None;
        }
        if !known {
            self.make_room(config);
            self.trails.insert(origin.clone(), Trail::new(&origin, event));
        }
        let trail = self.trails.get_mut(&origin)?;
        trail.last_seen = trail.last_seen.max(event.time());
        if event.plane() != Plane::Finding {
            if !event.account().is_empty() && !trail.accounts.contains(event.account()) {
                trail.accounts.insert(event.account().to_string());
            }
            if trail.origin_kind.is_empty() && event.actor().id() == origin {
                trail.origin_kind = event.actor().kind().to_string();
            }
        }
        if trail.nodes.is_empty() {
            let (plane, account) = if event.actor().id() == origin {
                (event.plane(), event.actor().account())
            } else {
                (if origin.starts_with("host:") { Plane::Host } else { Plane::Cloud }, "")
            };
            trail.node(&origin, plane, account, event.time());
        }
        if event.plane() != Plane::Finding {
            trail.node(&moves::at(event), event.plane(), event.account(), event.time());
        }
        for mut m in moves.iter().filter(|m| m.via != moves::DENIED_ASSUME).cloned() {
            // Someone who came onto the instance (a shell through SSM) reached its host from
            // it; otherwise the host (a container that escaped to it) leads to the instance.
            if m.via == moves::ON_INSTANCE && trail.leads_to(&m.to) {
                m = Move { via: moves::HOST_OF.into(), from: m.to, to: m.from, plane: Plane::Host, ..m };
            }
            trail.hop(m, event);
        }
        match seen {
            Seen::Nothing => {}
            Seen::Finding => trail.finding(event, config),
            Seen::Alert(signal) => trail.alert(signal, event, config),
            Seen::Cloud { single, discovery, failed } => {
                if discovery {
                    trail.discovery(event, config);
                }
                if failed {
                    trail.failure(event, config);
                }
                for signal in single {
                    let detail = format!("{} in {}", event.action(), event.account());
                    trail.score(signal, vec![event.id().to_string()], detail, event, config);
                }
                trail.near(event, discovery, config);
            }
        }
        // A denied attempt is drawn after the behavior it scored.
        for m in moves.into_iter().filter(|m| m.via == moves::DENIED_ASSUME) {
            trail.hop(m, event);
        }
        Some(origin)
    }

    /// The trails of `origins` that are due a report: crossing the threshold for the first
    /// time, or with new risk or hops since their last report. Each report bumps the
    /// revision.
    pub fn due(&mut self, origins: &[String], config: &Config) -> Vec<&Trail> {
        let mut reported = Vec::new();
        for origin in origins {
            if let Some(trail) = self.trails.get_mut(origin) {
                let first = trail.revision == 0 && trail.risk >= config.threshold;
                if first || (trail.revision > 0 && trail.changed) {
                    trail.revision += 1;
                    trail.changed = false;
                    reported.push(origin);
                }
            }
        }
        reported.into_iter().filter_map(|origin| self.trails.get(origin)).collect()
    }

    fn make_room(&mut self, config: &Config) {
        if self.trails.len() >= config.max_trails {
            let entries = self.trails.iter().map(|(k, t)| (t.last_seen, k));
            let stale: Vec<String> = stalest(entries, config.max_trails).into_iter().cloned().collect();
            for key in stale {
                self.trails.remove(&key);
            }
        }
    }

    /// Forgets trails idle for longer than the TTL, measured in stream time.
    pub fn expire(&mut self, now: i64, config: &Config) {
        let horizon = now - config.ttl_hours * 3_600_000;
        self.trails.retain(|_, t| t.last_seen >= horizon);
    }
}
