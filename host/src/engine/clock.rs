//! Stream time: the time detectors' windows run on, taken from the events themselves (so a
//! replay behaves as the live run did), and guarded so that one record cannot poison it.
//!
//! Stream time only moves forward, and only with plausible event times. A time more than the
//! allowed skew ahead of the stream so far is a jump; one record alone never makes the stream
//! jump (a year-9999 `eventTime` would otherwise expire every detector's state at the next
//! tick), but [`CONFIRMATIONS`] records in a row beyond the skew do: that is a real gap in
//! the log, such as a quiet night, and the stream moves to the earliest of them; times that
//! jumped ahead and were left behind when the stream went on are the implausible ones. A time
//! further ahead of the wall clock than the skew can never be right (audit logs are written
//! after the fact) and never moves the stream.
//!
//! Every record is still delivered with its own time; an implausible one is counted and the
//! first is kept for the report. A record with no time at all is given the stream's time.

/// Records in a row beyond the skew that confirm a gap in the log.
const CONFIRMATIONS: u32 = 3;

/// What the clock made of the run's event times.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClockReport {
    /// Times that did not move the stream (too far ahead of it or of the wall clock).
    pub implausible: u64,
    /// The first of them: where it came from and its time (ms since the epoch).
    pub first_implausible: Option<(String, i64)>,
    /// Records without a time, given the stream's.
    pub missing: u64,
}

/// Guards the stream time of one run (the engine's reader thread sees every record in order).
#[derive(Debug)]
pub struct StreamClock {
    now: Option<i64>,
    skew_ms: i64,
    /// Times beyond the skew seen in a row, with where they came from: a gap in the log once
    /// there are [`CONFIRMATIONS`] of them, implausible if the stream goes on without them.
    jumps: Vec<(String, i64)>,
    pub report: ClockReport,
}

impl StreamClock {
    pub fn new(skew: std::time::Duration) -> Self {
        StreamClock {
            now: None,
            skew_ms: i64::try_from(skew.as_millis()).unwrap_or(i64::MAX),
            jumps: Vec::new(),
            report: ClockReport::default(),
        }
    }

    /// The stream's time so far.
    pub fn now(&self) -> Option<i64> {
        self.now
    }

    /// Goes on from the stream time an earlier run reached (see [`super::state`]).
    pub fn resume(&mut self, now: Option<i64>) {
        self.now = self.now.max(now);
    }

    /// Looks at one event time; returns whether it moves the stream's time now.
    pub fn observe(&mut self, time: i64, origin: &dyn std::fmt::Display) -> bool {
        self.at(time, origin, wall_clock_ms())
    }

    /// A record without a time: the stream's time, or the wall clock before there is one.
    pub fn missing(&mut self) -> i64 {
        self.report.missing += 1;
        self.now.unwrap_or_else(wall_clock_ms)
    }

    fn at(&mut self, time: i64, origin: &dyn std::fmt::Display, wall: i64) -> bool {
        if time > wall.saturating_add(self.skew_ms) {
            self.implausible(origin.to_string(), time);
            return false;
        }
        let Some(now) = self.now else {
            self.now = Some(time);
            return true;
        };
        if time <= now.saturating_add(self.skew_ms) {
            // The stream went on without the times that jumped ahead: they were wrong.
            for (origin, time) in std::mem::take(&mut self.jumps) {
                self.implausible(origin, time);
            }
            self.now = Some(now.max(time));
            return true;
        }
        self.jumps.push((origin.to_string(), time));
        if self.jumps.len() < CONFIRMATIONS as usize {
            return false;
        }
        // A gap in the log, confirmed: the stream moves to the earliest time beyond it.
        self.now = self.jumps.drain(..).map(|(_, t)| t).min();
        true
    }

    fn implausible(&mut self, origin: String, time: i64) {
        tracing::warn!(%origin, time, "implausible event time: delivered, but not used as stream time");
        self.report.implausible += 1;
        if self.report.first_implausible.is_none() {
            self.report.first_implausible = Some((origin, time));
        }
    }
}

fn wall_clock_ms() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    // The tests use an hour of skew.
    const T0: i64 = 1_735_732_800_000; // 2025-01-01T12:00:00Z
    const WALL: i64 = T0 + 1000 * HOUR;

    fn clock() -> StreamClock {
        StreamClock::new(std::time::Duration::from_secs(3600))
    }

    impl StreamClock {
        fn plausible(&mut self, time: i64, wall: i64) -> bool {
            self.at(time, &"test", wall)
        }
    }

    #[test]
    fn one_far_future_record_never_moves_the_stream() {
        let mut c = clock();
        assert!(c.plausible(T0, WALL));
        assert!(!c.plausible(T0 + 400 * HOUR, WALL), "a lone jump");
        assert!(c.plausible(T0 + 1000, WALL), "the stream goes on");
        assert!(!c.plausible(i64::MAX, WALL), "beyond the wall clock");
        assert_eq!(c.now, Some(T0 + 1000));
        assert_eq!(c.report.implausible, 2, "the lone jump, once the stream went on without it");
    }

    #[test]
    fn a_real_gap_in_the_log_is_confirmed_by_the_records_after_it() {
        let mut c = clock();
        assert!(c.plausible(T0, WALL));
        let after = T0 + 10 * HOUR;
        assert!(!c.plausible(after + 5, WALL));
        assert!(!c.plausible(after, WALL));
        assert!(c.plausible(after + 9, WALL), "the third in a row confirms the gap");
        assert_eq!(c.now, Some(after), "the stream moves to the earliest of them");
        assert_eq!(c.report.implausible, 0, "a real gap is not reported");
    }

    #[test]
    fn times_ahead_of_the_wall_clock_are_never_plausible_even_first() {
        let mut c = clock();
        assert!(!c.plausible(WALL + 2 * HOUR, WALL));
        assert_eq!(c.now, None);
        assert!(c.plausible(WALL + HOUR / 2, WALL), "within the skew of the wall clock");
    }
}
