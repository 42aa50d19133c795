//! The NATS JetStream source: log records read from a JetStream stream through a durable pull
//! consumer, on the source's own thread. A message holds one or more records of any supported
//! log type (a CloudTrail file's `{"Records": [...]}`, a JSON array, JSON lines), gzip or not.
//!
//! A message is acknowledged only once the findings of its records are delivered. The run
//! saves how far it took each stream with the checkpoints of its state (`engine.state_dir` is
//! required); when a checkpoint commits, every message up to it is acknowledged
//! ([`NatsIngest::release`]). What the run took and could not acknowledge — it was killed, the
//! server went away — is delivered again: at least once.
//!
//! The source owns its durable consumer. At the start the consumer is rewound to the later of
//! what it acknowledged and what the checkpoint says was delivered, so what was delivered and
//! never acknowledged comes again at once rather than after `ack_wait_secs`, and nothing up to
//! the checkpoint is read twice. A message delivered again while the run holds it (it took
//! longer than `ack_wait_secs` to deliver its findings) is not read twice either. A broken
//! connection is made again with backoff; what was taken on it is acknowledged on the new one.
//! A consumer deleted on the server while the run reads is made again, after what was taken.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Deserialize;

use super::Item;
use crate::decode::{Layout, Limits};
use crate::nats::{self, jetstream, Connection, Message};
use crate::record::{Malformed, Origin};
use crate::sinks::backoff::Backoff;

/// How long one pull request waits for messages before it is asked again.
const PULL_WAIT: Duration = Duration::from_secs(1);
/// How long the last acknowledgements may take at the end of the run.
const FINISH_WAIT: Duration = Duration::from_secs(5);

/// `[[sources]] type = "nats"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatsSource {
    /// The server, `nats://host:port`. Required.
    pub url: String,
    /// The JetStream stream read. Required.
    pub stream: String,
    /// The stream is made on these subjects when it does not exist. Default: none (it must
    /// exist).
    #[serde(default)]
    pub subjects: Vec<String>,
    /// The durable consumer's name; the source owns it. Default: `trailhound`.
    #[serde(default = "default_durable")]
    pub durable: String,
    /// Only messages on this subject. Default: the whole stream.
    pub filter_subject: Option<String>,
    /// Messages asked for at a time. Default: 256.
    #[serde(default = "default_batch")]
    pub batch: usize,
    /// Messages taken and not yet acknowledged at most; then the server waits. Default: 100000.
    #[serde(default = "default_max_unacked")]
    pub max_unacked: u64,
    /// How long a message may stay unacknowledged before the server delivers it again; well
    /// over `engine.checkpoint_interval_secs` (at least twice). Default: 120.
    #[serde(default = "default_ack_wait")]
    pub ack_wait_secs: u64,
    /// The environment variable holding the server's auth token. Default: none.
    pub token_env: Option<String>,
    /// Every record is of this log source. Default: recognised per record.
    pub log_type: Option<String>,
}

fn default_durable() -> String {
    "trailhound".into()
}

fn default_batch() -> usize {
    256
}

fn default_max_unacked() -> u64 {
    100_000
}

fn default_ack_wait() -> u64 {
    120
}

impl NatsSource {
    /// What is wrong with the settings, each with its key; `checkpoint_secs` is the engine's
    /// checkpoint interval, which acknowledgements wait for.
    pub fn problems(&self, checkpoint_secs: u64) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if !self.url.starts_with("nats://") && self.url.contains("://") {
            problems.push(("url", format!("{:?} is not a nats:// address", self.url)));
        }
        for (key, name) in [("stream", &self.stream), ("durable", &self.durable)] {
            if !crate::sinks::nats::valid_name(name) {
                problems
                    .push((key, format!("{name:?} is not a JetStream name (no dots, spaces or wildcards)")));
            }
        }
        let subjects = self.subjects.iter().chain(&self.filter_subject);
        if let Some(bad) = subjects.into_iter().find(|s| !nats::proto::valid_subject(s)) {
            problems.push(("subjects", format!("{bad:?} is not a subject")));
        }
        if self.batch == 0 {
            problems.push(("batch", "must be at least 1".into()));
        }
        if self.max_unacked < self.batch as u64 {
            problems.push(("max_unacked", "must be at least `batch`".into()));
        }
        if self.ack_wait_secs < 2 * checkpoint_secs.max(1) {
            problems.push((
                "ack_wait_secs",
                format!(
                    "must be at least twice engine.checkpoint_interval_secs ({checkpoint_secs}): messages \
                     are acknowledged at checkpoints, and the server delivers again what waits longer"
                ),
            ));
        }
        if self.token_env.as_ref().is_some_and(String::is_empty) {
            problems.push(("token_env", "must name an environment variable".into()));
        }
        problems
    }

    /// The name the source's position is saved under.
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.url.trim_start_matches("nats://"), self.stream, self.durable)
    }
}

/// Hands one message's records on, with its stream sequence; `false`: the run is stopping and
/// did not take them.
pub type Deliver = Box<dyn FnMut(Vec<Item>, u64) -> bool + Send>;

/// What the source did, for the summary.
#[derive(Debug, Default)]
pub struct Counts {
    pub messages: AtomicU64,
    pub records: AtomicU64,
    pub acknowledged: AtomicU64,
    /// Delivered again while the run held them, or up to the checkpoint: not read twice.
    pub skipped: AtomicU64,
    pub reconnects: AtomicU64,
    /// Times the stream was found made again (its sequences started over) and read from its
    /// start.
    pub stream_resets: AtomicU64,
    /// Taken and not acknowledged when the source stopped: delivered again at the next start.
    pub unacknowledged: AtomicU64,
}

/// What the run and the source's thread share.
#[derive(Debug, Default)]
struct Control {
    /// Messages up to this sequence may be acknowledged: their findings are delivered.
    released: AtomicU64,
    /// Take no more.
    stop: AtomicBool,
    /// Acknowledge what is released and end.
    finish: AtomicBool,
}

/// The running source.
pub struct NatsIngest {
    pub key: String,
    pub counts: Arc<Counts>,
    control: Arc<Control>,
    thread: Option<JoinHandle<()>>,
}

impl NatsIngest {
    /// Starts reading as `config` says; `resume`: the sequence the last checkpoint holds for
    /// [`NatsSource::key`] (what is known delivered).
    ///
    /// # Errors
    /// The token's variable is unset, or the thread cannot start. A server that cannot be
    /// reached is retried on the thread, with backoff.
    pub fn start(config: &NatsSource, limits: Limits, resume: u64, deliver: Deliver) -> anyhow::Result<Self> {
        let token = crate::config::secret_from_env(config.token_env.as_deref(), "nats source", "token_env")?;
        let options = nats::Options { url: config.url.clone(), token, name: "trailhound source".into() };
        let counts = Arc::new(Counts::default());
        let control = Arc::new(Control { released: AtomicU64::new(resume), ..Control::default() });
        let reader = Reader {
            config: config.clone(),
            options,
            limits,
            deliver,
            counts: counts.clone(),
            control: control.clone(),
            resume,
            taken: resume,
            held: BTreeMap::new(),
            rewound: false,
            stream: None,
        };
        let thread = std::thread::Builder::new()
            .name("nats-source".into())
            .spawn(move || reader.run())
            .context("starting the nats source's thread")?;
        Ok(NatsIngest { key: config.key(), counts, control, thread: Some(thread) })
    }

    /// The findings of every message up to `sequence` are delivered: they are acknowledged.
    pub fn release(&self, sequence: u64) {
        self.control.released.fetch_max(sequence, Ordering::SeqCst);
    }

    /// Takes no more messages; what was taken is still acknowledged once released.
    pub fn stop(&self) {
        self.control.stop.store(true, Ordering::SeqCst);
    }

    /// Acknowledges what was released and ends the source's thread.
    pub fn finish(mut self) -> Arc<Counts> {
        self.end();
        self.counts.clone()
    }

    fn end(&mut self) {
        self.control.stop.store(true, Ordering::SeqCst);
        self.control.finish.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for NatsIngest {
    fn drop(&mut self) {
        self.end();
    }
}

/// The source's thread.
struct Reader {
    config: NatsSource,
    options: nats::Options,
    limits: Limits,
    deliver: Deliver,
    counts: Arc<Counts>,
    control: Arc<Control>,
    /// What the checkpoint the run started from holds: known delivered.
    resume: u64,
    /// The last sequence handed on.
    taken: u64,
    /// Messages taken and not acknowledged: sequence → the subject that acknowledges it.
    held: BTreeMap<u64, String>,
    /// The consumer was rewound (once, at the start).
    rewound: bool,
    /// The stream read, as last seen.
    stream: Option<jetstream::StreamIdentity>,
}

impl Reader {
    fn run(mut self) {
        let mut backoff = Backoff::new(200, 10_000);
        let mut failures = 0;
        let mut connection: Option<Connection> = None;
        while !self.control.finish.load(Ordering::SeqCst) {
            let result = match &mut connection {
                Some(open) => self.round(open),
                None => self.open().map(|open| {
                    connection = Some(open);
                    failures = 0;
                }),
            };
            if let Err(error) = result {
                if connection.take().is_some() {
                    self.counts.reconnects.fetch_add(1, Ordering::Relaxed);
                }
                failures += 1;
                tracing::warn!(source = %self.config.key(), "nats source: {error:#}; trying again");
                self.pause(backoff.delay(failures));
            }
        }
        self.acknowledge_last(connection);
    }

    /// Sleeps, waking early when the run finishes.
    fn pause(&self, delay: Duration) {
        let until = Instant::now() + delay;
        while Instant::now() < until && !self.control.finish.load(Ordering::SeqCst) {
            std::thread::sleep(
                Duration::from_millis(50).min(until.saturating_duration_since(Instant::now())),
            );
        }
    }

    /// Connects, makes the stream when asked, and makes sure the consumer is there; at the
    /// first connection, rewinds it to what is known delivered.
    fn open(&mut self) -> anyhow::Result<Connection> {
        let mut connection = Connection::connect(&self.options)?;
        let (stream, durable) = (self.config.stream.clone(), self.config.durable.clone());
        let identity = jetstream::ensure_stream(&mut connection, &stream, &self.config.subjects)?;
        self.check_identity(identity);
        let found = jetstream::consumer(&mut connection, &stream, &durable)?;
        let start_after = match found {
            Some(state) if !self.rewound && (state.ack_pending > 0 || self.resume > state.ack_floor) => {
                jetstream::delete_consumer(&mut connection, &stream, &durable)?;
                Some(state.ack_floor.max(self.resume))
            }
            Some(_) => None,
            None => Some(self.taken),
        };
        if let Some(after) = start_after {
            let settings = jetstream::ConsumerSettings {
                durable: durable.clone(),
                filter_subject: self.config.filter_subject.clone(),
                ack_wait: Duration::from_secs(self.config.ack_wait_secs),
                max_ack_pending: self.config.max_unacked,
                start_after: after,
            };
            jetstream::create_consumer(&mut connection, &stream, &settings)?;
            tracing::info!(
                stream,
                durable,
                after,
                "nats source: consumer set to read after sequence {after}"
            );
        }
        self.rewound = true;
        tracing::info!(source = %self.config.key(), "nats source reading");
        Ok(connection)
    }

    /// A stream made again under its name starts its sequences over: what was read of the
    /// old one says nothing of the new one, which is read from its start (else its first
    /// messages, up to the last sequence taken, would be skipped as read). It is told by its
    /// creation time while the run goes on, and at the start by a last sequence below the
    /// checkpoint's.
    fn check_identity(&mut self, identity: jetstream::StreamIdentity) {
        let made_again = match &self.stream {
            Some(seen) => seen.created != identity.created,
            None => self.resume.max(self.taken) > identity.last_sequence,
        };
        if made_again {
            tracing::warn!(
                source = %self.config.key(),
                taken = self.taken.max(self.resume),
                last = identity.last_sequence,
                "nats source: the stream was made again (its sequences started over); reading it from its start"
            );
            self.counts.stream_resets.fetch_add(1, Ordering::Relaxed);
            // Messages of the old stream cannot be acknowledged on the new one.
            self.held.clear();
            (self.taken, self.resume) = (0, 0);
            // A checkpoint of the old stream's sequences releases none of the new one's.
            self.control.released.store(0, Ordering::SeqCst);
        }
        self.stream = Some(identity);
    }

    /// Acknowledges what was released, then (unless stopping) asks for a batch and takes what
    /// comes.
    fn round(&mut self, connection: &mut Connection) -> anyhow::Result<()> {
        self.acknowledge(connection)?;
        if self.control.stop.load(Ordering::SeqCst) {
            connection.flush()?;
            self.pause(Duration::from_millis(100));
            return Ok(());
        }
        let reply = jetstream::pull(
            connection,
            &self.config.stream,
            &self.config.durable,
            self.config.batch,
            PULL_WAIT,
        )?;
        let deadline = Instant::now() + PULL_WAIT + Duration::from_millis(500);
        let mut received = 0;
        while received < self.config.batch && !self.control.stop.load(Ordering::SeqCst) {
            let Some(msg) = connection.next_message(deadline)? else { break };
            match msg.status {
                // A heartbeat.
                Some(100) => {}
                // No consumer answers the pull: it was deleted on the server. A new
                // connection makes it again, after what was taken.
                Some(503) if msg.subject == reply => {
                    anyhow::bail!("consumer {} of stream {} is gone", self.config.durable, self.config.stream)
                }
                Some(409) if msg.description.contains("Deleted") => {
                    anyhow::bail!(
                        "consumer {} of stream {} was deleted",
                        self.config.durable,
                        self.config.stream
                    )
                }
                // The end of this pull (408: it expired, 404: nothing there, 409: the
                // consumer's limits), or of an earlier one.
                Some(_) if msg.subject == reply => break,
                Some(_) => {}
                None => {
                    received += 1;
                    self.take(msg);
                }
            }
        }
        Ok(())
    }

    /// One delivered message: handed on unless it was already, and held until released.
    fn take(&mut self, msg: Message) {
        let Some((sequence, ack)) =
            msg.reply.as_deref().and_then(|r| Some((jetstream::stream_sequence(r)?, r.to_string())))
        else {
            tracing::warn!(subject = %msg.subject, "nats source: a message without a JetStream reply; ignored");
            return;
        };
        if sequence <= self.taken {
            self.counts.skipped.fetch_add(1, Ordering::Relaxed);
            self.held.insert(sequence, ack);
            return;
        }
        let name: Arc<str> = Arc::from(format!("nats:{}#{sequence}", self.config.stream));
        let mut items = Vec::new();
        let decoded = super::read_from(&msg.payload[..], &name, Layout::Sniff, self.limits, &mut |item| {
            items.push(item)
        });
        if let Err(error) = decoded {
            items.push(Item::Malformed(Malformed {
                origin: Origin::whole(name),
                reason: format!("the message cannot be read: {error}"),
            }));
        }
        let records = items.iter().filter(|item| matches!(item, Item::Record(_))).count() as u64;
        if !(self.deliver)(items, sequence) {
            return;
        }
        self.taken = sequence;
        self.held.insert(sequence, ack);
        self.counts.messages.fetch_add(1, Ordering::Relaxed);
        self.counts.records.fetch_add(records, Ordering::Relaxed);
    }

    /// Acknowledges (with the next flush) every held message up to what was released.
    fn acknowledge(&mut self, connection: &mut Connection) -> anyhow::Result<()> {
        // Never past what this reader took: a checkpoint of a stream made again since holds
        // the old stream's sequences.
        let released = self.control.released.load(Ordering::SeqCst).min(self.taken.max(self.resume));
        let mut acknowledged = 0;
        while let Some(entry) = self.held.first_entry() {
            if *entry.key() > released {
                break;
            }
            jetstream::ack(connection, entry.get())?;
            entry.remove();
            acknowledged += 1;
        }
        if acknowledged > 0 {
            connection.flush()?;
            self.counts.acknowledged.fetch_add(acknowledged, Ordering::Relaxed);
        }
        Ok(())
    }

    /// The end: acknowledges what was released and waits until the server has them; what
    /// is left is counted, to be delivered again at the next start.
    fn acknowledge_last(mut self, connection: Option<Connection>) {
        let result = connection.map_or_else(|| Connection::connect(&self.options), Ok).and_then(|mut c| {
            self.acknowledge(&mut c)?;
            c.round_trip(Instant::now() + FINISH_WAIT)
        });
        if let Err(error) = result {
            tracing::warn!(source = %self.config.key(), "nats source: the last acknowledgements were not sent: {error:#}");
        }
        let left = self.held.keys().filter(|s| **s > self.resume).count() as u64;
        self.counts.unacknowledged.store(left, Ordering::Relaxed);
    }
}
