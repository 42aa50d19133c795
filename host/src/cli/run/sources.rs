//! The sources of `run`, as the `[[sources]]` tables name them, and how far the run read
//! them. Stdin, HTTP and NATS sources read on threads of their own (so a signal is answered
//! while a read blocks) and hand what they read to the service loop; files are read on the
//! loop's thread, and watched ones through [`super::watch`].
//!
//! A reload that changes the tables applies while the run goes on ([`Running::apply`]): a
//! source no longer named stops (an HTTP source stops listening; a NATS source takes no more
//! messages, and what it took is still acknowledged as the checkpoints after it commit), a
//! new one starts, and the watched folders are watched anew. What a stopped source handed on
//! is read and delivered like the rest. Stdin is open from the start of the run only, so a
//! change to it waits for the next restart.
//!
//! With a state folder, each HTTP source journals the bodies it takes in
//! `STATE/http-ingest/ADDRESS/` (see [`trailhound::sources::journal`]); entries are read as
//! files, a restart first reads the entries a committed checkpoint does not cover, and an
//! entry is removed once a committed checkpoint covers all of it.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::Context;
use crossbeam_channel::Sender;
use trailhound::config::{Config, SourceConfig};
use trailhound::decode::{Layout, Limits};
use trailhound::normalize::SourceType;
use trailhound::pipeline::Pipeline;
use trailhound::sources::http::{self, HttpIngest};
use trailhound::sources::nats::{self as nats_source, NatsIngest};
use trailhound::sources::watch::Tracker;
use trailhound::sources::{self, journal, Input, Positions, SourceError};

use super::watch::{read_changed, Watch};
use super::{Event, STOP};

/// How far the run read its sources: each file, and each NATS stream's last sequence taken.
pub(super) struct Progress {
    pub(super) files: Tracker,
    pub(super) streams: BTreeMap<String, u64>,
}

impl Progress {
    /// Takes up the positions the last checkpoint saved.
    fn resume(&mut self, pipeline: &Pipeline) {
        let Some(saved) = pipeline.resumed_sources() else { return };
        let resumed = Positions::decode(&saved).and_then(|saved| {
            let files = self.files.resume(saved.files)?;
            self.streams = saved.streams;
            Ok(files)
        });
        match resumed {
            Ok(files) => eprintln!(
                "resuming from the last checkpoint: {files} file(s) and {} stream(s) are read on from where \
                 it was taken; what was read after it is read again, so findings delivered since then may \
                 arrive twice",
                self.streams.len()
            ),
            Err(why) => {
                tracing::warn!("{why}; reading every source from its start");
                eprintln!("warning: {why}; reading every source from its start");
            }
        }
    }

    /// As a checkpoint saves them.
    pub(super) fn positions(&self) -> Vec<u8> {
        Positions { files: self.files.positions(), streams: self.streams.clone() }.encode()
    }
}

/// What reads one configured source.
enum Reader {
    Stdin,
    Http(HttpIngest),
    Nats(NatsIngest),
    /// Files read once, when the source started.
    Files,
    /// Files under the watched folders (see [`Running::rewatch`]).
    Watched,
    /// An HTTP source the stop ended: what it took is drained with the rest.
    Ended,
}

/// The running sources.
pub(super) struct Running {
    /// Each configured source and what reads it, in config order.
    sources: Vec<(SourceConfig, Reader)>,
    /// NATS sources a reload removed: they take no more messages, and what they took is
    /// acknowledged as it is committed; they end with the run.
    retired: Vec<NatsIngest>,
    /// Every HTTP source the run had, for the summary.
    http_counts: Vec<(SocketAddr, Arc<http::Counts>)>,
    /// Where HTTP sources journal what they take: the state folder's `http-ingest`.
    journal_root: Option<PathBuf>,
    /// The journal folder of every HTTP source the run had.
    journals: Vec<PathBuf>,
    watch: Option<Watch>,
    /// The roots `watch` watches, and their log types.
    roots: Vec<(PathBuf, Option<SourceType>)>,
    pub(super) progress: Progress,
    /// Stdin is still open.
    stdin_open: bool,
    limits: Limits,
    tx: Sender<Event>,
}

impl Running {
    /// Starts every source of `config`, reading on from the last checkpoint; files that are
    /// not watched are read here, to their end or until the stop signal.
    ///
    /// # Errors
    /// A source cannot start (an address in use, a folder that cannot be watched, ...).
    pub(super) fn start(config: &Config, tx: Sender<Event>, pipeline: &mut Pipeline) -> anyhow::Result<Self> {
        let mut running = Running {
            sources: Vec::new(),
            retired: Vec::new(),
            http_counts: Vec::new(),
            journal_root: config.engine.state_dir.as_ref().map(|state| state.join("http-ingest")),
            journals: Vec::new(),
            watch: None,
            roots: Vec::new(),
            progress: Progress { files: Tracker::new(config.input), streams: BTreeMap::new() },
            stdin_open: false,
            limits: config.input,
            tx,
        };
        running.progress.resume(pipeline);
        for source in &config.sources {
            let reader = running.open(source, pipeline)?;
            running.sources.push((source.clone(), reader));
        }
        if !STOP.load(Ordering::Relaxed) {
            running.rewatch(pipeline)?;
        }
        Ok(running)
    }

    /// Whether any source may still hand on records (otherwise the run is done once the
    /// files were read).
    pub(super) fn is_live(&self) -> bool {
        self.stdin_open
            || self.watch.is_some()
            || self.sources.iter().any(|(_, reader)| matches!(reader, Reader::Http(_) | Reader::Nats(_)))
    }

    /// Makes `wanted` the running sources: those no longer named stop, new ones start.
    /// Stdin's table is left as it was (it is open from the start only). A source that
    /// cannot start is reported and counted as a refused reload, and tried again at the next.
    pub(super) fn apply(&mut self, wanted: &[SourceConfig], pipeline: &mut Pipeline) {
        let mut unclaimed: Vec<Option<&SourceConfig>> = wanted.iter().map(Some).collect();
        let mut kept = Vec::with_capacity(self.sources.len());
        let mut stopped = Vec::new();
        for (source, reader) in std::mem::take(&mut self.sources) {
            match unclaimed.iter().position(|w| *w == Some(&source)) {
                Some(at) => {
                    unclaimed[at] = None;
                    kept.push((source, reader));
                }
                None if matches!(reader, Reader::Stdin) => {
                    eprintln!("reload: the stdin source changed, which applies at the next restart");
                    kept.push((source, reader));
                }
                None => {
                    stopped.push(describe(&source));
                    self.close(reader);
                }
            }
        }
        self.sources = kept;
        let mut started = Vec::new();
        for source in unclaimed.into_iter().flatten() {
            if matches!(source, SourceConfig::Stdin(_)) {
                eprintln!("reload: the stdin source changed, which applies at the next restart");
                continue;
            }
            match self.open(source, pipeline) {
                Ok(reader) => {
                    started.push(describe(source));
                    self.sources.push((source.clone(), reader));
                }
                Err(error) => {
                    let why = format!("source {} cannot start: {error:#}", describe(source));
                    pipeline.reloader().refuse(&why);
                    eprintln!("reload refused: {why}; it is tried again at the next reload");
                }
            }
        }
        if let Err(error) = self.rewatch(pipeline) {
            let why = format!("the watched folders cannot be watched: {error:#}");
            pipeline.reloader().refuse(&why);
            eprintln!("reload refused: {why}");
        }
        if !started.is_empty() || !stopped.is_empty() {
            let list = |what: &str, names: &[String]| {
                (!names.is_empty()).then(|| format!("{what} {}", names.join(", ")))
            };
            let parts: Vec<String> =
                [list("started", &started), list("stopped", &stopped)].into_iter().flatten().collect();
            eprintln!("reloaded sources: {}", parts.join("; "));
        }
    }

    /// Starts reading `source`.
    fn open(&mut self, source: &SourceConfig, pipeline: &mut Pipeline) -> anyhow::Result<Reader> {
        let log_type = source.log_type();
        let tx = self.tx.clone();
        Ok(match source {
            SourceConfig::Stdin(_) => {
                self.stdin_open = true;
                read_stdin(tx, self.limits, log_type)?;
                Reader::Stdin
            }
            SourceConfig::Http(source) => {
                let journal = self.journal_root.as_ref().map(|root| journal_of(root, source));
                if let Some(dir) = &journal {
                    self.read_journal(dir, log_type, pipeline)?;
                }
                let ingest =
                    start_http(source, self.limits, journal.as_deref(), hand_on(source, log_type, tx))?;
                pipeline.metrics().add_http(ingest.counts.clone());
                eprintln!("http source listening on {} (POST {})", ingest.address, http::PATH);
                self.http_counts.push((ingest.address, ingest.counts.clone()));
                Reader::Http(ingest)
            }
            SourceConfig::Nats(source) => {
                let key = source.key();
                let resume = self.progress.streams.get(&key).copied().unwrap_or(0);
                let ingest =
                    NatsIngest::start(source, self.limits, resume, take_message(&key, log_type, tx))?;
                eprintln!(
                    "nats source reading stream {} of {} (consumer {})",
                    source.stream, source.url, source.durable
                );
                Reader::Nats(ingest)
            }
            SourceConfig::Files(files) if files.watch => Reader::Watched,
            SourceConfig::Files(files) => {
                let expanded = sources::expand(&files.paths)?;
                for error in &expanded.unreadable {
                    pipeline.note_unreadable(error);
                }
                for input in &expanded.inputs {
                    if STOP.load(Ordering::Relaxed) {
                        break;
                    }
                    match input {
                        // Through the tracker, so a restart reads on where the last checkpoint was.
                        Input::File(path) => {
                            let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                            read_changed(&path, log_type, &mut self.progress, pipeline);
                        }
                        Input::Stdin => pipeline.ingest(input, log_type, &mut |_| {})?,
                    }
                }
                Reader::Files
            }
        })
    }

    /// Reads the entries of an HTTP source's journal that a committed checkpoint does not
    /// cover: taken by an earlier run, their findings not yet delivered.
    fn read_journal(
        &mut self,
        dir: &Path,
        log_type: Option<SourceType>,
        pipeline: &mut Pipeline,
    ) -> anyhow::Result<()> {
        let dir = std::path::absolute(dir)?;
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("http source: cannot make its journal {}", dir.display()))?;
        let entries = journal::entries(&dir)
            .with_context(|| format!("http source: cannot read its journal {}", dir.display()))?;
        // Entries removed after a checkpoint and before the next one are still in its positions.
        self.progress.files.forget_if(|path| journal::holds(&dir, path) && !path.exists());
        let waiting = entries.iter().filter(|entry| !self.progress.files.knows(entry)).count();
        if !entries.is_empty() {
            eprintln!(
                "http source: {} journaled request(s) in {} not yet delivered ({waiting} not read at all); reading them",
                entries.len(),
                sources::printable_path(&dir)
            );
        }
        for entry in &entries {
            read_changed(entry, log_type, &mut self.progress, pipeline);
        }
        if !self.journals.contains(&dir) {
            self.journals.push(dir);
        }
        Ok(())
    }

    /// Stops a source a reload removed.
    fn close(&mut self, reader: Reader) {
        match reader {
            // Its requests already taken are in the loop's queue.
            Reader::Http(ingest) => drop(ingest),
            Reader::Nats(ingest) => {
                ingest.stop();
                self.retired.push(ingest);
            }
            Reader::Stdin | Reader::Files | Reader::Watched | Reader::Ended => {}
        }
    }

    /// Watches the roots of the watched sources, if they are not watched as they are; what
    /// is new under them is read.
    fn rewatch(&mut self, pipeline: &mut Pipeline) -> anyhow::Result<()> {
        let roots: Vec<(PathBuf, Option<SourceType>)> = self
            .sources
            .iter()
            .filter(|(_, reader)| matches!(reader, Reader::Watched))
            .flat_map(|(source, _)| match source {
                SourceConfig::Files(files) => {
                    files.paths.iter().map(|p| (p.clone(), source.log_type())).collect()
                }
                _ => Vec::new(),
            })
            .collect();
        if roots == self.roots && (self.watch.is_some() || roots.is_empty()) {
            return Ok(());
        }
        // The new watcher first: when it cannot start, the old one keeps watching (and the
        // next reload tries again). The old watcher's events still queued are read as of the
        // new roots.
        self.watch = if roots.is_empty() {
            None
        } else {
            let watch = Watch::start(&roots, self.tx.clone())?;
            watch.read_all(&mut self.progress, pipeline);
            Some(watch)
        };
        self.roots = roots;
        Ok(())
    }

    /// A file under a watched folder was written.
    pub(super) fn file_changed(&mut self, path: &std::path::Path, pipeline: &mut Pipeline) {
        if let Some(watch) = &self.watch {
            watch.file_changed(path, &mut self.progress, pipeline);
        }
    }

    /// Stdin reached its end.
    pub(super) fn stdin_done(&mut self) {
        self.stdin_open = false;
    }

    /// The run is quiet: watched folders removed or back are seen to.
    pub(super) fn check_roots(&mut self, pipeline: &mut Pipeline) {
        if let Some(watch) = &mut self.watch {
            watch.check_roots(&mut self.progress, pipeline);
        }
    }

    /// A checkpoint committed with these positions: the NATS messages up to them are
    /// delivered, and so are the journal entries they cover whole, which are removed.
    pub(super) fn release(&mut self, committed: Option<&[u8]>) {
        let Some(positions) = committed.and_then(|saved| Positions::decode(saved).ok()) else { return };
        for ingest in self.natses() {
            if let Some(sequence) = positions.streams.get(&ingest.key) {
                ingest.release(*sequence);
            }
        }
        let journals = &self.journals;
        let delivered: HashSet<PathBuf> = self
            .progress
            .files
            .delivered_in(&positions.files)
            .into_iter()
            .filter(|path| journals.iter().any(|dir| journal::holds(dir, path)))
            .collect();
        for entry in &delivered {
            if let Err(error) = std::fs::remove_file(entry) {
                tracing::warn!(entry = %entry.display(), %error, "cannot remove a delivered journal entry");
            }
        }
        self.progress.files.forget_if(|path| delivered.contains(path));
    }

    fn natses(&self) -> impl Iterator<Item = &NatsIngest> {
        self.sources
            .iter()
            .filter_map(|(_, reader)| match reader {
                Reader::Nats(ingest) => Some(ingest),
                _ => None,
            })
            .chain(&self.retired)
    }

    /// The stop began: no request or message is taken any more (what was taken is drained
    /// with the rest), and nothing more is watched.
    pub(super) fn stop(&mut self) {
        self.watch = None;
        for (_, reader) in &mut self.sources {
            if matches!(reader, Reader::Http(_)) {
                *reader = Reader::Ended;
            }
        }
        self.natses().for_each(NatsIngest::stop);
    }

    /// Ends the sources' threads once the last checkpoint released what it could; the
    /// summary's line for each HTTP and NATS source the run had.
    pub(super) fn finish(self) -> Vec<String> {
        let mut lines: Vec<String> =
            self.http_counts.iter().map(|(address, counts)| http_line(*address, counts)).collect();
        let natses = self.sources.into_iter().filter_map(|(_, reader)| match reader {
            Reader::Nats(ingest) => Some(ingest),
            _ => None,
        });
        for ingest in natses.chain(self.retired) {
            let key = ingest.key.clone();
            lines.push(nats_line(&key, &ingest.finish()));
        }
        lines
    }
}

/// Starts an HTTP source. A source stopped by the same reload may hold its address a moment
/// longer (its listener closes after its threads end), so a bind refused as in use is tried
/// again for up to a second.
fn start_http(
    source: &http::HttpSource,
    limits: Limits,
    journal: Option<&Path>,
    deliver: http::Deliver,
) -> anyhow::Result<HttpIngest> {
    let mut attempts = 0;
    loop {
        match HttpIngest::start(source, limits, journal, deliver.clone()) {
            Err(error) if attempts < 20 && in_use(&error) => {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            result => return result,
        }
    }
}

fn in_use(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::AddrInUse)
            || cause.to_string().contains("in use")
    })
}

/// The journal folder of an HTTP source: one per address, so a restart finds its own.
fn journal_of(root: &Path, source: &http::HttpSource) -> PathBuf {
    root.join(source.listen.to_string().replace(':', "_"))
}

/// How the reload lines name a source.
fn describe(source: &SourceConfig) -> String {
    match source {
        SourceConfig::Stdin(_) => "stdin".into(),
        SourceConfig::Http(http) => format!("http {}", http.listen),
        SourceConfig::Nats(nats) => format!("nats {}", nats.key()),
        SourceConfig::Files(files) => {
            let paths: Vec<String> = files.paths.iter().map(|p| sources::printable_path(p)).collect();
            format!("{} {}", if files.watch { "watched files" } else { "files" }, paths.join(", "))
        }
    }
}

/// What a NATS source hands on: a message's records, as one event of the service loop,
/// waiting while the loop's queue is full; `false` once the run stops (the message is then
/// delivered again at the next start).
fn take_message(key: &str, log_type: Option<SourceType>, tx: Sender<Event>) -> nats_source::Deliver {
    let key: Arc<str> = Arc::from(key);
    Box::new(move |items, sequence| {
        let mut event = Event::Message(items, log_type, key.clone(), sequence);
        loop {
            if STOP.load(Ordering::Relaxed) {
                return false;
            }
            match tx.send_timeout(event, std::time::Duration::from_millis(100)) {
                Ok(()) => return true,
                Err(crossbeam_channel::SendTimeoutError::Timeout(again)) => event = again,
                Err(crossbeam_channel::SendTimeoutError::Disconnected(_)) => return false,
            }
        }
    })
}

/// A NATS source's line of the summary: what it read, skipped and acknowledged.
fn nats_line(key: &str, counts: &nats_source::Counts) -> String {
    let count = |n: &AtomicU64| n.load(Ordering::Relaxed);
    let resets = match count(&counts.stream_resets) {
        0 => String::new(),
        n => format!("; the stream was made again {n} time(s) and read from its start"),
    };
    format!(
        "nats {key}: {} message(s), {} record(s) read; {} acknowledged, {} delivered again and not read twice, \
         {} reconnection(s); {} taken and not acknowledged (delivered again at the next start){resets}",
        count(&counts.messages),
        count(&counts.records),
        count(&counts.acknowledged),
        count(&counts.skipped),
        count(&counts.reconnects),
        count(&counts.unacknowledged),
    )
}

/// What an HTTP source hands on: a request's records, as one event of the service loop;
/// refused (`false`) when `max_queued_requests` are waiting already or the loop's queue is
/// full, so the sender is told to retry instead of holding a thread.
fn hand_on(source: &http::HttpSource, log_type: Option<SourceType>, tx: Sender<Event>) -> http::Deliver {
    let waiting = Arc::new(AtomicUsize::new(0));
    let most = source.max_queued_requests.max(1);
    Arc::new(move |taken| {
        if waiting.fetch_add(1, Ordering::SeqCst) >= most {
            waiting.fetch_sub(1, Ordering::SeqCst);
            return false;
        }
        let taken = tx.try_send(Event::Records(taken, log_type, waiting.clone())).is_ok();
        if !taken {
            waiting.fetch_sub(1, Ordering::SeqCst);
        }
        taken
    })
}

/// An HTTP source's line of the summary: what it took and what it refused, by reason.
fn http_line(address: SocketAddr, counts: &http::Counts) -> String {
    let (requests, records) =
        (counts.accepted_requests.load(Ordering::Relaxed), counts.accepted_records.load(Ordering::Relaxed));
    let refused: Vec<String> =
        counts
            .refusals()
            .into_iter()
            .enumerate()
            .map(|(i, (reason, n))| {
                if i == 0 {
                    format!("{n} request(s) refused as {reason}")
                } else {
                    format!("{n} as {reason}")
                }
            })
            .collect();
    let refused = if refused.is_empty() { "none refused".to_string() } else { refused.join(", ") };
    format!("http {address}: {requests} request(s) taken ({records} record(s)); {refused}")
}

/// Reads stdin on its own thread, so that a stop signal is answered while a read blocks;
/// every record is to be read as `log_type` (`None`: recognised).
fn read_stdin(tx: Sender<Event>, limits: Limits, log_type: Option<SourceType>) -> anyhow::Result<()> {
    std::thread::Builder::new().name("stdin".into()).spawn(move || {
        let name: Arc<str> = Arc::from("-");
        let result = sources::read_from(std::io::stdin().lock(), &name, Layout::Sniff, limits, &mut |item| {
            let _ = tx.send(Event::Item(item, log_type));
        });
        let done = result.map(drop).map_err(|source| SourceError { path: "-".into(), source });
        let _ = tx.send(Event::StdinDone(done));
    })?;
    Ok(())
}
