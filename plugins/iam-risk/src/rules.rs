//! The single-event signals of AWS: one function that looks at one event and returns at
//! most one finding.

use trailhound_sdk::aws::arn_account;
use trailhound_sdk::{Event, Finding, Severity};

use crate::Config;

pub const ROLE_ARN: &str = "$.requestParameters.roleArn";
pub const EXTERNAL_ID: &str = "$.requestParameters.externalId";
pub const MFA_SERIAL: &str = "$.requestParameters.serialNumber";
pub const USER_NAME: &str = "$.requestParameters.userName";
pub const POLICY_ARN: &str = "$.requestParameters.policyArn";
pub const VERSION_ID: &str = "$.requestParameters.versionId";
pub const SET_AS_DEFAULT: &str = "$.requestParameters.setAsDefault";
pub const SNAPSHOT_ID: &str = "$.requestParameters.snapshotId";
pub const SNAPSHOT_ADD: &str = "$.requestParameters.createVolumePermission.add";
pub const DB_SNAPSHOT_ID: &str = "$.requestParameters.dBSnapshotIdentifier";
pub const DB_SNAPSHOT_ADD: &str = "$.requestParameters.valuesToAdd";

pub const FIELDS: [&str; 11] = [
    ROLE_ARN,
    EXTERNAL_ID,
    MFA_SERIAL,
    USER_NAME,
    POLICY_ARN,
    VERSION_ID,
    SET_AS_DEFAULT,
    SNAPSHOT_ID,
    SNAPSHOT_ADD,
    DB_SNAPSHOT_ID,
    DB_SNAPSHOT_ADD,
];

pub const RULE_POLICY_VERSION: &str = "aws.iam.policy-default-version-changed";
pub const RULE_ACCESS_KEY: &str = "aws.iam.access-key-created-for-other-user";
pub const RULE_SNAPSHOT_SHARED: &str = "aws.ec2.snapshot-shared-externally";
pub const RULE_UNGUARDED_ASSUME: &str = "aws.sts.privileged-role-assumed-without-mfa";
pub const RULE_CROSS_ACCOUNT_DENIED: &str = "aws.sts.cross-account-assume-denied";

/// Every action [`evaluate`] looks at; the host sends no others.
pub const ACTIONS: [&str; 7] = [
    "AssumeRole",
    "SetDefaultPolicyVersion",
    "CreatePolicyVersion",
    "CreateAccessKey",
    "ModifySnapshotAttribute",
    "ModifyDBSnapshotAttribute",
    "ModifyDBClusterSnapshotAttribute",
];

/// The finding this event proves on its own, if any.
pub fn evaluate(event: &Event, config: &Config) -> Option<Finding> {
    match event.action() {
        "AssumeRole" => assume_role(event, config),
        _ if !event.success() => None,
        "SetDefaultPolicyVersion" => policy_version(event, event.field(VERSION_ID)),
        "CreatePolicyVersion" if event.field(SET_AS_DEFAULT) == Some("true") => policy_version(event, None),
        "CreateAccessKey" => access_key(event),
        "ModifySnapshotAttribute" | "ModifyDBSnapshotAttribute" | "ModifyDBClusterSnapshotAttribute" => {
            snapshot(event, config)
        }
        _ => None,
    }
}

fn assume_role(event: &Event, config: &Config) -> Option<Finding> {
    let role = event.field(ROLE_ARN)?;
    let role_account = arn_account(role)?;
    if !event.success() {
        let foreign = role_account != event.actor().account() && role_account != event.account();
        return (foreign && event.denied()).then(|| {
            Finding::new(
                RULE_CROSS_ACCOUNT_DENIED,
                format!("AssumeRole into account {role_account} denied"),
                Severity::Medium,
            )
            .summary(format!(
                "{} tried to assume {role} in another account and was denied.",
                event.actor().id()
            ))
            .technique("T1078.004")
            .evidence("role", role)
            .evidence("error", event.error_code().unwrap_or_default())
        });
    }
    let name = trailhound_sdk::aws::role_name(role);
    let privileged = trailhound_sdk::aws::is_privileged_role(role, &config.privileged_role_patterns);
    let guarded =
        event.field(EXTERNAL_ID).is_some() || event.field(MFA_SERIAL).is_some() || event.actor().mfa();
    (privileged && !guarded).then(|| {
        Finding::new(
            RULE_UNGUARDED_ASSUME,
            format!("Privileged role {name} assumed without MFA or external id"),
            Severity::Medium,
        )
        .summary(format!(
            "{} assumed {role} with neither an MFA code nor an external id.",
            event.actor().id()
        ))
        .technique("T1078.004")
        .technique("T1548.005")
        .evidence("role", role)
    })
}

fn policy_version(event: &Event, version: Option<&str>) -> Option<Finding> {
    let policy = event.field(POLICY_ARN).unwrap_or("?");
    let version = version.map(|v| format!(" to {v}")).unwrap_or_default();
    // CreatePolicyVersion carries the document, analysed by `crate::aws`; setting an existing
    // version as default names it only.
    let unseen = if event.action() == "SetDefaultPolicyVersion" {
        " The version's document is not in the event, so what it grants is not analysed."
    } else {
        ""
    };
    Some(
        Finding::new(RULE_POLICY_VERSION, format!("Default version of {policy} changed{version}"), Severity::High)
            .summary(format!(
                "{} changed which version of {policy} is in force{version}; an older or new version can grant more than reviewed.{unseen}",
                event.actor().id()
            ))
            .technique("T1098.003")
            .evidence("policy", policy),
    )
}

fn access_key(event: &Event) -> Option<Finding> {
    let target = event.field(USER_NAME)?;
    if event.actor().kind() == "IAMUser" && event.actor().name() == Some(target) {
        return None;
    }
    Some(
        Finding::new(RULE_ACCESS_KEY, format!("Access key created for user {target}"), Severity::High)
            .summary(format!(
                "{} created a long-term access key for another user, {target}.",
                event.actor().id()
            ))
            .technique("T1098.001")
            .evidence("user", target),
    )
}

fn snapshot(event: &Event, config: &Config) -> Option<Finding> {
    let mut grantees = Vec::new();
    if let Some(add) =
        event.field(SNAPSHOT_ADD).and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
    {
        for item in add["items"].as_array().into_iter().flatten() {
            grantees.extend(item["userId"].as_str().map(str::to_string));
            if item["group"].as_str() == Some("all") {
                grantees.push("all".into());
            }
        }
    }
    if let Some(values) = event.field(DB_SNAPSHOT_ADD) {
        grantees
            .extend(serde_json::from_str::<Vec<String>>(values).unwrap_or_else(|_| vec![values.to_string()]));
    }
    let foreign: Vec<String> = grantees
        .into_iter()
        .filter(|a| a == "all" || (a != event.account() && !config.trusted_accounts.contains(a)))
        .collect();
    if foreign.is_empty() {
        return None;
    }
    let public = foreign.iter().any(|a| a == "all");
    let snapshot = event.field(SNAPSHOT_ID).or(event.field(DB_SNAPSHOT_ID)).unwrap_or("?");
    let with = if public { "everyone".to_string() } else { foreign.join(", ") };
    Some(
        Finding::new(
            RULE_SNAPSHOT_SHARED,
            format!("Snapshot {snapshot} shared with {with}"),
            if public { Severity::Critical } else { Severity::High },
        )
        .summary(format!("{} let {with} create volumes or restore from {snapshot}.", event.actor().id()))
        .technique("T1537")
        .evidence("snapshot", snapshot)
        .evidence("shared_with", foreign.join(", ")),
    )
}
