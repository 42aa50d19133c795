//! `iam-risk`: IAM risk reported from single events: strong signals of AWS, and the policies
//! that AWS, GCP and Azure changes grant, analysed from the request.
//!
//! | rule | event | MITRE |
//! |------|-------|-------|
//! | `aws.iam.policy-default-version-changed` | `SetDefaultPolicyVersion` (its document is not in the event), `CreatePolicyVersion` with `setAsDefault` | T1098.003 |
//! | `aws.iam.access-key-created-for-other-user` | `CreateAccessKey` naming a user other than the caller | T1098.001 |
//! | `aws.ec2.snapshot-shared-externally` | EC2 / RDS snapshot permission added for a foreign account or everyone | T1537 |
//! | `aws.sts.privileged-role-assumed-without-mfa` | `AssumeRole` of a privileged role, no MFA, no external id | T1078.004, T1548.005 |
//! | `aws.sts.cross-account-assume-denied` | `AssumeRole` into another account denied | T1078.004 |
//! | `aws.iam.policy-full-admin` | a permissions policy allowing `*` on `*` | T1098.003 |
//! | `aws.iam.policy-service-wildcard` | ... allowing `service:*` on any resource | T1098.003 |
//! | `aws.iam.policy-allow-not-action` | ... with an Allow written with `NotAction` / `NotResource` | T1098.003 |
//! | `aws.iam.policy-privilege-escalation` | ... allowing one of Cloudsplaining's escalation methods | T1098.003 |
//! | `aws.iam.policy-resource-exposure` | ... allowing resource-policy, ACL or sharing changes | T1098 |
//! | `aws.iam.policy-data-exfiltration` | ... allowing `s3:GetObject`, `ssm:GetParameter*`, `secretsmanager:GetSecretValue` | T1530 |
//! | `aws.iam.policy-credentials-exposure` | ... allowing actions that return credentials | T1098.001 |
//! | `aws.iam.risky-managed-policy-attached` | `Attach{User,Role,Group}Policy` of an admin-equivalent AWS managed policy | T1098.003 |
//! | `aws.iam.role-trusts-any-principal` | `CreateRole` / `UpdateAssumeRolePolicy` trusting `*`, no external id or MFA | T1098, T1078.004 |
//! | `aws.iam.role-trusts-foreign-account` | ... trusting another, untrusted account, no external id or MFA | T1098, T1078.004 |
//! | `gcp.iam.primitive-role-granted` | `SetIamPolicy` adding `roles/owner` or `roles/editor` | T1098.003 |
//! | `gcp.iam.iam-admin-role-granted` | ... adding a role that sets IAM policies or defines roles | T1098.003 |
//! | `gcp.iam.impersonation-role-granted` | ... adding a service-account token, key or use role | T1098.003 |
//! | `gcp.iam.public-member-granted` | ... adding `allUsers` or `allAuthenticatedUsers` | T1098 |
//! | `gcp.iam.outside-domain-member-granted` | ... adding a user, group or domain outside `trusted_domains` | T1098.003 |
//! | `azure.authorization.privileged-role-assigned` | role assignment of Owner, User Access Administrator, RBAC Administrator, Contributor; `elevateAccess` (User Access Administrator of `/`) | T1098.003 |
//!
//! The policy rules report one finding per category per event, with the actions (methods,
//! principals, grants) that make it as evidence. Failed calls changed nothing and are not
//! analysed. A policy document or request body that cannot be read is logged and counted
//! (`policy_documents_unreadable`), never guessed at.
//!
//! Stateless: every finding proves itself with one event. `storyline` weighs the AWS
//! signals together along an actor's path; this plugin reports them one by one, so a single
//! strong signal is never missed when the rest of a story is not there.
//!
//! Config (all optional): `privileged_role_patterns` (substrings of role names, case-insensitive),
//! `trusted_accounts` (AWS accounts that are not foreign), `trusted_domains` (the GCP
//! organization's domains: members of others are reported; none configured, none are),
//! `ignore_actors` (actor ids or ARN prefixes of change-managed automation, e.g. a Terraform
//! role that sets policy versions).

pub mod aws;
pub mod azure;
pub mod catalogue;
pub mod gcp;
pub mod permissions;
pub mod policy;
pub mod rules;
pub mod trust;

use serde::Deserialize;
use trailhound_sdk::host::{counter_add, log, LogLevel};
use trailhound_sdk::prelude::*;

pub use aws::{
    ASSUME_ROLE_POLICY_DOCUMENT, GROUP_NAME, POLICY_DOCUMENT, POLICY_NAME, ROLE_NAME, RULE_CREDENTIALS,
    RULE_ESCALATION, RULE_EXFILTRATION, RULE_EXPOSURE, RULE_FULL_ADMIN, RULE_MANAGED_POLICY, RULE_NOT_ACTION,
    RULE_SERVICE_WILDCARD, RULE_TRUST_ANYONE, RULE_TRUST_FOREIGN,
};
pub use azure::{REQUEST_BODY, RESPONSE_BODY, RESULT_TYPE, RULE_PRIVILEGED_ROLE};
pub use gcp::{
    BINDING_DELTAS, REQUEST_BINDINGS, RULE_IAM_ADMIN, RULE_IMPERSONATION, RULE_OUTSIDE_DOMAIN,
    RULE_PRIMITIVE, RULE_PUBLIC,
};
pub use rules::*;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub privileged_role_patterns: Vec<String>,
    pub trusted_accounts: Vec<String>,
    pub trusted_domains: Vec<String>,
    pub ignore_actors: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            privileged_role_patterns: trailhound_sdk::aws::default_privileged_role_patterns(),
            trusted_accounts: Vec::new(),
            trusted_domains: Vec::new(),
            ignore_actors: Vec::new(),
        }
    }
}

#[derive(Default)]
pub struct IamRisk {
    config: Config,
}

impl Detector for IamRisk {
    fn info() -> Info {
        let info = Info::new("iam-risk", env!("CARGO_PKG_VERSION"))
            .source("aws-cloudtrail")
            .source("gcp-audit")
            .source("azure-activity")
            .actions(rules::ACTIONS)
            .actions(aws::ACTIONS)
            .actions(gcp::ACTIONS)
            .actions(azure::ACTIONS);
        rules::FIELDS
            .iter()
            .chain(&aws::FIELDS)
            .chain(&gcp::FIELDS)
            .chain(&azure::FIELDS)
            .fold(info, |i, f| i.field(*f))
    }

    fn configure(&mut self, config: &serde_json::Value) -> Result<(), String> {
        self.config = if config.is_null() {
            Config::default()
        } else {
            serde_json::from_value(config.clone()).map_err(|e| format!("iam-risk config: {e}"))?
        };
        Ok(())
    }

    fn on_event(&mut self, event: &Event, findings: &mut Vec<Finding>) {
        if self.config.ignore_actors.iter().any(|prefix| event.actor().id().starts_with(prefix.as_str())) {
            return;
        }
        let found = evaluate(event, &self.config);
        findings.extend(found.into_iter().map(|finding| {
            finding
                .event(event)
                .tag(event.provider())
                .tag("iam-risk")
                .evidence("account", event.account())
                .evidence("source_ip", event.source_ip().unwrap_or_default())
        }));
    }
}

/// Every finding one event proves, before the event and its context are attached.
pub fn evaluate(event: &Event, config: &Config) -> Vec<Finding> {
    match event.source() {
        "gcp-audit" if event.success() => gcp::evaluate(event, config),
        "azure-activity" if event.success() => azure::evaluate(event).into_iter().collect(),
        // Services acting for themselves (Lambda assuming its role, AWS Backup) are not
        // principals taking a risk.
        "aws-cloudtrail" if event.actor().kind() != "AWSService" => {
            let mut found: Vec<Finding> = rules::evaluate(event, config).into_iter().collect();
            if event.success() {
                found.extend(aws::evaluate(event, config));
            }
            found
        }
        _ => Vec::new(),
    }
}

/// Logs and counts a request field that could not be read: the event is skipped, visibly.
pub(crate) fn unreadable(event: &Event, path: &str, reason: &str) {
    counter_add("policy_documents_unreadable", 1);
    let field = path.strip_prefix("$.").unwrap_or(path);
    log(
        LogLevel::Warn,
        &format!("{} {}: {field} is unreadable, not analysed: {reason}", event.action(), event.id()),
    );
}

trailhound_sdk::export_detector!(IamRisk);
