//! AWS IAM changes whose request carries or names a policy: the permissions policies of
//! `CreatePolicy`, `CreatePolicyVersion` (when set as default), `Put{Role,User,Group}Policy`,
//! the AWS managed policies of `Attach{User,Role,Group}Policy`, and the trust policies of
//! `CreateRole` and `UpdateAssumeRolePolicy`. Each risk category found is one finding, the
//! actions (or principals) that make it are its evidence.

use trailhound_sdk::{Event, Finding, Severity};

use crate::catalogue::{self, RISKY_MANAGED_POLICIES};
use crate::permissions::{self, Grants};
use crate::rules::{POLICY_ARN, SET_AS_DEFAULT, USER_NAME};
use crate::{policy, trust, Config};

pub const POLICY_DOCUMENT: &str = "$.requestParameters.policyDocument";
pub const ASSUME_ROLE_POLICY_DOCUMENT: &str = "$.requestParameters.assumeRolePolicyDocument";
pub const POLICY_NAME: &str = "$.requestParameters.policyName";
pub const ROLE_NAME: &str = "$.requestParameters.roleName";
pub const GROUP_NAME: &str = "$.requestParameters.groupName";

/// The fields read here that [`crate::rules`] does not already declare.
pub const FIELDS: [&str; 5] =
    [POLICY_DOCUMENT, ASSUME_ROLE_POLICY_DOCUMENT, POLICY_NAME, ROLE_NAME, GROUP_NAME];

/// The actions handled here that [`crate::rules`] does not already declare.
pub const ACTIONS: [&str; 9] = [
    "CreatePolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "PutGroupPolicy",
    "AttachUserPolicy",
    "AttachRolePolicy",
    "AttachGroupPolicy",
    "CreateRole",
    "UpdateAssumeRolePolicy",
];

pub const RULE_FULL_ADMIN: &str = "aws.iam.policy-full-admin";
pub const RULE_SERVICE_WILDCARD: &str = "aws.iam.policy-service-wildcard";
pub const RULE_NOT_ACTION: &str = "aws.iam.policy-allow-not-action";
pub const RULE_ESCALATION: &str = "aws.iam.policy-privilege-escalation";
pub const RULE_EXPOSURE: &str = "aws.iam.policy-resource-exposure";
pub const RULE_EXFILTRATION: &str = "aws.iam.policy-data-exfiltration";
pub const RULE_CREDENTIALS: &str = "aws.iam.policy-credentials-exposure";
pub const RULE_MANAGED_POLICY: &str = "aws.iam.risky-managed-policy-attached";
pub const RULE_TRUST_ANYONE: &str = "aws.iam.role-trusts-any-principal";
pub const RULE_TRUST_FOREIGN: &str = "aws.iam.role-trusts-foreign-account";

/// The findings of one successful CloudTrail event.
pub fn evaluate(event: &Event, config: &Config) -> Vec<Finding> {
    match event.action() {
        "CreatePolicy" | "PutRolePolicy" | "PutUserPolicy" | "PutGroupPolicy" => permissions(event),
        // A version not set as default is not in force; setting it so later is reported then.
        "CreatePolicyVersion" if event.field(SET_AS_DEFAULT) == Some("true") => permissions(event),
        "AttachUserPolicy" | "AttachRolePolicy" | "AttachGroupPolicy" => {
            managed_policy(event).into_iter().collect()
        }
        "CreateRole" => trust_policy(event, ASSUME_ROLE_POLICY_DOCUMENT, config),
        "UpdateAssumeRolePolicy" => trust_policy(event, POLICY_DOCUMENT, config),
        _ => Vec::new(),
    }
}

/// Who or what the policy is for, as a reader names it: `role app`, `policy ci-deploy`.
fn target(event: &Event) -> String {
    let named = [(ROLE_NAME, "role"), (USER_NAME, "user"), (GROUP_NAME, "group")]
        .into_iter()
        .find_map(|(path, kind)| event.field(path).map(|name| format!("{kind} {name}")));
    named
        .or_else(|| event.field(POLICY_NAME).map(|p| format!("policy {p}")))
        .or_else(|| event.field(POLICY_ARN).map(|p| format!("policy {p}")))
        .unwrap_or_else(|| "an unnamed policy".into())
}

/// The decoded document at `path`, or `None` (logged) when the request has none or it
/// cannot be read. IAM refuses documents it cannot parse, so a successful call with an
/// unreadable one is a copy trimmed or re-encoded on the way, worth a line in the log.
fn document(event: &Event, path: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let text = event.field(path)?;
    policy::decode(text).map_err(|reason| crate::unreadable(event, path, &reason)).ok()
}

fn permissions(event: &Event) -> Vec<Finding> {
    let Some(document) = document(event, POLICY_DOCUMENT) else { return Vec::new() };
    let grants = permissions::analyse(&document);
    let target = target(event);
    let actor = event.actor().id();
    let mut out = Vec::new();
    let Grants {
        full_admin,
        service_wildcards,
        not_elements,
        escalation,
        exposure,
        exfiltration,
        credentials,
    } = grants;
    if !full_admin.is_empty() {
        let title = format!("Policy for {target} allows every action on every resource");
        let summary = format!(
            "{actor} wrote a policy for {target} that grants \"*\" on \"*\": full admin, every \
             escalation path included."
        );
        out.push(
            Finding::new(RULE_FULL_ADMIN, title, Severity::Critical)
                .summary(summary)
                .technique("T1098.003")
                .evidence("statements", full_admin.join(", ")),
        );
    }
    if !service_wildcards.is_empty() {
        let admin = service_wildcards.iter().any(|s| catalogue::ADMIN_SERVICES.contains(&s.as_str()));
        let services: Vec<String> = service_wildcards.iter().map(|s| format!("{s}:*")).collect();
        out.push(
            Finding::new(
                RULE_SERVICE_WILDCARD,
                format!("Policy for {target} grants whole services: {}", services.join(", ")),
                if admin { Severity::High } else { Severity::Medium },
            )
            .summary(format!(
                "{actor} wrote a policy for {target} that grants every action of {} on every resource.",
                services.join(", ")
            ))
            .technique("T1098.003")
            .evidence("actions", services.join(", ")),
        );
    }
    if !not_elements.is_empty() {
        let title = format!("Policy for {target} allows with NotAction or NotResource");
        let summary = format!(
            "{actor} wrote a policy for {target} whose Allow names what it does not grant: \
             everything else, including actions AWS adds later, is granted."
        );
        out.push(
            Finding::new(RULE_NOT_ACTION, title, Severity::High)
                .summary(summary)
                .technique("T1098.003")
                .evidence("statements", not_elements.join(" | ")),
        );
    }
    if !escalation.is_empty() {
        let methods: Vec<&str> = escalation.iter().map(|m| m.name).collect();
        let mut actions: Vec<&str> = escalation.iter().flat_map(|m| m.actions.iter().copied()).collect();
        actions.sort_unstable();
        actions.dedup();
        let summary = format!(
            "{actor} wrote a policy for {target} that allows, on any resource, actions with which \
             a principal raises its own privileges: {}.",
            methods.join(", ")
        );
        out.push(
            Finding::new(
                RULE_ESCALATION,
                format!("Policy for {target} allows privilege escalation"),
                Severity::High,
            )
            .summary(summary)
            .technique("T1098.003")
            .evidence("methods", methods.join(", "))
            .evidence("actions", actions.join(", ")),
        );
    }
    for (rule, list, severity, technique, what) in [
        (
            RULE_EXPOSURE,
            exposure,
            Severity::High,
            "T1098",
            "change who may reach resources (resource policies, ACLs, sharing)",
        ),
        (RULE_EXFILTRATION, exfiltration, Severity::Medium, "T1530", "read any object, parameter or secret"),
        (RULE_CREDENTIALS, credentials, Severity::High, "T1098.001", "obtain credentials in their responses"),
    ] {
        if list.is_empty() {
            continue;
        }
        out.push(
            Finding::new(
                rule,
                format!("Policy for {target} allows {} on any resource", label(rule)),
                severity,
            )
            .summary(format!(
                "{actor} wrote a policy for {target} whose actions {what}, unscoped: {}.",
                list.join(", ")
            ))
            .technique(technique)
            .evidence("actions", list.join(", ")),
        );
    }
    out
}

/// The words a finding's title uses for a category rule.
fn label(rule: &str) -> &'static str {
    match rule {
        RULE_EXPOSURE => "resource exposure",
        RULE_EXFILTRATION => "data exfiltration",
        _ => "credentials exposure",
    }
}

/// `Attach*Policy` of an AWS managed policy known to grant admin or a way to it. The policy's
/// document is not in the event; what AWS's own policy grants is known.
fn managed_policy(event: &Event) -> Option<Finding> {
    let arn = event.field(POLICY_ARN)?;
    // AWS managed policies live in the `aws` account: `arn:aws:iam::aws:policy[/path]/Name`.
    let name =
        arn.strip_prefix("arn:")?.split(':').nth(3).filter(|a| *a == "aws").and(arn.rsplit('/').next())?;
    let known = RISKY_MANAGED_POLICIES.iter().find(|p| p.name.eq_ignore_ascii_case(name))?;
    let target = target(event);
    Some(
        Finding::new(
            RULE_MANAGED_POLICY,
            format!("{} attached to {target}", known.name),
            if known.critical { Severity::Critical } else { Severity::High },
        )
        .summary(format!(
            "{} attached the AWS managed policy {} to {target}: it {}.",
            event.actor().id(),
            known.name,
            known.why
        ))
        .technique("T1098.003")
        .evidence("policy", arn)
        .evidence("why", known.why),
    )
}

fn trust_policy(event: &Event, path: &str, config: &Config) -> Vec<Finding> {
    let Some(document) = document(event, path) else { return Vec::new() };
    let trust = trust::analyse(&document, event.account(), &config.trusted_accounts);
    let target = target(event);
    let actor = event.actor().id();
    let mut out = Vec::new();
    if !trust.anyone.is_empty() {
        let summary = format!(
            "{actor} set a trust policy on {target} that lets any principal of any account assume it, \
             with neither an external id nor MFA required."
        );
        out.push(
            Finding::new(
                RULE_TRUST_ANYONE,
                format!("Any AWS principal may assume {target}"),
                Severity::Critical,
            )
            .summary(summary)
            .technique("T1098")
            .technique("T1078.004")
            .evidence("statements", trust.anyone.join(", ")),
        );
    }
    if !trust.foreign.is_empty() {
        let summary = format!(
            "{actor} set a trust policy on {target} that lets {} assume it, with neither an external \
             id nor MFA required.",
            trust.foreign.join(", ")
        );
        out.push(
            Finding::new(RULE_TRUST_FOREIGN, format!("Another account may assume {target}"), Severity::High)
                .summary(summary)
                .technique("T1098")
                .technique("T1078.004")
                .evidence("principals", trust.foreign.join(", ")),
        );
    }
    out
}
