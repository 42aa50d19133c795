//! The watched folders of `run`'s `files` sources with `watch = true`: each file that appears
//! or grows is read as far as it is complete (see [`trailhound::sources::watch`]), and a
//! watched folder that disappears is reported and watched again when it comes back.
//!
//! A source's `log_type` travels with what it reads: each watched root remembers its own, so
//! a file that arrives later is read as of the source of the root it arrived under (the
//! deepest, when roots of two sources nest).

use std::path::{Path, PathBuf};

use anyhow::Context;
use crossbeam_channel::Sender;
use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use trailhound::normalize::SourceType;
use trailhound::pipeline::Pipeline;
use trailhound::sources::{self, printable_path, Input};

use super::sources::Progress;
use super::Event;

/// The watched folders: their watcher, and each folder.
pub(super) struct Watch {
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
    pub(super) fn start(paths: &[(PathBuf, Option<SourceType>)], tx: Sender<Event>) -> anyhow::Result<Self> {
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
    pub(super) fn read_all(&self, read: &mut Progress, pipeline: &mut Pipeline) {
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

    pub(super) fn file_changed(&self, path: &Path, read: &mut Progress, pipeline: &mut Pipeline) {
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
    pub(super) fn check_roots(&mut self, read: &mut Progress, pipeline: &mut Pipeline) {
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
pub(super) fn read_changed(
    path: &Path,
    log_type: Option<SourceType>,
    read: &mut Progress,
    pipeline: &mut Pipeline,
) {
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
