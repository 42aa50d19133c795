//! A plugin's budget: everything it can make the host hold or write, beyond its own linear
//! memory (which [`super::limits`] caps). Findings per call, bytes per finding, distinct
//! metric names, log lines and log bytes per call.
//!
//! A plugin over its budget has faulted, exactly as if it had trapped: the call's output is
//! discarded, the batch is retried once on a fresh instance, and a plugin that keeps
//! overrunning is quarantined. Host imports (log, metrics) trap at the call that overruns, so
//! the host never holds more than the budget; findings are counted and measured as soon as
//! they are lifted out of the instance, before the host copies or delivers any of them.
//!
//! The shape is written once: [`Budget`] is both the engine's setting and the config's
//! `[engine.budget]` table (and a plugin's `budget` override of it).

use serde::{Deserialize, Serialize};

/// Per-plugin limits. Every field is a config key of `[engine.budget]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Budget {
    /// Findings one call (a batch, or a tick) may return. A detector reporting more than two
    /// per event of a full default batch is misbehaving, not detecting. Default: 1000.
    pub findings_per_call: u64,
    /// Bytes of text in one finding: title, summary, actor, event ids, techniques, tags and
    /// every evidence key and value together. A storyline citing hundreds of events stays
    /// far below it. Default: 65536.
    pub finding_bytes: u64,
    /// Distinct counter and gauge names one instance may create (the host keeps each for
    /// the instance's lifetime). Default: 256.
    pub metric_names: u64,
    /// Bytes of one metric name. Default: 128.
    pub metric_name_bytes: u64,
    /// Log lines one call may write. Default: 100.
    pub log_lines_per_call: u64,
    /// Bytes of log messages one call may write. Default: 65536.
    pub log_bytes_per_call: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            findings_per_call: 1000,
            finding_bytes: 64 << 10,
            metric_names: 256,
            metric_name_bytes: 128,
            log_lines_per_call: 100,
            log_bytes_per_call: 64 << 10,
        }
    }
}

/// What a plugin overran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    FindingsPerCall,
    FindingBytes,
    MetricNames,
    MetricNameBytes,
    LogLinesPerCall,
    LogBytesPerCall,
}

impl Limit {
    /// The config key that sets this limit.
    pub fn key(self) -> &'static str {
        match self {
            Limit::FindingsPerCall => "findings_per_call",
            Limit::FindingBytes => "finding_bytes",
            Limit::MetricNames => "metric_names",
            Limit::MetricNameBytes => "metric_name_bytes",
            Limit::LogLinesPerCall => "log_lines_per_call",
            Limit::LogBytesPerCall => "log_bytes_per_call",
        }
    }

    fn describe(self, used: u64, limit: u64) -> String {
        match self {
            Limit::FindingsPerCall => format!("returned {used} findings from one call (budget: {limit})"),
            Limit::FindingBytes => format!("returned a finding of {used} bytes (budget: {limit} bytes)"),
            Limit::MetricNames => format!("created {used} distinct metric names (budget: {limit})"),
            Limit::MetricNameBytes => format!("named a metric with {used} bytes (budget: {limit} bytes)"),
            Limit::LogLinesPerCall => format!("wrote {used} log lines in one call (budget: {limit})"),
            Limit::LogBytesPerCall => format!("wrote {used} bytes of log in one call (budget: {limit})"),
        }
    }
}

/// One overrun, with the numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overrun {
    pub limit: Limit,
    pub used: u64,
    pub allowed: u64,
}

impl std::fmt::Display for Overrun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (engine.budget.{})", self.limit.describe(self.used, self.allowed), self.limit.key())
    }
}

impl std::error::Error for Overrun {}

/// The largest value each limit may be set to: past these, one plugin could again hold
/// hundreds of MiB of the host's memory, which is what the budget is for.
const CEILINGS: [(Limit, u64); 6] = [
    (Limit::FindingsPerCall, 1_000_000),
    (Limit::FindingBytes, 16 << 20),
    (Limit::MetricNames, 100_000),
    (Limit::MetricNameBytes, 4096),
    (Limit::LogLinesPerCall, 1_000_000),
    (Limit::LogBytesPerCall, 64 << 20),
];

/// Why a budget must be at least 1 and at most its ceiling.
const WHY: &str =
    "0 would fault every call; past the ceiling one plugin could hold hundreds of MiB of the host";

impl Budget {
    fn get(&self, limit: Limit) -> u64 {
        match limit {
            Limit::FindingsPerCall => self.findings_per_call,
            Limit::FindingBytes => self.finding_bytes,
            Limit::MetricNames => self.metric_names,
            Limit::MetricNameBytes => self.metric_name_bytes,
            Limit::LogLinesPerCall => self.log_lines_per_call,
            Limit::LogBytesPerCall => self.log_bytes_per_call,
        }
    }

    /// Each limit's key, value and the range it must be in.
    pub fn ranges(&self) -> impl Iterator<Item = (&'static str, u64, super::settings::Range)> + '_ {
        CEILINGS.iter().map(|&(limit, max)| {
            (limit.key(), self.get(limit), super::settings::Range { min: 1, max, why: WHY })
        })
    }

    fn check(limit: Limit, used: u64, allowed: u64) -> Result<(), Overrun> {
        if used > allowed {
            return Err(Overrun { limit, used, allowed });
        }
        Ok(())
    }

    /// Checks a call's findings, as soon as they are lifted out of the instance.
    ///
    /// # Errors
    /// Too many findings, or one too large.
    pub fn check_findings(&self, findings: &[trailhound_sdk::Finding]) -> Result<(), Overrun> {
        Self::check(Limit::FindingsPerCall, findings.len() as u64, self.findings_per_call)?;
        for finding in findings {
            Self::check(Limit::FindingBytes, finding_bytes(finding), self.finding_bytes)?;
        }
        Ok(())
    }
}

/// The bytes of text one finding holds.
fn finding_bytes(finding: &trailhound_sdk::Finding) -> u64 {
    let lists = [&finding.event_ids, &finding.techniques, &finding.tags];
    let listed: usize = lists.iter().flat_map(|l| l.iter()).map(String::len).sum();
    let evidence: usize = finding.evidence.iter().map(|e| e.key.len() + e.value.len()).sum();
    let actor = finding.actor.as_ref().map_or(0, String::len);
    (finding.rule_id.len() + finding.title.len() + finding.summary.len() + actor + listed + evidence) as u64
}

/// What one instance has used of its budget: metric names over its life, log volume in the
/// current call. Lives in the instance's store, where the host imports run.
#[derive(Debug)]
pub struct Usage {
    pub budget: Budget,
    log_lines: u64,
    log_bytes: u64,
    /// The overrun that made an import trap, so the fault is reported with its numbers.
    pub overrun: Option<Overrun>,
}

impl Usage {
    pub fn new(budget: Budget) -> Self {
        Usage { budget, log_lines: 0, log_bytes: 0, overrun: None }
    }

    /// A call begins: per-call allowances start again.
    pub fn start_call(&mut self) {
        self.log_lines = 0;
        self.log_bytes = 0;
        self.overrun = None;
    }

    /// Accounts for one log line.
    ///
    /// # Errors
    /// The call has written too many lines or bytes.
    pub fn log(&mut self, bytes: usize) -> Result<(), Overrun> {
        self.log_lines += 1;
        self.log_bytes += bytes as u64;
        let b = &self.budget;
        self.record(
            Budget::check(Limit::LogLinesPerCall, self.log_lines, b.log_lines_per_call)
                .and_then(|()| Budget::check(Limit::LogBytesPerCall, self.log_bytes, b.log_bytes_per_call)),
        )
    }

    /// Accounts for a metric name; `known` says whether the instance already has it, `names`
    /// how many it has.
    ///
    /// # Errors
    /// The name is too long, or one name too many.
    pub fn metric(&mut self, name: &str, known: bool, names: usize) -> Result<(), Overrun> {
        let b = &self.budget;
        let result =
            Budget::check(Limit::MetricNameBytes, name.len() as u64, b.metric_name_bytes).and_then(|()| {
                if known {
                    Ok(())
                } else {
                    Budget::check(Limit::MetricNames, names as u64 + 1, b.metric_names)
                }
            });
        self.record(result)
    }

    fn record(&mut self, result: Result<(), Overrun>) -> Result<(), Overrun> {
        if let Err(overrun) = result {
            self.overrun.get_or_insert(overrun);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_limit_is_named_by_its_config_key_and_defaults_round_trip() {
        let text = toml::to_string(&Budget::default()).unwrap();
        for limit in [
            Limit::FindingsPerCall,
            Limit::FindingBytes,
            Limit::MetricNames,
            Limit::MetricNameBytes,
            Limit::LogLinesPerCall,
            Limit::LogBytesPerCall,
        ] {
            assert!(text.contains(limit.key()), "{} missing from {text}", limit.key());
        }
        assert_eq!(toml::from_str::<Budget>(&text).unwrap(), Budget::default());
    }

    #[test]
    fn log_and_metric_overruns_name_the_numbers() {
        let mut usage = Usage::new(Budget { log_lines_per_call: 2, metric_names: 1, ..Budget::default() });
        assert!(usage.log(10).is_ok() && usage.log(10).is_ok());
        let overrun = usage.log(10).unwrap_err();
        assert_eq!(
            overrun.to_string(),
            "wrote 3 log lines in one call (budget: 2) (engine.budget.log_lines_per_call)"
        );
        usage.start_call();
        assert!(usage.log(10).is_ok(), "a new call starts again");
        assert!(usage.metric("a", false, 0).is_ok());
        assert!(usage.metric("a", true, 1).is_ok(), "a known name costs nothing");
        assert_eq!(usage.metric("b", false, 1).unwrap_err().limit, Limit::MetricNames);
    }
}
