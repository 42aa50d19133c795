//! What the engine hands to routing and sinks: a detector's finding with the context of the
//! events that prove it, and its rendering as an OCSF Detection Finding.

pub mod delivery;
pub mod feedback;
pub mod ocsf;
pub mod recent;
pub mod routes;
pub mod throttle;

use trailhound_sdk::Finding;

/// The few facts about a proving event that a finding carries along.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RelatedEvent {
    pub uid: String,
    /// Milliseconds since the Unix epoch.
    pub time: i64,
    /// `aws`, `gcp`, `azure`, `kubernetes`, `host` (empty in state saved before it was kept).
    #[serde(default)]
    pub provider: String,
    pub service: String,
    pub action: String,
    pub account: String,
    pub region: String,
    pub actor: String,
    pub source_ip: Option<String>,
}

impl RelatedEvent {
    pub fn of(event: &crate::event::Event) -> Self {
        RelatedEvent {
            uid: event.id.clone(),
            time: event.time,
            provider: event.provider.clone(),
            service: event.service.clone(),
            action: event.action.clone(),
            account: event.account.clone(),
            region: event.region.clone(),
            actor: event.actor.id.clone(),
            source_ip: event.source_ip.clone(),
        }
    }
}

impl From<crate::event::Event> for RelatedEvent {
    fn from(event: crate::event::Event) -> Self {
        RelatedEvent {
            uid: event.id,
            time: event.time,
            provider: event.provider,
            service: event.service,
            action: event.action,
            account: event.account,
            region: event.region,
            actor: event.actor.id,
            source_ip: event.source_ip,
        }
    }
}

/// A finding as the host delivers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Plugin that reported it.
    pub plugin: String,
    pub plugin_version: String,
    pub finding: Finding,
    /// The proving events the host could resolve from `finding.event_ids`, in that order.
    pub related: Vec<RelatedEvent>,
    /// Time of the finding: the latest proving event, else the stream time of the call.
    pub time: i64,
}
