//! One plugin: its component loaded and checked once, and instances of it that run calls
//! under a deadline and a memory cap, with failures classified.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{Func, HasSelf, Linker};
use wasmtime::Store;

use super::bindings::{wit, Detector, DetectorPre};
use super::budget::{Budget, Overrun};
use super::lowering::EventView;
use super::runtime::WasmRuntime;
use super::store::HostState;
use super::{cache, EngineSettings};

/// A plugin as the operator names it.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginSpec {
    pub name: String,
    /// The component file.
    pub path: PathBuf,
    /// Passed to the plugin's `configure` as JSON text.
    pub config: serde_json::Value,
    /// This plugin's budget, when it differs from the engine's ([`EngineSettings::budget`]).
    pub budget: Option<Budget>,
}

impl PluginSpec {
    /// A plugin with the engine's budget.
    pub fn new(name: impl Into<String>, path: impl Into<PathBuf>, config: serde_json::Value) -> Self {
        PluginSpec { name: name.into(), path: path.into(), config, budget: None }
    }
}

/// Why a plugin could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("plugin {name:?}: cannot read {path}: {source}")]
    Read { name: String, path: PathBuf, source: std::io::Error },
    #[error("plugin {name:?}: {path} is not a usable detector component: {reason}")]
    Invalid { name: String, path: PathBuf, reason: String },
    #[error("plugin {name:?} refused its config: {message}")]
    Config { name: String, message: String },
    #[error("plugin {name:?} failed while starting: {fault}")]
    Start { name: String, fault: Fault },
}

/// How a call into a plugin failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    #[error("exceeded its {} ms deadline", .0.as_millis())]
    Timeout(Duration),
    #[error("exceeded its {} MiB memory limit", .0 >> 20)]
    OutOfMemory(usize),
    #[error("went over its budget: {0}")]
    OverBudget(Overrun),
    #[error("trapped: {0}")]
    Trap(String),
}

/// A component compiled, linked and checked once; shared by every worker's instances.
pub struct LoadedPlugin {
    pub spec: PluginSpec,
    pub info: trailhound_sdk::Info,
    pub from_cache: bool,
    /// `info.actions` for lookup on every event (foldhash: this runs per event and plugin).
    actions: HashSet<String, foldhash::fast::RandomState>,
    config_text: String,
    budget: Budget,
    pre: DetectorPre<HostState>,
}

impl LoadedPlugin {
    /// Compiles (or loads from cache), links, instantiates once to read `info` and check that
    /// `configure` accepts the config.
    ///
    /// # Errors
    /// The file is unreadable, not a detector component, or the plugin refuses its config.
    pub fn load(
        spec: PluginSpec,
        runtime: &WasmRuntime,
        settings: &EngineSettings,
    ) -> Result<Self, PluginError> {
        let invalid = |reason: String| PluginError::Invalid {
            name: spec.name.clone(),
            path: spec.path.clone(),
            reason,
        };
        let wasm = std::fs::read(&spec.path).map_err(|source| PluginError::Read {
            name: spec.name.clone(),
            path: spec.path.clone(),
            source,
        })?;
        let (component, from_cache) = cache::load(&runtime.engine, &wasm, &settings.cache_dir)
            .map_err(|e| invalid(format!("{e:#}")))?;
        let linker = linker(&runtime.engine).map_err(|e| invalid(format!("{e:#}")))?;
        let pre = linker.instantiate_pre(&component).map_err(|e| invalid(format!("{e:#}")))?;
        let pre = DetectorPre::new(pre).map_err(|e| invalid(format!("{e:#}")))?;
        let config_text = match &spec.config {
            serde_json::Value::Null => String::new(),
            config => config.to_string(),
        };
        let mut plugin = LoadedPlugin {
            info: trailhound_sdk::Info::default(),
            from_cache,
            actions: HashSet::default(),
            config_text,
            budget: spec.budget.unwrap_or(settings.budget),
            pre,
            spec,
        };
        let mut probe = PluginInstance::start(&plugin, runtime, settings)?;
        plugin.info = probe
            .info(runtime.ticks(settings.deadline), settings.deadline)
            .map_err(|fault| PluginError::Start { name: plugin.spec.name.clone(), fault })?;
        plugin.actions = plugin.info.actions.iter().cloned().collect();
        Ok(plugin)
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// What this plugin may make the host hold or write.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// Whether this plugin is sent the event: its source and action are wanted.
    pub fn wants(&self, event: &crate::event::Event) -> bool {
        (self.info.sources.is_empty() || self.info.sources.contains(&event.source))
            && (self.actions.is_empty() || self.actions.contains(&event.action))
    }
}

/// The host functions every detector may import (plus an empty WASI for language runtimes).
fn linker(engine: &wasmtime::Engine) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    Detector::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |state| state)?;
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    Ok(linker)
}

/// One live instance of a plugin, in its own store.
pub struct PluginInstance {
    store: Store<HostState>,
    bindings: Detector,
    /// `on-events`, called with borrowed events rather than through `bindings`.
    on_events: Func,
    deadline: Duration,
    ticks: u64,
}

impl PluginInstance {
    /// Instantiates and configures a fresh instance.
    ///
    /// # Errors
    /// The instance faults while starting, or refuses its config.
    pub fn start(
        plugin: &LoadedPlugin,
        runtime: &WasmRuntime,
        settings: &EngineSettings,
    ) -> Result<Self, PluginError> {
        let start = |fault| PluginError::Start { name: plugin.spec.name.clone(), fault };
        let mut store = Store::new(
            &runtime.engine,
            HostState::new(&plugin.spec.name, settings.memory_limit, plugin.budget),
        );
        store.limiter(|state| &mut state.cap);
        let ticks = runtime.ticks(settings.deadline);
        store.set_epoch_deadline(ticks);
        let instantiated = plugin.pre.instance_pre().instantiate(&mut store).and_then(|instance| {
            let bindings = Detector::new(&mut store, &instance)?;
            let on_events = instance
                .get_func(&mut store, "on-events")
                .ok_or_else(|| wasmtime::format_err!("the component exports no `on-events`"))?;
            Ok((bindings, on_events))
        });
        let (bindings, on_events) = match instantiated {
            Ok(found) => found,
            Err(e) => return Err(start(classify(&store, e, settings.deadline))),
        };
        let mut instance = PluginInstance { store, bindings, on_events, deadline: settings.deadline, ticks };
        let config = plugin.config_text.clone();
        match instance.call(|b, s| b.call_configure(s, &config)) {
            Ok(Ok(())) => Ok(instance),
            Ok(Err(message)) => Err(PluginError::Config { name: plugin.spec.name.clone(), message }),
            Err(fault) => Err(start(fault)),
        }
    }

    fn info(&mut self, ticks: u64, deadline: Duration) -> Result<trailhound_sdk::Info, Fault> {
        self.ticks = ticks;
        self.deadline = deadline;
        let info = self.call(|b, s| b.call_info(s))?;
        Ok(trailhound_sdk::Info {
            name: info.name,
            version: info.version,
            sources: info.sources,
            actions: info.actions,
            fields: info.fields,
            wants_raw: info.wants_raw,
            state: match info.state {
                wit::StateScope::None => trailhound_sdk::StateScope::None,
                wit::StateScope::Actor => trailhound_sdk::StateScope::Actor,
                wit::StateScope::Resource => trailhound_sdk::StateScope::Resource,
            },
        })
    }

    /// Runs one batch.
    ///
    /// # Errors
    /// The call timed out, ran out of memory or trapped; the instance must not be reused.
    pub fn on_events(&mut self, batch: &[EventView<'_>]) -> Result<Vec<wit::Finding>, Fault> {
        let func = self.on_events;
        let findings = self.call(|_, store| {
            // Typed per batch: the check is cheap next to a batch, and it lets the events
            // borrow for just this call.
            let typed = func.typed::<(&[EventView<'_>],), (Vec<wit::Finding>,)>(&*store)?;
            Ok(typed.call(store, (batch,))?.0)
        })?;
        self.within_budget(findings)
    }

    /// # Errors
    /// As for [`PluginInstance::on_events`].
    pub fn on_tick(&mut self, now: i64) -> Result<Vec<wit::Finding>, Fault> {
        let findings = self.call(|b, s| b.call_on_tick(s, now))?;
        self.within_budget(findings)
    }

    /// A call's findings, if they keep to the budget; over it, none of them.
    fn within_budget(&self, findings: Vec<wit::Finding>) -> Result<Vec<wit::Finding>, Fault> {
        self.store.data().usage.budget.check_findings(&findings).map_err(Fault::OverBudget)?;
        Ok(findings)
    }

    /// # Errors
    /// As for [`PluginInstance::on_events`].
    pub fn snapshot(&mut self) -> Result<Vec<u8>, Fault> {
        self.call(|b, s| b.call_snapshot(s))
    }

    /// # Errors
    /// The outer error is a fault; the inner one the plugin's own refusal.
    pub fn restore(&mut self, state: &[u8]) -> Result<Result<(), String>, Fault> {
        self.call(|b, s| b.call_restore(s, state))
    }

    /// The largest linear memory this instance has had, in bytes.
    pub fn peak_memory(&self) -> usize {
        self.store.data().cap.peak_bytes
    }

    pub fn state(&self) -> &HostState {
        self.store.data()
    }

    fn call<T>(
        &mut self,
        f: impl FnOnce(&Detector, &mut Store<HostState>) -> wasmtime::Result<T>,
    ) -> Result<T, Fault> {
        self.store.set_epoch_deadline(self.ticks);
        self.store.data_mut().usage.start_call();
        let result = f(&self.bindings, &mut self.store);
        result.map_err(|e| classify(&self.store, e, self.deadline))
    }
}

fn classify(store: &Store<HostState>, error: wasmtime::Error, deadline: Duration) -> Fault {
    if store.data().cap.exceeded {
        return Fault::OutOfMemory(store.data().cap.max_bytes);
    }
    if let Some(overrun) = store.data().usage.overrun {
        return Fault::OverBudget(overrun);
    }
    if matches!(error.downcast_ref::<wasmtime::Trap>(), Some(wasmtime::Trap::Interrupt)) {
        return Fault::Timeout(deadline);
    }
    tracing::debug!(plugin = store.data().plugin, "call failed: {error:?}");
    // The trap code says what happened; the wasm backtrace that wraps it is for the debug log.
    let message = match error.downcast_ref::<wasmtime::Trap>() {
        // wasmtime's trap messages already begin with "wasm trap:".
        Some(trap) => trap.to_string(),
        None => error.root_cause().to_string(),
    };
    Fault::Trap(message)
}

/// A plugin's finding in the SDK's shape.
pub fn from_wit(finding: wit::Finding) -> trailhound_sdk::Finding {
    use trailhound_sdk::Severity as S;
    trailhound_sdk::Finding {
        rule_id: finding.rule_id,
        title: finding.title,
        severity: match finding.severity {
            wit::Severity::Info => S::Info,
            wit::Severity::Low => S::Low,
            wit::Severity::Medium => S::Medium,
            wit::Severity::High => S::High,
            wit::Severity::Critical => S::Critical,
        },
        summary: finding.summary,
        actor: finding.actor,
        event_ids: finding.event_ids,
        techniques: finding.techniques,
        tags: finding.tags,
        evidence: finding
            .evidence
            .into_iter()
            .map(|e| trailhound_sdk::Evidence { key: e.key, value: e.value })
            .collect(),
    }
}

/// Shared handle to a loaded plugin.
pub type SharedPlugin = Arc<LoadedPlugin>;
