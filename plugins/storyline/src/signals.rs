//! What one cloud or Kubernetes event says about its actor: the move it makes to a new
//! identity (credentials issued, a shell on an instance) and the single-event behaviors it
//! carries. Where the actor's trail began is the host's to trace (`event.lineage()`);
//! window-based behaviors (reconnaissance bursts, runs of failed calls) need the trail and
//! live in [`crate::trail`]; Falco alerts and other plugins' findings are read in
//! [`crate::alerts`].

use serde::{Deserialize, Serialize};
use trailhound_sdk::aws::arn_account;
use trailhound_sdk::model::AccessLevel;
use trailhound_sdk::{Event, Severity};

use crate::config::{Config, Weights};

pub const KEY: &str = "$.responseElements.credentials.accessKeyId";
pub const SESSION_ARN: &str = "$.responseElements.assumedRoleUser.arn";
pub const FEDERATED_ARN: &str = "$.responseElements.federatedUser.arn";
pub const ROLE_ARN: &str = "$.requestParameters.roleArn";
pub const EXTERNAL_ID: &str = "$.requestParameters.externalId";
pub const MFA_SERIAL: &str = "$.requestParameters.serialNumber";
pub const SSM_TARGET: &str = "$.requestParameters.target";
pub const INSTANCE_ID: &str = "$.requestParameters.instanceId";
pub const USER_NAME: &str = "$.requestParameters.userName";
pub const SET_AS_DEFAULT: &str = "$.requestParameters.setAsDefault";
pub const SNAPSHOT_ADD: &str = "$.requestParameters.createVolumePermission.add";
pub const DB_SNAPSHOT_ADD: &str = "$.requestParameters.valuesToAdd";

/// Every projected path, in declaration order.
pub const FIELDS: [&str; 12] = [
    KEY,
    SESSION_ARN,
    FEDERATED_ARN,
    ROLE_ARN,
    EXTERNAL_ID,
    MFA_SERIAL,
    SSM_TARGET,
    INSTANCE_ID,
    USER_NAME,
    SET_AS_DEFAULT,
    SNAPSHOT_ADD,
    DB_SNAPSHOT_ADD,
];

/// The kinds of risk a trail accumulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Signal {
    ReconBurst,
    MultiRegionDiscovery,
    PermissionDiscovery,
    UnguardedAssume,
    PolicyDefaultVersion,
    AccessKeyForOtherUser,
    SnapshotSharedExternally,
    CrossAccountAssume,
    CrossAccountAssumeDenied,
    FailedCalls,
    IamChange,
    AccessKeyCreated,
    PolicyVersionCreated,
    SnapshotCreated,
    ContainerEscape,
    Shell,
    MetadataCredentials,
    /// Another plugin's finding; its label, severity and techniques are the finding's.
    Finding,
}

impl Signal {
    pub fn weight(self, w: &Weights) -> u32 {
        match self {
            Signal::ReconBurst => w.recon_burst,
            Signal::MultiRegionDiscovery => w.multi_region_discovery,
            Signal::PermissionDiscovery => w.permission_discovery,
            Signal::UnguardedAssume => w.unguarded_assume,
            Signal::PolicyDefaultVersion => w.policy_default_version,
            Signal::AccessKeyForOtherUser => w.access_key_for_other_user,
            Signal::SnapshotSharedExternally => w.snapshot_shared_externally,
            Signal::CrossAccountAssume => w.cross_account_assume,
            Signal::CrossAccountAssumeDenied => w.cross_account_assume_denied,
            Signal::FailedCalls => w.failed_calls,
            Signal::IamChange => w.iam_change,
            Signal::AccessKeyCreated => w.access_key_created,
            Signal::PolicyVersionCreated => w.policy_version_created,
            Signal::SnapshotCreated => w.snapshot_created,
            Signal::ContainerEscape => w.container_escape,
            Signal::Shell => w.shell,
            Signal::MetadataCredentials => w.metadata_credentials,
            // Weighed by the finding's severity, see `SeverityWeights`.
            Signal::Finding => 0,
        }
    }

    /// Discovery counts once per trail: doing more of it is not more suspicious.
    pub fn once_per_trail(self) -> bool {
        matches!(self, Signal::ReconBurst | Signal::MultiRegionDiscovery | Signal::PermissionDiscovery)
    }

    /// Strong signals change something, move data or break out; the rest only look around or knock.
    pub fn strong(self) -> bool {
        matches!(
            self,
            Signal::PolicyDefaultVersion
                | Signal::AccessKeyForOtherUser
                | Signal::SnapshotSharedExternally
                | Signal::ContainerEscape
        )
    }

    /// How bad the behavior is on its own, for the story's steps.
    pub fn severity(self) -> Severity {
        if self.strong() {
            return Severity::High;
        }
        match self {
            Signal::UnguardedAssume
            | Signal::CrossAccountAssume
            | Signal::Shell
            | Signal::MetadataCredentials => Severity::Medium,
            _ => Severity::Low,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Signal::ReconBurst => "reconnaissance burst",
            Signal::MultiRegionDiscovery => "discovery across regions",
            Signal::PermissionDiscovery => "permission discovery",
            Signal::UnguardedAssume => "privileged role assumed without MFA or external id",
            Signal::PolicyDefaultVersion => "IAM policy default version changed",
            Signal::AccessKeyForOtherUser => "access key created for another user",
            Signal::SnapshotSharedExternally => "snapshot shared with a foreign account",
            Signal::CrossAccountAssume => "cross-account role assumed",
            Signal::CrossAccountAssumeDenied => "cross-account AssumeRole denied",
            Signal::FailedCalls => "repeated denied calls",
            Signal::IamChange => "permissions changed",
            Signal::AccessKeyCreated => "access key created",
            Signal::PolicyVersionCreated => "IAM policy version created",
            Signal::SnapshotCreated => "snapshot created",
            Signal::ContainerEscape => "container escape",
            Signal::Shell => "shell",
            Signal::MetadataCredentials => "instance metadata credentials read",
            Signal::Finding => "finding of another plugin",
        }
    }

    pub fn techniques(self) -> &'static [&'static str] {
        match self {
            Signal::ReconBurst => &["T1087.004", "T1580"],
            Signal::MultiRegionDiscovery => &["T1580"],
            Signal::PermissionDiscovery => &["T1069.003"],
            Signal::UnguardedAssume => &["T1078.004"],
            Signal::PolicyDefaultVersion => &["T1098.003"],
            Signal::AccessKeyForOtherUser => &["T1098.001"],
            Signal::SnapshotSharedExternally => &["T1537"],
            Signal::CrossAccountAssume => &["T1550.001", "T1078.004"],
            Signal::CrossAccountAssumeDenied => &["T1078.004"],
            Signal::FailedCalls => &["T1580"],
            Signal::IamChange => &["T1098"],
            Signal::AccessKeyCreated => &["T1098.001"],
            Signal::PolicyVersionCreated => &["T1098.003"],
            Signal::SnapshotCreated => &["T1578.001"],
            Signal::ContainerEscape => &["T1611"],
            Signal::Shell => &["T1059.004"],
            Signal::MetadataCredentials => &["T1552.005"],
            // The finding's own techniques.
            Signal::Finding => &[],
        }
    }
}

/// The identity a successful event hands its actor: the session (or federated user, or role)
/// of issued credentials, or the instance a shell was opened on, whose role sessions are
/// named after its id. Services assuming their own roles (Lambda, ECS tasks, EC2 instance
/// profiles) are not an actor moving: they are skipped.
pub fn moved_to(event: &Event) -> Option<String> {
    if !event.success() || event.actor().kind() == "AWSService" {
        return None;
    }
    match event.action() {
        "AssumeRole"
        | "AssumeRoleWithSAML"
        | "AssumeRoleWithWebIdentity"
        | "GetFederationToken"
        | "GetSessionToken" => {
            let session = event.field(SESSION_ARN).or_else(|| event.field(FEDERATED_ARN));
            (event.field(KEY).is_some() || session.is_some()).then(|| {
                session.or_else(|| event.field(ROLE_ARN)).unwrap_or(TEMPORARY_CREDENTIALS).to_string()
            })
        }
        "StartSession" => {
            event.field(SSM_TARGET).filter(|t| trailhound_sdk::aws::is_instance_id(t)).map(str::to_string)
        }
        "SendSSHPublicKey" | "SendSerialConsoleSSHPublicKey" => event.field(INSTANCE_ID).map(str::to_string),
        _ => None,
    }
}

/// What a hop leads to when the call that issued the credentials names no session, federated
/// user or role (GetSessionToken).
pub const TEMPORARY_CREDENTIALS: &str = "temporary credentials";

/// Permission discovery: reading what principals may do.
const PERMISSION_DISCOVERY: [&str; 13] = [
    "ListRolePolicies",
    "ListAttachedRolePolicies",
    "GetRolePolicy",
    "ListUserPolicies",
    "ListAttachedUserPolicies",
    "GetUserPolicy",
    "ListGroupPolicies",
    "ListAttachedGroupPolicies",
    "GetGroupPolicy",
    "GetAccountAuthorizationDetails",
    "ListPolicyVersions",
    "GetPolicyVersion",
    "SimulatePrincipalPolicy",
];

pub fn is_permission_discovery(event: &Event) -> bool {
    event.service() == "iam.amazonaws.com" && PERMISSION_DISCOVERY.contains(&event.action())
}

/// A management-plane read that maps the environment. Denied attempts count too: probing is
/// what reconnaissance looks like from the outside.
pub fn is_discovery(event: &Event) -> bool {
    let a = event.action();
    event.management()
        && (a.starts_with("List") || a.starts_with("Describe") || a.starts_with("Get"))
        && a != "GetMetricData"
}

/// The single-event signals of one event (window signals excepted).
pub fn single(event: &Event, config: &Config) -> Vec<Signal> {
    let mut out = Vec::new();
    if event.actor().kind() == "AWSService" {
        return out;
    }
    if is_permission_discovery(event) {
        out.push(Signal::PermissionDiscovery);
    }
    match event.action() {
        "AssumeRole" => {
            let role = event.field(ROLE_ARN).unwrap_or_default();
            let cross = is_cross_account(event, role);
            if event.success() {
                let guarded = event.field(EXTERNAL_ID).is_some()
                    || event.field(MFA_SERIAL).is_some()
                    || event.actor().mfa();
                if !guarded && config.is_privileged(role) {
                    out.push(Signal::UnguardedAssume);
                }
                if cross {
                    out.push(Signal::CrossAccountAssume);
                }
            } else if denied_cross_account_assume(event) {
                out.push(Signal::CrossAccountAssumeDenied);
            }
        }
        _ if !event.success() => {}
        "SetDefaultPolicyVersion" => out.push(Signal::PolicyDefaultVersion),
        "CreatePolicyVersion" if event.field(SET_AS_DEFAULT) == Some("true") => {
            out.push(Signal::PolicyDefaultVersion)
        }
        "CreatePolicyVersion" => out.push(Signal::PolicyVersionCreated),
        "CreateAccessKey" => {
            let target = event.field(USER_NAME);
            let own =
                event.actor().kind() == "IAMUser" && target.is_none_or(|t| Some(t) == event.actor().name());
            out.push(if target.is_some() && !own {
                Signal::AccessKeyForOtherUser
            } else {
                Signal::AccessKeyCreated
            });
        }
        "google.iam.admin.v1.CreateServiceAccountKey" => out.push(Signal::AccessKeyCreated),
        "CreateSnapshot" | "CreateSnapshots" | "CreateDBSnapshot" | "CreateDBClusterSnapshot" => {
            out.push(Signal::SnapshotCreated)
        }
        "create pods/exec" => out.push(Signal::Shell),
        "ModifySnapshotAttribute" | "ModifyDBSnapshotAttribute" | "ModifyDBClusterSnapshotAttribute"
            if shared_with(event).iter().any(|a| a == "all" || config.is_foreign(a, event.account())) =>
        {
            out.push(Signal::SnapshotSharedExternally);
        }
        _ => {}
    }
    if out.is_empty() && event.success() && is_iam_change(event) {
        out.push(Signal::IamChange);
    }
    out
}

fn is_cross_account(event: &Event, role: &str) -> bool {
    arn_account(role).is_some_and(|a| a != event.actor().account())
}

/// An AssumeRole into another account that was denied: knocking on a foreign door.
pub fn denied_cross_account_assume(event: &Event) -> bool {
    event.action() == "AssumeRole"
        && !event.success()
        && event.denied()
        && event.field(ROLE_ARN).is_some_and(|role| is_cross_account(event, role))
}

/// Services whose permissions-management writes change who may do what.
const IDENTITY_SERVICES: [&str; 5] = [
    "iam.amazonaws.com",
    "iam.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "Microsoft.Authorization",
    "rbac.authorization.k8s.io",
];

/// A write to a policy, role, user or binding: Permissions-management access on an identity
/// service (a `SetIamPolicy` on a project counts: that is where GCP keeps its bindings).
pub fn is_iam_change(event: &Event) -> bool {
    event.access_level() == Some(AccessLevel::PermissionsManagement)
        && (IDENTITY_SERVICES.contains(&event.service()) || event.action().ends_with("SetIamPolicy"))
}

/// Accounts (or `all`) a snapshot-attribute change adds: EC2's `createVolumePermission.add`
/// items (`userId` / `group`), RDS's `valuesToAdd`.
pub fn shared_with(event: &Event) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(add) =
        event.field(SNAPSHOT_ADD).and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
    {
        for item in add["items"].as_array().into_iter().flatten() {
            if let Some(user) = item["userId"].as_str() {
                out.push(user.to_string());
            }
            if item["group"].as_str() == Some("all") {
                out.push("all".into());
            }
        }
    }
    if let Some(values) = event.field(DB_SNAPSHOT_ADD) {
        match serde_json::from_str::<Vec<String>>(values) {
            Ok(list) => out.extend(list),
            Err(_) => out.push(values.to_string()),
        }
    }
    out
}
