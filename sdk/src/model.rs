//! The normalized event, owned: one model for every plane (cloud APIs of AWS, GCP and Azure,
//! Kubernetes, the network, hosts and containers), as the host's normalizers fill it and its
//! enrichment stage completes it, and as a test builds one.
//!
//! Field names follow OCSF where OCSF has the field (API Activity 6003, Network Activity
//! 4001, Process Activity 1007, File System Activity 1001, Detection Finding 2004). A
//! detector never holds this type: [`crate::batch::Builder`] lays events out as the columns
//! of a batch (the shape contract 0.2.0 sends), and a detector reads them through
//! [`crate::Event`].

use std::fmt;

// The closed sets are the contract's own enums, so the model and what crosses are one type.
pub use crate::bindings::types::{AccessLevel, Category, Plane};

// The enums are generated, so their defaults cannot be derived.
#[allow(clippy::derivable_impls)]
impl Default for Plane {
    fn default() -> Self {
        Plane::Cloud
    }
}

#[allow(clippy::derivable_impls)]
impl Default for Category {
    fn default() -> Self {
        Category::Management
    }
}

impl Plane {
    pub fn as_str(self) -> &'static str {
        match self {
            Plane::Cloud => "cloud",
            Plane::Kubernetes => "kubernetes",
            Plane::Network => "network",
            Plane::Host => "host",
            Plane::Finding => "finding",
        }
    }
}

/// The OCSF event class an event maps to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum OcsfClass {
    /// 6003: a call to a cloud or Kubernetes API.
    #[default]
    ApiActivity,
    /// 4001: traffic between two endpoints.
    NetworkActivity,
    /// 1007: a process started, or something a process did.
    ProcessActivity,
    /// 1001: a file read, written or changed.
    FileSystemActivity,
    /// 2004: a detection reported by another system or detector.
    DetectionFinding,
}

impl OcsfClass {
    /// OCSF `class_uid`.
    pub fn uid(self) -> u32 {
        match self {
            OcsfClass::ApiActivity => 6003,
            OcsfClass::NetworkActivity => 4001,
            OcsfClass::ProcessActivity => 1007,
            OcsfClass::FileSystemActivity => 1001,
            OcsfClass::DetectionFinding => 2004,
        }
    }
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::Compute,
        Category::Storage,
        Category::Network,
        Category::Database,
        Category::Identity,
        Category::Management,
        Category::Security,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Compute => "compute",
            Category::Storage => "storage",
            Category::Network => "network",
            Category::Database => "database",
            Category::Identity => "identity",
            Category::Management => "management",
            Category::Security => "security",
        }
    }
}

impl AccessLevel {
    pub const ALL: [AccessLevel; 5] = [
        AccessLevel::List,
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::PermissionsManagement,
        AccessLevel::Tagging,
    ];

    /// The name as AWS writes it (`Permissions management`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }

    /// The level named as AWS writes it.
    pub fn parse(text: &str) -> Option<Self> {
        AccessLevel::ALL.into_iter().find(|level| level.as_str() == text)
    }

    /// List and Read change nothing.
    pub fn is_read_only(self) -> bool {
        matches!(self, AccessLevel::List | AccessLevel::Read)
    }
}

/// The harm an action can do in the wrong hands (Cloudsplaining's and policy_sentry's risk
/// categories), as a set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Risks(u8);

/// One risk category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Risk {
    /// The action can grant its caller more permissions than it has.
    PrivilegeEscalation,
    /// The action can open a resource to other accounts or the public.
    ResourceExposure,
    /// The action can read data out of a store.
    DataExfiltration,
    /// The action can return credentials, secrets or tokens.
    CredentialExposure,
    /// The action can blind logging, monitoring or protection.
    DefenseEvasion,
}

impl Risk {
    pub const ALL: [Risk; 5] = [
        Risk::PrivilegeEscalation,
        Risk::ResourceExposure,
        Risk::DataExfiltration,
        Risk::CredentialExposure,
        Risk::DefenseEvasion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Risk::PrivilegeEscalation => "privilege-escalation",
            Risk::ResourceExposure => "resource-exposure",
            Risk::DataExfiltration => "data-exfiltration",
            Risk::CredentialExposure => "credential-exposure",
            Risk::DefenseEvasion => "defense-evasion",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Risk::ALL.into_iter().find(|risk| risk.as_str() == text)
    }

    fn bit(self) -> u8 {
        1 << Risk::ALL.iter().position(|r| *r == self).unwrap_or_default()
    }
}

impl Risks {
    pub const NONE: Risks = Risks(0);

    pub fn with(self, risk: Risk) -> Self {
        Risks(self.0 | risk.bit())
    }

    pub fn contains(self, risk: Risk) -> bool {
        self.0 & risk.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Risk> {
        Risk::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    /// The set as bits, in the order of [`Risk::ALL`] (bit 0 is privilege escalation).
    /// The set whose bits are `bits`, bit `i` being [`Risk::ALL`]`[i]`: the order of
    /// contract 0.2.0's `risks` flags, so the two convert bit for bit.
    pub fn from_bits(bits: u8) -> Self {
        Risks(bits & ((1 << Risk::ALL.len()) - 1))
    }

    pub fn bits(self) -> u8 {
        self.0
    }
}

impl FromIterator<Risk> for Risks {
    fn from_iter<I: IntoIterator<Item = Risk>>(iter: I) -> Self {
        iter.into_iter().fold(Risks::NONE, Risks::with)
    }
}

impl fmt::Display for Risks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Risk::as_str).collect();
        f.write_str(&names.join(","))
    }
}

/// Who performed the action, normalized across providers and identity kinds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    /// Stable principal id: an ARN, a GCP principal email, an Azure object id or UPN, a
    /// Kubernetes user name; `unknown` when the log names nobody.
    pub id: String,
    /// The identity kind as the provider names it (CloudTrail `userIdentity.type`,
    /// `ServiceAccount` / `User` for GCP, `ServicePrincipal` for Azure, ...).
    pub kind: String,
    /// Account, project, subscription or tenant that owns the principal, when known.
    pub account: String,
    /// Human-readable name (user name, role name, display name).
    pub name: Option<String>,
    pub access_key: Option<String>,
    /// For assumed roles and federated users: the role session name.
    pub session_name: Option<String>,
    /// The role or user that issued the session.
    pub session_issuer: Option<String>,
    /// `sourceIdentity` carried across role chains.
    pub source_identity: Option<String>,
    pub mfa: bool,
    /// The service that acted on the principal's behalf.
    pub invoked_by: Option<String>,
    /// The principals this identity is acting for, the original caller first: GCP's
    /// `serviceAccountDelegationInfo`, a Kubernetes impersonating user.
    pub delegation: Vec<String>,
}

/// A resource an event touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resource {
    /// Resource type, e.g. `AWS::S3::Bucket`, `storage.buckets`, `Microsoft.Compute/virtualMachines`, `pods`.
    pub kind: String,
    /// ARN or provider id.
    pub id: String,
    pub account: Option<String>,
}

/// Traffic between two endpoints (VPC flow logs; a host's connection).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Network {
    pub src_addr: Option<String>,
    pub src_port: Option<u16>,
    pub dst_addr: Option<String>,
    pub dst_port: Option<u16>,
    /// IANA protocol number (6 TCP, 17 UDP, 1 ICMP).
    pub protocol: Option<u8>,
    pub bytes: Option<u64>,
    pub packets: Option<u64>,
    /// The traffic was let through (`ACCEPT`) or not (`REJECT`); `None` when not recorded.
    pub allowed: Option<bool>,
    /// Network interface, e.g. `eni-0123456789abcdef0`.
    pub interface: Option<String>,
    /// The flow's window, milliseconds since the Unix epoch.
    pub end: Option<i64>,
}

/// What happened on a host or in a container (Falco's `output_fields`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Process {
    pub hostname: Option<String>,
    /// `proc.name`.
    pub name: Option<String>,
    /// `proc.exepath` or `proc.exe`.
    pub exe: Option<String>,
    /// `proc.cmdline`.
    pub cmdline: Option<String>,
    pub pid: Option<i64>,
    /// `proc.pname`: the parent process's name.
    pub parent: Option<String>,
    /// `user.name`.
    pub user: Option<String>,
    /// `fd.name`: the file or connection the process used.
    pub file: Option<String>,
    pub container_id: Option<String>,
    pub container_name: Option<String>,
    /// `container.image.repository` (with its tag when known).
    pub image: Option<String>,
    pub privileged: Option<bool>,
    pub pod: Option<String>,
    pub namespace: Option<String>,
    /// Host folders mounted into the pod (Kubernetes `hostPath` volumes).
    pub host_paths: Vec<String>,
    /// The pod shares the host's process namespace (`hostPID`).
    pub host_pid: Option<bool>,
    /// The pod shares the host's network namespace (`hostNetwork`).
    pub host_network: Option<bool>,
}

/// A detection carried by the event: an upstream alert (a Falco rule that fired) or, for
/// events of the finding plane, a finding of another plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Alert {
    /// The rule that fired (Falco `rule`, a plugin's rule id).
    pub rule: String,
    pub severity: crate::Severity,
    pub tags: Vec<String>,
    /// What reported it: `falco`, or the plugin's name.
    pub reporter: String,
}

/// The provider's own ids for the call, for pivoting back into the provider's console.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderIds {
    /// CloudTrail `requestID`, GCP `operation.id`, Kubernetes `auditID`.
    pub request: Option<String>,
    /// Azure `correlationId`, CloudTrail `sharedEventID`, GCP `insertId`.
    pub correlation: Option<String>,
}

/// Where an actor's trail began, as the enrichment stage follows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lineage {
    /// The identity the chain of role assumptions, sessions and impersonations started from.
    pub origin: String,
    /// Hops from the origin to this actor (0: the actor is its own origin).
    pub hops: u32,
    /// The identity that obtained the temporary access key this call was made with.
    pub key_obtained_by: Option<String>,
}

/// What the host knows about an action beyond what the log says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Enrichment {
    /// MITRE ATT&CK technique ids the action serves, e.g. `T1098.001`.
    pub techniques: &'static [&'static str],
    pub risks: Risks,
    pub lineage: Lineage,
}

/// One normalized event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    /// The provider's event id, or a stable id derived from the record's content.
    pub id: String,
    /// Milliseconds since the Unix epoch.
    pub time: i64,
    /// `aws`, `gcp`, `azure`, `kubernetes`, `host`.
    pub provider: String,
    /// The log source, one of the host's source types (`aws-cloudtrail`, ...).
    pub source: String,
    pub plane: Plane,
    pub class: OcsfClass,
    pub category: Category,
    /// Service endpoint: `iam.amazonaws.com`, `storage.googleapis.com`, `Microsoft.Authorization`.
    pub service: String,
    /// What was done: CloudTrail `eventName`, GCP `methodName`, Azure `operationName`, a
    /// Kubernetes verb and resource (`create pods`), `ACCEPT`/`REJECT` for a flow, the rule a
    /// Falco alert fired.
    pub action: String,
    /// How much access the action exercises, when the host knows it.
    pub access_level: Option<AccessLevel>,
    pub success: bool,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub read_only: bool,
    /// A control-plane call rather than a data access.
    pub management: bool,
    /// Account, project, subscription or cluster the event was recorded in.
    pub account: String,
    /// Region or location.
    pub region: String,
    pub actor: Actor,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub resources: Vec<Resource>,
    // Boxed: most events have none of these, and every event is moved between threads.
    pub network: Option<Box<Network>>,
    pub process: Option<Box<Process>>,
    pub alert: Option<Box<Alert>>,
    pub ids: ProviderIds,
    pub enrichment: Enrichment,
}

impl Event {
    /// The first resource of the given kind.
    pub fn resource(&self, kind: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.kind == kind)
    }
}
