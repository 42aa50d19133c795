//! One cut of the stream being saved: the engine and every worker write their part into the
//! cut's folder; the last worker to finish hands it on; it is committed once the findings
//! before it are delivered (see [`super`]), or abandoned.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use crossbeam_channel::Sender;

use super::file::{self, Header, Kind};
use super::{StateDir, CURRENT, SOURCES_FILE};

/// A cut being saved.
#[derive(Debug)]
pub struct Cut {
    state: Arc<StateDir>,
    number: u64,
    dir: PathBuf,
    stream_time: Option<i64>,
    /// How far the sources were read at the cut, saved with it.
    sources: Option<Vec<u8>>,
    /// Workers that have not saved their part yet.
    remaining: AtomicUsize,
    /// A part could not be written: the cut cannot be committed.
    failed: AtomicBool,
    /// Where the cut goes once every worker saved; none: it is committed then.
    ready: Option<Sender<Arc<Cut>>>,
    /// Committed or abandoned.
    done: AtomicBool,
}

impl Cut {
    pub(super) fn new(
        state: Arc<StateDir>,
        number: u64,
        dir: PathBuf,
        stream_time: Option<i64>,
        sources: Option<Vec<u8>>,
        ready: Option<Sender<Arc<Cut>>>,
    ) -> Self {
        let remaining = AtomicUsize::new(state.workers);
        Cut {
            state,
            number,
            dir,
            stream_time,
            sources,
            remaining,
            failed: AtomicBool::new(false),
            ready,
            done: AtomicBool::new(false),
        }
    }

    pub(super) fn workers(&self) -> usize {
        self.state.workers
    }

    /// Writes one file of the cut, `name` relative to its folder.
    pub(super) fn write(&self, name: &Path, header: Header, payload: &[u8]) {
        if let Err(error) = file::write(&self.dir.join(name), header, payload) {
            self.unsaved(error.to_string());
        }
    }

    /// A part of the cut that could not be saved.
    pub(super) fn unsaved(&self, problem: String) {
        self.failed.store(true, Ordering::Relaxed);
        self.state.unsaved(problem);
    }

    /// One worker saved its part; after the last, the cut goes on to be committed.
    pub fn saved(self: &Arc<Self>) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        match &self.ready {
            Some(ready) => {
                if ready.send(self.clone()).is_err() {
                    self.abandon("delivery stopped before the findings before it were delivered");
                }
            }
            None => {
                self.commit();
            }
        }
    }

    /// Committed or abandoned: a new cut may begin.
    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// Makes this the cut a restart resumes from: its sources' positions are saved, `current`
    /// is pointed at it, older cuts are removed. Returns whether it was committed.
    pub fn commit(&self) -> bool {
        if self.failed.load(Ordering::Relaxed) {
            self.abandon("a part of it could not be written");
            return false;
        }
        if let Some(sources) = &self.sources {
            let header = Header::new(Kind::Sources, self.workers(), self.stream_time);
            self.write(Path::new(SOURCES_FILE), header, sources);
            if self.failed.load(Ordering::Relaxed) {
                self.abandon("its sources' positions could not be written");
                return false;
            }
        }
        if let Err(e) = self.link() {
            self.abandon(&format!("it cannot be made current: {e}"));
            return false;
        }
        self.state.remove_cuts(|n| n < self.number);
        let mut report = self.state.report();
        report.committed += 1;
        report.saved_at = self.stream_time;
        report.committed_at = Some(std::time::Instant::now());
        if self.sources.is_some() {
            report.sources_committed.clone_from(&self.sources);
        }
        drop(report);
        self.done.store(true, Ordering::Release);
        tracing::debug!(cut = self.number, "state committed");
        true
    }

    /// Points `current` at this cut's folder: a new link renamed over the old one, then the
    /// folder synced, so a crash leaves one link or the other.
    fn link(&self) -> std::io::Result<()> {
        let root = &self.state.root;
        let fresh = root.join(format!(".{CURRENT}.{}.tmp", std::process::id()));
        let _ = std::fs::remove_file(&fresh);
        std::os::unix::fs::symlink(self.dir.file_name().unwrap_or_default(), &fresh)?;
        std::fs::rename(&fresh, root.join(CURRENT))?;
        std::fs::File::open(root)?.sync_all()
    }

    /// Gives the cut up: its folder is removed, the reason reported once; the committed cut
    /// stays what a restart resumes from.
    pub fn abandon(&self, why: &str) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let mut report = self.state.report();
        if report.uncommitted.is_none() {
            let why = format!("a cut of the state was not committed: {why}; a restart reads again from the last committed one");
            tracing::warn!("{why}");
            report.uncommitted = Some(why);
        }
        drop(report);
        self.done.store(true, Ordering::Release);
    }
}
