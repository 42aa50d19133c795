//! Delays between a sink's attempts: exponential backoff with jitter, so a destination that
//! comes back is not met by every host's retries at the same instant; and the defaults and
//! checks of the retry settings the queued sinks share.

use std::time::{Duration, SystemTime};

use super::Invalid;

/// The retry settings' defaults.
pub mod defaults {
    pub fn batch_size() -> usize {
        100
    }
    pub fn max_attempts() -> u32 {
        // 0.5 + 1 + 2 + 4 + 8 s between them: a receiver restarting in under 15 s loses nothing.
        6
    }
    pub fn backoff_ms() -> u64 {
        500
    }
    pub fn max_backoff_ms() -> u64 {
        30_000
    }
    pub fn timeout_ms() -> u64 {
        10_000
    }
    pub fn queue() -> usize {
        10_000
    }
}

/// Each setting named must be at least 1.
///
/// # Errors
/// The first that is 0.
pub fn check(settings: &[(&'static str, u64)]) -> Result<(), Invalid> {
    match settings.iter().find(|(_, n)| *n == 0) {
        Some((key, _)) => Err(Invalid { key, message: "must be at least 1".into() }),
        None => Ok(()),
    }
}

/// The first delay must not exceed the longest.
///
/// # Errors
/// It does.
pub fn check_delays(backoff_ms: u64, max_backoff_ms: u64) -> Result<(), Invalid> {
    if backoff_ms > max_backoff_ms {
        return Err(Invalid { key: "backoff_ms", message: "must not exceed max_backoff_ms".into() });
    }
    Ok(())
}

/// The delays of one sink.
#[derive(Debug, Clone)]
pub struct Backoff {
    first_ms: u64,
    max_ms: u64,
    /// xorshift state for the jitter.
    seed: u64,
}

impl Backoff {
    /// Delays starting at `first_ms`, doubled each attempt up to `max_ms`, with a seed of
    /// this sink's own (retries of several hosts must not line up).
    pub fn new(first_ms: u64, max_ms: u64) -> Self {
        let nanos =
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        Self::with_seed(first_ms, max_ms, nanos ^ u64::from(std::process::id()).rotate_left(32))
    }

    pub fn with_seed(first_ms: u64, max_ms: u64, seed: u64) -> Self {
        Backoff { first_ms, max_ms, seed: seed | 1 }
    }

    /// The delay before attempt `attempt` (from 1): the first delay doubled each time,
    /// capped, plus up to half of it again at random.
    pub fn delay(&mut self, attempt: u32) -> Duration {
        let base = self.first_ms.saturating_mul(1 << attempt.saturating_sub(1).min(20)).min(self.max_ms);
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        Duration::from_millis(base + self.seed % (base / 2 + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_cap_with_bounded_jitter() {
        let mut backoff = Backoff::with_seed(100, 1000, 12345);
        for (attempt, base) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (9, 1000)] {
            let d = backoff.delay(attempt).as_millis() as u64;
            assert!((base..=base + base / 2).contains(&d), "attempt {attempt}: {d} ms");
        }
    }
}
