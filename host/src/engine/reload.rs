//! Hot reload: a new set of plugins is prepared off the hot path ([`Reloader::reload`] on the
//! caller's thread: each changed plugin read, compiled, linked, instantiated and configured
//! once as a check, the unchanged ones kept as they run) and handed to the engine, which swaps
//! it in between batches ([`super::Engine`]), on every worker at one point of the stream.
//!
//! The swap is all or nothing. Each worker starts the new versions and restores into each
//! the snapshot of the version it replaces, then votes; only when every worker could do so do
//! all of them swap, and otherwise all keep the set they run and the reload is refused. So an
//! event is seen by exactly one version of a plugin: every batch before the swap by the old
//! one, every batch after it by the new one. A removed plugin is drained: it runs a last tick
//! (so its open windows report) and its findings are delivered.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use super::plugin::{LoadedPlugin, PluginSpec};
use super::runtime::WasmRuntime;
use super::{EngineError, EngineSettings};
use crate::projection::{FieldMap, Projection};

/// The plugins a worker runs, each with the map of its fields into the projection.
#[derive(Clone)]
pub struct PluginSet {
    pub plugins: Arc<[(Arc<LoadedPlugin>, FieldMap)]>,
    pub projection: Arc<Projection>,
}

impl PluginSet {
    /// The set of `specs`, each loaded unless `current` runs it unchanged (same component,
    /// config, files and budget), in which case it is kept as it runs.
    ///
    /// # Errors
    /// A plugin cannot be loaded or configured, or its field paths are invalid.
    pub fn prepare(
        specs: Vec<PluginSpec>,
        current: &[Arc<LoadedPlugin>],
        runtime: &WasmRuntime,
        settings: &EngineSettings,
    ) -> Result<Self, EngineError> {
        let mut projection = Projection::default();
        let mut plugins = Vec::with_capacity(specs.len());
        for spec in specs {
            let unchanged = current
                .iter()
                .find(|p| p.spec == spec && LoadedPlugin::fingerprint(&spec).ok() == Some(p.fingerprint));
            let plugin = match unchanged {
                Some(running) => running.clone(),
                None => {
                    let plugin = LoadedPlugin::load(spec, runtime, settings)?;
                    tracing::info!(
                        plugin = plugin.name(),
                        version = %plugin.info.version,
                        cached = plugin.from_cache,
                        fields = plugin.info.fields.len(),
                        "plugin loaded"
                    );
                    Arc::new(plugin)
                }
            };
            let fields = projection.register(plugin.name(), &plugin.info.fields)?;
            plugins.push((plugin, fields));
        }
        Ok(PluginSet { plugins: plugins.into(), projection: Arc::new(projection) })
    }

    pub fn loaded(&self) -> impl Iterator<Item = &Arc<LoadedPlugin>> {
        self.plugins.iter().map(|(p, _)| p)
    }
}

/// What a reload changed, by plugin name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: Vec<String>,
    pub replaced: Vec<String>,
    pub removed: Vec<String>,
}

impl Changes {
    fn between(old: &[Arc<LoadedPlugin>], new: &PluginSet) -> Self {
        let old_names: BTreeSet<&str> = old.iter().map(|p| p.name()).collect();
        let new_names: BTreeSet<&str> = new.loaded().map(|p| p.name()).collect();
        let replaced = new
            .loaded()
            .filter(|p| old.iter().any(|o| o.name() == p.name() && !Arc::ptr_eq(o, p)))
            .map(|p| p.name().to_string())
            .collect();
        Changes {
            added: new_names.difference(&old_names).map(|n| n.to_string()).collect(),
            replaced,
            removed: old_names.difference(&new_names).map(|n| n.to_string()).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.replaced.is_empty() && self.removed.is_empty()
    }
}

impl std::fmt::Display for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> =
            [("added", &self.added), ("replaced", &self.replaced), ("removed", &self.removed)]
                .into_iter()
                .filter(|(_, names)| !names.is_empty())
                .map(|(what, names)| format!("{what} {}", names.join(", ")))
                .collect();
        if parts.is_empty() {
            f.write_str("nothing changed")
        } else {
            f.write_str(&parts.join("; "))
        }
    }
}

/// Why a reload was refused; the running set is untouched.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error(transparent)]
    Prepare(#[from] EngineError),
    #[error("a worker could not start the new set: {0}")]
    Swap(String),
    #[error("the engine has stopped")]
    Stopped,
}

/// Reloads so far, shared by the reloader, the engine and whoever reports them.
#[derive(Debug, Default)]
pub struct ReloadCounters {
    pub applied: AtomicU64,
    pub refused: AtomicU64,
    /// How long each applied swap took.
    swaps: Mutex<Vec<SwapTiming>>,
}

/// How long one applied swap took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SwapTiming {
    /// From the first worker's flush to the decision: the reader waits this long. It holds
    /// the batches the workers had queued, which they work through first.
    pub total: Duration,
    /// The longest a worker stood still: from the end of its queued batches (starting the
    /// new versions, restoring their state) to the decision.
    pub held: Duration,
}

impl ReloadCounters {
    pub fn swaps(&self) -> Vec<SwapTiming> {
        self.swaps.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    pub(super) fn applied(&self, timing: SwapTiming) {
        self.applied.fetch_add(1, Ordering::Relaxed);
        self.swaps.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(timing);
    }

    fn refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }
}

/// A prepared set on its way to the engine, and where the engine answers.
pub struct Request {
    pub set: PluginSet,
    pub answer: Sender<Result<(), String>>,
}

/// The swap as one worker sees it: the new set, where it votes (with how long it took to
/// start the new versions), and where it hears the decision (one per worker).
pub struct Swap {
    pub set: PluginSet,
    pub vote: Sender<Result<Duration, String>>,
    pub decision: Receiver<bool>,
}

/// Prepares new plugin sets and hands them to a running engine; one per controlling thread.
pub struct Reloader {
    runtime: Arc<WasmRuntime>,
    settings: EngineSettings,
    current: Vec<Arc<LoadedPlugin>>,
    requests: Sender<Request>,
    counters: Arc<ReloadCounters>,
}

impl Reloader {
    pub(super) fn new(
        runtime: Arc<WasmRuntime>,
        settings: EngineSettings,
        current: Vec<Arc<LoadedPlugin>>,
        requests: Sender<Request>,
        counters: Arc<ReloadCounters>,
    ) -> Self {
        Reloader { runtime, settings, current, requests, counters }
    }

    /// Makes `specs` the running plugins: prepares them here, then waits for the engine to
    /// swap them in at its next batch (or idle) boundary. Nothing changed: nothing is sent.
    ///
    /// # Errors
    /// The new set could not be prepared or started on every worker (the old set keeps
    /// running; the refusal is logged and counted), or the engine has stopped.
    pub fn reload(&mut self, specs: Vec<PluginSpec>) -> Result<Changes, ReloadError> {
        let result = self.try_reload(specs);
        match &result {
            Ok(changes) if changes.is_empty() => tracing::info!("reload: the plugins are unchanged"),
            Ok(changes) => tracing::info!(%changes, "plugins reloaded"),
            Err(ReloadError::Stopped) => {}
            Err(error) => {
                self.counters.refused();
                tracing::error!(%error, "reload refused; the running plugins stay");
            }
        }
        result
    }

    fn try_reload(&mut self, specs: Vec<PluginSpec>) -> Result<Changes, ReloadError> {
        let set = PluginSet::prepare(specs, &self.current, &self.runtime, &self.settings)?;
        let changes = Changes::between(&self.current, &set);
        if changes.is_empty() {
            return Ok(changes);
        }
        let (answer, answered) = crossbeam_channel::bounded(1);
        let loaded: Vec<Arc<LoadedPlugin>> = set.loaded().cloned().collect();
        self.requests.send(Request { set, answer }).map_err(|_| ReloadError::Stopped)?;
        answered.recv().map_err(|_| ReloadError::Stopped)?.map_err(ReloadError::Swap)?;
        self.current = loaded;
        Ok(changes)
    }

    /// Counts and logs a reload refused before it came to this reloader (its config did not
    /// load, say).
    pub fn refuse(&self, why: &str) {
        self.counters.refused();
        tracing::error!(error = why, "reload refused; the running plugins stay");
    }

    pub fn counters(&self) -> &Arc<ReloadCounters> {
        &self.counters
    }
}
