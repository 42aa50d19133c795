//! The plugin's settings: when a chain of findings on one entity becomes an alert, how long
//! findings stay in a chain, the scenarios, and the bound on memory. Every key is optional;
//! each default is written once, in [`Config::default`].

use serde::Deserialize;
use trailhound_sdk::Severity;

use crate::scenario::Scenario;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Findings correlate while they are this close in stream time: a finding older than this
    /// (by its latest occurrence) leaves its chain.
    pub window_minutes: i64,
    /// Distinct findings (a rule of a reporter at one entity, however often it fired) a chain
    /// needs.
    pub min_findings: usize,
    /// Distinct reporters a chain needs; one plugin's findings on two planes count as two
    /// (its rules for CloudTrail and for Kubernetes read different logs).
    pub min_reporters: usize,
    /// At least one finding of the chain is this severe.
    pub min_peak_severity: Severity,
    /// Findings and alerts less severe than this are not correlated at all.
    pub min_finding_severity: Severity,
    /// An entity that was reported is remembered this long after its last finding, so that
    /// later findings on it update that alert (a new revision) instead of raising another.
    pub ttl_hours: i64,
    /// At most this many chains are kept; the least recently active go first.
    pub max_chains: usize,
    /// Named scenarios that raise the alert's severity when every stage matched in order;
    /// given, they replace the shipped one (an empty list turns scenarios off).
    pub scenarios: Vec<Scenario>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            // An intrusion's steps are minutes to hours apart; six hours holds one working
            // session without tying together unrelated findings of a whole day.
            window_minutes: 360,
            min_findings: 3,
            min_reporters: 2,
            min_peak_severity: Severity::Medium,
            min_finding_severity: Severity::Low,
            ttl_hours: 24,
            // A chain is a few KiB (its steps and entities are capped), so 4096 stay within
            // tens of MiB.
            max_chains: 4096,
            scenarios: vec![Scenario::shipped()],
        }
    }
}

impl Config {
    /// Parses the plugin config; `null` means all defaults.
    ///
    /// # Errors
    /// An unknown key, a value of the wrong type, a bound that is zero or negative, or a
    /// scenario that cannot match (see [`Scenario::validate`]).
    pub fn from_json(value: &serde_json::Value) -> Result<Config, String> {
        if value.is_null() {
            return Ok(Config::default());
        }
        let config: Config =
            serde_json::from_value(value.clone()).map_err(|e| format!("composite config: {e}"))?;
        for (name, n) in [
            ("window_minutes", config.window_minutes),
            ("ttl_hours", config.ttl_hours),
            ("min_findings", config.min_findings as i64),
            ("min_reporters", config.min_reporters as i64),
            ("max_chains", config.max_chains as i64),
        ] {
            if n <= 0 {
                return Err(format!("composite config: {name} must be greater than 0"));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for scenario in &config.scenarios {
            scenario.validate().map_err(|e| format!("composite config: {e}"))?;
            if !names.insert(scenario.name.as_str()) {
                return Err(format!("composite config: scenario {:?} is defined twice", scenario.name));
            }
        }
        Ok(config)
    }

    pub fn window_ms(&self) -> i64 {
        self.window_minutes.saturating_mul(60_000)
    }

    pub fn ttl_ms(&self) -> i64 {
        self.ttl_hours.saturating_mul(3_600_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_means_defaults_and_keys_override() {
        assert_eq!(Config::from_json(&serde_json::Value::Null).unwrap(), Config::default());
        let c = Config::from_json(&json!({"min_reporters": 1, "min_peak_severity": "high"})).unwrap();
        assert_eq!((c.min_reporters, c.min_peak_severity, c.min_findings), (1, Severity::High, 3));
        assert_eq!(c.scenarios, [Scenario::shipped()]);
        assert!(Config::from_json(&json!({"scenarios": []})).unwrap().scenarios.is_empty());
    }

    #[test]
    fn refuses_unknown_keys_bad_bounds_and_bad_scenarios() {
        assert!(Config::from_json(&json!({"windw_minutes": 5})).unwrap_err().contains("windw_minutes"));
        assert!(Config::from_json(&json!({"max_chains": 0})).unwrap_err().contains("max_chains"));
        assert!(Config::from_json(&json!({"window_minutes": -1})).unwrap_err().contains("window_minutes"));
        assert!(Config::from_json(&json!({"min_peak_severity": "dire"})).unwrap_err().contains("dire"));
        let stage = json!({"name": "s", "rules": ["x*"]});
        let twice = json!({"scenarios": [
            {"name": "a", "title": "A", "stages": [stage]},
            {"name": "a", "title": "A", "stages": [stage]}
        ]});
        assert!(Config::from_json(&twice).unwrap_err().contains("defined twice"));
        let empty = json!({"scenarios": [{"name": "a", "title": "A", "stages": [{"name": "s"}]}]});
        assert!(Config::from_json(&empty).unwrap_err().contains("matches nothing"));
        let unknown =
            json!({"scenarios": [{"name": "a", "title": "A", "stages": [{"name": "s", "rule": "x"}]}]});
        assert!(Config::from_json(&unknown).unwrap_err().contains("rule"));
    }
}
