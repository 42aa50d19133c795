//! Several inputs merged into one stream in time order.
//!
//! Inputs are read one after another, in path order: a folder of logs gives the CloudTrail
//! files of one account before another's, the CloudTrail files before the Falco file. Stateful
//! detection needs the stream in time order — a role assumed in one account and used in
//! another, a container escape on a host and then that host's keys in use — so the records of
//! a run over several inputs are held and handed on oldest first. What is held is bounded by
//! a byte budget; past it the oldest record goes on, and a record older than one already
//! handed on is counted as late (it is still delivered, out of order).
//!
//! Records without a time sort with the last timed record before them. Ties keep reading
//! order, so the merge is the same on every run.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::record::Record;

/// What the merge may hold: records and their text, roughly.
pub const BUDGET_BYTES: usize = 512 << 20;

/// What a held record costs beyond its text (the event model, its strings).
const OVERHEAD_BYTES: usize = 1024;

/// Records held until they are the oldest.
pub struct Merge {
    heap: BinaryHeap<Reverse<Held>>,
    next_seq: u64,
    held_bytes: usize,
    budget: usize,
    /// The time of the last timed record pushed, for records without one.
    last_time: i64,
    /// The latest time handed on so far.
    released: Option<i64>,
    /// Records older than one already handed on.
    pub late: u64,
}

struct Held {
    time: i64,
    seq: u64,
    record: Record,
}

impl PartialEq for Held {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl Eq for Held {}
impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Held {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.time, self.seq).cmp(&(other.time, other.seq))
    }
}

impl Merge {
    pub fn new(budget: usize) -> Self {
        Merge {
            heap: BinaryHeap::new(),
            next_seq: 0,
            held_bytes: 0,
            budget,
            last_time: i64::MIN,
            released: None,
            late: 0,
        }
    }

    /// Holds one record; hands on (to `out`) the oldest ones while over the budget.
    pub fn push<E>(&mut self, record: Record, out: &mut dyn FnMut(Record) -> Result<(), E>) -> Result<(), E> {
        let time = if record.time_missing { self.last_time } else { record.event.time };
        self.last_time = time;
        if self.released.is_some_and(|r| time < r) {
            self.late += 1;
        }
        self.held_bytes += cost(&record);
        self.heap.push(Reverse(Held { time, seq: self.next_seq, record }));
        self.next_seq += 1;
        while self.held_bytes > self.budget {
            self.release_one(out)?;
        }
        Ok(())
    }

    /// Hands on everything held, oldest first.
    pub fn flush<E>(&mut self, out: &mut dyn FnMut(Record) -> Result<(), E>) -> Result<(), E> {
        while !self.heap.is_empty() {
            self.release_one(out)?;
        }
        Ok(())
    }

    fn release_one<E>(&mut self, out: &mut dyn FnMut(Record) -> Result<(), E>) -> Result<(), E> {
        let Some(Reverse(held)) = self.heap.pop() else { return Ok(()) };
        self.held_bytes -= cost(&held.record);
        self.released = Some(self.released.map_or(held.time, |r| r.max(held.time)));
        out(held.record)
    }
}

fn cost(record: &Record) -> usize {
    record.raw.len() + OVERHEAD_BYTES
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::event::Event;
    use crate::record::Origin;

    fn record(id: &str, time: i64, missing: bool) -> Record {
        Record {
            origin: Origin::whole(Arc::from("-")),
            event: Event { id: id.into(), time, ..Event::default() },
            raw: Arc::from("{}"),
            time_missing: missing,
        }
    }

    fn merged(budget: usize, records: Vec<Record>) -> (Vec<String>, u64) {
        let mut merge = Merge::new(budget);
        let mut out = Vec::new();
        let mut take = |r: Record| -> Result<(), ()> {
            out.push(r.event.id);
            Ok(())
        };
        for r in records {
            merge.push(r, &mut take).unwrap();
        }
        merge.flush(&mut take).unwrap();
        (out, merge.late)
    }

    #[test]
    fn records_of_several_inputs_come_out_in_time_order_ties_in_reading_order() {
        let records = vec![
            record("a1", 10, false),
            record("a2", 30, false),
            record("b1", 5, false),
            record("b2", 30, false),
        ];
        assert_eq!(
            merged(BUDGET_BYTES, records),
            (vec!["b1".into(), "a1".into(), "a2".into(), "b2".into()], 0)
        );
    }

    #[test]
    fn a_record_without_time_stays_after_the_record_read_before_it() {
        let records = vec![
            record("a", 10, false),
            record("untimed", 0, true),
            record("b", 20, false),
            record("c", 5, false),
        ];
        assert_eq!(merged(BUDGET_BYTES, records).0, ["c", "a", "untimed", "b"]);
    }

    #[test]
    fn past_the_budget_the_oldest_goes_on_and_later_older_records_count_as_late() {
        // Room for two records: the third pushes the oldest out.
        let budget = 2 * (2 + OVERHEAD_BYTES);
        let records = vec![
            record("a", 10, false),
            record("b", 20, false),
            record("c", 30, false),
            record("d", 1, false),
        ];
        let (order, late) = merged(budget, records);
        assert_eq!(order, ["a", "d", "b", "c"]);
        assert_eq!(late, 1, "d is older than a, already handed on");
    }
}
