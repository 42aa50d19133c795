//! Engine settings, each with the reason for its default and the range it must be in. This is
//! where every default is written: the config file's `[engine]` table and the `scan` flags
//! take their defaults (and the help text states them) from [`EngineSettings::default`], and
//! both check their values against the same [`Range`]s.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use super::budget::Budget;

/// The values a setting may take, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub min: u64,
    pub max: u64,
    /// Why the range ends where it does, for the error message.
    pub why: &'static str,
}

impl Range {
    /// `value`, if it is in range.
    ///
    /// # Errors
    /// A message saying the range and why.
    pub fn check(&self, value: u64) -> Result<u64, String> {
        if value < self.min || value > self.max {
            return Err(format!(
                "{value} is out of range: must be {} to {} ({})",
                self.min, self.max, self.why
            ));
        }
        Ok(value)
    }

    /// A command-line value, parsed and checked.
    ///
    /// # Errors
    /// Not a number, or out of range.
    pub fn parse(&self, text: &str) -> Result<u64, String> {
        let value = text.trim().parse::<u64>().map_err(|e| format!("{text:?} is not a whole number: {e}"))?;
        self.check(value)
    }
}

/// The ranges of the engine's settings, in the units the config and flags use.
pub mod ranges {
    use super::Range;

    pub const WORKERS: Range =
        Range { min: 1, max: 1024, why: "each worker holds an instance of every plugin" };
    pub const BATCH_SIZE: Range =
        Range { min: 1, max: 100_000, why: "one batch is held in memory by the reader and each plugin" };
    pub const DEADLINE_MS: Range = Range {
        min: 10,
        max: 600_000,
        why: "deadlines are checked every 10 ms, and a plugin call may not hold a worker past 10 minutes",
    };
    pub const MEMORY_LIMIT_MB: Range = Range { min: 1, max: 4096, why: "wasm32 memory ends at 4 GiB" };
    pub const MAX_FAILURES: Range = Range { min: 1, max: 1000, why: "failed batches in a row" };
    pub const QUARANTINE_SECS: Range =
        Range { min: 1, max: 86_400, why: "a quarantine longer than a day is an outage, not a backoff" };
    pub const LINGER_MS: Range =
        Range { min: 10, max: 60_000, why: "the longest a finding waits for more input in service mode" };
    pub const TIME_SKEW_SECS: Range =
        Range { min: 1, max: 31 * 86_400, why: "how far ahead of the stream an event time may jump" };
    pub const EPOCH_TICK_MS: Range =
        Range { min: 1, max: 10, why: "deadlines are counted in ticks, and the shortest deadline is 10 ms" };
    pub const TICK_INTERVAL_MS: Range = Range {
        min: 1_000,
        max: 86_400_000,
        why: "stream time between on-tick calls: from a second to a day",
    };
    pub const RECENT_EVENTS: Range =
        Range { min: 1, max: 10_000_000, why: "each worker holds this many events' summaries in memory" };
    pub const LINEAGE_CAPACITY: Range =
        Range { min: 1_000, max: 100_000_000, why: "links held in memory by the reader thread" };
    pub const QUEUED_BATCHES_PER_WORKER: Range =
        Range { min: 1, max: 1024, why: "each queued batch is held in memory" };
    pub const CHECKPOINT_INTERVAL_SECS: Range = Range {
        min: 1,
        max: 86_400,
        why:
            "wall-clock time between cuts of the state; a day at most, so a restart reads again at most a day",
    };
    pub const DETECTION_QUEUE: Range =
        Range { min: 1, max: 1_000_000, why: "each queued detection is held in memory" };
}

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
    /// What a plugin may make the host hold or write; a plugin's own spec may override it.
    pub budget: Budget,
    /// Consecutive failed batches (each already retried once) before a plugin is quarantined.
    pub max_failures: u32,
    /// First quarantine period; doubled each time the plugin fails again after release.
    pub quarantine: Duration,
    /// Where compiled components are cached.
    pub cache_dir: PathBuf,
    /// Epoch tick: the granularity of deadlines.
    pub epoch_tick: Duration,
    /// Stream-time interval between `on-tick` calls (ms of event time).
    pub tick_interval_ms: i64,
    /// How far ahead of the stream so far (or of the wall clock) an event time may be and
    /// still move the stream's time (see [`super::clock`]).
    pub time_skew: Duration,
    /// How many recent events per worker are remembered so a finding's event ids can be
    /// resolved to their time, action and actor for the output.
    pub recent_events: usize,
    /// Links remembered by the lineage stage (credentials and sessions → origin actor).
    pub lineage_capacity: usize,
    /// Batches queued per worker before the reader waits.
    pub queued_batches_per_worker: usize,
    /// Detections in flight between the workers and the delivery thread.
    pub detection_queue: usize,
    /// In service mode, how long the input may be quiet before partial batches go to the
    /// plugins and due ticks run: the longest a finding waits for more input.
    pub linger: Duration,
    /// The state folder: plugin and host state is restored from it at start and saved into
    /// it at the finish and every `checkpoint_interval` (see [`super::state`]). None: state
    /// lasts as long as the run.
    pub state_dir: Option<PathBuf>,
    /// Wall-clock time between cuts of the state (and of the sources' positions) into
    /// `state_dir` during a run.
    pub checkpoint_interval: Duration,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            workers: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            batch_size: 512,
            deadline: Duration::from_secs(2),
            // CPython components start near 40 MiB; Rust detectors need a few MiB.
            memory_limit: 256 << 20,
            budget: Budget::default(),
            max_failures: 3,
            quarantine: Duration::from_secs(30),
            cache_dir: default_cache_dir(),
            // 10 ms keeps the ticker thread's cost negligible while a 1 s deadline is still
            // hit within 1%.
            epoch_tick: Duration::from_millis(10),
            tick_interval_ms: 60_000,
            // Folders are read in path order, region after region, so the stream runs through
            // a day once per region: a day of skew leaves room for that, and for CloudTrail's
            // delivery delay, while a record from next year (or 9999) is still caught.
            time_skew: Duration::from_secs(86_400),
            recent_events: 100_000,
            // A few hundred bytes a link, so a few hundred MB at most: the credentials and
            // sessions of a large organisation's day.
            lineage_capacity: 1_000_000,
            // Enough to keep a worker busy while the reader decodes the next batch, small
            // enough to bound memory.
            queued_batches_per_worker: 4,
            // A slow sink slows the run once this many detections wait, instead of growing
            // a queue.
            detection_queue: 4096,
            linger: Duration::from_secs(1),
            state_dir: None,
            // A restart reads again at most ten seconds of input; saving every plugin's state
            // that often still costs a small share of a run.
            checkpoint_interval: Duration::from_secs(10),
        }
    }
}

/// `$XDG_CACHE_HOME/trailhound` or `~/.cache/trailhound`; with neither (a bare container or
/// a service account), `$TMPDIR/trailhound-<uid>`. See [`cache_dir_for`].
pub fn default_cache_dir() -> PathBuf {
    cache_dir_for(std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME"))
}

/// The cache folder for these values of `XDG_CACHE_HOME` and `HOME`. Empty values count as
/// unset, and so does a relative `XDG_CACHE_HOME` (the XDG spec says to ignore it).
///
/// The last resort is a folder of this user's own in the temp folder, not a shared
/// `/tmp/trailhound`: everyone can create folders there, and the cache holds native code.
/// [`super::cache`] creates it `0700` and refuses it if someone else made it first.
pub fn cache_dir_for(xdg_cache_home: Option<OsString>, home: Option<OsString>) -> PathBuf {
    let xdg = xdg_cache_home.map(PathBuf::from).filter(|p| p.is_absolute());
    let home = home.filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".cache"));
    match xdg.or(home) {
        Some(base) => base.join("trailhound"),
        None => std::env::temp_dir().join(format!("trailhound-{}", super::cache::current_uid())),
    }
}
