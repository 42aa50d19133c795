//! One plugin: its component loaded and checked once, and instances of it that run calls
//! under a deadline and a memory cap, with failures classified. A component built against
//! either contract version loads; which one is read from what it exports ([`Contract`]).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{Func, HasSelf, Linker};
use wasmtime::Store;

use super::bindings::{v0_1, v0_2};
use super::budget::{Budget, Overrun};
use super::lowering::{self, Sent};
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
    /// The rule and data files its config names, read by the host and handed to `configure`
    /// (plugins have no filesystem).
    pub files: Vec<PathBuf>,
}

impl PluginSpec {
    /// A plugin with the engine's budget.
    pub fn new(name: impl Into<String>, path: impl Into<PathBuf>, config: serde_json::Value) -> Self {
        PluginSpec { name: name.into(), path: path.into(), config, budget: None, files: Vec::new() }
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

/// The contract version a component was built against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contract {
    V0_1,
    V0_2,
}

impl Contract {
    /// Every contract version the host loads.
    pub const ALL: [Contract; 2] = [Contract::V0_1, Contract::V0_2];

    pub fn version(self) -> &'static str {
        match self {
            Contract::V0_1 => "0.1.0",
            Contract::V0_2 => "0.2.0",
        }
    }
}

/// A component linked for its contract version.
enum Pre {
    V0_1(v0_1::DetectorPre<HostState>),
    V0_2(v0_2::PluginPre<HostState>),
}

/// A rule or data file a plugin's config names, as read at load.
pub struct PluginFile {
    /// The path as the config wrote it.
    pub path: String,
    pub contents: Vec<u8>,
}

/// A component compiled, linked and checked once; shared by every worker's instances.
pub struct LoadedPlugin {
    pub spec: PluginSpec,
    pub info: trailhound_sdk::Info,
    pub contract: Contract,
    pub from_cache: bool,
    /// A digest of the component's bytes and the files it was given: a reload keeps a plugin
    /// whose spec and fingerprint are unchanged as it runs.
    pub fingerprint: u64,
    /// `info.actions` for lookup on every event (foldhash: this runs per event and plugin).
    actions: HashSet<String, foldhash::fast::RandomState>,
    config_text: String,
    files: Vec<PluginFile>,
    budget: Budget,
    pre: Pre,
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
        let wasm = read_component(&spec)?;
        let (component, from_cache) = cache::load(&runtime.engine, &wasm, &settings.cache_dir)
            .map_err(|e| invalid(format!("{e:#}")))?;
        let linker = linker(&runtime.engine).map_err(|e| invalid(format!("{e:#}")))?;
        let pre = linker.instantiate_pre(&component).map_err(|e| invalid(format!("{e:#}")))?;
        let exports_interface = component.get_export_index(None, v0_2::DETECTOR_INTERFACE).is_some();
        let (pre, contract) = if exports_interface {
            (Pre::V0_2(v0_2::PluginPre::new(pre).map_err(|e| invalid(format!("{e:#}")))?), Contract::V0_2)
        } else {
            (Pre::V0_1(v0_1::DetectorPre::new(pre).map_err(|e| invalid(format!("{e:#}")))?), Contract::V0_1)
        };
        let files = read_files(&spec)?;
        if contract == Contract::V0_1 && !files.is_empty() {
            return Err(invalid(
                "its config names files, which a plugin of contract 0.1.0 cannot receive".into(),
            ));
        }
        let config_text = match &spec.config {
            serde_json::Value::Null => String::new(),
            config => config.to_string(),
        };
        let mut plugin = LoadedPlugin {
            info: trailhound_sdk::Info::default(),
            contract,
            from_cache,
            fingerprint: digest(&wasm, &files),
            actions: HashSet::default(),
            config_text,
            files,
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

    /// The [`LoadedPlugin::fingerprint`] `spec` would load with now.
    ///
    /// # Errors
    /// The component or a file it names cannot be read.
    pub fn fingerprint(spec: &PluginSpec) -> Result<u64, PluginError> {
        Ok(digest(&read_component(spec)?, &read_files(spec)?))
    }

    /// What this plugin may make the host hold or write.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// Whether this plugin is sent the event: its source and action are wanted (an event of
    /// the finding plane: it asks for findings).
    pub fn wants(&self, event: &crate::event::Event) -> bool {
        // Findings go to the plugins that ask for them, whatever their filters say.
        if event.plane == trailhound_sdk::Plane::Finding {
            return self.info.wants_findings;
        }
        (self.info.sources.is_empty() || self.info.sources.contains(&event.source))
            && (self.actions.is_empty() || self.actions.contains(&event.action))
    }
}

/// The host functions a detector of either version may import (plus an empty WASI for
/// language runtimes).
fn linker(engine: &wasmtime::Engine) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    v0_1::Detector::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |state| state)?;
    v0_2::Plugin::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |state| state)?;
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    Ok(linker)
}

/// The component's bytes.
fn read_component(spec: &PluginSpec) -> Result<Vec<u8>, PluginError> {
    std::fs::read(&spec.path).map_err(|source| PluginError::Read {
        name: spec.name.clone(),
        path: spec.path.clone(),
        source,
    })
}

/// A digest of a component and its files (stable within a process, which is all a reload
/// compares it across).
fn digest(wasm: &[u8], files: &[PluginFile]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    wasm.hash(&mut hasher);
    for file in files {
        file.path.hash(&mut hasher);
        file.contents.hash(&mut hasher);
    }
    hasher.finish()
}

/// The files `spec` names, read whole; a folder stands for every file under it, in path order,
/// hidden names (`.git`, editor swap files) left out.
///
/// # Errors
/// A file or folder cannot be read; the error names it and the plugin.
pub fn read_files(spec: &PluginSpec) -> Result<Vec<PluginFile>, PluginError> {
    let unreadable =
        |path: &Path, source| PluginError::Read { name: spec.name.clone(), path: path.into(), source };
    let mut paths = Vec::new();
    for path in &spec.files {
        files_under(path, &mut paths).map_err(|e| unreadable(path, e))?;
    }
    paths
        .into_iter()
        .map(|path| {
            let contents = std::fs::read(&path).map_err(|e| unreadable(&path, e))?;
            Ok(PluginFile { path: path.display().to_string(), contents })
        })
        .collect()
}

fn files_under(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !path.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(path)?.map(|entry| entry.map(|e| e.path())).collect::<std::io::Result<_>>()?;
    entries.retain(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')));
    entries.sort();
    entries.iter().try_for_each(|entry| files_under(entry, out))
}

/// An instance's exports, for its contract version.
enum Bindings {
    V0_1 {
        bindings: v0_1::Detector,
        /// `on-events`, called with borrowed events rather than through `bindings`.
        on_events: Func,
    },
    V0_2 {
        bindings: v0_2::Plugin,
        /// `on-events`, called with a borrowed batch rather than through `bindings`.
        on_events: Func,
    },
}

/// One live instance of a plugin, in its own store.
pub struct PluginInstance {
    store: Store<HostState>,
    bindings: Bindings,
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
        let no_on_events = || wasmtime::format_err!("the component exports no `on-events`");
        let instantiated = match &plugin.pre {
            Pre::V0_1(pre) => pre.instance_pre().instantiate(&mut store).and_then(|instance| {
                let bindings = v0_1::Detector::new(&mut store, &instance)?;
                let on_events = instance.get_func(&mut store, "on-events").ok_or_else(no_on_events)?;
                Ok(Bindings::V0_1 { bindings, on_events })
            }),
            Pre::V0_2(pre) => pre.instance_pre().instantiate(&mut store).and_then(|instance| {
                let bindings = v0_2::Plugin::new(&mut store, &instance)?;
                let interface = instance
                    .get_export_index(&mut store, None, v0_2::DETECTOR_INTERFACE)
                    .ok_or_else(no_on_events)?;
                let index = instance
                    .get_export_index(&mut store, Some(&interface), "on-events")
                    .ok_or_else(no_on_events)?;
                let on_events = instance.get_func(&mut store, index).ok_or_else(no_on_events)?;
                Ok(Bindings::V0_2 { bindings, on_events })
            }),
        };
        let bindings = match instantiated {
            Ok(found) => found,
            Err(e) => return Err(start(classify(&store, e, settings.deadline))),
        };
        let mut instance = PluginInstance { store, bindings, deadline: settings.deadline, ticks };
        let config = plugin.config_text.clone();
        let configured = match &instance.bindings {
            Bindings::V0_1 { .. } => instance.call_v0_1(|b, s| b.call_configure(s, &config)),
            Bindings::V0_2 { .. } => {
                let files: Vec<v0_2::wit::File> = plugin
                    .files
                    .iter()
                    .map(|f| v0_2::wit::File { path: f.path.clone(), contents: f.contents.clone() })
                    .collect();
                instance.call_v0_2(|b, s| {
                    b.trailhound_detector0_2_0_detector().call_configure(s, &config, &files)
                })
            }
        };
        match configured {
            Ok(Ok(())) => Ok(instance),
            Ok(Err(message)) => Err(PluginError::Config { name: plugin.spec.name.clone(), message }),
            Err(fault) => Err(start(fault)),
        }
    }

    fn info(&mut self, ticks: u64, deadline: Duration) -> Result<trailhound_sdk::Info, Fault> {
        self.ticks = ticks;
        self.deadline = deadline;
        match &self.bindings {
            Bindings::V0_1 { .. } => self.call_v0_1(|b, s| b.call_info(s)).map(info_v0_1),
            Bindings::V0_2 { .. } => {
                self.call_v0_2(|b, s| b.trailhound_detector0_2_0_detector().call_info(s)).map(info_v0_2)
            }
        }
    }

    /// Runs one batch.
    ///
    /// # Errors
    /// The call timed out, ran out of memory or trapped; the instance must not be reused.
    pub fn on_events(&mut self, batch: &[Sent<'_>]) -> Result<Vec<trailhound_sdk::Finding>, Fault> {
        let findings = match &self.bindings {
            Bindings::V0_1 { on_events, .. } => {
                let func = *on_events;
                let events = lowering::v0_1::batch(batch);
                let findings = self.call(|_, store| {
                    // Typed per batch: the check is cheap next to a batch, and it lets the
                    // events borrow for just this call.
                    let typed = func
                        .typed::<(&[lowering::v0_1::EventView<'_>],), (Vec<v0_1::wit::Finding>,)>(&*store)?;
                    Ok(typed.call(store, (&events,))?.0)
                })?;
                findings.into_iter().map(finding_v0_1).collect()
            }
            Bindings::V0_2 { on_events, .. } => {
                let func = *on_events;
                // Every event carries the plugin's projected values, one per declared field.
                let columns = lowering::v0_2::columns(batch, batch.first().map_or(0, |s| s.fields.len()));
                let wire = lowering::v0_2::Batch::new(&columns);
                let findings = self.call(|_, store| {
                    let typed =
                        func.typed::<(&lowering::v0_2::Batch<'_>,), (Vec<v0_2::wit::Finding>,)>(&*store)?;
                    Ok(typed.call(store, (&wire,))?.0)
                })?;
                findings.into_iter().map(finding_v0_2).collect()
            }
        };
        self.within_budget(findings)
    }

    /// # Errors
    /// As for [`PluginInstance::on_events`].
    pub fn on_tick(&mut self, now: i64) -> Result<Vec<trailhound_sdk::Finding>, Fault> {
        let findings = match &self.bindings {
            Bindings::V0_1 { .. } => {
                self.call_v0_1(|b, s| b.call_on_tick(s, now))?.into_iter().map(finding_v0_1).collect()
            }
            Bindings::V0_2 { .. } => self
                .call_v0_2(|b, s| b.trailhound_detector0_2_0_detector().call_on_tick(s, now))?
                .into_iter()
                .map(finding_v0_2)
                .collect(),
        };
        self.within_budget(findings)
    }

    /// A call's findings, if they keep to the budget; over it, none of them.
    fn within_budget(
        &self,
        findings: Vec<trailhound_sdk::Finding>,
    ) -> Result<Vec<trailhound_sdk::Finding>, Fault> {
        self.store.data().usage.budget.check_findings(&findings).map_err(Fault::OverBudget)?;
        Ok(findings)
    }

    /// # Errors
    /// As for [`PluginInstance::on_events`].
    pub fn snapshot(&mut self) -> Result<Vec<u8>, Fault> {
        match &self.bindings {
            Bindings::V0_1 { .. } => self.call_v0_1(|b, s| b.call_snapshot(s)),
            Bindings::V0_2 { .. } => {
                self.call_v0_2(|b, s| b.trailhound_detector0_2_0_detector().call_snapshot(s))
            }
        }
    }

    /// # Errors
    /// The outer error is a fault; the inner one the plugin's own refusal.
    pub fn restore(&mut self, state: &[u8]) -> Result<Result<(), String>, Fault> {
        match &self.bindings {
            Bindings::V0_1 { .. } => self.call_v0_1(|b, s| b.call_restore(s, state)),
            Bindings::V0_2 { .. } => {
                self.call_v0_2(|b, s| b.trailhound_detector0_2_0_detector().call_restore(s, state))
            }
        }
    }

    /// The largest linear memory this instance has had, in bytes.
    pub fn peak_memory(&self) -> usize {
        self.store.data().cap.peak_bytes
    }

    pub fn state(&self) -> &HostState {
        self.store.data()
    }

    /// Every call into the instance: under the deadline, with the call's budget reset, and
    /// a failure classified.
    fn call<T>(
        &mut self,
        f: impl FnOnce(&Bindings, &mut Store<HostState>) -> wasmtime::Result<T>,
    ) -> Result<T, Fault> {
        self.store.set_epoch_deadline(self.ticks);
        self.store.data_mut().usage.start_call();
        let result = f(&self.bindings, &mut self.store);
        result.map_err(|e| classify(&self.store, e, self.deadline))
    }

    /// A call through the 0.1.0 bindings (the instance must be of that version).
    fn call_v0_1<T>(
        &mut self,
        f: impl FnOnce(&v0_1::Detector, &mut Store<HostState>) -> wasmtime::Result<T>,
    ) -> Result<T, Fault> {
        self.call(|bindings, store| match bindings {
            Bindings::V0_1 { bindings, .. } => f(bindings, store),
            Bindings::V0_2 { .. } => unreachable!("a 0.2.0 instance"),
        })
    }

    /// A call through the 0.2.0 bindings (the instance must be of that version).
    fn call_v0_2<T>(
        &mut self,
        f: impl FnOnce(&v0_2::Plugin, &mut Store<HostState>) -> wasmtime::Result<T>,
    ) -> Result<T, Fault> {
        self.call(|bindings, store| match bindings {
            Bindings::V0_2 { bindings, .. } => f(bindings, store),
            Bindings::V0_1 { .. } => unreachable!("a 0.1.0 instance"),
        })
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

/// The generated types of both versions hold the same records; each has its own copy.
macro_rules! lift_version {
    ($info:ident, $finding:ident, $wit:ident) => {
        fn $info(info: $wit::Info) -> trailhound_sdk::Info {
            use $wit as wit;
            trailhound_sdk::Info {
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
                wants_findings: false,
            }
        }

        /// A plugin's finding in the SDK's shape.
        fn $finding(finding: $wit::Finding) -> trailhound_sdk::Finding {
            use trailhound_sdk::Severity as S;
            use $wit as wit;
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
    };
}

use v0_1::wit as wit_v0_1;
use v0_2::wit as wit_v0_2;
lift_version!(info_v0_1, finding_v0_1, wit_v0_1);
lift_version!(shared_info_v0_2, finding_v0_2, wit_v0_2);

/// 0.2.0 adds what 0.1.0 could not ask for.
fn info_v0_2(info: wit_v0_2::Info) -> trailhound_sdk::Info {
    let wants_findings = info.wants_findings;
    trailhound_sdk::Info { wants_findings, ..shared_info_v0_2(info) }
}

/// Shared handle to a loaded plugin.
pub type SharedPlugin = Arc<LoadedPlugin>;
