//! The entities findings are correlated on, and how each is named so that two findings about
//! the same thing name it alike: a principal by its id (an ARN, an email), a Kubernetes
//! service account by its user name, an access key as `key:ID`, an instance as
//! `instance:i-…`, a host as `host:NAME` (lower case), which are also the forms the host's
//! lineage gives origins that are not principals (`instance:i-…`, `host:NAME`).
//!
//! A host and the cloud calls made from it meet at its private address: EC2 host names
//! (`ip-10-40-7-188.ec2.internal`) spell it, and a call through a VPC endpoint comes from it.
//! The address is an alias ([`address_alias`]) that correlates, not an entity of its own.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

/// What an entity is; names the [`trailhound_sdk::story::Node`] kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Principal,
    ServiceAccount,
    AccessKey,
    Instance,
    Host,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Principal => "principal",
            Kind::ServiceAccount => "service-account",
            Kind::AccessKey => "access-key",
            Kind::Instance => "instance",
            Kind::Host => "host",
        }
    }

    /// The plane an entity of this kind lives on, when the kind decides it (a principal's
    /// plane is the plane of the finding that names it).
    pub fn plane(self) -> Option<&'static str> {
        match self {
            Kind::Principal => None,
            Kind::ServiceAccount => Some("kubernetes"),
            Kind::AccessKey | Kind::Instance => Some("cloud"),
            Kind::Host => Some("host"),
        }
    }
}

/// One entity a finding names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    pub id: String,
    pub kind: Kind,
    pub plane: String,
    /// Account, project or cluster, when known.
    pub account: String,
}

impl Entity {
    pub fn new(id: String, kind: Kind, plane: &str, account: &str) -> Self {
        let plane = kind.plane().unwrap_or(plane).to_string();
        Entity { id, kind, plane, account: account.to_string() }
    }

    /// A short name to print: the last part of an ARN, the name after the prefix.
    pub fn label(&self) -> &str {
        label(&self.id)
    }
}

/// The printable part of an entity id: after `host:`, `instance:`, `key:`, or the last `/`
/// of an ARN.
pub fn label(id: &str) -> &str {
    for prefix in [HOST, INSTANCE, KEY] {
        if let Some(rest) = id.strip_prefix(prefix) {
            return rest;
        }
    }
    id.rsplit('/').next().unwrap_or(id)
}

const HOST: &str = "host:";
const INSTANCE: &str = "instance:";
const KEY: &str = "key:";
const ADDRESS: &str = "address:";
const SERVICE_ACCOUNT: &str = "system:serviceaccount:";
const NODE: &str = "system:node:";

pub fn host_id(hostname: &str) -> String {
    format!("{HOST}{}", hostname.to_ascii_lowercase())
}

pub fn instance_id(instance: &str) -> String {
    format!("{INSTANCE}{instance}")
}

pub fn key_id(key: &str) -> String {
    format!("{KEY}{key}")
}

/// The kind of an entity id written in the forms above.
pub fn kind_of(id: &str) -> Kind {
    if id.starts_with(HOST) {
        Kind::Host
    } else if id.starts_with(INSTANCE) {
        Kind::Instance
    } else if id.starts_with(KEY) {
        Kind::AccessKey
    } else if id.starts_with(SERVICE_ACCOUNT) {
        Kind::ServiceAccount
    } else {
        Kind::Principal
    }
}

/// The entity a lineage origin names: an instance or a host as the host's lineage writes them
/// (`instance:i-…`, `host:NAME`), a Kubernetes node as a host, else a principal or service
/// account by its id. `None` for an origin that names nobody.
pub fn of_origin(origin: &str, plane: &str, account: &str) -> Option<Entity> {
    if origin.is_empty() || origin == "unknown" {
        return None;
    }
    if let Some(name) = origin.strip_prefix(HOST).or_else(|| origin.strip_prefix(NODE)) {
        return Some(Entity::new(host_id(name), Kind::Host, plane, ""));
    }
    let kind = kind_of(origin);
    Some(Entity::new(origin.to_string(), kind, plane, account))
}

/// The alias that ties a host to the calls made from its private address.
pub fn address_alias(address: Ipv4Addr) -> String {
    format!("{ADDRESS}{address}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailhound_sdk::aws::{hostname_instance, ip_name_address, private_address};

    #[test]
    fn origins_name_their_entity() {
        let host = of_origin("host:IP-10-40-7-188.ec2.internal", "host", "").unwrap();
        assert_eq!((host.id.as_str(), host.kind), ("host:ip-10-40-7-188.ec2.internal", Kind::Host));
        let node = of_origin("system:node:ip-10-0-0-1.ec2.internal", "kubernetes", "").unwrap();
        assert_eq!(node.id, "host:ip-10-0-0-1.ec2.internal");
        assert_eq!(of_origin("instance:i-0abc12345", "cloud", "1").unwrap().kind, Kind::Instance);
        let sa = of_origin("system:serviceaccount:orders:worker", "cloud", "").unwrap();
        assert_eq!((sa.kind, sa.plane.as_str()), (Kind::ServiceAccount, "kubernetes"));
        let user = of_origin("arn:aws:iam::1:user/mallory", "cloud", "1").unwrap();
        assert_eq!((user.kind, user.label()), (Kind::Principal, "mallory"));
        assert!(of_origin("", "cloud", "").is_none() && of_origin("unknown", "cloud", "").is_none());
    }

    #[test]
    fn hosts_and_calls_meet_at_the_private_address() {
        let spelled = ip_name_address("ip-10-40-7-188.ec2.internal").unwrap();
        assert_eq!(address_alias(spelled), address_alias(private_address("10.40.7.188").unwrap()));
        assert_eq!(hostname_instance("i-0123456789abcdef0.ec2.internal"), Some("i-0123456789abcdef0"));
        assert_eq!(hostname_instance("ip-10-40-7-188.ec2.internal"), None);
    }

    #[test]
    fn labels_drop_prefixes() {
        assert_eq!(label("host:node-1"), "node-1");
        assert_eq!(label("key:ASIAX"), "ASIAX");
        assert_eq!(label("arn:aws:sts::1:assumed-role/node/i-0abc12345"), "i-0abc12345");
        assert_eq!(label("alice@example.com"), "alice@example.com");
    }
}
