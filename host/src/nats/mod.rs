//! A small, blocking NATS client: what the NATS JetStream sink and source need, over one TCP
//! connection each, on their own threads. [`proto`] owns the frames, [`jetstream`] the
//! JetStream API (streams, durable consumers, publish acknowledgements, pull requests).
//!
//! Every read has a deadline and never loses a frame read in part; the server's `PING`s are
//! answered while waiting; `-ERR` ends the call with the server's words.

pub mod jetstream;
pub mod proto;

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use proto::Frame;
pub use proto::Message;

/// How long connecting (and the first round trip) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What a connection is given: the server and how to authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `nats://host:port` or `host:port`.
    pub url: String,
    /// Sent as `auth_token` in `CONNECT`.
    pub token: Option<String>,
    /// The client name the server's monitoring shows.
    pub name: String,
}

/// One connection to a NATS server.
pub struct Connection {
    stream: TcpStream,
    /// Bytes read and not parsed yet, from `start`.
    input: Vec<u8>,
    start: usize,
    /// Bytes written by `publish` and not sent yet.
    output: Vec<u8>,
    max_payload: usize,
    /// This connection's reply subjects: `<inbox>.<n>`, all under one subscription.
    inbox: String,
    next_reply: u64,
    address: String,
}

impl Connection {
    /// Connects, says who it is, and waits for the server to answer a `PING`, so a refused
    /// token or a server that is not NATS fails here.
    ///
    /// # Errors
    /// The server cannot be reached or refused the connection.
    pub fn connect(options: &Options) -> anyhow::Result<Self> {
        let address = options.url.strip_prefix("nats://").unwrap_or(&options.url).trim_end_matches('/');
        let target = address
            .to_socket_addrs()
            .with_context(|| format!("cannot resolve {address}"))?
            .next()
            .with_context(|| format!("{address} resolves to no address"))?;
        let stream = TcpStream::connect_timeout(&target, CONNECT_TIMEOUT)
            .with_context(|| format!("cannot connect to nats://{address}"))?;
        stream.set_nodelay(true)?;
        let mut connection = Connection {
            stream,
            input: Vec::with_capacity(64 * 1024),
            start: 0,
            output: Vec::new(),
            max_payload: 1 << 20,
            inbox: format!("_INBOX.{}", unique_token()),
            next_reply: 0,
            address: address.to_string(),
        };
        let deadline = Instant::now() + CONNECT_TIMEOUT;
        match connection.frame(deadline)? {
            Some(Frame::Info(info)) => {
                if let Some(max) = info["max_payload"].as_u64() {
                    connection.max_payload = max as usize;
                }
                if info["headers"].as_bool() != Some(true) {
                    bail!("nats://{address} does not support headers (NATS 2.2 or newer is needed)");
                }
            }
            other => bail!("nats://{address} did not start with INFO (got {other:?})"),
        }
        let mut hello = serde_json::json!({
            "verbose": false, "pedantic": false, "lang": "rust", "version": env!("CARGO_PKG_VERSION"),
            "protocol": 1, "headers": true, "no_responders": true, "name": options.name,
        });
        if let Some(token) = &options.token {
            hello["auth_token"] = token.clone().into();
        }
        connection.output.extend_from_slice(format!("CONNECT {hello}\r\n").as_bytes());
        let sub = format!("SUB {}.* 1\r\n", connection.inbox);
        connection.output.extend_from_slice(sub.as_bytes());
        connection
            .round_trip(deadline)
            .with_context(|| format!("nats://{address} refused the connection"))?;
        Ok(connection)
    }

    /// `host:port` of the server, for messages.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The largest message the server takes.
    pub fn max_payload(&self) -> usize {
        self.max_payload
    }

    /// A reply subject of this connection's own, unused so far.
    pub fn new_reply(&mut self) -> String {
        self.next_reply += 1;
        format!("{}.{}", self.inbox, self.next_reply)
    }

    /// Queues a message to be sent by the next [`Connection::flush`].
    ///
    /// # Errors
    /// The message is larger than the server takes, or its subject cannot be sent.
    pub fn publish(
        &mut self,
        subject: &str,
        reply: Option<&str>,
        headers: &[(&str, &str)],
        payload: &[u8],
    ) -> anyhow::Result<()> {
        if !proto::valid_subject(subject) {
            bail!("{:?} is not a subject NATS takes", crate::text::printable(subject));
        }
        if payload.len() > self.max_payload {
            bail!(
                "a message of {} bytes is over the server's max_payload ({} bytes)",
                payload.len(),
                self.max_payload
            );
        }
        proto::publish(&mut self.output, subject, reply, headers, payload);
        Ok(())
    }

    /// Sends what was published.
    ///
    /// # Errors
    /// The connection failed.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        if self.output.is_empty() {
            return Ok(());
        }
        self.stream.set_write_timeout(Some(CONNECT_TIMEOUT))?;
        self.stream.write_all(&self.output).with_context(|| format!("writing to nats://{}", self.address))?;
        self.output.clear();
        Ok(())
    }

    /// Sends what was published and waits until the server has read it (`PING` answered by
    /// `PONG`), so what was sent without a reply (acknowledgements) is known to have arrived.
    ///
    /// # Errors
    /// The connection failed, the server answered `-ERR`, or no `PONG` came by the deadline.
    pub fn round_trip(&mut self, deadline: Instant) -> anyhow::Result<()> {
        self.output.extend_from_slice(b"PING\r\n");
        self.flush()?;
        loop {
            match self.frame(deadline)? {
                Some(Frame::Pong) => return Ok(()),
                Some(Frame::Msg(msg)) => {
                    tracing::debug!(subject = %msg.subject, "a message while waiting for PONG")
                }
                Some(_) => {}
                None => bail!("nats://{}: no PONG in time", self.address),
            }
        }
    }

    /// The next message for this connection, waiting until `deadline`; `None` when none came.
    ///
    /// # Errors
    /// The connection failed or the server answered `-ERR`.
    pub fn next_message(&mut self, deadline: Instant) -> anyhow::Result<Option<Message>> {
        loop {
            match self.frame(deadline)? {
                Some(Frame::Msg(msg)) => return Ok(Some(msg)),
                Some(_) => {}
                None => return Ok(None),
            }
        }
    }

    /// Publishes a request and waits for the message that answers it.
    ///
    /// # Errors
    /// The connection failed, or no answer came within `timeout`.
    pub fn request(&mut self, subject: &str, payload: &[u8], timeout: Duration) -> anyhow::Result<Message> {
        let reply = self.new_reply();
        self.publish(subject, Some(&reply), &[], payload)?;
        self.flush()?;
        let deadline = Instant::now() + timeout;
        loop {
            match self.next_message(deadline)? {
                Some(msg) if msg.subject == reply => return Ok(msg),
                // The late answer to an earlier request that timed out.
                Some(msg) => tracing::debug!(subject = %msg.subject, "an answer to an earlier request"),
                None => bail!("nats://{}: no answer to {subject} within {timeout:?}", self.address),
            }
        }
    }

    /// The next frame other than `PING` (answered here), waiting until `deadline`.
    fn frame(&mut self, deadline: Instant) -> anyhow::Result<Option<Frame>> {
        loop {
            match proto::parse(&self.input[self.start..], self.max_payload)
                .with_context(|| format!("nats://{}", self.address))?
            {
                Some((frame, used)) => {
                    self.start += used;
                    match frame {
                        Frame::Ping => {
                            self.output.extend_from_slice(b"PONG\r\n");
                            self.flush()?;
                        }
                        Frame::Err(why) => bail!("nats://{} answered -ERR {why}", self.address),
                        frame => return Ok(Some(frame)),
                    }
                }
                None => {
                    if !self.fill(deadline)? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Reads more bytes; `false` when the deadline passed first.
    fn fill(&mut self, deadline: Instant) -> anyhow::Result<bool> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        if self.start > 0 {
            self.input.drain(..self.start);
            self.start = 0;
        }
        self.stream.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
        let mut chunk = [0u8; 64 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => bail!("nats://{} closed the connection", self.address),
            Ok(n) => {
                self.input.extend_from_slice(&chunk[..n]);
                Ok(true)
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                Ok(false)
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(true),
            Err(e) => Err(e).with_context(|| format!("reading from nats://{}", self.address)),
        }
    }
}

/// A token no other connection of this or another process uses for its inbox.
fn unique_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("th{:x}{:x}{}", std::process::id(), nanos as u64, COUNT.fetch_add(1, Ordering::Relaxed))
}
