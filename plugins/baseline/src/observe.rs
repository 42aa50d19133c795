//! What one API call says about who made it, from where and with what: the principal (a
//! role's sessions count as the role), the access key and whether it is a session's, the
//! region, the source address, the tool, the service, the action and its access level, and
//! whether it is discovery. Calls AWS makes for itself or on a principal's behalf
//! (`invokedBy`) carry the service's address and agent, not the principal's, and are left out.

use trailhound_sdk::{AccessLevel, Event, Plane};

use crate::config::Config;
use crate::network::{self, Place};

/// The log sources whose calls are baselined: the cloud control planes and Kubernetes.
pub const SOURCES: [&str; 4] = ["aws-cloudtrail", "gcp-audit", "azure-activity", "k8s-audit"];

/// ATT&CK discovery techniques the host tags reads with (account, permission group, cloud
/// infrastructure, service, storage object, dashboard, log discovery).
const DISCOVERY_TECHNIQUES: [&str; 7] = ["T1087", "T1069", "T1580", "T1526", "T1619", "T1538", "T1654"];

pub struct Call<'a> {
    pub id: &'a str,
    pub time: i64,
    /// The principal as the baseline keeps it: the issuing role of a session, else the actor.
    pub principal: &'a str,
    pub key: Option<&'a str>,
    /// The key is temporary (STS `ASIA…`): a session lives hours, so it learns nothing but
    /// its first network and tools.
    pub session: bool,
    pub region: &'a str,
    /// Where it came from, when its source is an address.
    pub place: Option<Place>,
    pub agent: Option<String>,
    pub user_agent: Option<&'a str>,
    pub service: &'a str,
    pub action: &'a str,
    pub level: Option<AccessLevel>,
    pub discovery: bool,
    pub success: bool,
}

/// The call an event records, when it is one a baseline learns from.
pub fn observe<'a>(event: &Event<'a>, config: &Config) -> Option<Call<'a>> {
    if !matches!(event.plane(), Plane::Cloud | Plane::Kubernetes) {
        return None;
    }
    let actor = event.actor();
    if matches!(actor.id(), "" | "unknown")
        || matches!(actor.kind(), "AWSService" | "Unknown")
        || actor.invoked_by().is_some()
    {
        return None;
    }
    let key = actor.access_key().filter(|k| !k.is_empty());
    let level = event.access_level();
    let discovery = level == Some(AccessLevel::List)
        || (level == Some(AccessLevel::Read)
            && event.techniques().any(|t| DISCOVERY_TECHNIQUES.iter().any(|d| t.starts_with(d))));
    Some(Call {
        id: event.id(),
        time: event.time(),
        principal: actor.session_issuer().filter(|i| !i.is_empty()).unwrap_or(actor.id()),
        key,
        session: key.is_some_and(|k| k.starts_with("ASIA")),
        region: event.region(),
        place: network::address(event.source_ip()).map(|a| Place::of(a, config)),
        agent: crate::agent::family(event.user_agent()),
        user_agent: event.user_agent(),
        service: event.service(),
        action: event.action(),
        level,
        discovery,
        success: event.success(),
    })
}
