//! The detector's settings: behavior weights, the reporting threshold, how fast risk fades,
//! the resources called sensitive, and the bounds on memory. Every default is written here.

use serde::Deserialize;
use trailhound_sdk::Severity;

/// Risk added by each signal. A weak signal alone never reaches the default threshold; an
/// actor must combine several, which is what an intrusion looks like and routine work does not.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    /// Several distinct List/Describe/Get calls on more than one service in a short window.
    pub recon_burst: u32,
    /// Discovery calls in several regions.
    pub multi_region_discovery: u32,
    /// Reading what roles and users may do (ListRolePolicies, GetAccountAuthorizationDetails, ...).
    pub permission_discovery: u32,
    /// AssumeRole of a privileged role with neither MFA nor an external id.
    pub unguarded_assume: u32,
    pub policy_default_version: u32,
    pub access_key_for_other_user: u32,
    pub snapshot_shared_externally: u32,
    pub cross_account_assume: u32,
    pub cross_account_assume_denied: u32,
    /// `failed_calls_min` denied calls within the recon window.
    pub failed_calls: u32,
    /// A permissions-management write on an identity service (IAM, GCP IAM, Azure
    /// authorization, Kubernetes RBAC) that no stronger behavior covers.
    pub iam_change: u32,
    /// An access key or service-account key created for the caller itself.
    pub access_key_created: u32,
    /// A new policy version that is not made the default.
    pub policy_version_created: u32,
    /// An EC2 or RDS snapshot created: routine for backups, a first step for exfiltration.
    pub snapshot_created: u32,
    /// A Falco alert of a container escape (T1611, release_agent, privilege escalation).
    pub container_escape: u32,
    /// A shell in a container or on a host (Falco), a `pods/exec` in Kubernetes.
    pub shell: u32,
    /// A process reaching the instance metadata service for credentials (Falco).
    pub metadata_credentials: u32,
    /// Findings of other plugins, by severity.
    pub findings: SeverityWeights,
}

/// Risk added by another plugin's finding of each severity.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct SeverityWeights {
    pub info: u32,
    pub low: u32,
    pub medium: u32,
    pub high: u32,
    pub critical: u32,
}

impl Default for SeverityWeights {
    fn default() -> Self {
        SeverityWeights { info: 0, low: 5, medium: 10, high: 20, critical: 30 }
    }
}

impl SeverityWeights {
    pub fn of(&self, severity: Severity) -> u32 {
        match severity {
            Severity::Info => self.info,
            Severity::Low => self.low,
            Severity::Medium => self.medium,
            Severity::High => self.high,
            Severity::Critical => self.critical,
        }
    }
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            recon_burst: 10,
            multi_region_discovery: 10,
            permission_discovery: 10,
            unguarded_assume: 15,
            policy_default_version: 30,
            access_key_for_other_user: 25,
            snapshot_shared_externally: 35,
            cross_account_assume: 15,
            cross_account_assume_denied: 10,
            failed_calls: 10,
            iam_change: 10,
            access_key_created: 10,
            policy_version_created: 10,
            snapshot_created: 5,
            container_escape: 40,
            shell: 20,
            metadata_credentials: 15,
            findings: SeverityWeights::default(),
        }
    }
}

/// Everything `configure` accepts; every key is optional.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Report a trail once its risk reaches this.
    pub threshold: u32,
    pub weights: Weights,
    /// How often one repeatable signal (say, a denied cross-account assume) counts on one trail,
    /// so a retry loop cannot reach the threshold on its own.
    pub max_repeats: u32,
    /// Case-insensitive substrings of role names that mark a role as privileged.
    pub privileged_role_patterns: Vec<String>,
    /// Accounts that are not foreign (besides the event's own account): an organization's
    /// other accounts, a backup account.
    pub trusted_accounts: Vec<String>,
    pub recon_window_minutes: i64,
    /// Distinct discovery actions, and distinct services among them, that make a burst.
    pub recon_min_actions: usize,
    pub recon_min_services: usize,
    /// Distinct regions with discovery calls that make multi-region discovery.
    pub multi_region_min: usize,
    /// Denied calls within the recon window that make the failed-calls behavior.
    pub failed_calls_min: usize,
    /// Risk halves after this long without new risk (stream time), so a slow trail of weak
    /// signals over weeks does not add up the way one afternoon of them does.
    pub half_life_minutes: i64,
    /// Resources the trail is measured against: patterns (`*` matches any run of
    /// characters) over resource ids (ARNs, bucket names) and kinds (`AWS::RDS::DBSnapshot`).
    pub sensitive: Vec<String>,
    /// A trail with no activity for this long (stream time) is forgotten.
    pub ttl_hours: i64,
    /// At most this many trails are kept; the least recently active one goes first.
    pub max_trails: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            threshold: 100,
            weights: Weights::default(),
            max_repeats: 3,
            privileged_role_patterns: trailhound_sdk::aws::default_privileged_role_patterns(),
            trusted_accounts: Vec::new(),
            recon_window_minutes: 15,
            recon_min_actions: 5,
            recon_min_services: 2,
            multi_region_min: 3,
            failed_calls_min: 5,
            half_life_minutes: 12 * 60,
            sensitive: ["arn:aws:rds:*", "AWS::RDS::*"].map(String::from).to_vec(),
            ttl_hours: 24,
            // A trail is a few KiB at most (its lists are capped), so 5000 stay within ~20 MiB.
            max_trails: 5000,
        }
    }
}

impl Config {
    /// Parses the plugin config; `null` means all defaults.
    ///
    /// # Errors
    /// An unknown key, a value of the wrong type, or a zero threshold or bound.
    pub fn from_json(value: &serde_json::Value) -> Result<Config, String> {
        if value.is_null() {
            return Ok(Config::default());
        }
        let config: Config =
            serde_json::from_value(value.clone()).map_err(|e| format!("storyline config: {e}"))?;
        for (name, n) in [
            ("threshold", config.threshold as usize),
            ("max_trails", config.max_trails),
            ("recon_min_actions", config.recon_min_actions),
            ("failed_calls_min", config.failed_calls_min),
        ] {
            if n == 0 {
                return Err(format!("storyline config: {name} must be greater than 0"));
            }
        }
        if config.ttl_hours <= 0 || config.recon_window_minutes <= 0 || config.half_life_minutes <= 0 {
            return Err(
                "storyline config: ttl_hours, recon_window_minutes and half_life_minutes must be positive"
                    .into(),
            );
        }
        Ok(config)
    }

    pub fn is_privileged(&self, role_arn: &str) -> bool {
        trailhound_sdk::aws::is_privileged_role(role_arn, &self.privileged_role_patterns)
    }

    /// Neither the event's own account nor a trusted one.
    pub fn is_foreign(&self, account: &str, own: &str) -> bool {
        account != own && !self.trusted_accounts.iter().any(|t| t == account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_means_defaults_and_keys_override() {
        assert_eq!(Config::from_json(&serde_json::Value::Null).unwrap(), Config::default());
        let c = Config::from_json(&json!({"threshold": 40, "weights": {"recon_burst": 1}})).unwrap();
        assert_eq!((c.threshold, c.weights.recon_burst, c.weights.unguarded_assume), (40, 1, 15));
    }

    #[test]
    fn refuses_unknown_keys_and_zero_bounds() {
        assert!(Config::from_json(&json!({"treshold": 40})).unwrap_err().contains("treshold"));
        assert!(Config::from_json(&json!({"max_trails": 0})).unwrap_err().contains("max_trails"));
        assert!(Config::from_json(&json!({"weights": {"nope": 1}})).is_err());
    }

    #[test]
    fn privileged_and_foreign() {
        let c = Config { trusted_accounts: vec!["222".into()], ..Config::default() };
        assert!(c.is_privileged("arn:aws:iam::1:role/dev-platform-ADMIN"));
        assert!(!c.is_privileged("arn:aws:iam::1:role/readonly"));
        assert!(c.is_foreign("333", "111") && !c.is_foreign("222", "111") && !c.is_foreign("111", "111"));
    }
}
