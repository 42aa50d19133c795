//! The recent-events index: the last N events a worker processed, so that a finding citing an
//! event from an earlier batch can still name its time, action, account and actor; and where
//! a cited event is looked up ([`RecentEvents::cited`]).
//!
//! It holds a hundred thousand events per worker by default, so it is kept compact: the
//! strings that repeat from event to event (service, action, account, region, actor, source
//! address) are shared rather than stored once per event, and the index maps a hash of the id
//! to a position in the ring instead of keeping the id twice more. Every event passes through
//! here, so its maps hash with foldhash rather than the slower, DoS-resistant default.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::BuildHasher;
use std::sync::Arc;

use foldhash::fast::RandomState;

use crate::event::Event;
use crate::findings::RelatedEvent;

/// The last `capacity` events remembered, oldest first.
pub struct RecentEvents {
    ring: VecDeque<Compact>,
    /// Sequence number of `ring[0]`; each remembered event takes the next one.
    first: u64,
    /// Hash of an id → sequence number of the newest event with that hash. A lookup checks
    /// the id itself, so a hash collision can only make an old event unfindable, never wrong.
    by_id: HashMap<u64, u64, RandomState>,
    hasher: RandomState,
    strings: Interner,
    capacity: usize,
}

struct Compact {
    uid: Box<str>,
    time: i64,
    provider: Arc<str>,
    service: Arc<str>,
    action: Arc<str>,
    account: Arc<str>,
    region: Arc<str>,
    actor: Arc<str>,
    source_ip: Option<Arc<str>>,
}

impl RecentEvents {
    pub fn new(capacity: usize) -> Self {
        RecentEvents {
            ring: VecDeque::new(),
            first: 0,
            by_id: HashMap::default(),
            hasher: RandomState::default(),
            strings: Interner::default(),
            capacity: capacity.max(1),
        }
    }

    pub fn remember(&mut self, event: RelatedEvent) {
        if self.ring.len() >= self.capacity {
            if let Some(oldest) = self.ring.pop_front() {
                let hash = self.hasher.hash_one(&*oldest.uid);
                if self.by_id.get(&hash) == Some(&self.first) {
                    self.by_id.remove(&hash);
                }
                self.first += 1;
            }
        }
        let seq = self.first + self.ring.len() as u64;
        self.by_id.insert(self.hasher.hash_one(event.uid.as_str()), seq);
        let strings = &mut self.strings;
        self.ring.push_back(Compact {
            uid: event.uid.into_boxed_str(),
            time: event.time,
            provider: strings.intern(event.provider),
            service: strings.intern(event.service),
            action: strings.intern(event.action),
            account: strings.intern(event.account),
            region: strings.intern(event.region),
            actor: strings.intern(event.actor),
            source_ip: event.source_ip.map(|ip| strings.intern(ip)),
        });
    }

    /// The event `id` a finding cites: looked up in the batch being processed first (findings
    /// are rare, so a scan of it is cheaper than indexing every event up front), then among
    /// the events remembered from earlier batches.
    pub fn cited<'e>(&self, mut batch: impl Iterator<Item = &'e Event>, id: &str) -> Option<RelatedEvent> {
        match batch.find(|e| e.id == id) {
            Some(event) => Some(RelatedEvent::of(event)),
            None => self.get(id),
        }
    }

    pub fn get(&self, id: &str) -> Option<RelatedEvent> {
        let seq = *self.by_id.get(&self.hasher.hash_one(id))?;
        let event = self.ring.get(seq.checked_sub(self.first)? as usize)?;
        (&*event.uid == id).then(|| event.expand())
    }
}

impl Compact {
    fn expand(&self) -> RelatedEvent {
        RelatedEvent {
            uid: self.uid.to_string(),
            time: self.time,
            provider: self.provider.to_string(),
            service: self.service.to_string(),
            action: self.action.to_string(),
            account: self.account.to_string(),
            region: self.region.to_string(),
            actor: self.actor.to_string(),
            source_ip: self.source_ip.as_deref().map(str::to_string),
        }
    }
}

/// The events remembered, oldest first, one at a time (for the state folder: remembering them
/// in this order into a new index gives the same lookups).
impl serde::Serialize for RecentEvents {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.ring.iter().map(Compact::expand))
    }
}

/// One shared copy of each string in use. Strings no remembered event uses any more are
/// dropped when the set has doubled since the last sweep, so it stays proportional to the
/// distinct strings of the events remembered.
#[derive(Default)]
struct Interner {
    set: HashSet<Arc<str>, RandomState>,
    sweep_at: usize,
}

impl Interner {
    fn intern(&mut self, text: String) -> Arc<str> {
        if let Some(shared) = self.set.get(text.as_str()) {
            return shared.clone();
        }
        if self.set.len() >= self.sweep_at {
            self.set.retain(|s| Arc::strong_count(s) > 1);
            self.sweep_at = (self.set.len() * 2).max(1024);
        }
        let shared: Arc<str> = Arc::from(text);
        self.set.insert(shared.clone());
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(i: usize) -> RelatedEvent {
        RelatedEvent {
            uid: format!("id-{i}"),
            time: i as i64,
            provider: "aws".into(),
            service: "s3.amazonaws.com".into(),
            action: "GetObject".into(),
            account: "111122223333".into(),
            region: "us-east-1".into(),
            actor: format!("arn:aws:iam::111122223333:user/u{}", i % 7),
            source_ip: i.is_multiple_of(2).then(|| "198.51.100.7".into()),
        }
    }

    #[test]
    fn the_last_events_are_found_and_older_ones_are_forgotten() {
        let mut recent = RecentEvents::new(100);
        for i in 0..250 {
            recent.remember(event(i));
        }
        assert_eq!(recent.get("id-149"), None);
        for i in 150..250 {
            assert_eq!(recent.get(&format!("id-{i}")), Some(event(i)));
        }
        assert_eq!(recent.get("id-999"), None);
    }

    #[test]
    fn an_id_seen_again_resolves_to_its_newest_event() {
        let mut recent = RecentEvents::new(3);
        recent.remember(event(1));
        recent.remember(RelatedEvent { time: 42, ..event(1) });
        recent.remember(event(2));
        recent.remember(event(3));
        // The first copy of id-1 has left the ring; the second is still found.
        assert_eq!(recent.get("id-1").map(|e| e.time), Some(42));
    }

    #[test]
    fn remembering_what_was_saved_gives_the_same_lookups() {
        let mut recent = RecentEvents::new(5);
        for i in 0..8 {
            recent.remember(event(i));
        }
        let saved: Vec<RelatedEvent> =
            serde_json::from_value(serde_json::to_value(&recent).unwrap()).unwrap();
        let mut resumed = RecentEvents::new(5);
        saved.into_iter().for_each(|e| resumed.remember(e));
        for i in 0..8 {
            let id = format!("id-{i}");
            assert_eq!(resumed.get(&id), recent.get(&id), "{id}");
        }
    }

    #[test]
    fn strings_no_longer_used_are_swept() {
        let mut recent = RecentEvents::new(10);
        for i in 0..10_000 {
            recent.remember(RelatedEvent { actor: format!("actor-{i}"), ..event(i) });
        }
        assert!(recent.strings.set.len() <= 2 * 1024 + 20, "{} strings kept", recent.strings.set.len());
    }
}
