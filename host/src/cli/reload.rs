//! `run`'s hot reload: the config file, the installed packs' folder, every plugin's component
//! and the rule files its config names are watched; once a burst of changes has been quiet for [`QUIET`] (editors and `cp`
//! write in several steps, and a half-written file must not be loaded), or on SIGHUP, the
//! config is read again and the engine swaps in the plugins that changed (see
//! `trailhound::engine::reload`). A config, component or rule file that fails at any step, or
//! an installed pack that fails verification, is refused with a log line and counted; the
//! running plugins stay.
//!
//! The rest of the config applies too, while the run goes on: changed sinks, routes or
//! `[throttle]` rewire the delivery (the sinks configured as before are kept as they run, and
//! each removed one is flushed before it closes; see `trailhound::findings::delivery`), and
//! the `[[sources]]` tables go to the service loop, which starts and stops sources to match.
//! `[engine]`, `[input]` and `[metrics]` are read at start: a reload that finds them changed
//! says they apply at the next restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use trailhound::config::{Config, SourceConfig};
use trailhound::engine::{PluginSpec, Reloader};
use trailhound::findings::delivery::{Rewire, Slot};
use trailhound::sources::printable_path;

/// How long a burst of file events must have been quiet before the reload starts.
pub const QUIET: Duration = Duration::from_millis(300);
/// The longest a reload waits for a burst to end (a file rewritten without a pause).
const LONGEST_WAIT: Duration = Duration::from_secs(5);

/// What starts a reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A watched file or folder changed.
    Changed,
    /// SIGHUP: reload now, whatever changed.
    Hangup,
    /// The run is ending.
    Stop,
}

/// The reload thread; dropping this stops it (after a reload under way, which the ended
/// engine refuses).
pub struct Reloading {
    triggers: Sender<Trigger>,
}

impl Reloading {
    /// Watches what `config` (read from `config_path`) loads into `specs` and reloads on a
    /// change or a [`Trigger::Hangup`] sent to [`Reloading::triggers`]: plugins through
    /// `reloader`, outputs through `rewirer`, and every reload's `[[sources]]` to `sources`.
    ///
    /// # Errors
    /// The OS refuses a watcher or a thread.
    pub fn start(
        config_path: &Path,
        config: Config,
        specs: &[PluginSpec],
        reloader: Reloader,
        rewirer: Sender<Rewire>,
        sources: Box<dyn Fn(Vec<SourceConfig>) + Send>,
    ) -> anyhow::Result<Self> {
        let (triggers, received) = crossbeam_channel::unbounded();
        let mut watched = Watched::new(triggers.clone())?;
        watched.set(config_path, config.packs.dir.as_deref(), specs);
        let config_path = config_path.to_path_buf();
        std::thread::Builder::new().name("reload".into()).spawn(move || {
            let mut control = Control { config_path, running: config, reloader, rewirer, sources, watched };
            control.run(&received);
        })?;
        Ok(Reloading { triggers })
    }

    pub fn triggers(&self) -> Sender<Trigger> {
        self.triggers.clone()
    }
}

impl Drop for Reloading {
    fn drop(&mut self) {
        let _ = self.triggers.send(Trigger::Stop);
    }
}

struct Control {
    config_path: PathBuf,
    /// The config as it runs: the one the run started with, and the outputs of every reload
    /// since; a reload is compared with it.
    running: Config,
    reloader: Reloader,
    rewirer: Sender<Rewire>,
    sources: Box<dyn Fn(Vec<SourceConfig>) + Send>,
    watched: Watched,
}

impl Control {
    fn run(&mut self, triggers: &Receiver<Trigger>) {
        while let Ok(first) = triggers.recv() {
            if first == Trigger::Stop {
                return;
            }
            // Wait for the burst to end, so a file still being written is not read.
            let began = Instant::now();
            while began.elapsed() < LONGEST_WAIT {
                match triggers.recv_timeout(QUIET) {
                    Ok(Trigger::Stop) => return,
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            self.reload();
        }
    }

    fn reload(&mut self) {
        let config = match Config::load(&self.config_path) {
            Ok(config) => config,
            Err(error) => {
                self.reloader.refuse(&format!("the config does not load: {error}"));
                eprintln!("reload refused: {error}; the running plugins stay");
                return;
            }
        };
        let fixed = what_needs_a_restart(&self.running, &config);
        if !fixed.is_empty() {
            tracing::warn!(changed = %fixed.join(", "), "these config changes apply at the next restart");
            eprintln!("reload: {} changed, which applies at the next restart", fixed.join(", "));
        }
        let specs = match super::pack::specs_of(&config) {
            Ok(specs) => specs,
            Err(error) => {
                self.reloader.refuse(&format!("{error:#}"));
                eprintln!("reload refused: {error:#}; the running plugins stay");
                return;
            }
        };
        self.watched.set(&self.config_path, config.packs.dir.as_deref(), &specs);
        match self.reloader.reload(specs) {
            Ok(changes) if changes.is_empty() => eprintln!("reload: the plugins are unchanged"),
            Ok(changes) => eprintln!("reloaded: {changes}"),
            Err(error) => eprintln!("reload refused: {error}; the running plugins stay"),
        }
        self.rewire(&config);
        // The service loop compares them with the sources it runs, and starts again one
        // that could not start before.
        (self.sources)(config.sources.clone());
    }

    /// Hands changed sinks, routes and throttle to the delivery.
    fn rewire(&mut self, config: &Config) {
        match config.rewire(&self.running) {
            Ok(None) => {}
            Ok(Some(rewire)) => {
                let kept = rewire.sinks.iter().filter(|slot| matches!(slot, Slot::Keep(_))).count();
                let opened = rewire.sinks.len() - kept;
                let closed = self.running.sinks.len() - kept;
                if self.rewirer.send(rewire).is_err() {
                    return;
                }
                self.running.sinks.clone_from(&config.sinks);
                self.running.routes.clone_from(&config.routes);
                self.running.throttle = config.throttle.clone();
                tracing::info!(kept, opened, closed, "outputs rewired");
                eprintln!(
                    "reloaded outputs: {kept} sink(s) kept, {opened} opened, {closed} closed; {} route(s)",
                    config.routes.len()
                );
            }
            Err(error) => {
                self.reloader.refuse(&format!("{error:#}"));
                eprintln!("reload refused: {error:#}; the running sinks and routes stay");
            }
        }
    }
}

/// The parts of the config a reload does not apply, by their table names.
fn what_needs_a_restart(old: &Config, new: &Config) -> Vec<&'static str> {
    let parts = [
        ("[engine]", old.engine == new.engine),
        ("[input]", old.input == new.input),
        ("[metrics]", old.metrics == new.metrics),
    ];
    parts.into_iter().filter(|(_, same)| !same).map(|(name, _)| name).collect()
}

/// The files and folders a reload reads, under a watcher.
struct Watched {
    watcher: RecommendedWatcher,
    /// Files and folders a change to which triggers a reload.
    files: Arc<Mutex<Vec<PathBuf>>>,
    /// Folders watched: those named, and the folders of the files named (editors replace a
    /// file by renaming another onto it).
    watching: Vec<(PathBuf, RecursiveMode)>,
}

impl Watched {
    fn new(triggers: Sender<Trigger>) -> anyhow::Result<Self> {
        let files: Arc<Mutex<Vec<PathBuf>>> = Arc::default();
        let seen = files.clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
            Ok(event) if !event.kind.is_access() || is_close_write(&event.kind) => {
                let files = seen.lock().unwrap_or_else(PoisonError::into_inner);
                if event.paths.iter().any(|p| files.iter().any(|f| p.starts_with(f))) {
                    let _ = triggers.send(Trigger::Changed);
                }
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "watching the plugins and config failed"),
        })?;
        Ok(Watched { watcher, files, watching: Vec::new() })
    }

    /// Watches the config, the installed packs' folder (an install or removal there is a
    /// change), each plugin's component and the files its config names.
    fn set(&mut self, config_path: &Path, packs: Option<&Path>, specs: &[PluginSpec]) {
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        if let Some(packs) = packs {
            // Watched whole, so it must exist before the first pack is installed.
            let _ = std::fs::create_dir_all(packs);
        }
        let mut files: Vec<PathBuf> = std::iter::once(config_path)
            .chain(packs)
            .chain(specs.iter().map(|s| s.path.as_path()))
            .chain(specs.iter().flat_map(|s| s.files.iter().map(PathBuf::as_path)))
            .map(absolute)
            .collect();
        files.sort();
        files.dedup();
        // A folder named is watched whole; a file's folder only for the file (the config's
        // folder may hold the logs, or a build tree).
        let mut folders: Vec<(PathBuf, RecursiveMode)> = files
            .iter()
            .map(|f| match f.parent() {
                _ if f.is_dir() => (f.clone(), RecursiveMode::Recursive),
                Some(parent) => (parent.to_path_buf(), RecursiveMode::NonRecursive),
                None => (f.clone(), RecursiveMode::NonRecursive),
            })
            .collect();
        folders.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then((a.1 == RecursiveMode::NonRecursive).cmp(&(b.1 == RecursiveMode::NonRecursive)))
        });
        folders.dedup_by(|a, b| a.0 == b.0);
        for (old, _) in self.watching.iter().filter(|w| !folders.contains(w)) {
            let _ = self.watcher.unwatch(old);
        }
        for (folder, mode) in folders.iter().filter(|w| !self.watching.contains(w)) {
            if let Err(error) = self.watcher.watch(folder, *mode) {
                tracing::warn!(folder = %printable_path(folder), %error, "cannot watch for plugin changes");
            }
        }
        self.watching = folders;
        *self.files.lock().unwrap_or_else(PoisonError::into_inner) = files;
    }
}

fn is_close_write(kind: &notify::EventKind) -> bool {
    matches!(
        kind,
        notify::EventKind::Access(notify::event::AccessKind::Close(notify::event::AccessMode::Write))
    )
}
