//! The NATS JetStream sink: each finding published as one OCSF JSON message to a subject a
//! JetStream stream stores, from the sink's own thread ([`super::queued`]).
//!
//! A finding counts as delivered only when the stream acknowledged storing it. Messages are
//! published a batch at a time and their acknowledgements read together; those not
//! acknowledged (a stream that refused, a connection that broke, no answer in time) are
//! published again with exponential backoff and jitter, over a new connection when the old
//! one failed. Each message carries `Nats-Msg-Id` (a digest of its content), so a message
//! published again after its acknowledgement was lost is stored once. After the last attempt
//! the batch goes to the dead-letter file, as for every queued sink.
//!
//! With `stream`, the stream is made on `subject` when it does not exist; without it, the
//! subject must be one an existing stream takes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use serde::Deserialize;
use sha2::Digest;

use super::backoff::{self, defaults, Backoff};
use super::queued::{Batches, QueuedSink};
use super::{Invalid, Sink, SinkSettings};
use crate::nats::{self, jetstream, Connection};

/// `[[sinks]] type = "nats"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatsConfig {
    /// What routes call the sink. Default: none.
    pub name: Option<String>,
    /// The server, `nats://host:port`. Required.
    pub url: String,
    /// The subject findings are published to. Required.
    pub subject: String,
    /// The JetStream stream to make on `subject` when it does not exist. Default: none (a
    /// stream taking the subject must exist).
    pub stream: Option<String>,
    /// The environment variable holding the server's auth token. Default: none.
    pub token_env: Option<String>,
    /// Findings published before their acknowledgements are awaited. Default: 100.
    #[serde(default = "defaults::batch_size")]
    pub batch_size: usize,
    /// Attempts per batch before it is given up (and dead-lettered). Default: 6.
    #[serde(default = "defaults::max_attempts")]
    pub max_attempts: u32,
    /// The first retry's delay in milliseconds, doubled each attempt, with jitter. Default: 500.
    #[serde(default = "defaults::backoff_ms")]
    pub backoff_ms: u64,
    /// The longest delay between two attempts, in milliseconds. Default: 30000.
    #[serde(default = "defaults::max_backoff_ms")]
    pub max_backoff_ms: u64,
    /// How long a batch's acknowledgements are awaited, in milliseconds. Default: 10000.
    #[serde(default = "defaults::timeout_ms")]
    pub timeout_ms: u64,
    /// Findings waiting for the sender before delivery waits for it. Default: 10000.
    #[serde(default = "defaults::queue")]
    pub queue: usize,
    /// Where batches that ran out of attempts are appended as JSON lines; relative to the
    /// config file's folder. Default: none (they are counted as lost).
    pub dead_letter: Option<PathBuf>,
}

impl SinkSettings for NatsConfig {
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    fn build(&self) -> anyhow::Result<Box<dyn Sink>> {
        let token = crate::config::secret_from_env(self.token_env.as_deref(), "nats sink", "token_env")?;
        let options = nats::Options { url: self.url.clone(), token, name: "trailhound sink".into() };
        let publisher = Publisher {
            config: self.clone(),
            options,
            connection: None,
            backoff: Backoff::new(self.backoff_ms, self.max_backoff_ms),
        };
        Ok(Box::new(QueuedSink::start(publisher, self.queue, self.batch_size, self.dead_letter.clone())?))
    }

    fn check(&self) -> Result<(), Invalid> {
        if !nats::proto::valid_subject(&self.subject) || self.subject.contains(['*', '>']) {
            return Err(Invalid {
                key: "subject",
                message: format!("{:?} is not a subject to publish to", self.subject),
            });
        }
        if let Some(stream) = &self.stream {
            if !valid_name(stream) {
                return Err(Invalid { key: "stream", message: format!("{stream:?} is not a stream name") });
            }
        }
        backoff::check(&[
            ("batch_size", self.batch_size as u64),
            ("max_attempts", u64::from(self.max_attempts)),
            ("queue", self.queue as u64),
            ("timeout_ms", self.timeout_ms),
        ])?;
        backoff::check_delays(self.backoff_ms, self.max_backoff_ms)
    }

    fn resolve_paths(&mut self, base: &Path) {
        if let Some(path) = &mut self.dead_letter {
            super::resolve(path, base);
        }
    }
}

/// A JetStream stream or consumer name: no dots, spaces or wildcards (they would change the
/// API subject it is put in).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'.' | b'*' | b'>' | b'/' | b'\\'))
}

struct Publisher {
    config: NatsConfig,
    options: nats::Options,
    /// Open once a batch needed it; dropped when it failed.
    connection: Option<Connection>,
    backoff: Backoff,
}

impl Publisher {
    fn connection(&mut self) -> anyhow::Result<&mut Connection> {
        if self.connection.is_none() {
            let mut connection = Connection::connect(&self.options)?;
            if let Some(stream) = &self.config.stream {
                jetstream::ensure_stream(
                    &mut connection,
                    stream,
                    std::slice::from_ref(&self.config.subject),
                )?;
            }
            self.connection = Some(connection);
        }
        Ok(self.connection.as_mut().expect("opened above"))
    }

    /// Publishes the messages at `left` and waits for their acknowledgements; returns those
    /// not stored, with the last reason.
    fn attempt(
        &mut self,
        messages: &[(Vec<u8>, String)],
        left: &[usize],
    ) -> anyhow::Result<(Vec<usize>, String)> {
        let subject = self.config.subject.clone();
        let timeout = Duration::from_millis(self.config.timeout_ms);
        let connection = self.connection()?;
        let mut waiting = HashMap::with_capacity(left.len());
        for &i in left {
            let (payload, id) = &messages[i];
            let reply = connection.new_reply();
            connection.publish(&subject, Some(&reply), &[("Nats-Msg-Id", id)], payload)?;
            waiting.insert(reply, i);
        }
        connection.flush()?;
        let deadline = Instant::now() + timeout;
        let mut refused = Vec::new();
        let mut why = String::new();
        while !waiting.is_empty() {
            let Some(msg) = connection.next_message(deadline)? else {
                why = format!("{} acknowledgement(s) did not come within {timeout:?}", waiting.len());
                break;
            };
            let Some(i) = waiting.remove(&msg.subject) else { continue };
            if let Err(reason) = jetstream::publish_ack(&msg) {
                why = reason;
                refused.push(i);
            }
        }
        refused.extend(waiting.into_values());
        Ok((refused, why))
    }
}

impl Batches for Publisher {
    fn describe(&self) -> String {
        format!("nats {} {}", self.config.url, self.config.subject)
    }

    fn send(&mut self, batch: &[serde_json::Value], retries: &AtomicU64) -> anyhow::Result<()> {
        let messages: Vec<(Vec<u8>, String)> = batch
            .iter()
            .map(|finding| {
                let payload = finding.to_string().into_bytes();
                let id = hex::encode(&sha2::Sha256::digest(&payload)[..16]);
                (payload, id)
            })
            .collect();
        let mut left: Vec<usize> = (0..messages.len()).collect();
        let mut attempt = 1;
        loop {
            let why = match self.attempt(&messages, &left) {
                Ok((refused, _)) if refused.is_empty() => return Ok(()),
                Ok((refused, why)) => {
                    left = refused;
                    why
                }
                Err(error) => {
                    // The connection is suspect: the next attempt opens a new one.
                    self.connection = None;
                    format!("{error:#}")
                }
            };
            if attempt >= self.config.max_attempts {
                bail!(
                    "{} of {} finding(s) not stored after {attempt} attempt(s): {why}",
                    left.len(),
                    batch.len()
                );
            }
            let delay = self.backoff.delay(attempt);
            tracing::warn!(subject = %self.config.subject, attempt, ?delay, left = left.len(), "nats publish failed, retrying: {why}");
            std::thread::sleep(delay);
            attempt += 1;
            retries.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &str) -> NatsConfig {
        toml::from_str(&format!("url = \"nats://127.0.0.1:4222\"\nsubject = \"findings.all\"\n{extra}"))
            .unwrap()
    }

    #[test]
    fn defaults_and_checks() {
        let c = config("");
        assert_eq!((c.batch_size, c.max_attempts, c.queue), (100, 6, 10_000));
        assert!(c.check().is_ok());
        assert_eq!(config("").check(), Ok(()));
        let wild = NatsConfig { subject: "findings.*".into(), ..config("") };
        assert_eq!(wild.check().unwrap_err().key, "subject");
        assert_eq!(config("stream = \"a.b\"").check().unwrap_err().key, "stream");
        assert_eq!(config("queue = 0").check().unwrap_err().key, "queue");
        assert!(valid_name("FINDINGS") && !valid_name("a b") && !valid_name(""));
    }
}
