//! Engine settings, each with the reason for its default. The config file's `[engine]` table
//! maps onto this.

use std::path::PathBuf;
use std::time::Duration;

/// How the engine runs plugins.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Worker threads, each with its own instance of every plugin.
    pub workers: usize,
    /// Events per plugin call; larger batches amortize the boundary crossing.
    pub batch_size: usize,
    /// Wall-clock budget for one call into a plugin.
    pub deadline: Duration,
    /// Cap on one instance's linear memory.
    pub memory_limit: usize,
    /// Consecutive failed batches (each already retried once) before a plugin is quarantined.
    pub max_failures: u32,
    /// First quarantine period; doubled each time the plugin fails again after release.
    pub quarantine: Duration,
    /// Where compiled components are cached.
    pub cache_dir: PathBuf,
    /// Epoch tick: the granularity of deadlines. 10 ms keeps the ticker thread's cost negligible
    /// while a 1 s deadline is still hit within 1%.
    pub epoch_tick: Duration,
    /// Stream-time interval between `on-tick` calls (ms of event time).
    pub tick_interval_ms: i64,
    /// How many recent events per worker are remembered so a finding's event ids can be
    /// resolved to their time, action and actor for the output.
    pub recent_events: usize,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            workers: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            batch_size: 512,
            deadline: Duration::from_secs(2),
            // CPython components start near 40 MiB; Rust detectors need a few MiB.
            memory_limit: 256 << 20,
            max_failures: 3,
            quarantine: Duration::from_secs(30),
            cache_dir: default_cache_dir(),
            epoch_tick: Duration::from_millis(10),
            tick_interval_ms: 60_000,
            recent_events: 100_000,
        }
    }
}

/// `$XDG_CACHE_HOME/trailhound` or `~/.cache/trailhound`, falling back to the temp dir.
pub fn default_cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("trailhound")
}
