//! The service config file (TOML): engine settings, sources, plugins with their config, sinks.
//!
//! ```toml
//! [engine]
//! workers = 2
//! [[sources]]
//! type = "files"
//! paths = ["data"]
//! [[plugins]]
//! name = "storyline"
//! path = "plugins/storyline.wasm"
//! config = { threshold = 60 }
//! [[sinks]]
//! type = "stdout"
//! ```
//!
//! Unknown keys are errors everywhere, so a typo cannot silently fall back to a default.
//! The `type` key of a source or sink table picks its kind. A source's `log_type` (a
//! [`SourceType`] name, such as `k8s-audit`) reads every record of that source as that log
//! source instead of recognising each record's. Relative paths are relative to
//! the config file's folder, so a config works from any working directory. Every error names
//! the file, line, column and field ([`ConfigError`]). `examples/trailhound.toml` is a
//! complete, commented example.
//!
//! Modules: [`locate`] (field paths and spans), [`error`], `validate` (the checks serde
//! cannot express).

pub mod error;
pub mod locate;
mod validate;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Deserializer, Serialize};

use crate::decode::Limits;
use crate::engine::{Budget, EngineSettings, PluginSpec};
use crate::findings::delivery::{Outputs, Rewire, Slot};
pub use crate::findings::routes::RouteConfig;
use crate::findings::routes::Routes;
use crate::findings::throttle::Throttle;
pub use crate::findings::throttle::ThrottleConfig;
use crate::normalize::SourceType;
pub use crate::sinks::SinkConfig;

pub use error::{ConfigError, Location, Problem};
pub use locate::FieldPath;

/// A parsed, validated config, with relative paths resolved against its folder.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// How plugins run. Every key is optional.
    #[serde(default)]
    pub engine: EngineConfig,
    /// `[input]`: what one record and one document may cost (see [`Limits`]).
    #[serde(default)]
    pub input: Limits,
    /// Where events come from; at least one.
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    /// The detectors; none runs the bundled pack ([`crate::pack`]).
    #[serde(default)]
    pub plugins: Vec<PluginConfig>,
    /// `[pack]`: rule files for the pack's `rules` and `sigma` plugins (or for the plugins of
    /// those names in `plugins`).
    #[serde(default)]
    pub pack: crate::pack::Extra,
    /// `[packs]`: installed signed rule packs, loaded beside the plugins, and whose keys are
    /// trusted ([`crate::rulepack`]).
    #[serde(default)]
    pub packs: crate::rulepack::PacksConfig,
    /// Where findings go; at least one.
    #[serde(default)]
    pub sinks: Vec<SinkConfig>,
    /// Which findings go to which sinks (by their `name`); none: every finding to every sink.
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    /// `[throttle]`: dedup and throttling per (plugin, rule, actor); off by default.
    #[serde(default)]
    pub throttle: ThrottleConfig,
    /// `[metrics]`: the Prometheus and health endpoint of `run`; off by default.
    #[serde(default)]
    pub metrics: MetricsConfig,
}

/// `[metrics]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Where `/metrics`, `/healthz` and `/readyz` are served, `host:port`. Default: none, not
    /// served.
    pub listen: Option<std::net::SocketAddr>,
}

/// `[engine]`: how plugins run, in the config's units (milliseconds, MiB). Every key is
/// optional; a missing key takes its value from [`EngineSettings::default`], where each
/// default and its reason are written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Worker threads, each with its own instance of every plugin. Default: available cores.
    pub workers: Option<usize>,
    /// Events per plugin call ([`EngineSettings::batch_size`]).
    pub batch_size: usize,
    /// Wall-clock budget for one plugin call (enforced by epoch interruption), in
    /// milliseconds ([`EngineSettings::deadline`]).
    pub deadline_ms: u64,
    /// Cap on one plugin instance's linear memory, in MiB ([`EngineSettings::memory_limit`]).
    pub memory_limit_mb: usize,
    /// Consecutive failed batches (each retried once) before a plugin is quarantined
    /// ([`EngineSettings::max_failures`]).
    pub max_failures: u32,
    /// First quarantine period in seconds; doubles each time the plugin fails again
    /// ([`EngineSettings::quarantine`]).
    pub quarantine_secs: u64,
    /// Where compiled components are cached. Default: `$XDG_CACHE_HOME/trailhound`, else
    /// `~/.cache/trailhound`, else `$TMPDIR/trailhound-<uid>`. It must belong to the user
    /// running trailhound and not be writable by group or others; otherwise it is not used.
    pub cache_dir: Option<PathBuf>,
    /// In service mode, how long the input may be quiet, in milliseconds, before partial
    /// batches go to the plugins and due ticks run ([`EngineSettings::linger`]).
    pub linger_ms: u64,
    /// How far, in seconds, an event time may be ahead of the stream so far (or of the wall
    /// clock) and still move the stream's time; beyond, it is counted as implausible
    /// ([`EngineSettings::time_skew`]).
    pub max_time_skew_secs: u64,
    /// The granularity of deadlines, in milliseconds ([`EngineSettings::epoch_tick`]).
    pub epoch_tick_ms: u64,
    /// Event time between `on-tick` calls, in milliseconds ([`EngineSettings::tick_interval_ms`]).
    pub tick_interval_ms: u64,
    /// Recent events each worker remembers to describe a finding's events
    /// ([`EngineSettings::recent_events`]).
    pub recent_events: usize,
    /// Credential and session links the lineage stage remembers to follow an actor across role
    /// hops ([`EngineSettings::lineage_capacity`]).
    pub lineage_capacity: usize,
    /// Batches queued per worker before the reader waits
    /// ([`EngineSettings::queued_batches_per_worker`]).
    pub queued_batches_per_worker: usize,
    /// Detections waiting for the sinks before the workers wait
    /// ([`EngineSettings::detection_queue`]).
    pub detection_queue: usize,
    /// The state folder: plugin and host state is restored from it at start and saved into it
    /// at shutdown and every `checkpoint_interval_secs`, with how far each source was read;
    /// relative to the config file's folder ([`EngineSettings::state_dir`]). Default: none,
    /// state lasts as long as the run, and a restart reads its sources from the start.
    pub state_dir: Option<PathBuf>,
    /// Wall-clock seconds between checkpoints into `state_dir`
    /// ([`EngineSettings::checkpoint_interval`]).
    pub checkpoint_interval_secs: u64,
    /// `[engine.budget]`: what each plugin may make the host hold or write (see [`Budget`]
    /// for every key and its default).
    pub budget: Budget,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig::from(&EngineSettings::default())
    }
}

impl From<&EngineSettings> for EngineConfig {
    /// The settings in the config's units; `workers` and `cache_dir` stay unset, so the
    /// machine's values are found when the config is used.
    fn from(settings: &EngineSettings) -> Self {
        EngineConfig {
            workers: None,
            batch_size: settings.batch_size,
            deadline_ms: settings.deadline.as_millis() as u64,
            memory_limit_mb: settings.memory_limit >> 20,
            max_failures: settings.max_failures,
            quarantine_secs: settings.quarantine.as_secs(),
            cache_dir: None,
            linger_ms: settings.linger.as_millis() as u64,
            max_time_skew_secs: settings.time_skew.as_secs(),
            epoch_tick_ms: settings.epoch_tick.as_millis() as u64,
            tick_interval_ms: settings.tick_interval_ms as u64,
            recent_events: settings.recent_events,
            lineage_capacity: settings.lineage_capacity,
            queued_batches_per_worker: settings.queued_batches_per_worker,
            detection_queue: settings.detection_queue,
            state_dir: settings.state_dir.clone(),
            checkpoint_interval_secs: settings.checkpoint_interval.as_secs(),
            budget: settings.budget,
        }
    }
}

impl EngineConfig {
    /// The engine settings these values ask for; unset ones from [`EngineSettings::default`].
    pub fn settings(&self) -> EngineSettings {
        let defaults = EngineSettings::default();
        EngineSettings {
            workers: self.workers.unwrap_or(defaults.workers),
            batch_size: self.batch_size,
            deadline: Duration::from_millis(self.deadline_ms),
            memory_limit: self.memory_limit_mb << 20,
            budget: self.budget,
            max_failures: self.max_failures,
            quarantine: Duration::from_secs(self.quarantine_secs),
            cache_dir: self.cache_dir.clone().unwrap_or(defaults.cache_dir),
            epoch_tick: Duration::from_millis(self.epoch_tick_ms),
            // In range (at most a day of milliseconds) once validated.
            tick_interval_ms: i64::try_from(self.tick_interval_ms).unwrap_or(i64::MAX),
            time_skew: Duration::from_secs(self.max_time_skew_secs),
            recent_events: self.recent_events,
            lineage_capacity: self.lineage_capacity,
            queued_batches_per_worker: self.queued_batches_per_worker,
            detection_queue: self.detection_queue,
            linger: Duration::from_millis(self.linger_ms),
            state_dir: self.state_dir.clone(),
            checkpoint_interval: Duration::from_secs(self.checkpoint_interval_secs),
        }
    }
}

/// One source of events (`[[sources]]`); `type` picks the kind.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum SourceConfig {
    /// `type = "files"`: files and folders (read recursively).
    Files(FilesSource),
    /// `type = "stdin"`: records on standard input.
    Stdin(StdinSource),
    /// `type = "http"`: records POSTed to `/events` (see [`crate::sources::http`]).
    Http(crate::sources::http::HttpSource),
    /// `type = "nats"`: a JetStream stream, through a durable consumer (see
    /// [`crate::sources::nats`]).
    Nats(crate::sources::nats::NatsSource),
}

/// `type = "files"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesSource {
    /// Files and folders; relative to the config file's folder. Required, not empty.
    pub paths: Vec<PathBuf>,
    /// After reading, keep watching the folders and read each new or rewritten file.
    /// Default: false.
    #[serde(default)]
    pub watch: bool,
    /// Every record of every file (those that arrive later in watched folders included) is
    /// of this log source ([`SourceConfig::log_type`]). Default: recognised per record.
    pub log_type: Option<String>,
}

/// `type = "stdin"`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StdinSource {
    /// Every record on stdin is of this log source ([`SourceConfig::log_type`]). Default:
    /// recognised per record.
    pub log_type: Option<String>,
}

impl SourceConfig {
    /// The log source every record of this source is read as, when its `log_type` names one;
    /// `None`: each record's is recognised.
    pub fn log_type(&self) -> Option<SourceType> {
        // An unknown name is a problem `problems` reports, so a config in use has none.
        self.log_type_name().and_then(|name| SourceType::parse(name).ok())
    }

    fn log_type_name(&self) -> Option<&str> {
        match self {
            SourceConfig::Files(files) => files.log_type.as_deref(),
            SourceConfig::Stdin(stdin) => stdin.log_type.as_deref(),
            SourceConfig::Http(http) => http.log_type.as_deref(),
            SourceConfig::Nats(nats) => nats.log_type.as_deref(),
        }
    }
}

/// One detector (`[[plugins]]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginConfig {
    /// Unique name, used in findings, logs and metrics: letters, digits, `-`, `_`, `.`.
    pub name: String,
    /// The component (`.wasm`); relative to the config file's folder. Required.
    pub path: PathBuf,
    /// Any TOML table; handed to the plugin's `configure` as JSON. Default: `{}`.
    #[serde(default = "empty_object", deserialize_with = "table_as_json")]
    pub config: serde_json::Value,
    /// A disabled plugin is checked but not loaded. Default: true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Keys of `[engine.budget]` that differ for this plugin (a rule pack that reports more
    /// than most detectors). Default: the engine's budget.
    pub budget: Option<toml::Table>,
    /// Rule and data files the plugin reads (plugins have no filesystem: the host reads them
    /// and hands them to `configure`); relative to the config file's folder. Default: none.
    #[serde(default)]
    pub files: Vec<PathBuf>,
}

impl PluginConfig {
    /// The engine's budget with this plugin's overrides.
    ///
    /// # Errors
    /// An override names an unknown key or has the wrong type.
    pub fn budget(&self, engine: &Budget) -> Result<Budget, toml::de::Error> {
        let Some(overrides) = &self.budget else { return Ok(*engine) };
        let mut table = toml::Table::try_from(engine).expect("a budget is a table of integers");
        table.extend(overrides.clone());
        Budget::deserialize(toml::Value::Table(table))
    }
}

impl Config {
    /// Reads and parses the config file at `path`.
    ///
    /// # Errors
    /// The file cannot be read, is not valid TOML, has unknown or mistyped keys, or has a
    /// problem [`Config::problems`] finds (the first).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Config::parse(&text, path)
    }

    /// Parses config `text` read from `path` (used for messages and to resolve relative paths).
    ///
    /// # Errors
    /// As for [`Config::load`], except reading.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let (config, problems) = Config::parse_all(text, path)?;
        match problems.into_iter().next() {
            Some(first) => Err(first),
            None => Ok(config),
        }
    }

    /// Parses config `text`, and returns it with every problem [`Config::problems`] finds,
    /// each located in the file: what `trailhound validate` reports in full.
    ///
    /// # Errors
    /// Not TOML, or unknown or mistyped keys (one error: the parser stops there).
    pub fn parse_all(text: &str, path: &Path) -> Result<(Config, Vec<ConfigError>), ConfigError> {
        let mut config: Config =
            toml::from_str(text).map_err(|e| ConfigError::syntax(path, text, &e, TAGGED))?;
        let problems = config.problems().into_iter().map(|p| ConfigError::invalid(path, text, p)).collect();
        config.resolve_paths(path.parent().unwrap_or(Path::new("")));
        Ok((config, problems))
    }

    /// The engine settings this config asks for; the rest from [`EngineSettings::default`].
    pub fn engine_settings(&self) -> EngineSettings {
        self.engine.settings()
    }

    /// True when the config names no plugin, so the bundled pack runs, with [`Config::pack`].
    pub fn runs_pack(&self) -> bool {
        self.plugins.is_empty()
    }

    /// The enabled plugins, in config order, with `[pack]`'s rule files given to the plugins
    /// that read them.
    pub fn plugin_specs(&self) -> Vec<PluginSpec> {
        let mut specs: Vec<PluginSpec> = self
            .plugins
            .iter()
            .filter(|plugin| plugin.enabled)
            .map(|plugin| PluginSpec {
                name: plugin.name.clone(),
                path: plugin.path.clone(),
                config: plugin.config.clone(),
                // Checked by `problems`, so it cannot fail here.
                budget: plugin.budget.as_ref().and(plugin.budget(&self.engine.budget).ok()),
                files: plugin.files.clone(),
            })
            .collect();
        // Checked by `problems`: the plugins `[pack]` gives files to are here.
        let _ = self.pack.attach(&mut specs);
        specs
    }

    /// Opens the sinks, with the routes and the throttle between them and the engine.
    ///
    /// # Errors
    /// A sink cannot be opened.
    pub fn outputs(&self) -> anyhow::Result<Outputs> {
        let sinks = self.sinks.iter().map(crate::sinks::build).collect::<anyhow::Result<Vec<_>>>()?;
        let (labels, routes) = self.routing()?;
        Ok(Outputs { sinks, labels, routes, throttle: Throttle::new(self.throttle.clone()) })
    }

    /// What changes the outputs of a run of `running` into this config's: each sink that is
    /// configured the same is kept as it runs, the others are opened; `None` when the sinks,
    /// routes and throttle are all the same.
    ///
    /// # Errors
    /// A new sink cannot be opened (none is kept open then).
    pub fn rewire(&self, running: &Config) -> anyhow::Result<Option<Rewire>> {
        if self.sinks == running.sinks && self.routes == running.routes && self.throttle == running.throttle {
            return Ok(None);
        }
        let mut unclaimed: Vec<Option<&SinkConfig>> = running.sinks.iter().map(Some).collect();
        let mut sinks = Vec::with_capacity(self.sinks.len());
        for (i, sink) in self.sinks.iter().enumerate() {
            let same = unclaimed.iter().position(|old| *old == Some(sink));
            sinks.push(match same {
                Some(at) => {
                    unclaimed[at] = None;
                    Slot::Keep(at)
                }
                None => Slot::Open(
                    crate::sinks::build(sink)
                        .with_context(|| format!("sink {} cannot be opened", self.sink_label(i)))?,
                ),
            });
        }
        let (labels, routes) = self.routing()?;
        let throttle = (self.throttle != running.throttle).then(|| Throttle::new(self.throttle.clone()));
        Ok(Some(Rewire { sinks, labels, routes, throttle }))
    }

    /// What logs, the summary and the metrics call each sink, and the routes to them.
    fn routing(&self) -> anyhow::Result<(Vec<String>, Routes)> {
        let names: Vec<Option<&str>> = self.sinks.iter().map(SinkConfig::name).collect();
        // Checked by `problems`: every sink a route names exists.
        let routes = Routes::new(&self.routes, &names).map_err(anyhow::Error::msg)?;
        Ok(((0..self.sinks.len()).map(|i| self.sink_label(i)).collect(), routes))
    }

    /// Sink `i`'s name, or its type and place (`webhook#2`).
    fn sink_label(&self, i: usize) -> String {
        let sink = &self.sinks[i];
        sink.name().map_or_else(|| format!("{}#{i}", sink.type_name()), str::to_string)
    }

    fn resolve_paths(&mut self, base: &Path) {
        let resolve = |path: &mut PathBuf| {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        };
        if let Some(cache_dir) = &mut self.engine.cache_dir {
            resolve(cache_dir);
        }
        if let Some(state_dir) = &mut self.engine.state_dir {
            resolve(state_dir);
        }
        for source in &mut self.sources {
            if let SourceConfig::Files(files) = source {
                files.paths.iter_mut().for_each(resolve);
            }
        }
        for plugin in &mut self.plugins {
            resolve(&mut plugin.path);
            plugin.files.iter_mut().for_each(resolve);
        }
        self.pack.rules.iter_mut().chain(&mut self.pack.sigma).for_each(resolve);
        if let Some(dir) = &mut self.packs.dir {
            resolve(dir);
        }
        self.packs.trusted.iter_mut().filter_map(|key| key.key_file.as_mut()).for_each(resolve);
        for sink in &mut self.sinks {
            sink.resolve_paths(base);
        }
    }
}

/// The arrays whose tables are picked by their `type` key, so errors inside them can be
/// pinned to one element (see [`locate::refine`]).
const TAGGED: &[(&str, locate::ElementCheck)] =
    &[("sources", check::<SourceConfig>), ("sinks", check::<SinkConfig>)];

fn check<T: serde::de::DeserializeOwned>(
    value: toml::Spanned<toml::de::DeValue<'_>>,
) -> Result<(), toml::de::Error> {
    T::deserialize(toml::de::ValueDeserializer::from(value)).map(drop)
}

fn yes() -> bool {
    true
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

/// A TOML table as JSON; datetimes become their TOML text (JSON has no datetime).
fn table_as_json<'de, D: Deserializer<'de>>(deserializer: D) -> Result<serde_json::Value, D::Error> {
    let table = toml::Table::deserialize(deserializer)?;
    Ok(toml_to_json(toml::Value::Table(table)))
}

fn toml_to_json(value: toml::Value) -> serde_json::Value {
    use serde_json::Value as Json;
    match value {
        toml::Value::String(s) => Json::String(s),
        toml::Value::Integer(i) => Json::from(i),
        // NaN and infinities have no JSON form.
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number),
        toml::Value::Boolean(b) => Json::Bool(b),
        toml::Value::Datetime(d) => Json::String(d.to_string()),
        toml::Value::Array(items) => Json::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => {
            Json::Object(table.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// The secret held by environment variable `var` (a `token_env` / `auth_env` key) for `who`
/// (`"nats sink"`); none when no variable is named.
///
/// # Errors
/// The variable is named and not set, or empty.
pub fn secret_from_env(var: Option<&str>, who: &str, key: &str) -> anyhow::Result<Option<String>> {
    let Some(var) = var else { return Ok(None) };
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Ok(Some(value)),
        _ => anyhow::bail!("{who}: the environment variable {var} ({key}) is not set"),
    }
}
