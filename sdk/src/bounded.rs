//! Eviction for the bounded maps stateful detectors keep (trails, chains, profiles): which
//! entries go when a map reaches its bound.

/// The keys to drop from a map that reached its `bound`, given each entry's last activity:
/// the least recently active tenth of `bound` (at least one, and enough to get under it, as
/// the bound may have been lowered since a snapshot), ties broken by key so the choice is the
/// same on every run. Dropping a share at once makes one pass serve many insertions; dropping
/// one per insertion would make every new entry cost a pass over the whole map once it is full.
pub fn stalest<K: Ord>(entries: impl IntoIterator<Item = (i64, K)>, bound: usize) -> Vec<K> {
    let mut by_age: Vec<(i64, K)> = entries.into_iter().collect();
    let n = (by_age.len() + 1).saturating_sub(bound).max(bound / 10).max(1).min(by_age.len());
    if n < by_age.len() {
        by_age.select_nth_unstable(n);
    }
    by_age.truncate(n);
    by_age.into_iter().map(|(_, key)| key).collect()
}

#[cfg(test)]
mod tests {
    use super::stalest;

    #[test]
    fn the_least_recently_active_tenth_ties_by_key() {
        let entries = (0..100).map(|i| (i64::from(i % 50), i));
        let mut gone = stalest(entries, 100);
        gone.sort_unstable();
        assert_eq!(gone, [0, 1, 2, 3, 4, 50, 51, 52, 53, 54]);
        // A bound lowered below the size drops enough to get under it.
        assert_eq!(stalest((0..10).map(|i| (i, i)), 5).len(), 6);
        assert_eq!(stalest((0..3).map(|i| (i, i)), 3), [0]);
        assert!(stalest(Vec::<(i64, u8)>::new(), 3).is_empty());
    }
}
