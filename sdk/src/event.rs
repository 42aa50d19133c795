//! The normalized, enriched event a detector receives, of every plane: cloud APIs, Kubernetes,
//! network flows, hosts and containers.

use serde::{Deserialize, Serialize};

use crate::{Severity, Text};

/// The part of the estate an event comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plane {
    /// A cloud provider's control plane: CloudTrail, GCP audit logs, Azure activity logs.
    #[default]
    Cloud,
    /// A Kubernetes API server's audit log.
    Kubernetes,
    /// Network traffic records (VPC flow logs).
    Network,
    /// Processes, files and containers on a host (Falco).
    Host,
    /// A finding of another plugin, offered back as an event.
    Finding,
}

/// What kind of cloud service an event concerns, the same seven kinds for every provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Virtual machines, containers, functions, batch and orchestration.
    Compute,
    /// Object, block and file storage, and backups.
    Storage,
    /// Load balancers, DNS, CDNs, gateways, VPCs, firewalls and flows.
    Network,
    /// Managed databases, warehouses, streams and search.
    Database,
    /// Identities, credentials, roles and federation.
    Identity,
    /// Operating the estate: logging, monitoring, configuration, deployment, billing.
    #[default]
    Management,
    /// Keys, secrets, threat detection and security posture.
    Security,
}

/// How much access an action exercises, in the terms of AWS's IAM action definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    #[serde(rename = "Permissions management")]
    PermissionsManagement,
    Tagging,
}

/// The harm an action can do in the wrong hands, as a set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Risks {
    pub privilege_escalation: bool,
    pub resource_exposure: bool,
    pub data_exfiltration: bool,
    pub credential_exposure: bool,
    pub defense_evasion: bool,
}

impl Risks {
    pub fn any(&self) -> bool {
        self.privilege_escalation
            || self.resource_exposure
            || self.data_exfiltration
            || self.credential_exposure
            || self.defense_evasion
    }
}

/// Who performed an action, normalized across providers and identity kinds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Stable principal id: an ARN, a GCP principal email, an Azure object id or UPN, a
    /// Kubernetes user name; `unknown` when the log names nobody.
    pub id: Text,
    /// The identity kind as the provider names it (CloudTrail `userIdentity.type`, ...).
    pub kind: Text,
    pub account: Text,
    pub name: Option<Text>,
    pub access_key: Option<Text>,
    pub session_name: Option<Text>,
    /// The role or user that issued the session.
    pub session_issuer: Option<Text>,
    pub source_identity: Option<Text>,
    pub mfa: bool,
    pub invoked_by: Option<Text>,
    /// The principals this identity acts for, the original caller first.
    pub delegation: Vec<Text>,
}

/// Where an actor's trail began, as the host follows role assumptions and impersonations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lineage {
    /// The identity the chain started from (the actor itself when it is its own origin).
    pub origin: Text,
    /// Hops from the origin to this actor.
    pub hops: u32,
    /// The identity that obtained the temporary access key this call was made with.
    pub key_obtained_by: Option<Text>,
}

/// A resource an event touched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// Resource type, e.g. `AWS::S3::Bucket`, `storage.buckets`, `pods`.
    pub kind: Text,
    /// ARN or provider id.
    pub id: Text,
    pub account: Option<Text>,
}

/// Traffic between two endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    pub src_addr: Option<Text>,
    pub src_port: Option<u16>,
    pub dst_addr: Option<Text>,
    pub dst_port: Option<u16>,
    /// IANA protocol number (6 TCP, 17 UDP, 1 ICMP).
    pub protocol: Option<u8>,
    pub bytes: Option<u64>,
    pub packets: Option<u64>,
    /// Let through (`ACCEPT`) or not (`REJECT`), when recorded.
    pub allowed: Option<bool>,
    pub interface: Option<Text>,
    /// End of the flow's window, ms since the Unix epoch.
    pub end: Option<i64>,
}

/// What happened on a host or in a container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    pub hostname: Option<Text>,
    pub name: Option<Text>,
    pub exe: Option<Text>,
    pub cmdline: Option<Text>,
    pub pid: Option<i64>,
    /// The parent process's name.
    pub parent: Option<Text>,
    pub user: Option<Text>,
    /// The file or connection the process used.
    pub file: Option<Text>,
    pub container_id: Option<Text>,
    pub container_name: Option<Text>,
    pub image: Option<Text>,
    pub privileged: Option<bool>,
    pub pod: Option<Text>,
    pub namespace: Option<Text>,
}

/// A detection the event carries: an upstream alert (a Falco rule that fired) or another
/// plugin's finding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub rule: Text,
    pub severity: Severity,
    pub tags: Vec<Text>,
    /// What reported it: `falco`, or the plugin's name.
    pub reporter: Text,
}

/// One normalized, enriched event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: Text,
    /// Milliseconds since the Unix epoch.
    pub time: i64,
    /// `aws`, `gcp`, `azure`, `kubernetes`, `host`.
    pub provider: Text,
    /// The log source: `aws-cloudtrail`, `gcp-audit`, `azure-activity`, `k8s-audit`, ...
    pub source: Text,
    pub plane: Plane,
    /// The OCSF class: 6003 API Activity, 4001 Network Activity, 1007 Process Activity,
    /// 1001 File System Activity, 2004 Detection Finding.
    pub class_uid: u32,
    pub category: Category,
    pub service: Text,
    pub action: Text,
    /// How much access the action exercises, when the host knows it.
    pub access_level: Option<AccessLevel>,
    pub success: bool,
    pub error_code: Option<Text>,
    pub error_message: Option<Text>,
    pub read_only: bool,
    pub management: bool,
    /// Account, project, subscription or cluster the event was recorded in.
    pub account: Text,
    /// Region or location.
    pub region: Text,
    pub actor: Actor,
    pub source_ip: Option<Text>,
    pub user_agent: Option<Text>,
    pub resources: Vec<Resource>,
    pub network: Option<Network>,
    pub process: Option<Process>,
    pub alert: Option<Alert>,
    /// The provider's id of the call (CloudTrail `requestID`, Kubernetes `auditID`).
    pub request_id: Option<Text>,
    /// The provider's id tying calls together (Azure `correlationId`, ...).
    pub correlation_id: Option<Text>,
    /// MITRE ATT&CK technique ids the action serves.
    pub techniques: Vec<Text>,
    pub risks: Risks,
    pub lineage: Lineage,
    /// Projected values, in the order of [`crate::Info::fields`]; read them with [`Event::field`].
    pub fields: Vec<Option<Text>>,
    /// The raw record as JSON text, when [`crate::Info::raw`] was asked for.
    pub raw: Option<Text>,
}

impl Event {
    /// The value the host projected for `path`, one of the paths declared in [`crate::Info::fields`].
    /// A string match comes as-is; other matches as JSON text.
    pub fn field(&self, path: &str) -> Option<&str> {
        let index = crate::fields::index_of(path)?;
        self.field_at(index)
    }

    /// The projected value at `index` of [`crate::Info::fields`].
    pub fn field_at(&self, index: usize) -> Option<&str> {
        self.fields.get(index)?.as_deref()
    }

    /// The raw record parsed as JSON, when it was asked for.
    pub fn raw_json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(self.raw.as_deref()?).ok()
    }

    /// The first resource of the given kind.
    pub fn resource(&self, kind: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.kind == kind)
    }

    /// True when the call failed with an access-denied style error.
    pub fn denied(&self) -> bool {
        matches!(self.error_code.as_deref(), Some(code) if code.contains("AccessDenied") || code.contains("Unauthorized") || code.contains("PERMISSION_DENIED") || code == "403")
    }
}
