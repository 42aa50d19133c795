//! `iam-risk`: strong IAM risk signals, each reported from a single event.
//!
//! | rule | event | MITRE |
//! |------|-------|-------|
//! | `aws.iam.policy-default-version-changed` | `SetDefaultPolicyVersion`, `CreatePolicyVersion` with `setAsDefault` | T1098.003 |
//! | `aws.iam.access-key-created-for-other-user` | `CreateAccessKey` naming a user other than the caller | T1098.001 |
//! | `aws.ec2.snapshot-shared-externally` | EC2 / RDS snapshot permission added for a foreign account or everyone | T1537 |
//! | `aws.sts.privileged-role-assumed-without-mfa` | `AssumeRole` of a privileged role, no MFA, no external id | T1078.004, T1548.005 |
//! | `aws.sts.cross-account-assume-denied` | `AssumeRole` into another account denied | T1078.004 |
//!
//! Stateless: every finding proves itself with one event. `actor-trail` weighs the same
//! signals together along an actor's path; this plugin reports them one by one, so a single
//! strong signal is never missed when the rest of a story is not there.
//!
//! Config (all optional): `privileged_role_patterns` (substrings of role names, case-insensitive),
//! `trusted_accounts` (accounts that are not foreign), `ignore_actors` (actor ids or ARN
//! prefixes of change-managed automation, e.g. a Terraform role that sets policy versions).

pub mod rules;

use serde::Deserialize;
use trailhound_sdk::prelude::*;

pub use rules::*;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub privileged_role_patterns: Vec<String>,
    pub trusted_accounts: Vec<String>,
    pub ignore_actors: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            privileged_role_patterns: trailhound_sdk::aws::default_privileged_role_patterns(),
            trusted_accounts: Vec::new(),
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
        FIELDS.iter().fold(
            Info::new("iam-risk", env!("CARGO_PKG_VERSION"))
                .source("aws-cloudtrail")
                .actions(rules::ACTIONS),
            |i, f| i.field(*f),
        )
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
        findings.extend(evaluate(event, &self.config));
    }
}

trailhound_sdk::export_detector!(IamRisk);
