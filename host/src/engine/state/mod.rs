//! Plugin, host and source state across restarts: the state folder, what is kept in it, and
//! how a run resumes from it, so that a run that stops and starts again (or two runs over two
//! halves of a log) finds what one run over all of it finds, and a service that is killed
//! resumes its sources where the findings it delivered end.
//!
//! State is saved as **cuts**: one point of the stream that every worker shares (the engine
//! queues the cut behind the batches before it). A cut is a folder `cut-N` holding
//! `engine.state` (the reader thread's lineage links and stream clock), for each worker K
//! `worker-K/host.state` (its stream time, last tick and the recent events that cited event
//! ids resolve to) and `worker-K/plugin-NAME.state` (each plugin instance's own snapshot),
//! and `sources.state` (how far each source was read, when the run's sources keep
//! positions). Each is a [`file`]: a header (format version, plugin name and version, worker
//! index and count, stream time, checksum), written atomically.
//!
//! A cut is **committed** only once every finding of the events before it has been delivered
//! and the sinks flushed ([`cut::Cut::commit`], called by delivery): the symbolic link
//! `current` is then pointed at its folder, atomically, and older cuts are removed. A crash
//! at any moment leaves `current` at a whole cut whose findings were all delivered; a restart
//! reads again what came after it (at-least-once). Cuts are taken at the finish and every
//! `checkpoint_interval` of wall-clock time, one in flight at a time.
//!
//! State is restored at start, each plugin instance right after `configure`; a worker also
//! restores the last snapshot it holds into the fresh instance that replaces one lost to a
//! fault. A file that cannot be used is refused with a warning, counted, and its part starts
//! empty: unreadable or corrupt, written by a run with another worker count (events would
//! shard differently, and a plugin would see state for actors it never gets), or refused by
//! the plugin's own `restore` (a snapshot of a version it cannot read). The run goes on.

pub mod cut;
pub mod file;
pub mod lock;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use self::cut::Cut;
use self::file::{Header, Kind};
use super::lineage::Lineage;
use super::runtime::WasmRuntime;
use super::supervisor::Supervised;
use super::EngineSettings;
use crate::findings::recent::RecentEvents;
use crate::findings::RelatedEvent;

/// The link to the committed cut.
const CURRENT: &str = "current";

/// What the state folder did for one run, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateReport {
    pub dir: PathBuf,
    /// The stream time the restored state was taken at; none when the run started empty.
    pub restored_from: Option<i64>,
    /// The stream time of the last cut committed; none when none was.
    pub saved_at: Option<i64>,
    /// Cuts committed during the run (the one at the finish included).
    pub committed: u64,
    /// When the last was (wall clock).
    pub committed_at: Option<std::time::Instant>,
    /// How far the sources were read at the last cut committed, as they saved it: what is
    /// known delivered, so sources that acknowledge what they read (NATS) do so up to there.
    pub sources_committed: Option<Vec<u8>>,
    /// Why cuts were not committed, when one was not (the first reason).
    pub uncommitted: Option<String>,
    /// Files refused or not written, each with the reason, in the order they happened.
    pub problems: Vec<String>,
    /// State files that could not be written.
    pub write_failures: u64,
}

/// The reader thread's state, as saved.
#[derive(Serialize, Deserialize)]
struct EngineState<L> {
    lineage: L,
    stream_time: Option<i64>,
}

/// A worker's own state, as saved: the recent events oldest first.
#[derive(Serialize, Deserialize)]
struct WorkerState<R> {
    stream_time: Option<i64>,
    last_tick: Option<i64>,
    recent: R,
}

/// A worker's place in stream time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerClock {
    pub stream_time: Option<i64>,
    /// The last scheduled tick.
    pub last_tick: Option<i64>,
}

/// The state folder of one run, shared by the engine, its workers and delivery.
#[derive(Debug)]
pub struct StateDir {
    root: PathBuf,
    workers: usize,
    /// The folder of the committed cut, what the run resumes from; none: nothing was saved.
    committed: Option<PathBuf>,
    /// The number the next cut takes.
    next_cut: AtomicU64,
    /// Why workers start empty whatever their own files hold (the engine's file was refused).
    refused_whole: Option<String>,
    report: Mutex<StateReport>,
    /// The run's lock on the folder: released when the last holder of the state (the
    /// delivery thread, committing the last cut) lets go, not when the engine ends.
    lock: Option<lock::StateLock>,
}

impl StateDir {
    /// The state folder at `root` for a run of `workers` workers. Cuts a crashed run left
    /// uncommitted are removed; nothing is read yet.
    pub fn new(root: &Path, workers: usize) -> Self {
        let committed_cut =
            std::fs::read_link(root.join(CURRENT)).ok().and_then(|target| cut_number(&target));
        let mut state = StateDir {
            root: root.to_path_buf(),
            workers,
            committed: committed_cut.map(|n| root.join(cut_name(n))),
            next_cut: AtomicU64::new(committed_cut.map_or(1, |n| n + 1)),
            refused_whole: None,
            report: Mutex::new(StateReport { dir: root.to_path_buf(), ..StateReport::default() }),
            lock: None,
        };
        if state.committed.as_ref().is_some_and(|dir| !dir.is_dir()) {
            state.refuse(format!("{} points at no saved cut", root.join(CURRENT).display()));
            state.committed = None;
        }
        state.remove_cuts(|n| Some(n) != committed_cut);
        state
    }

    /// Keeps the run's lock on the folder for as long as this state is held.
    pub fn hold(&mut self, lock: Option<lock::StateLock>) {
        self.lock = lock;
    }

    /// Removes the cut folders whose number `doomed` picks.
    fn remove_cuts(&self, doomed: impl Fn(u64) -> bool) {
        let Ok(entries) = std::fs::read_dir(&self.root) else { return };
        for entry in entries.flatten() {
            if cut_number(Path::new(&entry.file_name())).is_some_and(&doomed) {
                if let Err(e) = std::fs::remove_dir_all(entry.path()) {
                    tracing::warn!(path = %entry.path().display(), "cannot remove an old cut of the state: {e}");
                }
            }
        }
    }

    /// Starts a cut of the stream, to be saved by the engine and every worker; `sources`
    /// (how far the run's sources were read at the cut, if they keep positions) is saved
    /// with it when it is committed. `ready`: where the cut goes once every worker saved its
    /// part (delivery, which commits it once the findings before it are delivered); none:
    /// it is committed then.
    pub fn begin_cut(
        self: &Arc<Self>,
        stream_time: Option<i64>,
        sources: Option<Vec<u8>>,
        ready: Option<crossbeam_channel::Sender<Arc<Cut>>>,
    ) -> Arc<Cut> {
        let number = self.next_cut.fetch_add(1, Ordering::Relaxed);
        Arc::new(Cut::new(
            self.clone(),
            number,
            self.root.join(cut_name(number)),
            stream_time,
            sources,
            ready,
        ))
    }

    fn report(&self) -> std::sync::MutexGuard<'_, StateReport> {
        // A worker that panicked while holding the lock left a report that is still whole.
        self.report.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn unsaved(&self, problem: String) {
        tracing::error!("state not saved: {problem}");
        let mut report = self.report();
        report.write_failures += 1;
        report.problems.push(problem);
    }

    /// The checked contents of the file at `name` in the committed cut, if there is one: `Err`
    /// says why it cannot be used (unreadable, corrupt, of another kind or worker count).
    fn read(&self, name: &Path, kind: Kind) -> Result<Option<(Header, Vec<u8>)>, String> {
        let Some(committed) = &self.committed else { return Ok(None) };
        let path = committed.join(name);
        let Some((header, payload)) = file::read(&path).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        if header.kind != kind {
            return Err(format!("state file {} holds {:?} state, not {kind:?}", path.display(), header.kind));
        }
        // How far sources were read does not depend on how events are sharded.
        if header.workers != self.workers && kind != Kind::Sources {
            return Err(format!(
                "state file {} was saved by a run with {} worker(s), this run has {}: events would \
                 shard differently, so it is not restored (run with --workers {} to resume it)",
                path.display(),
                header.workers,
                self.workers,
                header.workers
            ));
        }
        Ok(Some((header, payload)))
    }

    /// [`StateDir::read`] and the payload parsed as JSON; a refusal is reported, and `Err`.
    fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        name: &Path,
        kind: Kind,
    ) -> Result<Option<(Header, T)>, String> {
        let parsed = self.read(name, kind).and_then(|found| match found {
            None => Ok(None),
            Some((header, payload)) => serde_json::from_slice(&payload)
                .map(|state| Some((header, state)))
                .map_err(|e| format!("state file {} cannot be read: {e}", name.display())),
        });
        parsed.map_err(|why| self.refuse(why))
    }

    /// Reports a file that cannot be used; returns the reason, for the plugin it was for.
    fn refuse(&self, why: String) -> String {
        tracing::warn!("{why}; starting without it");
        self.report().problems.push(why.clone());
        why
    }

    /// Restores the reader thread's lineage (bounded by `lineage_capacity`) and returns it
    /// with the stream time it was saved at. When the engine's file is refused, workers start
    /// empty too: their files alone are no cut of the stream (and another worker count is
    /// refused whole).
    pub fn resume_engine(&mut self, lineage_capacity: usize) -> Option<(Lineage, Option<i64>)> {
        match self.read_json::<EngineState<Lineage>>(Path::new(ENGINE_FILE), Kind::Engine) {
            Ok(Some((header, state))) => {
                self.report().restored_from = header.stream_time;
                Some((state.lineage.bounded(lineage_capacity), state.stream_time))
            }
            Ok(None) => None,
            Err(why) => {
                self.refused_whole = Some(why);
                None
            }
        }
    }

    /// How far the sources were read at the committed cut, as they saved it; none when
    /// nothing was saved (or it cannot be used, which is reported).
    pub fn resume_sources(&self) -> Option<Vec<u8>> {
        match self.read(Path::new(SOURCES_FILE), Kind::Sources) {
            Ok(found) => found.map(|(_, payload)| payload),
            Err(why) => {
                self.refuse(why);
                None
            }
        }
    }

    /// Restores worker `worker`: its recent events into `recent`, each plugin's snapshot into
    /// its instance; returns the worker's place in stream time.
    pub fn resume_worker<'a>(
        &self,
        worker: usize,
        runtime: &WasmRuntime,
        settings: &EngineSettings,
        plugins: impl Iterator<Item = &'a mut Supervised>,
        recent: &mut RecentEvents,
    ) -> WorkerClock {
        if let Some(why) = &self.refused_whole {
            for supervised in plugins.filter(keeps_state) {
                let name = plugin_file(worker, supervised.plugin.name());
                if self.committed.as_ref().is_some_and(|dir| dir.join(name).exists()) {
                    supervised.stats.state.started_empty(why.clone());
                }
            }
            return WorkerClock::default();
        }
        let clock = match self.read_json::<WorkerState<Vec<RelatedEvent>>>(&host_file(worker), Kind::Worker) {
            Ok(Some((_, state))) => {
                state.recent.into_iter().for_each(|event| recent.remember(event));
                WorkerClock { stream_time: state.stream_time, last_tick: state.last_tick }
            }
            Ok(None) | Err(_) => WorkerClock::default(),
        };
        for supervised in plugins.filter(keeps_state) {
            match self.read(&plugin_file(worker, supervised.plugin.name()), Kind::Plugin) {
                Ok(Some((header, state))) => {
                    let running = &supervised.plugin.info.version;
                    if header.plugin_version.as_ref() != Some(running) {
                        tracing::info!(
                            plugin = supervised.plugin.name(),
                            saved = header.plugin_version.as_deref().unwrap_or("?"),
                            %running,
                            "restoring state saved by another version of the plugin"
                        );
                    }
                    supervised.resume(runtime, settings, state);
                }
                Ok(None) => {}
                Err(why) => supervised.stats.state.started_empty(self.refuse(why)),
            }
        }
        clock
    }

    /// When more than `seen` cuts were committed: how many, and how far the sources were read
    /// at the last.
    pub fn committed_since(&self, seen: u64) -> Option<(u64, Option<Vec<u8>>)> {
        let report = self.report();
        (report.committed > seen).then(|| (report.committed, report.sources_committed.clone()))
    }

    /// The report so far.
    pub fn report_now(&self) -> StateReport {
        self.report().clone()
    }
}

/// The reader thread's file in a cut.
const ENGINE_FILE: &str = "engine.state";
/// The sources' positions in a cut.
const SOURCES_FILE: &str = "sources.state";

fn worker_dir(worker: usize) -> PathBuf {
    PathBuf::from(format!("worker-{worker}"))
}

fn host_file(worker: usize) -> PathBuf {
    worker_dir(worker).join("host.state")
}

fn plugin_file(worker: usize, plugin: &str) -> PathBuf {
    // Plugin names from file names may hold anything; a file name must not.
    let name: String = plugin
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .collect();
    worker_dir(worker).join(format!("plugin-{name}.state"))
}

fn cut_name(number: u64) -> String {
    format!("cut-{number}")
}

/// The number of the cut folder `name` names, if it names one.
fn cut_number(name: &Path) -> Option<u64> {
    name.to_str()?.strip_prefix("cut-")?.parse().ok()
}

/// Saves the reader thread's state into `cut`.
pub fn save_engine(cut: &Cut, lineage: &Lineage, stream_time: Option<i64>) {
    let state = EngineState { lineage, stream_time };
    match serde_json::to_vec(&state) {
        Ok(payload) => {
            cut.write(Path::new(ENGINE_FILE), Header::new(Kind::Engine, cut.workers(), stream_time), &payload)
        }
        Err(e) => cut.unsaved(format!("the engine's state cannot be saved: {e}")),
    }
}

/// Saves worker `worker`'s state and every plugin's snapshot into `cut`.
pub fn save_worker<'a>(
    cut: &Cut,
    worker: usize,
    plugins: impl Iterator<Item = &'a mut Supervised>,
    recent: &RecentEvents,
    clock: WorkerClock,
) {
    let header =
        |kind| Header { worker: Some(worker), ..Header::new(kind, cut.workers(), clock.stream_time) };
    let state = WorkerState { stream_time: clock.stream_time, last_tick: clock.last_tick, recent };
    match serde_json::to_vec(&state) {
        Ok(payload) => cut.write(&host_file(worker), header(Kind::Worker), &payload),
        Err(e) => cut.unsaved(format!("worker {worker}'s state cannot be saved: {e}")),
    }
    for supervised in plugins.filter(keeps_state) {
        let Some(snapshot) = supervised.snapshot() else { continue };
        let plugin = &supervised.plugin;
        let header = Header {
            plugin: Some(plugin.name().to_string()),
            plugin_version: Some(plugin.info.version.clone()),
            ..header(Kind::Plugin)
        };
        cut.write(&plugin_file(worker, plugin.name()), header, &snapshot);
    }
}

/// Whether a plugin says it keeps state (`Info::stateful`); the others have none to save.
fn keeps_state(supervised: &&mut Supervised) -> bool {
    supervised.plugin.info.state != trailhound_sdk::StateScope::None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_names_make_safe_file_names() {
        assert_eq!(plugin_file(1, "actor-trail"), Path::new("worker-1/plugin-actor-trail.state"));
        assert_eq!(plugin_file(0, "../x y"), Path::new("worker-0/plugin-.._x_y.state"));
    }

    /// Saves a cut of a run of `workers` holding the engine's state at `stream_time`, and
    /// commits it.
    fn saved(root: &Path, workers: usize, stream_time: i64) {
        let state = Arc::new(StateDir::new(root, workers));
        let cut = state.begin_cut(Some(stream_time), None, None);
        save_engine(&cut, &Lineage::new(10), Some(stream_time));
        cut.commit();
    }

    #[test]
    fn the_engine_state_of_another_worker_count_is_refused_with_the_count_to_use() {
        let root = tempfile::tempdir().unwrap();
        saved(root.path(), 1, 7);
        let mut two = StateDir::new(root.path(), 2);
        assert!(two.resume_engine(10).is_none());
        assert!(two.refused_whole.is_some());
        let problems = two.report().problems.clone();
        assert!(
            problems[0].contains("1 worker(s), this run has 2") && problems[0].contains("--workers 1"),
            "{problems:?}"
        );
        let mut one = StateDir::new(root.path(), 1);
        assert_eq!(one.resume_engine(10).map(|(_, t)| t), Some(Some(7)));
        assert_eq!(one.report().restored_from, Some(7));
    }

    #[test]
    fn a_cut_is_resumed_only_once_committed_and_a_crash_leaves_the_last_committed_one() {
        let root = tempfile::tempdir().unwrap();
        let state = Arc::new(StateDir::new(root.path(), 1));
        let first = state.begin_cut(Some(1), Some(b"first".to_vec()), None);
        save_engine(&first, &Lineage::new(10), Some(1));
        assert!(std::fs::read_link(root.path().join(CURRENT)).is_err(), "not committed yet");
        first.commit();
        let second = state.begin_cut(Some(2), Some(b"second".to_vec()), None);
        save_engine(&second, &Lineage::new(10), Some(2));
        // A crash now: the second cut is half written and never committed.
        let mut after = StateDir::new(root.path(), 1);
        assert_eq!(after.resume_sources().as_deref(), Some(&b"first"[..]));
        assert_eq!(after.resume_engine(10).map(|(_, t)| t), Some(Some(1)));
        let left: Vec<_> = std::fs::read_dir(root.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left.len(), 2, "the uncommitted cut is removed at start: {left:?}");
        // Committing a later cut removes the older ones.
        let third = Arc::new(after).begin_cut(Some(3), Some(b"third".to_vec()), None);
        save_engine(&third, &Lineage::new(10), Some(3));
        third.commit();
        let names: Vec<_> = std::fs::read_dir(root.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert_eq!(StateDir::new(root.path(), 1).resume_sources().as_deref(), Some(&b"third"[..]));
    }
}
