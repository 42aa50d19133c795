//! A sink that delivers on its own thread, for destinations that are slow or fail for a while
//! (a webhook, a collector): [`Sink::deliver`] hands the finding to a bounded queue and
//! returns, so one slow destination does not hold back the others until its queue is full;
//! then delivery waits for it (backpressure reaches the plugins and the reader, and memory
//! never grows without bound). The thread sends batches through a [`Batches`] sender,
//! retried by it; what it could not deliver it writes to the dead-letter file. Nothing is
//! dropped silently: [`Sink::flush`] waits for the queue to empty and reports what failed.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::{Sink, SinkProgress};
use crate::findings::{ocsf, Detection};

/// How long the sender waits for more findings before it sends a partial batch.
const LINGER: Duration = Duration::from_millis(200);

/// A destination that takes findings in batches (as OCSF JSON values).
pub trait Batches: Send + 'static {
    /// Where it sends, for messages.
    fn describe(&self) -> String;

    /// Sends one batch, retrying as its config says; each attempt after the first is counted
    /// in `retries`.
    ///
    /// # Errors
    /// The batch could not be delivered within its attempts; the message says why.
    fn send(&mut self, batch: &[serde_json::Value], retries: &AtomicU64) -> anyhow::Result<()>;
}

/// What the sender thread did, read at flush.
#[derive(Debug, Default)]
struct Outcome {
    /// Findings delivered.
    delivered: u64,
    /// Findings written to the dead-letter file after their batch ran out of attempts.
    dead_lettered: u64,
    /// Findings neither delivered nor written anywhere.
    lost: u64,
    /// The last error, verbatim.
    last_error: Option<String>,
}

enum Message {
    Finding(serde_json::Value),
    /// Send what is pending, then answer.
    Flush(Sender<()>),
}

pub struct QueuedSink {
    tx: Option<Sender<Message>>,
    thread: Option<JoinHandle<()>>,
    outcome: Arc<Mutex<Outcome>>,
    /// Attempts after the first, of every batch so far.
    retries: Arc<AtomicU64>,
    /// What the last flush reported, so each flush reports only what is new.
    reported: (u64, u64),
    describe: String,
}

impl QueuedSink {
    /// Starts the sender thread for `batches`, with a queue of `capacity` findings and
    /// batches of at most `batch_size`.
    ///
    /// # Errors
    /// The thread cannot be started.
    pub fn start(
        batches: impl Batches,
        capacity: usize,
        batch_size: usize,
        dead_letter: Option<PathBuf>,
    ) -> anyhow::Result<Self> {
        let describe = batches.describe();
        let (tx, rx) = crossbeam_channel::bounded(capacity.max(1));
        let outcome = Arc::new(Mutex::new(Outcome::default()));
        let retries = Arc::new(AtomicU64::new(0));
        let (shared, counted) = (outcome.clone(), retries.clone());
        let thread = std::thread::Builder::new()
            .name(format!("sink {describe}"))
            .spawn(move || sender(rx, batches, batch_size.max(1), dead_letter, &shared, &counted))
            .with_context(|| format!("starting the sender of {describe}"))?;
        Ok(QueuedSink { tx: Some(tx), thread: Some(thread), outcome, retries, reported: (0, 0), describe })
    }
}

fn sender(
    rx: Receiver<Message>,
    mut batches: impl Batches,
    batch_size: usize,
    dead_letter: Option<PathBuf>,
    outcome: &Mutex<Outcome>,
    retries: &AtomicU64,
) {
    let mut pending: Vec<serde_json::Value> = Vec::new();
    let mut send = |pending: &mut Vec<serde_json::Value>| {
        if pending.is_empty() {
            return;
        }
        let result = batches.send(pending, retries);
        let mut outcome = outcome.lock().unwrap_or_else(|e| e.into_inner());
        let n = pending.len() as u64;
        match result {
            Ok(()) => outcome.delivered += n,
            Err(error) => {
                let error = format!("{}: {}", batches.describe(), crate::text::chain(&error));
                tracing::error!("sink failed: {error}");
                match dead_letter.as_deref().map(|path| write_dead_letter(path, pending)) {
                    Some(Ok(())) => outcome.dead_lettered += n,
                    Some(Err(e)) => {
                        tracing::error!("dead-letter file failed: {e:#}");
                        outcome.lost += n;
                    }
                    None => outcome.lost += n,
                }
                outcome.last_error = Some(error);
            }
        }
        pending.clear();
    };
    loop {
        match rx.recv_timeout(LINGER) {
            Ok(Message::Finding(value)) => {
                pending.push(value);
                if pending.len() >= batch_size {
                    send(&mut pending);
                }
            }
            Ok(Message::Flush(done)) => {
                send(&mut pending);
                let _ = done.send(());
            }
            Err(RecvTimeoutError::Timeout) => send(&mut pending),
            Err(RecvTimeoutError::Disconnected) => {
                send(&mut pending);
                return;
            }
        }
    }
}

/// Appends the batch's findings, one JSON object per line.
fn write_dead_letter(path: &std::path::Path, batch: &[serde_json::Value]) -> anyhow::Result<()> {
    use std::io::Write;
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mut text = String::new();
    for value in batch {
        text.push_str(&value.to_string());
        text.push('\n');
    }
    file.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    file.sync_data().with_context(|| format!("syncing {}", path.display()))
}

impl Sink for QueuedSink {
    fn deliver(&mut self, detection: &Detection) -> anyhow::Result<()> {
        let tx = self.tx.as_ref().context("the sink is closed")?;
        tx.send(Message::Finding(ocsf::to_json(detection)))
            .map_err(|_| anyhow::anyhow!("{}: the sender stopped", self.describe))
    }

    /// Waits until everything queued was sent (or dead-lettered), then reports the findings
    /// that did not reach the destination since the last flush.
    fn flush(&mut self) -> anyhow::Result<()> {
        if let Some(tx) = &self.tx {
            let (done_tx, done_rx) = crossbeam_channel::bounded(1);
            if tx.send(Message::Flush(done_tx)).is_ok() {
                let _ = done_rx.recv();
            }
        }
        let outcome = self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        tracing::debug!(sink = %self.describe, delivered = outcome.delivered, "flushed");
        let (dead, lost) = (outcome.dead_lettered - self.reported.0, outcome.lost - self.reported.1);
        self.reported = (outcome.dead_lettered, outcome.lost);
        let error = outcome.last_error.clone().unwrap_or_default();
        match (dead, lost) {
            (0, 0) => Ok(()),
            (dead_lettered, lost) => Err(Undelivered { lost, dead_lettered, error }.into()),
        }
    }

    fn progress(&self) -> SinkProgress {
        let dead_lettered = self.outcome.lock().unwrap_or_else(|e| e.into_inner()).dead_lettered;
        SinkProgress {
            retries: self.retries.load(Ordering::Relaxed),
            dead_lettered,
            queued: self.tx.as_ref().map_or(0, |tx| tx.len() as u64),
        }
    }
}

/// Findings that did not reach the destination since the last flush.
#[derive(Debug)]
pub struct Undelivered {
    /// Neither delivered nor written anywhere.
    pub lost: u64,
    /// Written to the dead-letter file after their attempts ran out.
    pub dead_lettered: u64,
    /// The last error, verbatim.
    pub error: String,
}

impl std::fmt::Display for Undelivered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Undelivered { lost, dead_lettered, error } = self;
        match lost {
            0 => write!(f, "{dead_lettered} finding(s) written to the dead-letter file after their attempts ran out ({error})"),
            _ => write!(
                f,
                "{lost} finding(s) not delivered and not written anywhere, {dead_lettered} written to the dead-letter file ({error})"
            ),
        }
    }
}

impl std::error::Error for Undelivered {}

impl Drop for QueuedSink {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
