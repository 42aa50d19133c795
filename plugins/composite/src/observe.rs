//! What one alert says: a finding of another plugin offered back as an event of the finding
//! plane, or an upstream alert (a Falco rule that fired, a host-plane event). Read into an
//! [`Observation`]: who reported what, how bad, the techniques and tags, the proving events,
//! the entities it names (and the address alias that ties a host to calls made from it), and
//! the links between those entities the alert itself shows.

use serde::{Deserialize, Serialize};
use trailhound_sdk::{aws, Event, Plane, Severity};

use crate::entity::{self, Entity, Kind};
use crate::tactics;

/// The finding's title, in the OCSF Detection Finding the host offers.
pub const TITLE: &str = "$.finding_info.title";
/// The finding's proving events: one id as text, several as a JSON array.
pub const RELATED_EVENTS: &str = "$.finding_info.related_events[*].uid";

/// Text kept from an alert is cut to this many bytes: what a plugin or a log writes is not
/// bounded, the state is.
const MAX_TEXT: usize = 256;
/// Proving event ids kept from one alert.
const MAX_EVENT_IDS: usize = 16;
/// Tags and techniques kept from one alert.
const MAX_TAGS: usize = 24;

/// A link the alert itself shows between two of its entities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub from: String,
    pub to: String,
    /// How: `instance role`, `role chain`, `access key`, `same machine`, ...
    pub via: String,
    pub time: i64,
    pub event_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub reporter: String,
    pub rule: String,
    pub title: String,
    pub severity: Severity,
    /// The plane of what was observed (`host` for a Falco alert, the plane of a finding's
    /// proving event as far as the event shows it).
    pub plane: &'static str,
    pub time: i64,
    pub techniques: Vec<String>,
    /// The tags that are not techniques.
    pub tags: Vec<String>,
    pub event_ids: Vec<String>,
    /// Every entity named, the one it happened at first.
    pub entities: Vec<Entity>,
    /// The entity that names what the alert is about for a new chain: the origin when there
    /// is one, else the entity it happened at.
    pub key: String,
    /// The private address it came from or the host has, as an alias.
    pub address: Option<String>,
    pub links: Vec<Link>,
    pub resources: Vec<String>,
}

impl Observation {
    /// The entity it happened at.
    pub fn node(&self) -> &str {
        &self.entities[0].id
    }

    pub fn tactics(&self) -> Vec<String> {
        tactics::covered(self.tags.iter().map(String::as_str), self.techniques.iter().map(String::as_str))
    }
}

/// Reads an alert-carrying event; `None` for an event without an alert, one that `own` (this
/// plugin's name) reported, or one that names no entity.
pub fn observe(event: &Event<'_>, own: &str) -> Option<Observation> {
    let alert = event.alert()?;
    if alert.reporter() == own || alert.rule().starts_with(crate::report::RULE_PREFIX) {
        return None;
    }
    let plane = plane_of(event);
    let (techniques, tags): (Vec<&str>, Vec<&str>) = alert.tags().partition(|t| tactics::is_technique(t));
    let finding = event.plane() == Plane::Finding;
    let title = match event.field(TITLE) {
        Some(title) if finding && !title.is_empty() => title,
        _ => alert.rule(),
    };
    let event_ids =
        if finding { related_events(event.field_texts(RELATED_EVENTS)) } else { vec![clip(event.id())] };
    let (entities, key, links) = entities(event, plane);
    let key = key.or_else(|| entities.first().map(|e| e.id.clone()))?;
    Some(Observation {
        reporter: clip(alert.reporter()),
        rule: clip(alert.rule()),
        title: clip(title),
        severity: alert.severity(),
        plane,
        time: event.time(),
        techniques: distinct(techniques),
        tags: distinct(tags),
        event_ids,
        entities,
        key,
        address: address(event),
        links,
        resources: event.resources().map(|r| clip(r.id())).filter(|r| !r.is_empty()).take(MAX_TAGS).collect(),
    })
}

/// A finding's plane is not on its event (which is of the finding plane): it is read from
/// what the host copied from its proving event. A process is a host's; a Kubernetes identity
/// (`system:` user names, service accounts, nodes) the cluster's; traffic without a principal
/// the network's; anything else a cloud API's.
fn plane_of(event: &Event<'_>) -> &'static str {
    if event.plane() != Plane::Finding {
        return event.plane().as_str();
    }
    let actor = event.actor();
    if event.process().is_some() {
        "host"
    } else if actor.id().starts_with("system:") || matches!(actor.kind(), "ServiceAccount" | "Node") {
        "kubernetes"
    } else if event.network().is_some() && matches!(actor.id(), "" | "unknown") {
        "network"
    } else {
        "cloud"
    }
}

/// The entities an alert names, the one it happened at first; the key of a chain it would
/// open; and the links it shows between them.
fn entities(event: &Event<'_>, plane: &str) -> (Vec<Entity>, Option<String>, Vec<Link>) {
    let mut named =
        Named { entities: Vec::new(), links: Vec::new(), time: event.time(), event_id: clip(event.id()) };
    let hostname = event.process().and_then(|p| p.hostname()).filter(|h| !h.is_empty());
    let host = hostname.map(|h| named.add(Entity::new(entity::host_id(h), Kind::Host, plane, "")));
    let actor = event.actor();
    let account = actor.account();
    let principal = principal(event, plane).map(|e| named.add(e));
    let origin = event.lineage().origin();
    let origin = if origin == actor.id() {
        principal.clone()
    } else {
        entity::of_origin(&clip(origin), plane, account).map(|e| named.add(e))
    };
    if let Some(instance) = hostname.and_then(aws::hostname_instance) {
        let instance = named.add(Entity::new(entity::instance_id(instance), Kind::Instance, plane, account));
        named.link(host.as_deref(), &instance, "same machine");
    }
    if let (Some(host), Some(origin)) = (&host, &origin) {
        if entity::kind_of(origin) == Kind::Instance {
            named.link(Some(host), origin, "same machine");
        }
    }
    if let Some(principal) = &principal {
        if let Some(instance) = actor.session_name().filter(|s| aws::is_instance_id(s)) {
            let instance =
                named.add(Entity::new(entity::instance_id(instance), Kind::Instance, plane, account));
            named.link(Some(&instance), principal, "instance role");
        }
        // The hop that made this session: from whoever obtained its key when the host knows
        // (an AssumeRole with another session's keys), else from the origin, in one step.
        let obtained_by = event.lineage().key_obtained_by().filter(|by| !by.is_empty() && by != principal);
        if let Some(by) = obtained_by {
            let by = named.add(Entity::new(clip(by), entity::kind_of(by), plane, account));
            named.link(Some(&by), principal, "issued credentials");
        } else if let Some(origin) = origin.as_deref().filter(|o| o != principal) {
            let instance_role = entity::kind_of(origin) == Kind::Instance && event.lineage().hops() <= 1;
            named.link(Some(origin), principal, if instance_role { "instance role" } else { "role chain" });
        }
        if let Some(key) = actor.access_key().filter(|k| !k.is_empty()) {
            let key = named.add(Entity::new(entity::key_id(&clip(key)), Kind::AccessKey, plane, account));
            named.link(Some(principal), &key, "access key");
        }
    }
    (named.entities, origin.or(host).or(principal), named.links)
}

/// The actor as an entity: a principal, a service account, a Kubernetes node as its host;
/// nobody for a host's local user (the host stands for it), a service acting for itself, or
/// an unknown actor.
fn principal(event: &Event<'_>, plane: &str) -> Option<Entity> {
    let actor = event.actor();
    let id = actor.id();
    if matches!(id, "" | "unknown") || matches!(actor.kind(), "HostUser" | "AWSService" | "Unknown") {
        return None;
    }
    if let Some(node) = id.strip_prefix("system:node:") {
        return Some(Entity::new(entity::host_id(node), Kind::Host, plane, ""));
    }
    Some(Entity::new(clip(id), entity::kind_of(id), plane, actor.account()))
}

/// Collects entities without repeats, and links between them.
struct Named {
    entities: Vec<Entity>,
    links: Vec<Link>,
    time: i64,
    event_id: String,
}

impl Named {
    /// Adds an entity unless it is there; returns its id.
    fn add(&mut self, entity: Entity) -> String {
        let id = entity.id.clone();
        if !self.entities.iter().any(|e| e.id == id) {
            self.entities.push(entity);
        }
        id
    }

    fn link(&mut self, from: Option<&str>, to: &str, via: &str) {
        let Some(from) = from.filter(|f| *f != to) else { return };
        if !self.links.iter().any(|l| l.from == from && l.to == to) {
            let (time, event_id) = (self.time, self.event_id.clone());
            self.links.push(Link { from: from.into(), to: to.into(), via: via.into(), time, event_id });
        }
    }
}

/// The address alias: a host's, as its EC2 host name spells it, or the private address a
/// call came from.
fn address(event: &Event<'_>) -> Option<String> {
    let spelled = event.process().and_then(|p| p.hostname()).and_then(aws::ip_name_address);
    spelled.or_else(|| event.source_ip().and_then(aws::private_address)).map(entity::address_alias)
}

/// The proving event ids of a finding, without repeats or empty ones, at most
/// [`MAX_EVENT_IDS`].
fn related_events(ids: Vec<String>) -> Vec<String> {
    distinct(ids.iter().map(String::as_str).filter(|id| !id.is_empty()))
        .into_iter()
        .take(MAX_EVENT_IDS)
        .collect()
}

/// Distinct texts in their order, clipped, at most [`MAX_TAGS`].
fn distinct<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let item = clip(item);
        if out.len() < MAX_TAGS && !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// `text` cut to at most [`MAX_TEXT`] bytes, at a character boundary.
pub fn clip(text: &str) -> String {
    let mut end = text.len().min(MAX_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn related_events_are_distinct_and_bounded() {
        let ids = ["e-1", "e-2", "e-1", ""].map(String::from).to_vec();
        assert_eq!(related_events(ids), ["e-1", "e-2"]);
        let many: Vec<String> = (0..40).map(|i| format!("e-{i}")).collect();
        assert_eq!(related_events(many).len(), MAX_EVENT_IDS);
    }

    #[test]
    fn clip_keeps_characters_whole() {
        let long = "é".repeat(200);
        let clipped = clip(&long);
        assert!(clipped.len() <= MAX_TEXT && clipped.chars().all(|c| c == 'é'));
        assert_eq!(clip("short"), "short");
    }
}
