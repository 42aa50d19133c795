//! Plugin and host state across restarts: the state folder, what is kept in it, and how a run
//! resumes from it, so that two runs over two halves of a log find what one run over all of
//! it finds.
//!
//! The folder holds `engine.state` (the reader thread's lineage links and stream clock) and,
//! for each worker N, `worker-N/host.state` (its stream time, last tick and the recent events
//! that cited event ids resolve to) and `worker-N/plugin-NAME.state` (each plugin instance's
//! own snapshot). Each is a [`file`]: a header (format version, plugin name and version,
//! worker index and count, stream time, checksum), written atomically.
//!
//! State is saved at the engine's finish, and every `snapshot_interval` of wall-clock time at
//! one point of the stream that every worker shares (the engine queues the snapshot behind
//! the batches before it), so the files describe one cut of the stream. It is restored at
//! start, each plugin instance right after `configure`; a worker also restores the last
//! snapshot it holds into the fresh instance that replaces one lost to a fault.
//!
//! A file that cannot be used is refused with a warning, counted, and its part starts empty:
//! unreadable or corrupt, written by a run with another worker count (events would shard
//! differently, and a plugin would see state for actors it never gets), or refused by the
//! plugin's own `restore` (a snapshot of a version it cannot read). The run goes on.

pub mod file;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use self::file::{Header, Kind};
use super::lineage::Lineage;
use super::runtime::WasmRuntime;
use super::supervisor::Supervised;
use super::EngineSettings;
use crate::findings::recent::RecentEvents;
use crate::findings::RelatedEvent;

/// What the state folder did for one run, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateReport {
    pub dir: PathBuf,
    /// The stream time the restored state was taken at; none when the run started empty.
    pub restored_from: Option<i64>,
    /// The stream time of the state saved at the finish; none when nothing could be saved.
    pub saved_at: Option<i64>,
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

/// The state folder of one run, shared by the engine and its workers.
#[derive(Debug)]
pub struct StateDir {
    root: PathBuf,
    workers: usize,
    /// Why workers start empty whatever their own files hold (the engine's file was refused).
    refused_whole: Option<String>,
    report: Mutex<StateReport>,
}

impl StateDir {
    /// The state folder at `root` for a run of `workers` workers; nothing is read yet.
    pub fn new(root: &Path, workers: usize) -> Self {
        StateDir {
            root: root.to_path_buf(),
            workers,
            refused_whole: None,
            report: Mutex::new(StateReport { dir: root.to_path_buf(), ..StateReport::default() }),
        }
    }

    fn engine_file(&self) -> PathBuf {
        self.root.join("engine.state")
    }

    fn worker_dir(&self, worker: usize) -> PathBuf {
        self.root.join(format!("worker-{worker}"))
    }

    fn plugin_file(&self, worker: usize, plugin: &str) -> PathBuf {
        // Plugin names from file names may hold anything; a file name must not.
        let name: String = plugin
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
            .collect();
        self.worker_dir(worker).join(format!("plugin-{name}.state"))
    }

    fn report(&self) -> std::sync::MutexGuard<'_, StateReport> {
        // A worker that panicked while holding the lock left a report that is still whole.
        self.report.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self, path: &Path, header: Header, payload: &[u8]) {
        if let Err(error) = file::write(path, header, payload) {
            self.unsaved(error.to_string());
        }
    }

    fn unsaved(&self, problem: String) {
        tracing::error!("state not saved: {problem}");
        let mut report = self.report();
        report.write_failures += 1;
        report.problems.push(problem);
    }

    /// The checked contents of the file at `path`, if there is one: `Err` says why it cannot be
    /// used (unreadable, corrupt, of another kind or worker count).
    fn read(&self, path: &Path, kind: Kind) -> Result<Option<(Header, Vec<u8>)>, String> {
        let Some((header, payload)) = file::read(path).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        if header.kind != kind {
            return Err(format!("state file {} holds {:?} state, not {kind:?}", path.display(), header.kind));
        }
        if header.workers != self.workers {
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
        path: &Path,
        kind: Kind,
    ) -> Result<Option<(Header, T)>, String> {
        let parsed = self.read(path, kind).and_then(|found| match found {
            None => Ok(None),
            Some((header, payload)) => serde_json::from_slice(&payload)
                .map(|state| Some((header, state)))
                .map_err(|e| format!("state file {} cannot be read: {e}", path.display())),
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
        match self.read_json::<EngineState<Lineage>>(&self.engine_file(), Kind::Engine) {
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

    /// Saves the reader thread's state.
    pub fn save_engine(&self, lineage: &Lineage, stream_time: Option<i64>) {
        let state = EngineState { lineage, stream_time };
        match serde_json::to_vec(&state) {
            Ok(payload) => self.write(
                &self.engine_file(),
                Header::new(Kind::Engine, self.workers, stream_time),
                &payload,
            ),
            Err(e) => self.unsaved(format!("the engine's state cannot be saved: {e}")),
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
                if self.plugin_file(worker, supervised.plugin.name()).exists() {
                    supervised.stats.state.started_empty(why.clone());
                }
            }
            return WorkerClock::default();
        }
        let path = self.worker_dir(worker).join("host.state");
        let clock = match self.read_json::<WorkerState<Vec<RelatedEvent>>>(&path, Kind::Worker) {
            Ok(Some((_, state))) => {
                state.recent.into_iter().for_each(|event| recent.remember(event));
                WorkerClock { stream_time: state.stream_time, last_tick: state.last_tick }
            }
            Ok(None) | Err(_) => WorkerClock::default(),
        };
        for supervised in plugins.filter(keeps_state) {
            let path = self.plugin_file(worker, supervised.plugin.name());
            match self.read(&path, Kind::Plugin) {
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

    /// Saves worker `worker`'s state and every plugin's snapshot.
    pub fn save_worker<'a>(
        &self,
        worker: usize,
        plugins: impl Iterator<Item = &'a mut Supervised>,
        recent: &RecentEvents,
        clock: WorkerClock,
    ) {
        let header =
            |kind| Header { worker: Some(worker), ..Header::new(kind, self.workers, clock.stream_time) };
        let state = WorkerState { stream_time: clock.stream_time, last_tick: clock.last_tick, recent };
        match serde_json::to_vec(&state) {
            Ok(payload) => {
                self.write(&self.worker_dir(worker).join("host.state"), header(Kind::Worker), &payload)
            }
            Err(e) => self.unsaved(format!("worker {worker}'s state cannot be saved: {e}")),
        }
        for supervised in plugins.filter(keeps_state) {
            let Some(snapshot) = supervised.snapshot() else { continue };
            let plugin = &supervised.plugin;
            let header = Header {
                plugin: Some(plugin.name().to_string()),
                plugin_version: Some(plugin.info.version.clone()),
                ..header(Kind::Plugin)
            };
            self.write(&self.plugin_file(worker, plugin.name()), header, &snapshot);
        }
    }

    /// Removes the folders of workers this run does not have (a run with fewer workers than the
    /// last), so the folder holds one cut of the stream.
    fn prune(&self) {
        let Ok(entries) = std::fs::read_dir(&self.root) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let worker =
                name.to_str().and_then(|n| n.strip_prefix("worker-")).and_then(|n| n.parse::<usize>().ok());
            if worker.is_some_and(|w| w >= self.workers) {
                if let Err(e) = std::fs::remove_dir_all(entry.path()) {
                    tracing::warn!(path = %entry.path().display(), "cannot remove the state of a worker this run does not have: {e}");
                }
            }
        }
    }

    /// Saves the reader thread's state after the workers saved theirs, and reports.
    pub fn finish(&self, lineage: &Lineage, stream_time: Option<i64>) -> StateReport {
        self.save_engine(lineage, stream_time);
        self.prune();
        let mut report = self.report().clone();
        if report.write_failures == 0 {
            report.saved_at = stream_time;
        }
        report
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
        let dir = StateDir::new(Path::new("/state"), 2);
        assert_eq!(dir.plugin_file(1, "actor-trail"), Path::new("/state/worker-1/plugin-actor-trail.state"));
        assert_eq!(dir.plugin_file(0, "../x y"), Path::new("/state/worker-0/plugin-.._x_y.state"));
    }

    #[test]
    fn the_engine_state_of_another_worker_count_is_refused_with_the_count_to_use() {
        let root = tempfile::tempdir().unwrap();
        StateDir::new(root.path(), 1).save_engine(&Lineage::new(10), Some(7));
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
}
