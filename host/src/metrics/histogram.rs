//! A latency histogram of fixed buckets, as Prometheus reads one: cheap to record into on the
//! hot path (no allocation), summed across workers.

use std::time::Duration;

/// Upper bounds of the buckets, in microseconds: from a fast plugin's batch to a slow one's.
pub const BOUNDS_MICROS: [u64; 12] =
    [50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    /// Observations at or under each bound (not cumulative); the last counts what is over
    /// every bound.
    counts: [u64; BOUNDS_MICROS.len() + 1],
    sum_micros: u64,
}

impl Histogram {
    pub fn record(&mut self, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let bucket = BOUNDS_MICROS.iter().position(|bound| micros <= *bound).unwrap_or(BOUNDS_MICROS.len());
        self.counts[bucket] += 1;
        self.sum_micros = self.sum_micros.saturating_add(micros);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
        self.sum_micros = self.sum_micros.saturating_add(other.sum_micros);
    }

    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn sum(&self) -> Duration {
        Duration::from_micros(self.sum_micros)
    }

    /// Each bound in seconds with the observations at or under it (cumulative), then `+Inf`.
    pub fn cumulative(&self) -> impl Iterator<Item = (Option<f64>, u64)> + '_ {
        let bounds = BOUNDS_MICROS.iter().map(|b| Some(*b as f64 / 1e6)).chain([None]);
        bounds.zip(self.counts.iter().scan(0, |total, n| {
            *total += n;
            Some(*total)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_their_bucket_and_add_up() {
        let mut h = Histogram::default();
        for micros in [10, 50, 51, 3_000, 1_000_000] {
            h.record(Duration::from_micros(micros));
        }
        let buckets: Vec<_> = h.cumulative().collect();
        assert_eq!(buckets[0], (Some(0.00005), 2), "10 and 50 are at or under 50 µs");
        assert_eq!(buckets[1], (Some(0.0001), 3));
        assert_eq!(buckets[6], (Some(0.005), 4));
        assert_eq!(*buckets.last().unwrap(), (None, 5));
        assert_eq!(h.sum(), Duration::from_micros(1_003_111));
        let mut twice = h.clone();
        twice.merge(&h);
        assert_eq!(twice.count(), 10);
    }
}
