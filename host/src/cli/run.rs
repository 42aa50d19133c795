//! `trailhound run`: service mode from a config file. Reads every configured source; sources
//! with `watch = true` are then watched, and each file that appears (or is rewritten) in them
//! is read once it is closed, until Ctrl-C or SIGTERM; then pending batches are flushed, the
//! final tick runs, sinks are flushed and the summary is printed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Context;
use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode, Watcher};
use trailhound::config::{Config, SourceConfig};
use trailhound::pipeline::Pipeline;
use trailhound::sources::{self, Input};

use super::summary;

enum Signal {
    File(PathBuf),
    Stop,
}

pub fn run(config_path: &Path) -> anyhow::Result<ExitCode> {
    let config = Config::load(config_path)?;
    let sinks = config.sinks.iter().map(trailhound::sinks::build).collect::<anyhow::Result<Vec<_>>>()?;
    let mut pipeline = Pipeline::start(config.engine_settings(), config.plugin_specs(), sinks)?;
    let mut watched = Vec::new();
    let mut seen: HashMap<PathBuf, SystemTime> = HashMap::new();
    for source in &config.sources {
        match source {
            SourceConfig::Files(files) => {
                for input in sources::expand(&files.paths)? {
                    if let Input::File(path) = &input {
                        seen.insert(path.clone(), modified(path));
                    }
                    pipeline.ingest(&input, &mut |_| {})?;
                }
                if files.watch {
                    watched.extend(files.paths.iter().cloned());
                }
            }
            SourceConfig::Stdin(_) => pipeline.ingest(&Input::Stdin, &mut |_| {})?,
        }
    }
    if !watched.is_empty() {
        watch(&watched, &mut pipeline, &mut seen)?;
    }
    let summary = pipeline.finish()?;
    summary::print(&summary);
    Ok(if summary.unreadable.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Reads files as they are written into the watched folders, until a stop signal.
fn watch(
    paths: &[PathBuf],
    pipeline: &mut Pipeline,
    seen: &mut HashMap<PathBuf, SystemTime>,
) -> anyhow::Result<()> {
    let (tx, rx) = crossbeam_channel::unbounded();
    let files = tx.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
        Ok(event) if is_finished_write(&event.kind) => {
            for path in event.paths {
                let _ = files.send(Signal::File(path));
            }
        }
        Ok(_) => {}
        Err(error) => tracing::error!(%error, "folder watch failed"),
    })?;
    for path in paths {
        watcher
            .watch(path, RecursiveMode::Recursive)
            .with_context(|| format!("cannot watch {}", path.display()))?;
    }
    stop_on_signal(tx)?;
    tracing::info!(folders = paths.len(), "watching for new files; Ctrl-C to stop");
    eprintln!(
        "watching {} for new files; Ctrl-C to stop",
        paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    );

    for signal in rx {
        let path = match signal {
            Signal::Stop => break,
            Signal::File(path) => path,
        };
        if !path.is_file() || !sources::is_log_file(&path) {
            continue;
        }
        // A file is read again only when it was rewritten after it was last read, so the
        // several notifications one write produces do not read it twice.
        let stamp = modified(&path);
        if seen.get(&path) == Some(&stamp) {
            continue;
        }
        seen.insert(path.clone(), stamp);
        tracing::info!(path = %path.display(), "reading new file");
        pipeline.ingest(&Input::File(path), &mut |_| {})?;
    }
    Ok(())
}

/// A file was closed after writing, or moved into place: its content is complete.
fn is_finished_write(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Both))
            | EventKind::Create(CreateKind::File)
    )
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path).and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Sends `Stop` on Ctrl-C or SIGTERM, from a small tokio runtime on its own thread.
fn stop_on_signal(tx: crossbeam_channel::Sender<Signal>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build()?;
    std::thread::Builder::new().name("signals".into()).spawn(move || {
        runtime.block_on(async {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            let terminated = async {
                match term.as_mut() {
                    Some(term) => {
                        term.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                _ = terminated => {},
            }
        });
        let _ = tx.send(Signal::Stop);
    })?;
    Ok(())
}
