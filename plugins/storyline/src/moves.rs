//! The moves one event shows between the entities of a trail, whatever its plane: credentials
//! an STS call hands out, a shell opened on an instance, an instance's role session in use,
//! impersonation (GCP service accounts, Kubernetes), a Falco event on a container and then on
//! its host (a `container escape` when an escape alert fires), and, when nothing else says
//! how the actor got there, the link the host's lineage traced.

use trailhound_sdk::aws::arn_account;
use trailhound_sdk::model::Plane;
use trailhound_sdk::Event;

use crate::signals::{self, Signal};

/// One move: from one entity to another the actor now controls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub via: String,
    pub from: String,
    pub to: String,
    /// The plane and account of `to`.
    pub plane: Plane,
    pub account: String,
}

/// How a hop was made when the call that issued the actor's credentials is not on the trail
/// (it came before the trail was opened again after expiring, or before the detector ran):
/// with the key the host says another identity obtained.
pub const ISSUED_CREDENTIALS: &str = "issued credentials";
/// How an actor came onto the trail when only the host's lineage says so.
pub const TRACED: &str = "traced by the host";
pub const INSTANCE_ROLE: &str = "instance role";
pub const CONTAINER_ESCAPE: &str = "container escape";
/// A host's processes run on the instance the host maps it to, and the instance's host is
/// where a shell opened on the instance lands.
pub const ON_INSTANCE: &str = "runs on";
pub const HOST_OF: &str = "on its host";
/// A denied AssumeRole into another account: an attempted move, drawn so the reader sees
/// where the actor knocked.
pub const DENIED_ASSUME: &str = "sts:AssumeRole (denied)";

/// The node id of a Falco event's host and container.
pub fn host_node(event: &Event) -> Option<String> {
    event.process().and_then(|p| p.hostname()).map(|h| format!("host:{h}"))
}

pub fn container_node(event: &Event) -> Option<String> {
    let id = event.process()?.container_id()?;
    (!id.is_empty() && id != "host").then(|| format!("container:{id}"))
}

/// The entity an event happened at: its container or host for host-plane events, its actor
/// otherwise.
pub fn at(event: &Event) -> String {
    if event.plane() == Plane::Host {
        if let Some(node) = container_node(event).or_else(|| host_node(event)) {
            return node;
        }
    }
    event.actor().id().to_string()
}

/// The instance id in a trail's origin (`instance:i-…`, as the host names an instance with
/// no known human behind it) or a host name (`i-….ec2.internal`).
fn instance_in(name: &str) -> Option<&str> {
    let name = name.strip_prefix("instance:").unwrap_or(name);
    let id = name.split('.').next()?;
    trailhound_sdk::aws::is_instance_id(id).then_some(id)
}

/// The node id of an instance on a trail: the origin itself when the host named the trail
/// after it.
pub fn instance_node(origin: &str, instance: &str) -> String {
    if instance_in(origin) == Some(instance) && origin.starts_with("instance:") {
        origin.to_string()
    } else {
        instance.to_string()
    }
}

/// The moves of one event on the trail of `origin`.
pub fn of(event: &Event, origin: &str) -> Vec<Move> {
    match event.plane() {
        Plane::Host => host(event, origin),
        Plane::Finding | Plane::Network => Vec::new(),
        Plane::Cloud | Plane::Kubernetes => {
            let mut out = arrival(event, origin);
            out.extend(delegation(event));
            out.extend(issued(event, origin));
            out
        }
    }
}

fn cloud(via: impl Into<String>, from: &str, to: &str, account: &str) -> Move {
    Move { via: via.into(), from: from.into(), to: to.into(), plane: Plane::Cloud, account: account.into() }
}

/// How the actor got onto the trail when it is not the origin: an instance's role session
/// comes from the instance; a session whose key another identity obtained, from that
/// identity; otherwise from the origin, as the host traced it.
fn arrival(event: &Event, origin: &str) -> Vec<Move> {
    let actor = event.actor();
    if event.lineage().hops() == 0 || actor.id() == origin {
        return Vec::new();
    }
    let plane = event.plane();
    let (via, from) = match actor.session_name().filter(|s| trailhound_sdk::aws::is_instance_id(s)) {
        Some(instance) => (INSTANCE_ROLE, instance_node(origin, instance)),
        None => match event.lineage().key_obtained_by().filter(|by| *by != actor.id()) {
            Some(by) => (ISSUED_CREDENTIALS, by.to_string()),
            // Impersonation names its own chain (see `delegation`).
            None if actor.delegation().next().is_some() => return Vec::new(),
            None => (TRACED, origin.to_string()),
        },
    };
    vec![Move { via: via.into(), from, to: actor.id().into(), plane, account: actor.account().into() }]
}

/// Impersonation: each principal of the delegation chain acts as the next, the last as the
/// actor (GCP `serviceAccountDelegationInfo`, a Kubernetes impersonating user).
fn delegation(event: &Event) -> Vec<Move> {
    let actor = event.actor();
    let chain: Vec<&str> = actor.delegation().chain(std::iter::once(actor.id())).collect();
    let via = if event.plane() == Plane::Kubernetes { "k8s:impersonate" } else { "impersonation" };
    chain
        .windows(2)
        .filter(|pair| pair[0] != pair[1])
        .map(|pair| Move {
            via: via.into(),
            from: pair[0].into(),
            to: pair[1].into(),
            plane: event.plane(),
            account: actor.account().into(),
        })
        .collect()
}

/// Credentials or a shell the call hands its actor, and cross-account assumes it was denied.
fn issued(event: &Event, origin: &str) -> Vec<Move> {
    let actor = event.actor().id();
    if let Some(to) = signals::moved_to(event) {
        let via = format!("{}:{}", event.service().split('.').next().unwrap_or_default(), event.action());
        let to = if trailhound_sdk::aws::is_instance_id(&to) { instance_node(origin, &to) } else { to };
        let account = arn_account(&to).unwrap_or(event.account()).to_string();
        return vec![cloud(via, actor, &to, &account)];
    }
    match event.field(signals::ROLE_ARN) {
        Some(role) if signals::denied_cross_account_assume(event) => {
            vec![cloud(DENIED_ASSUME, actor, role, arn_account(role).unwrap_or_default())]
        }
        _ => Vec::new(),
    }
}

/// A host-plane event: its container runs on its host (a container escape when the alert
/// says so), and a host the host maps to an instance runs on that instance.
fn host(event: &Event, origin: &str) -> Vec<Move> {
    let Some(host) = host_node(event) else {
        return Vec::new();
    };
    let account = event.account().to_string();
    let mut out = Vec::new();
    if let Some(container) = container_node(event) {
        if crate::alerts::falco_behavior(event) == Some(Signal::ContainerEscape) {
            out.push(Move {
                via: CONTAINER_ESCAPE.into(),
                from: container,
                to: host.clone(),
                plane: Plane::Host,
                account: account.clone(),
            });
        }
    }
    let instance = instance_in(origin).or_else(|| instance_in(host.trim_start_matches("host:")));
    if let Some(instance) = instance {
        let to = instance_node(origin, instance);
        out.push(Move { via: ON_INSTANCE.into(), from: host, to, plane: Plane::Cloud, account });
    }
    out
}

/// A node's kind, by the shape of its id.
pub fn kind_of(id: &str) -> &'static str {
    if id.starts_with("host:") {
        "host"
    } else if id.starts_with("container:") {
        "container"
    } else if instance_in(id).is_some() {
        "instance"
    } else if id.contains(":assumed-role/") || id.contains(":federated-user/") {
        "role-session"
    } else if id.contains(":role/") {
        "role"
    } else if id.starts_with("system:serviceaccount:") || id.ends_with(".gserviceaccount.com") {
        "service-account"
    } else {
        "principal"
    }
}

/// A short name to print: the last part of an ARN or path, a host's name.
pub fn label_of(id: &str) -> String {
    let id = id.strip_prefix("host:").or_else(|| id.strip_prefix("instance:")).unwrap_or(id);
    if let Some(container) = id.strip_prefix("container:") {
        return format!("container {}", &container[..container.len().min(12)]);
    }
    if id.contains(":assumed-role/") {
        // role/session: both parts tell the reader something.
        return id
            .rsplitn(3, '/')
            .take(2)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("/");
    }
    id.rsplit(['/', ':']).find(|s| !s.is_empty()).unwrap_or(id).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_labels_follow_the_shape_of_ids() {
        let session = "arn:aws:sts::1:assumed-role/dev-admin/botocore-session-1";
        assert_eq!(
            (kind_of(session), label_of(session).as_str()),
            ("role-session", "dev-admin/botocore-session-1")
        );
        assert_eq!(kind_of("i-0a4f19c2d7e3b5816"), "instance");
        assert_eq!(kind_of("instance:i-0a4f19c2d7e3b5816"), "instance");
        assert_eq!((kind_of("host:web-1"), label_of("host:web-1").as_str()), ("host", "web-1"));
        assert_eq!(label_of("container:0123456789abcdef"), "container 0123456789ab");
        assert_eq!(kind_of("system:serviceaccount:shop:api"), "service-account");
        assert_eq!(label_of("arn:aws:iam::1:user/m.hollis"), "m.hollis");
        assert_eq!(kind_of("arn:aws:iam::1:role/Admin"), "role");
    }

    #[test]
    fn an_instance_named_by_the_origin_is_the_origin() {
        assert_eq!(
            instance_node("instance:i-0a4f19c2d7e3b5816", "i-0a4f19c2d7e3b5816"),
            "instance:i-0a4f19c2d7e3b5816"
        );
        assert_eq!(instance_node("arn:aws:iam::1:user/u", "i-0a4f19c2d7e3b5816"), "i-0a4f19c2d7e3b5816");
        assert_eq!(instance_in("i-0a4f19c2d7e3b5816.ec2.internal"), Some("i-0a4f19c2d7e3b5816"));
        assert_eq!(instance_in("ip-10-0-1-5.ec2.internal"), None);
    }
}
