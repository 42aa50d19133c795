//! The plugin's settings: how long an entity learns, what a sweep of discovery calls is,
//! which networks never count as new, and the bounds on memory. Every key is optional; each
//! default is written once, in [`Config::default`].

use serde::Deserialize;

use crate::network::Cidr;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// How long each principal and long-term key learns, from its first event, before what
    /// departs from its baseline (a new region, network, access level) is reported. Session
    /// keys do not learn: a session's first network is its baseline.
    pub learning_hours: i64,
    /// Discovery calls (List-level actions, and reads the host tags with a discovery
    /// technique) by one principal in at least this many regions within the window are a
    /// sweep.
    pub discovery_regions: usize,
    pub discovery_window_minutes: i64,
    /// Source addresses in these ranges are never a new network: calls through VPC endpoints
    /// and from inside the organization's networks (default: the private and shared ranges).
    pub trusted_networks: Vec<Cidr>,
    /// The prefix lengths of a "network" (a new one is low) and of an ASN-sized range (a new
    /// one is medium), for IPv4 and IPv6.
    pub network_prefix_v4: u8,
    pub range_prefix_v4: u8,
    pub network_prefix_v6: u8,
    pub range_prefix_v6: u8,
    /// A principal or long-term key idle this long is forgotten (and learns again when it
    /// comes back).
    pub idle_days: i64,
    /// At most this many principals, and as many access keys, are kept; the least recently
    /// active go first.
    pub max_profiles: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            // A week holds a working week and a weekend: the weekly jobs and on-call logins.
            learning_hours: 7 * 24,
            // Operators work in two or three regions; an intruder with a fresh key looks
            // everywhere, and does so in minutes.
            discovery_regions: 5,
            discovery_window_minutes: 15,
            trusted_networks: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"]
                .map(|c| c.parse().expect("the default ranges parse"))
                .to_vec(),
            network_prefix_v4: 24,
            range_prefix_v4: 16,
            network_prefix_v6: 48,
            range_prefix_v6: 32,
            idle_days: 30,
            // A principal's profile and its key's take about 1.4 KiB together in a component's
            // memory (the bench's principals rows measure it), so the default cap holds one
            // instance near 70 MiB however many principals come; principals are far fewer than
            // that, and session keys expire within 36 hours.
            max_profiles: 50_000,
        }
    }
}

impl Config {
    /// Parses the plugin config; `null` means all defaults.
    ///
    /// # Errors
    /// An unknown key, a value of the wrong type, a range that does not parse, a bound that
    /// is zero or negative, or prefix lengths out of order.
    pub fn from_json(value: &serde_json::Value) -> Result<Config, String> {
        if value.is_null() {
            return Ok(Config::default());
        }
        let config: Config =
            serde_json::from_value(value.clone()).map_err(|e| format!("baseline config: {e}"))?;
        for (name, n) in [
            ("learning_hours", config.learning_hours),
            ("discovery_regions", config.discovery_regions as i64),
            ("discovery_window_minutes", config.discovery_window_minutes),
            ("idle_days", config.idle_days),
            ("max_profiles", config.max_profiles as i64),
        ] {
            if n <= 0 {
                return Err(format!("baseline config: {name} must be greater than 0"));
            }
        }
        for (family, range, network, max) in [
            ("v4", config.range_prefix_v4, config.network_prefix_v4, 32),
            ("v6", config.range_prefix_v6, config.network_prefix_v6, 128),
        ] {
            if range == 0 || range > network || network > max {
                return Err(format!(
                    "baseline config: range_prefix_{family} ({range}) must be at least 1 and at most \
                     network_prefix_{family} ({network}), itself at most {max}"
                ));
            }
        }
        Ok(config)
    }

    pub fn learning_ms(&self) -> i64 {
        self.learning_hours.saturating_mul(3_600_000)
    }

    pub fn discovery_window_ms(&self) -> i64 {
        self.discovery_window_minutes.saturating_mul(60_000)
    }

    pub fn idle_ms(&self) -> i64 {
        self.idle_days.saturating_mul(86_400_000)
    }

    /// Whether an address is in a trusted range.
    pub fn trusted(&self, address: std::net::IpAddr) -> bool {
        self.trusted_networks.iter().any(|c| c.contains(address))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_means_defaults_and_keys_override() {
        assert_eq!(Config::from_json(&serde_json::Value::Null).unwrap(), Config::default());
        let c =
            Config::from_json(&json!({"learning_hours": 2, "trusted_networks": ["203.0.113.0/24"]})).unwrap();
        assert_eq!((c.learning_hours, c.discovery_regions), (2, 5));
        assert!(c.trusted("203.0.113.9".parse().unwrap()));
        assert!(!c.trusted("10.1.2.3".parse().unwrap()));
        assert!(Config::default().trusted("10.1.2.3".parse().unwrap()));
    }

    #[test]
    fn refuses_unknown_keys_bad_ranges_and_bounds() {
        assert!(Config::from_json(&json!({"learnig_hours": 5})).unwrap_err().contains("learnig_hours"));
        assert!(Config::from_json(&json!({"max_profiles": 0})).unwrap_err().contains("max_profiles"));
        assert!(Config::from_json(&json!({"idle_days": -1})).unwrap_err().contains("idle_days"));
        assert!(Config::from_json(&json!({"trusted_networks": ["10.0.0.0/33"]}))
            .unwrap_err()
            .contains("10.0.0.0/33"));
        assert!(Config::from_json(&json!({"range_prefix_v4": 28})).unwrap_err().contains("range_prefix_v4"));
    }
}
