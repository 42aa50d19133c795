//! `trailhound run`: service mode from a config file.
//!
//! Every configured source is read; stdin, HTTP and NATS sources on threads of their own (so
//! a signal is answered while a read blocks), files on this one. Sources with `watch = true`
//! are then watched: each file that appears or grows is read as far as it is complete (see
//! [`sources::watch`]), and a watched folder that disappears is reported and watched again
//! when it comes back.
//!
//! A source's `log_type` travels with what it reads: stdin's records carry it, and each
//! watched root remembers its own, so a file that arrives later is read as of the source of
//! the root it arrived under (the deepest, when roots of two sources nest).
//!
//! Findings arrive within a bounded delay: when the input has been quiet for
//! `engine.linger_ms`, partial batches go to the plugins and due ticks run.
//!
//! Plugins, their rule files and the config are watched and reloaded while the run goes on
//! (see [`super::reload`]); SIGHUP reloads at once.
//!
//! With `engine.state_dir`, how far each file and NATS stream was read is checkpointed with
//! the state once the findings before that point are delivered, and a restart reads on from
//! there (see [`trailhound::engine::state`]); NATS messages are acknowledged as each
//! checkpoint commits.
//!
//! The first SIGINT or SIGTERM stops reading; what was read is drained through the plugins,
//! sinks are flushed, the summary is printed and the exit status says whether everything
//! was read and delivered. A second signal exits at once (status 130).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use crossbeam_channel::Sender;
use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use trailhound::config::{Config, SourceConfig};
use trailhound::decode::{Layout, Limits};
use trailhound::metrics::server::Server as MetricsServer;
use trailhound::normalize::SourceType;
use trailhound::pipeline::Pipeline;
use trailhound::sources::http::{self, HttpIngest};
use trailhound::sources::nats::{self as nats_source, NatsIngest};
use trailhound::sources::watch::Tracker;
use trailhound::sources::{self, printable_path, Input, Item, Positions, SourceError};

use super::reload::{Reloading, Trigger};
use super::summary;

/// What reaches the service loop from the other threads.
enum Event {
    /// A record (or malformed record) read from stdin, and the source type it is read as.
    Item(Item, Option<SourceType>),
    /// Stdin reached its end, or failed.
    StdinDone(Result<(), SourceError>),
    /// A file in a watched folder was written or moved into place.
    File(PathBuf),
    /// The records of one request to an HTTP source, the source type they are read as, and
    /// the source's count of requests waiting, which taking them lowers.
    Records(Vec<Item>, Option<SourceType>, Arc<AtomicUsize>),
    /// The records of one NATS message, the source type they are read as, the source's
    /// [`NatsIngest::key`] and the message's stream sequence.
    Message(Vec<Item>, Option<SourceType>, Arc<str>, u64),
    /// The first stop signal (also in [`STOP`]).
    Stop,
}

/// Events in flight before their senders wait: bounded so a fast producer on stdin cannot
/// grow memory while the plugins are behind.
const EVENT_QUEUE: usize = 4096;

/// Set by the first stop signal; read between files while sources are read.
static STOP: AtomicBool = AtomicBool::new(false);

/// Where SIGHUP asks for a reload, once the plugins are loaded.
static HANGUP: std::sync::OnceLock<Sender<Trigger>> = std::sync::OnceLock::new();

pub fn run(config_path: &Path) -> anyhow::Result<ExitCode> {
    // Signals are answered from the start: loading plugins can take a while.
    let (tx, rx) = crossbeam_channel::bounded::<Event>(EVENT_QUEUE);
    stop_on_signals(tx.clone())?;
    let config = Config::load(config_path)?;
    let outputs = config.outputs()?;
    let plugins = if config.runs_pack() { super::pack::load(&config.pack)? } else { config.plugin_specs() };
    let plugin_count = plugins.len();
    let settings = config.engine_settings();
    let linger = settings.linger;
    let watched = plugins.clone();
    let mut pipeline = Pipeline::start(settings, plugins, outputs)?.with_limits(config.input);
    let reloading = Reloading::start(config_path, config.clone(), &watched, pipeline.reloader())?;
    let _ = HANGUP.set(reloading.triggers());
    eprintln!(
        "running: {plugin_count} plugin(s), {} source(s), {} sink(s), {} route(s); SIGINT or SIGTERM to stop",
        config.sources.len(),
        config.sinks.len(),
        config.routes.len()
    );

    let metrics_server = match config.metrics.listen {
        Some(listen) => {
            let server = MetricsServer::start(listen, pipeline.metrics())?;
            eprintln!("metrics on {} (/metrics, /healthz, /readyz)", server.address);
            Some(server)
        }
        None => None,
    };
    let mut stdin_open = false;
    let mut https = Vec::new();
    let mut read = Sources { files: Tracker::new(config.input), streams: BTreeMap::new() };
    read.resume(&pipeline);
    let mut natses: Vec<NatsIngest> = Vec::new();
    let mut roots = Vec::new();
    let mut stopped = false;
    for source in &config.sources {
        let log_type = source.log_type();
        match source {
            SourceConfig::Stdin(_) => {
                stdin_open = true;
                read_stdin(tx.clone(), config.input, log_type)?;
            }
            SourceConfig::Http(source) => {
                let ingest = HttpIngest::start(source, config.input, hand_on(source, log_type, tx.clone()))?;
                pipeline.metrics().add_http(ingest.counts.clone());
                eprintln!("http source listening on {} (POST {})", ingest.address, http::PATH);
                https.push(ingest);
            }
            SourceConfig::Nats(source) => {
                let key = source.key();
                let resume = read.streams.get(&key).copied().unwrap_or(0);
                let ingest = NatsIngest::start(
                    source,
                    config.input,
                    resume,
                    take_message(&key, log_type, tx.clone()),
                )?;
                eprintln!(
                    "nats source reading stream {} of {} (consumer {})",
                    source.stream, source.url, source.durable
                );
                natses.push(ingest);
            }
            SourceConfig::Files(files) if files.watch => {
                roots.extend(files.paths.iter().map(|path| (path.clone(), log_type)));
            }
            SourceConfig::Files(files) => {
                let expanded = sources::expand(&files.paths)?;
                for error in &expanded.unreadable {
                    pipeline.note_unreadable(error);
                }
                for input in &expanded.inputs {
                    if STOP.load(Ordering::Relaxed) {
                        stopped = true;
                        break;
                    }
                    match input {
                        // Through the tracker, so a restart reads on where the last checkpoint was.
                        Input::File(path) => {
                            let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                            read_changed(&path, log_type, &mut read, &mut pipeline);
                        }
                        Input::Stdin => pipeline.ingest(input, log_type, &mut |_| {})?,
                    }
                }
            }
        }
    }
    let mut watch = if roots.is_empty() || stopped { None } else { Some(Watch::start(&roots, tx.clone())?) };
    if let Some(watch) = &mut watch {
        watch.read_all(&mut read, &mut pipeline);
    }
    drop(tx);
    pipeline.metrics().set_ready(true);

    let mut last_idle = Instant::now();
    let mut committed = 0;
    while !stopped
        && !STOP.load(Ordering::Relaxed)
        && (stdin_open || watch.is_some() || !https.is_empty() || !natses.is_empty())
    {
        let event = match rx.recv_timeout(linger.saturating_sub(last_idle.elapsed())) {
            Ok(event) => take_records(&mut pipeline, &mut read.streams, event)?,
            Err(_) => None,
        };
        match event {
            Some(Event::StdinDone(result)) => {
                stdin_open = false;
                if let Err(error) = result {
                    pipeline.note_unreadable(&error);
                }
            }
            Some(Event::File(path)) => {
                if let Some(watch) = &mut watch {
                    watch.file_changed(&path, &mut read, &mut pipeline);
                }
            }
            Some(Event::Stop) => stopped = true,
            _ => {}
        }
        if last_idle.elapsed() >= linger {
            pipeline.idle()?;
            pipeline.checkpoint_if_due(|| Some(read.positions()))?;
            if let Some((count, sources)) = pipeline.committed_since(committed) {
                committed = count;
                release(&natses, sources.as_deref());
            }
            if let Some(watch) = &mut watch {
                watch.check_roots(&mut read, &mut pipeline);
            }
            last_idle = Instant::now();
        }
    }
    pipeline.metrics().set_ready(false);
    // No request is taken once the stop began: what was taken is drained with the rest.
    let http_counts: Vec<_> = https.iter().map(|h| (h.address, h.counts.clone())).collect();
    drop(https);
    natses.iter().for_each(NatsIngest::stop);
    // Drain what was read before the stop, then report what is still incomplete.
    while let Ok(event) = rx.try_recv() {
        take_records(&mut pipeline, &mut read.streams, event)?;
    }
    for tail in read.files.incomplete() {
        pipeline.note_malformed(tail);
    }
    let summary = pipeline.finish_at(Some(read.positions()))?;
    let last = summary.engine.state.as_ref().and_then(|state| state.sources_committed.as_deref());
    release(&natses, last);
    let nats_counts: Vec<_> = natses.into_iter().map(|n| (n.key.clone(), n.finish())).collect();
    drop(reloading);
    summary::print(&summary);
    for (address, counts) in &http_counts {
        print_http(*address, counts);
    }
    for (key, counts) in &nats_counts {
        print_nats(key, counts);
    }
    drop(metrics_server);
    Ok(summary::exit_code(&summary))
}

/// How far the run read its sources: each file, and each NATS stream's last sequence taken.
struct Sources {
    files: Tracker,
    streams: BTreeMap<String, u64>,
}

impl Sources {
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
    fn positions(&self) -> Vec<u8> {
        Positions { files: self.files.positions(), streams: self.streams.clone() }.encode()
    }
}

/// A checkpoint committed with these positions: the NATS messages up to them are delivered.
fn release(natses: &[NatsIngest], committed: Option<&[u8]>) {
    let Some(positions) = committed.and_then(|saved| Positions::decode(saved).ok()) else { return };
    for ingest in natses {
        if let Some(sequence) = positions.streams.get(&ingest.key) {
            ingest.release(*sequence);
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

/// Takes the records a source's thread handed on — a stdin record, an HTTP request's, a NATS
/// message's (whose sequence is then the stream's position) — into the pipeline; any other
/// event is returned.
fn take_records(
    pipeline: &mut Pipeline,
    streams: &mut BTreeMap<String, u64>,
    event: Event,
) -> anyhow::Result<Option<Event>> {
    let mut take_all =
        |items: Vec<Item>, forced| items.into_iter().try_for_each(|item| pipeline.take(item, forced));
    match event {
        Event::Item(item, forced) => pipeline.take(item, forced)?,
        Event::Records(items, forced, waiting) => {
            take_all(items, forced)?;
            // Read into the pipeline: no longer waiting.
            waiting.fetch_sub(1, Ordering::SeqCst);
        }
        Event::Message(items, forced, key, sequence) => {
            take_all(items, forced)?;
            streams.insert(key.to_string(), sequence);
        }
        other => return Ok(Some(other)),
    }
    Ok(None)
}

/// One line per NATS source: what it read, skipped and acknowledged.
fn print_nats(key: &str, counts: &nats_source::Counts) {
    let count = |n: &AtomicU64| n.load(Ordering::Relaxed);
    eprintln!(
        "nats {key}: {} message(s), {} record(s) read; {} acknowledged, {} delivered again and not read twice, \
         {} reconnection(s); {} taken and not acknowledged (delivered again at the next start)",
        count(&counts.messages),
        count(&counts.records),
        count(&counts.acknowledged),
        count(&counts.skipped),
        count(&counts.reconnects),
        count(&counts.unacknowledged),
    );
}

/// What an HTTP source hands on: a request's records, as one event of the service loop;
/// refused (`false`) when `max_queued_requests` are waiting already or the loop's queue is
/// full, so the sender is told to retry instead of holding a thread.
fn hand_on(source: &http::HttpSource, log_type: Option<SourceType>, tx: Sender<Event>) -> http::Deliver {
    let waiting = Arc::new(AtomicUsize::new(0));
    let most = source.max_queued_requests.max(1);
    Arc::new(move |items| {
        if waiting.fetch_add(1, Ordering::SeqCst) >= most {
            waiting.fetch_sub(1, Ordering::SeqCst);
            return false;
        }
        let taken = tx.try_send(Event::Records(items, log_type, waiting.clone())).is_ok();
        if !taken {
            waiting.fetch_sub(1, Ordering::SeqCst);
        }
        taken
    })
}

/// One line per HTTP source: what it took and what it refused, by reason.
fn print_http(address: std::net::SocketAddr, counts: &http::Counts) {
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
    eprintln!("http {address}: {requests} request(s) taken ({records} record(s)); {refused}");
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

/// The watched folders: their watcher, and each folder.
struct Watch {
    watcher: RecommendedWatcher,
    roots: Vec<Root>,
}

/// One watched folder (or file) of a source.
struct Root {
    /// Absolute, as the watcher names the files under it: a file read first by the initial
    /// pass and then again on a change is one file to the [`Tracker`].
    path: PathBuf,
    /// What every record of a file under it is read as (`None`: recognised).
    log_type: Option<SourceType>,
    /// Whether it is there (and watched).
    here: bool,
}

impl Watch {
    /// Watches each path, every file under it to be read as its log type.
    fn start(paths: &[(PathBuf, Option<SourceType>)], tx: Sender<Event>) -> anyhow::Result<Self> {
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
            Ok(event) if is_finished_write(&event.kind) => {
                for path in event.paths {
                    let _ = tx.send(Event::File(path));
                }
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "folder watch failed"),
        })?;
        let roots = paths
            .iter()
            .map(|(path, log_type)| Root {
                path: std::path::absolute(path).unwrap_or_else(|_| path.clone()),
                log_type: *log_type,
                here: false,
            })
            .collect();
        let mut watch = Watch { watcher, roots };
        for root in &mut watch.roots {
            watch
                .watcher
                .watch(&root.path, RecursiveMode::Recursive)
                .with_context(|| format!("cannot watch {}", printable_path(&root.path)))?;
            root.here = true;
        }
        tracing::info!(folders = paths.len(), "watching for new files; Ctrl-C to stop");
        let names: Vec<String> = paths.iter().map(|(p, _)| printable_path(p)).collect();
        eprintln!("watching {} for new files; Ctrl-C to stop", names.join(", "));
        Ok(watch)
    }

    /// Reads every log file under the watched folders that has something new, each as of its
    /// folder's log type. A file under two folders is read once: the second read finds
    /// nothing new.
    fn read_all(&self, read: &mut Sources, pipeline: &mut Pipeline) {
        for root in self.roots.iter().filter(|root| root.here) {
            match sources::expand(std::slice::from_ref(&root.path)) {
                Ok(expanded) => {
                    for error in &expanded.unreadable {
                        pipeline.note_unreadable(error);
                    }
                    for input in expanded.inputs {
                        if let Input::File(path) = input {
                            read_changed(&path, root.log_type, read, pipeline);
                        }
                    }
                }
                Err(error) => pipeline.note_unreadable(&error),
            }
        }
    }

    fn file_changed(&self, path: &Path, read: &mut Sources, pipeline: &mut Pipeline) {
        if path.is_file() && sources::is_log_file(path) {
            read_changed(path, self.log_type_of(path), read, pipeline);
        }
    }

    /// The log type of the deepest watched root `path` (as the watcher names it) is under.
    fn log_type_of(&self, path: &Path) -> Option<SourceType> {
        self.roots
            .iter()
            .filter(|root| path.starts_with(&root.path))
            .max_by_key(|root| root.path.components().count())
            .and_then(|root| root.log_type)
    }

    /// A watched folder that was removed is reported once; when it is back it is watched
    /// again and read.
    fn check_roots(&mut self, read: &mut Sources, pipeline: &mut Pipeline) {
        let mut returned = false;
        for Root { path, here, .. } in &mut self.roots {
            let exists = path.is_dir();
            if *here && !exists {
                *here = false;
                let _ = self.watcher.unwatch(path);
                tracing::error!(folder = %printable_path(path), "watched folder removed; watching for it to come back");
                eprintln!(
                    "warning: watched folder {} was removed; it is watched again when it comes back",
                    printable_path(path)
                );
            } else if !*here && exists {
                match self.watcher.watch(path, RecursiveMode::Recursive) {
                    Ok(()) => {
                        *here = true;
                        returned = true;
                        tracing::warn!(folder = %printable_path(path), "watched folder is back; watching it again");
                        eprintln!("watched folder {} is back; reading it", printable_path(path));
                    }
                    Err(error) => {
                        tracing::error!(folder = %printable_path(path), %error, "cannot watch the folder again")
                    }
                }
            }
        }
        if returned {
            self.read_all(read, pipeline);
        }
    }
}

/// Reads what is new in `path`, every record as `log_type` (`None`: recognised); then, if one
/// is due, checkpoints with the file read this far.
fn read_changed(path: &Path, log_type: Option<SourceType>, read: &mut Sources, pipeline: &mut Pipeline) {
    let mut stopped = None;
    let result = read.files.read_new(path, &mut |item| {
        if stopped.is_none() {
            stopped = pipeline.take(item, log_type).err();
        }
    });
    if let Some(error) = stopped.or_else(|| pipeline.checkpoint_if_due(|| Some(read.positions())).err()) {
        // The finish reports it.
        tracing::error!(%error, "the engine stopped");
        return;
    }
    match result {
        Ok(progress) if progress.bytes > 0 => {
            tracing::info!(path = %printable_path(path), bytes = progress.bytes, pending = progress.pending, "read new data");
        }
        Ok(_) => {}
        Err(error) => pipeline.note_unreadable(&error),
    }
}

/// A file was closed after writing, or moved into place: its content is complete as far as
/// its writer is concerned.
fn is_finished_write(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Both))
            | EventKind::Create(CreateKind::File)
    )
}

/// The first SIGINT or SIGTERM sends `Stop`; the second exits at once. SIGHUP reloads.
fn stop_on_signals(tx: Sender<Event>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build()?;
    std::thread::Builder::new().name("signals".into()).spawn(move || {
        runtime.block_on(async {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut term), Ok(mut int), Ok(mut hup)) =
                (signal(SignalKind::terminate()), signal(SignalKind::interrupt()), signal(SignalKind::hangup()))
            else {
                tracing::error!("cannot listen for SIGTERM, SIGINT and SIGHUP");
                return;
            };
            let mut count = 0;
            loop {
                tokio::select! {
                    _ = term.recv() => {},
                    _ = int.recv() => {},
                    _ = hup.recv() => {
                        match HANGUP.get() {
                            Some(reload) => {
                                eprintln!("SIGHUP: reloading the config and plugins");
                                let _ = reload.send(Trigger::Hangup);
                            }
                            None => eprintln!("SIGHUP before the plugins are loaded: nothing to reload yet"),
                        }
                        continue;
                    },
                }
                if count == 0 {
                    eprintln!("stopping: draining what was read and flushing the sinks (signal again to exit at once)");
                    STOP.store(true, Ordering::Relaxed);
                    // Only to wake the loop: when the queue is full, it wakes anyway.
                    let _ = tx.try_send(Event::Stop);
                } else {
                    eprintln!("second signal: exiting now");
                    std::process::exit(130);
                }
                count += 1;
            }
        });
    })?;
    Ok(())
}
