//! Dedup and throttling: at most `max_per_window` findings of one (plugin, rule, actor) pass
//! within `window_secs` of finding time (stream time, so a replay throttles the same way);
//! the others are suppressed and counted, and the next one of that key that passes carries
//! how many were suppressed before it (evidence `throttle.suppressed`). Revisions of a story
//! (a storyline or composite updating its own finding) are never throttled: the plugin has
//! already made them one finding.
//!
//! Bounded: at most `max_keys` keys are remembered; when full, those whose window is over go
//! first, then the least recently seen tenth ([`stalest`]).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use trailhound_sdk::bounded::stalest;

use super::Detection;

/// The evidence key a passing finding carries the count of suppressed ones under.
pub const SUPPRESSED: &str = "throttle.suppressed";

/// `[throttle]`. Every key is optional; by default nothing is throttled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleConfig {
    /// The window, in seconds of finding time; 0 turns throttling off. Default: 0.
    pub window_secs: u64,
    /// Findings of one (plugin, rule, actor) let through per window: 1 is dedup. Default: 1.
    pub max_per_window: u32,
    /// Keys remembered at most. Default: 100 000.
    pub max_keys: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig { window_secs: 0, max_per_window: 1, max_keys: 100_000 }
    }
}

/// What to do with a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Deliver it; this many of its key were suppressed since the last one delivered.
    Pass(u64),
    Suppress,
}

#[derive(Debug, Clone)]
struct Window {
    start: i64,
    passed: u32,
    /// Suppressed since the last that passed.
    suppressed: u64,
    last_seen: i64,
}

type Key = (String, String, String);

#[derive(Debug, Clone, Default)]
pub struct Throttle {
    config: ThrottleConfig,
    windows: HashMap<Key, Window, foldhash::fast::RandomState>,
}

impl Throttle {
    pub fn new(config: ThrottleConfig) -> Self {
        Throttle { config, windows: HashMap::default() }
    }

    fn window_ms(&self) -> i64 {
        i64::try_from(self.config.window_secs.saturating_mul(1000)).unwrap_or(i64::MAX)
    }

    pub fn check(&mut self, detection: &Detection) -> Verdict {
        let finding = &detection.finding;
        if self.config.window_secs == 0
            || finding.evidence_value(trailhound_sdk::story::REVISION_OF).is_some()
        {
            return Verdict::Pass(0);
        }
        let key =
            (detection.plugin.clone(), finding.rule_id.clone(), finding.actor.clone().unwrap_or_default());
        if !self.windows.contains_key(&key) {
            self.make_room(detection.time);
        }
        let window_ms = self.window_ms();
        let time = detection.time;
        let window = self.windows.entry(key).or_insert(Window {
            start: time,
            passed: 0,
            suppressed: 0,
            last_seen: time,
        });
        window.last_seen = window.last_seen.max(time);
        if time.saturating_sub(window.start) >= window_ms {
            (window.start, window.passed) = (time, 0);
        }
        if window.passed < self.config.max_per_window {
            window.passed += 1;
            Verdict::Pass(std::mem::take(&mut window.suppressed))
        } else {
            window.suppressed += 1;
            Verdict::Suppress
        }
    }

    fn make_room(&mut self, now: i64) {
        if self.windows.len() < self.config.max_keys.max(1) {
            return;
        }
        let window_ms = self.window_ms();
        self.windows.retain(|_, w| now.saturating_sub(w.start) < window_ms);
        if self.windows.len() < self.config.max_keys.max(1) {
            return;
        }
        let entries = self.windows.iter().map(|(k, w)| (w.last_seen, k));
        let stale: Vec<Key> = stalest(entries, self.config.max_keys.max(1)).into_iter().cloned().collect();
        for key in stale {
            self.windows.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailhound_sdk::{Finding, Severity};

    fn detection(rule: &str, actor: &str, secs: i64) -> Detection {
        Detection {
            plugin: "rules".into(),
            plugin_version: "1".into(),
            finding: Finding::new(rule, "t", Severity::Low).actor(actor),
            related: Vec::new(),
            time: secs * 1000,
        }
    }

    #[test]
    fn one_per_window_per_rule_and_actor_and_the_next_says_how_many_were_held_back() {
        let mut t = Throttle::new(ThrottleConfig { window_secs: 60, ..ThrottleConfig::default() });
        assert_eq!(t.check(&detection("r", "alice", 0)), Verdict::Pass(0));
        assert_eq!(t.check(&detection("r", "alice", 10)), Verdict::Suppress);
        assert_eq!(t.check(&detection("r", "alice", 59)), Verdict::Suppress);
        assert_eq!(t.check(&detection("r", "bob", 20)), Verdict::Pass(0), "another actor");
        assert_eq!(t.check(&detection("q", "alice", 20)), Verdict::Pass(0), "another rule");
        assert_eq!(t.check(&detection("r", "alice", 61)), Verdict::Pass(2));
        assert_eq!(t.check(&detection("r", "alice", 62)), Verdict::Suppress);
    }

    #[test]
    fn off_by_default_and_revisions_always_pass() {
        let mut off = Throttle::new(ThrottleConfig::default());
        assert!((0..5).all(|i| off.check(&detection("r", "a", i)) == Verdict::Pass(0)));
        let mut t =
            Throttle::new(ThrottleConfig { window_secs: 60, max_per_window: 2, ..ThrottleConfig::default() });
        let story = |secs| {
            let mut d = detection("storyline.risk-threshold", "a", secs);
            d.finding = d.finding.revision("origin", secs as u32);
            d
        };
        assert!((1..6).all(|i| t.check(&story(i)) == Verdict::Pass(0)));
        assert_eq!(t.check(&detection("r", "a", 0)), Verdict::Pass(0));
        assert_eq!(t.check(&detection("r", "a", 1)), Verdict::Pass(0), "two per window");
        assert_eq!(t.check(&detection("r", "a", 2)), Verdict::Suppress);
    }

    #[test]
    fn memory_stays_within_max_keys() {
        let mut t =
            Throttle::new(ThrottleConfig { window_secs: 3600, max_keys: 100, ..ThrottleConfig::default() });
        for i in 0..10_000 {
            t.check(&detection("r", &format!("actor-{i}"), i));
        }
        assert!(t.windows.len() <= 100, "{}", t.windows.len());
    }
}
