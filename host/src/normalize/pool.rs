//! Normalizing off the reading thread: a pool of threads that normalize and enrich chunks of
//! records while the reading thread decodes the next ones and the workers run the plugins, and
//! hand the results back in stream order (lineage and sharding, which come next, need it).
//!
//! Records travel in chunks, numbered as they are sent; results that come back early wait in
//! a reorder buffer until every chunk before them is back. At most [`IN_FLIGHT_PER_THREAD`]
//! chunks per thread are out at once, so memory stays bounded when the plugins fall behind.
//!
//! Each record carries the source type it is forced to, if any: records of several sources,
//! each with its own, may share a chunk.

use std::collections::BTreeMap;

use crossbeam_channel::{Receiver, Sender};

use super::{Normalized, SourceType};
use crate::record::Malformed;
use crate::sources::Item;

/// Records per chunk: enough that a chunk's trip through a channel costs nothing next to it.
const CHUNK: usize = 256;

/// Chunks out per thread before [`Pool::push`] waits for results.
const IN_FLIGHT_PER_THREAD: usize = 4;

/// What one record normalized to.
pub type Outcome = Result<Normalized, Malformed>;

/// One item, and the source type it is read as (`None`: recognised).
type Forced = (Item, Option<SourceType>);
type Sent = (u64, Vec<Forced>);
type Back = (u64, Vec<Outcome>);

/// The normalizer threads, and the chunks on their way.
pub struct Pool {
    jobs: Option<Sender<Sent>>,
    results: Receiver<Back>,
    threads: Vec<std::thread::JoinHandle<()>>,
    chunk: Vec<Forced>,
    sent: u64,
    handed: u64,
    early: BTreeMap<u64, Vec<Outcome>>,
    max_in_flight: u64,
}

impl Pool {
    /// Starts `threads` normalizer threads.
    ///
    /// # Errors
    /// The OS refuses a thread.
    pub fn start(threads: usize) -> std::io::Result<Self> {
        let threads = threads.max(1);
        let (jobs, job_rx) = crossbeam_channel::unbounded::<Sent>();
        let (result_tx, results) = crossbeam_channel::unbounded::<Back>();
        let mut handles = Vec::with_capacity(threads);
        for id in 0..threads {
            let (jobs, results) = (job_rx.clone(), result_tx.clone());
            let handle = std::thread::Builder::new()
                .name(format!("normalize-{id}"))
                .spawn(move || run(&jobs, &results))?;
            handles.push(handle);
        }
        Ok(Pool {
            jobs: Some(jobs),
            results,
            threads: handles,
            chunk: Vec::with_capacity(CHUNK),
            sent: 0,
            handed: 0,
            early: BTreeMap::new(),
            max_in_flight: (threads * IN_FLIGHT_PER_THREAD) as u64,
        })
    }

    /// Queues one item, to be read as `forced` (`None`: recognised); hands every result that
    /// is ready to `out`, in stream order, waiting for results while too many chunks are out.
    ///
    /// # Errors
    /// The first error of `out`.
    pub fn push<E>(
        &mut self,
        item: Item,
        forced: Option<SourceType>,
        out: &mut dyn FnMut(Outcome) -> Result<(), E>,
    ) -> Result<(), E> {
        self.chunk.push((item, forced));
        if self.chunk.len() >= CHUNK {
            self.send();
        }
        while self.sent - self.handed > self.max_in_flight {
            self.wait_one(out)?;
        }
        self.hand_ready(out)
    }

    /// Sends what is queued and hands back every result, in stream order.
    ///
    /// # Errors
    /// The first error of `out`.
    pub fn flush<E>(&mut self, out: &mut dyn FnMut(Outcome) -> Result<(), E>) -> Result<(), E> {
        self.send();
        while self.handed < self.sent {
            self.wait_one(out)?;
        }
        Ok(())
    }

    fn send(&mut self) {
        if self.chunk.is_empty() {
            return;
        }
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        if let Some(jobs) = &self.jobs {
            // The threads only stop when the pool is dropped.
            let _ = jobs.send((self.sent, chunk));
            self.sent += 1;
        }
    }

    /// Waits for one more chunk to come back, then hands what is ready.
    fn wait_one<E>(&mut self, out: &mut dyn FnMut(Outcome) -> Result<(), E>) -> Result<(), E> {
        match self.results.recv() {
            Ok((seq, outcomes)) => {
                self.early.insert(seq, outcomes);
            }
            // Every thread is gone (one panicked): what is out is lost, and the counts say so.
            Err(_) => self.sent = self.handed,
        }
        self.hand_ready(out)
    }

    fn hand_ready<E>(&mut self, out: &mut dyn FnMut(Outcome) -> Result<(), E>) -> Result<(), E> {
        while let Ok((seq, outcomes)) = self.results.try_recv() {
            self.early.insert(seq, outcomes);
        }
        while let Some(outcomes) = self.early.remove(&self.handed) {
            self.handed += 1;
            for outcome in outcomes {
                out(outcome)?;
            }
        }
        Ok(())
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.jobs = None;
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn run(jobs: &Receiver<Sent>, results: &Sender<Back>) {
    for (seq, items) in jobs {
        let outcomes = items
            .into_iter()
            .map(|(item, forced)| match item {
                Item::Record(raw) => crate::enrich::normalized(raw, forced),
                Item::Malformed(bad) => Err(bad),
            })
            .collect();
        if results.send((seq, outcomes)).is_err() {
            break;
        }
    }
}
