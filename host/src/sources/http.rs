//! The HTTP ingest source: log records POSTed to `/events` — a CloudTrail file's
//! `{"Records": [...]}`, a JSON array or JSON lines, of any supported log type, optionally
//! gzip-compressed — are decoded and handed on whole, one request at a time.
//!
//! A request is taken whole or refused whole, with a status and a JSON body naming what is
//! wrong, and every refusal is counted by its reason:
//! - 401 without the bearer token (when one is configured);
//! - 404 / 405 for another path or method;
//! - 413 for a body (or its inflated content) over `max_body_bytes`;
//! - 415 for a content type that is not JSON (or text);
//! - 400 for a body that is not records (the first bad one is named, with its line or
//!   index), so a sender fixes it rather than loses part of it;
//! - 503 with `Retry-After` when the pipeline is saturated: the sender retries later.
//!
//! 202 means the records were taken into the run (the reply says how many); findings follow
//! as for any source. With a [`Journal`] (the run has a state folder) the body is first
//! written to it durably, so records answered 202 survive a crash of the run; a body that
//! cannot be written is answered 503. Each request is read on one of the source's threads,
//! never on the pipeline's.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::Context;
use serde::Deserialize;

use super::journal::Journal;
use super::Item;
use crate::decode::{Layout, Limits};

/// The path records are POSTed to.
pub const PATH: &str = "/events";

/// Seconds a saturated run asks a sender to wait.
const RETRY_AFTER_SECS: u32 = 1;

/// Threads reading requests.
const THREADS: usize = 2;

/// `[[sources]] type = "http"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSource {
    /// Address to listen on, `host:port`. Required.
    pub listen: SocketAddr,
    /// The environment variable holding the bearer token requests must carry
    /// (`Authorization: Bearer ...`). Default: none, no token asked (listen on loopback then).
    pub token_env: Option<String>,
    /// Largest body taken, in bytes, compressed or not, and of what a gzip body inflates to.
    /// Default: 16 MiB.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: u64,
    /// Requests taken but not yet read into the pipeline; one more is answered 503.
    /// Default: 64.
    #[serde(default = "default_max_queued")]
    pub max_queued_requests: usize,
    /// Every record is of this log source. Default: recognised per record.
    pub log_type: Option<String>,
}

fn default_max_queued() -> usize {
    64
}

fn default_max_body() -> u64 {
    16 << 20
}

/// What the source refused, by reason, and what it took.
#[derive(Debug, Default)]
pub struct Counts {
    pub accepted_requests: AtomicU64,
    pub accepted_records: AtomicU64,
    refused: Mutex<BTreeMap<&'static str, u64>>,
}

impl Counts {
    fn refused(&self, reason: &'static str) {
        *self.refused.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(reason).or_insert(0) +=
            1;
    }

    /// Refused requests by reason (`unauthenticated`, `too-large`, `wrong-type`, `malformed`,
    /// `saturated`, `unwritable`, `not-found`, `wrong-method`).
    pub fn refusals(&self) -> BTreeMap<&'static str, u64> {
        self.refused.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// What one request taken is handed on as.
#[derive(Debug)]
pub enum Taken {
    /// Its records, decoded (there is no journal).
    Records(Vec<Item>),
    /// The journal entry its body was written to, to be read like a file.
    Journaled(std::path::PathBuf),
}

/// Hands a request to the pipeline; `false`: it is saturated, nothing was taken.
pub type Deliver = Arc<dyn Fn(Taken) -> bool + Send + Sync>;

/// The running source; dropping it stops it.
pub struct HttpIngest {
    server: Arc<tiny_http::Server>,
    threads: Vec<JoinHandle<()>>,
    pub address: SocketAddr,
    pub counts: Arc<Counts>,
}

/// How one source reads its requests.
struct Reader {
    token: Option<String>,
    max_body: u64,
    limits: Limits,
    journal: Option<Journal>,
    deliver: Deliver,
    counts: Arc<Counts>,
    requests: AtomicU64,
}

impl HttpIngest {
    /// Listens as `config` says; every request taken goes to `deliver`, through the journal
    /// in the folder `journal` when there is one.
    ///
    /// # Errors
    /// The token's variable is unset or empty, the journal folder cannot be made, or the
    /// address cannot be bound.
    pub fn start(
        config: &HttpSource,
        limits: Limits,
        journal: Option<&std::path::Path>,
        deliver: Deliver,
    ) -> anyhow::Result<Self> {
        let token = crate::config::secret_from_env(config.token_env.as_deref(), "http source", "token_env")?;
        let journal = journal
            .map(|dir| {
                Journal::open(dir)
                    .with_context(|| format!("http source: cannot open its journal {}", dir.display()))
            })
            .transpose()?;
        let server = Arc::new(
            tiny_http::Server::http(config.listen)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("http source: cannot listen on {}", config.listen))?,
        );
        let address = server.server_addr().to_ip().unwrap_or(config.listen);
        let counts = Arc::new(Counts::default());
        let reader = Arc::new(Reader {
            token,
            max_body: config.max_body_bytes,
            limits,
            journal,
            deliver,
            counts: counts.clone(),
            requests: AtomicU64::new(0),
        });
        let mut threads = Vec::with_capacity(THREADS);
        for n in 0..THREADS {
            let (server, reader) = (server.clone(), reader.clone());
            let thread = std::thread::Builder::new()
                .name(format!("http-ingest-{n}"))
                .spawn(move || {
                    for request in server.incoming_requests() {
                        reader.answer(request);
                    }
                })
                .context("starting the http source's threads")?;
            threads.push(thread);
        }
        tracing::info!(%address, "http source listening");
        Ok(HttpIngest { server, threads, address, counts })
    }
}

impl Drop for HttpIngest {
    fn drop(&mut self) {
        for _ in &self.threads {
            self.server.unblock();
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// A refusal: status, the counter's reason, and the message for the sender.
struct Refusal {
    status: u16,
    reason: &'static str,
    message: String,
}

fn refuse(status: u16, reason: &'static str, message: impl Into<String>) -> Refusal {
    Refusal { status, reason, message: message.into() }
}

impl Reader {
    fn answer(&self, mut request: tiny_http::Request) {
        let outcome = self.take(&mut request);
        let (status, body, refusal) = match outcome {
            Ok(records) => (202, serde_json::json!({ "accepted": records }), None),
            Err(refusal) => {
                self.counts.refused(refusal.reason);
                tracing::warn!(status = refusal.status, reason = refusal.reason, message = %refusal.message, "http source refused a request");
                (refusal.status, serde_json::json!({ "error": refusal.message }), Some(refusal))
            }
        };
        let mut response = tiny_http::Response::from_string(body.to_string())
            .with_status_code(status)
            .with_header(header("Content-Type", "application/json"));
        match refusal.map(|r| r.status) {
            Some(503) => response.add_header(header("Retry-After", &RETRY_AFTER_SECS.to_string())),
            Some(401) => response.add_header(header("WWW-Authenticate", "Bearer")),
            Some(405) => response.add_header(header("Allow", "POST")),
            _ => {}
        }
        if let Err(error) = request.respond(response) {
            tracing::debug!(%error, "http source: the sender went away");
        }
    }

    /// Reads, checks and decodes one request and hands its records on; how many it took.
    fn take(&self, request: &mut tiny_http::Request) -> Result<u64, Refusal> {
        let path = request.url().split('?').next().unwrap_or_default();
        if path != PATH {
            return Err(refuse(404, "not-found", format!("records are POSTed to {PATH}")));
        }
        if *request.method() != tiny_http::Method::Post {
            return Err(refuse(405, "wrong-method", format!("{PATH} takes POST")));
        }
        if let Some(token) = &self.token {
            let given = header_value(request, "Authorization");
            let presented = given.as_deref().and_then(|v| v.strip_prefix("Bearer "));
            if !presented.is_some_and(|p| constant_time_eq(p.as_bytes(), token.as_bytes())) {
                return Err(refuse(
                    401,
                    "unauthenticated",
                    "a bearer token is required (Authorization: Bearer ...)",
                ));
            }
        }
        if let Some(kind) = header_value(request, "Content-Type") {
            let essence = kind.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            let json = essence == "application/json"
                || essence.ends_with("+json")
                || matches!(
                    essence.as_str(),
                    "application/x-ndjson" | "application/jsonl" | "application/json-seq" | "text/plain"
                );
            if !json {
                return Err(refuse(
                    415,
                    "wrong-type",
                    format!(
                        "content type {essence:?} is not JSON (application/json or application/x-ndjson)"
                    ),
                ));
            }
        }
        let too_large = || refuse(413, "too-large", format!("the body is over {} bytes", self.max_body));
        if request.body_length().is_some_and(|n| n as u64 > self.max_body) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        let read = request.as_reader().take(self.max_body + 1).read_to_end(&mut body);
        read.map_err(|e| refuse(400, "malformed", format!("the body cannot be read: {e}")))?;
        if body.len() as u64 > self.max_body {
            return Err(too_large());
        }
        let encoding = header_value(request, "Content-Encoding").map(|e| e.trim().to_ascii_lowercase());
        if matches!(encoding.as_deref(), Some("gzip" | "x-gzip")) || body.starts_with(&[0x1f, 0x8b]) {
            let mut inflated = Vec::new();
            let read = flate2::read::MultiGzDecoder::new(&body[..])
                .take(self.max_body + 1)
                .read_to_end(&mut inflated);
            read.map_err(|e| refuse(400, "malformed", format!("the gzip body cannot be inflated: {e}")))?;
            if inflated.len() as u64 > self.max_body {
                return Err(refuse(
                    413,
                    "too-large",
                    format!("the body inflates to over {} bytes", self.max_body),
                ));
            }
            body = inflated;
        } else if encoding.as_deref().is_some_and(|e| e != "identity") {
            return Err(refuse(
                415,
                "wrong-type",
                format!("content encoding {:?} is not gzip", encoding.unwrap_or_default()),
            ));
        }
        let number = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let name: Arc<str> = Arc::from(format!(
            "http:{}#{number}",
            request.remote_addr().map_or_else(|| "?".into(), |a| a.to_string())
        ));
        let mut items = Vec::new();
        let decoded =
            super::read_from(&body[..], &name, Layout::Sniff, self.limits, &mut |item| items.push(item));
        decoded.map_err(|e| refuse(400, "malformed", format!("the body cannot be read: {e}")))?;
        if let Some(bad) = items.iter().find_map(|item| match item {
            Item::Malformed(bad) => Some(bad),
            Item::Record(_) => None,
        }) {
            return Err(refuse(
                400,
                "malformed",
                format!("{}: {}; nothing in this request was taken", bad.origin, bad.reason),
            ));
        }
        if items.is_empty() {
            return Err(refuse(400, "malformed", "the body holds no records"));
        }
        let records = items.len() as u64;
        let (taken, entry) = match &self.journal {
            Some(journal) => {
                let entry = journal.write(&body).map_err(|e| {
                    tracing::error!(error = %e, dir = %journal.dir().display(), "http source: cannot write the journal");
                    refuse(
                        503,
                        "unwritable",
                        format!("the run cannot keep the body safe ({e}); retry after {RETRY_AFTER_SECS} s"),
                    )
                })?;
                (Taken::Journaled(entry.clone()), Some(entry))
            }
            None => (Taken::Records(items), None),
        };
        if !(self.deliver)(taken) {
            if let Some(entry) = entry {
                let _ = std::fs::remove_file(entry);
            }
            return Err(refuse(
                503,
                "saturated",
                format!("the run is saturated; retry after {RETRY_AFTER_SECS} s"),
            ));
        }
        self.counts.accepted_requests.fetch_add(1, Ordering::Relaxed);
        self.counts.accepted_records.fetch_add(records, Ordering::Relaxed);
        Ok(records)
    }
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name, value).expect("a valid header")
}

fn header_value(request: &tiny_http::Request, name: &'static str) -> Option<String> {
    request.headers().iter().find(|h| h.field.equiv(name)).map(|h| h.value.as_str().to_string())
}

/// Compares without an early exit, so the time taken says nothing of where a guess differs.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
