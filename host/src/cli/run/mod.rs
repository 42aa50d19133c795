//! `trailhound run`: service mode from a config file.
//!
//! Every configured source is read (see [`sources`]; watched folders in [`watch`]), and what
//! the sources hand on is taken by one service loop here. Findings arrive within a bounded
//! delay: when the input has been quiet for `engine.linger_ms`, partial batches go to the
//! plugins and due ticks run.
//!
//! Plugins, their rule files and the config are watched and reloaded while the run goes on
//! (see [`super::reload`]); SIGHUP reloads at once. A reload that changes the sinks, routes or
//! throttle rewires the delivery; one that changes the sources is applied by this loop.
//!
//! With `engine.state_dir`, how far each file and NATS stream was read is checkpointed with
//! the state once the findings before that point are delivered, and a restart reads on from
//! there (see [`trailhound::engine::state`]); NATS messages are acknowledged as each
//! checkpoint commits, and HTTP bodies are journaled in the state folder (see
//! [`trailhound::sources::journal`]) and read from there like files.
//!
//! The first SIGINT or SIGTERM stops reading; what was read is drained through the plugins,
//! sinks are flushed, the summary is printed and the exit status says whether everything
//! was read and delivered. A second signal exits at once (status 130).

mod sources;
mod watch;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::Sender;
use trailhound::config::{Config, SourceConfig};
use trailhound::metrics::server::Server as MetricsServer;
use trailhound::normalize::SourceType;
use trailhound::pipeline::Pipeline;
use trailhound::sources::http::Taken;
use trailhound::sources::{Item, SourceError};

use super::reload::{Reloading, Trigger};
use super::summary;
use sources::Running;

/// What reaches the service loop from the other threads.
enum Event {
    /// A record (or malformed record) read from stdin, and the source type it is read as.
    Item(Item, Option<SourceType>),
    /// Stdin reached its end, or failed.
    StdinDone(Result<(), SourceError>),
    /// A file in a watched folder was written or moved into place.
    File(PathBuf),
    /// One request to an HTTP source (its records, or the journal entry they were written
    /// to), the source type they are read as, and the source's count of requests waiting,
    /// which taking them lowers.
    Records(Taken, Option<SourceType>, Arc<AtomicUsize>),
    /// The records of one NATS message, the source type they are read as, the source's
    /// [`NatsIngest::key`](trailhound::sources::nats::NatsIngest::key) and the message's stream sequence.
    Message(Vec<Item>, Option<SourceType>, Arc<str>, u64),
    /// A reload read these `[[sources]]` tables.
    Sources(Vec<SourceConfig>),
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
    let plugins = super::pack::specs_of(&config)?;
    let plugin_count = plugins.len();
    let settings = config.engine_settings();
    let linger = settings.linger;
    let watched = plugins.clone();
    let mut pipeline = Pipeline::start(settings, plugins, outputs)?.with_limits(config.input);
    let changed_sources = tx.clone();
    let reloading = Reloading::start(
        config_path,
        config.clone(),
        &watched,
        pipeline.reloader(),
        pipeline.rewirer(),
        Box::new(move |sources| {
            let _ = changed_sources.send(Event::Sources(sources));
        }),
    )?;
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
    let mut running = Running::start(&config, tx, &mut pipeline)?;
    pipeline.metrics().set_ready(true);

    let mut last_idle = Instant::now();
    let mut committed = 0;
    let mut stopped = false;
    while !stopped && !STOP.load(Ordering::Relaxed) && running.is_live() {
        let event = match rx.recv_timeout(linger.saturating_sub(last_idle.elapsed())) {
            Ok(event) => take_records(&mut pipeline, &mut running, event)?,
            Err(_) => None,
        };
        match event {
            Some(Event::StdinDone(result)) => {
                running.stdin_done();
                if let Err(error) = result {
                    pipeline.note_unreadable(&error);
                }
            }
            Some(Event::File(path)) => running.file_changed(&path, &mut pipeline),
            Some(Event::Sources(sources)) => running.apply(&sources, &mut pipeline),
            Some(Event::Stop) => stopped = true,
            _ => {}
        }
        if last_idle.elapsed() >= linger {
            pipeline.idle()?;
            pipeline.checkpoint_if_due(|| Some(running.progress.positions()))?;
            if let Some((count, sources)) = pipeline.committed_since(committed) {
                committed = count;
                running.release(sources.as_deref());
            }
            running.check_roots(&mut pipeline);
            last_idle = Instant::now();
        }
    }
    pipeline.metrics().set_ready(false);
    running.stop();
    // Drain what was read before the stop, then report what is still incomplete.
    while let Ok(event) = rx.try_recv() {
        take_records(&mut pipeline, &mut running, event)?;
    }
    for tail in running.progress.files.incomplete() {
        pipeline.note_malformed(tail);
    }
    let summary = pipeline.finish_at(Some(running.progress.positions()))?;
    running.release(summary.engine.state.as_ref().and_then(|state| state.sources_committed.as_deref()));
    let source_lines = running.finish();
    drop(reloading);
    summary::print(&summary);
    for line in source_lines {
        eprintln!("{line}");
    }
    drop(metrics_server);
    Ok(summary::exit_code(&summary))
}

/// Takes the records a source's thread handed on — a stdin record, an HTTP request's, a NATS
/// message's (whose sequence is then the stream's position) — into the pipeline; any other
/// event is returned.
fn take_records(
    pipeline: &mut Pipeline,
    running: &mut Running,
    event: Event,
) -> anyhow::Result<Option<Event>> {
    let take_all = |pipeline: &mut Pipeline, items: Vec<Item>, forced| {
        items.into_iter().try_for_each(|item| pipeline.take(item, forced))
    };
    match event {
        Event::Item(item, forced) => pipeline.take(item, forced)?,
        Event::Records(taken, forced, waiting) => {
            match taken {
                Taken::Records(items) => take_all(pipeline, items, forced)?,
                Taken::Journaled(entry) => {
                    watch::read_changed(&entry, forced, &mut running.progress, pipeline)
                }
            }
            // Read into the pipeline: no longer waiting.
            waiting.fetch_sub(1, Ordering::SeqCst);
        }
        Event::Message(items, forced, key, sequence) => {
            take_all(pipeline, items, forced)?;
            running.progress.streams.insert(key.to_string(), sequence);
        }
        other => return Ok(Some(other)),
    }
    Ok(None)
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
