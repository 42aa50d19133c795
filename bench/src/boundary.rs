//! Rows for the WASM boundary: the same detector logic built natively and as a component, on
//! the same events already normalized in memory; batch sizes; memory per plugin instance.
//!
//! Both sides see identical events with the plugin's fields projected, filtered to the
//! sources and actions the plugin declared (the SDK harness filters as the engine does), and
//! get an `on-tick` after every batch. Both lay the events out as the batch's columns, as the
//! host does for a detector of either kind; the WASM side also pays for copying the columns
//! into the guest and the findings out.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use trailhound::engine::lowering::Sent;
use trailhound::engine::plugin::PluginInstance;
use trailhound::engine::runtime::WasmRuntime;
use trailhound::engine::{EngineSettings, LoadedPlugin, PluginSpec};
use trailhound::event::Event as HostEvent;
use trailhound::normalize::Normalized;
use trailhound::projection::Projection;
use trailhound::sources::{self, Input, Item};
use trailhound_sdk::testing::Harness;
use trailhound_sdk::Detector;

use crate::measure::{measure, Outcome, Row};
use crate::rss;

/// Up to `limit` events of `inputs`, normalized, with their raw records (for projection).
pub fn load_events(inputs: &[Input], limit: usize) -> anyhow::Result<Vec<(HostEvent, Arc<str>)>> {
    let mut events = Vec::with_capacity(limit);
    for input in inputs {
        sources::read(input, Default::default(), &mut |item| {
            if events.len() < limit {
                if let Item::Record(raw) = item {
                    if let Ok(Normalized::Event(record)) = trailhound::enrich::normalized(raw, None) {
                        events.push((record.event, record.raw));
                    }
                }
            }
        })?;
        if events.len() >= limit {
            break;
        }
    }
    Ok(events)
}

/// One event as the host holds it, with the fields the detector declares projected (and the
/// raw record, when it asks for it).
pub struct Projected {
    pub host: HostEvent,
    pub fields: Vec<Option<String>>,
    pub raw: Option<Arc<str>>,
}

/// The events with the fields `info` declares projected, as the engine would hand them over.
pub fn project(
    events: &[(HostEvent, Arc<str>)],
    info: &trailhound_sdk::Info,
) -> anyhow::Result<Vec<Projected>> {
    let mut projection = Projection::default();
    let map = projection.register(&info.name, &info.fields)?;
    Ok(events
        .iter()
        .map(|(event, raw)| {
            let fields = map.pick(&projection.evaluate(raw));
            Projected { host: event.clone(), fields, raw: info.wants_raw.then(|| raw.clone()) }
        })
        .collect())
}

/// A component loaded once, from which instances are started.
pub struct Component {
    runtime: WasmRuntime,
    settings: EngineSettings,
    plugin: LoadedPlugin,
}

impl Component {
    /// A component given these rule files (or folders), as a config naming them gives them.
    pub fn load(name: &str, path: &Path, files: Vec<PathBuf>, cache_dir: &Path) -> anyhow::Result<Self> {
        let settings = EngineSettings { cache_dir: cache_dir.to_path_buf(), ..EngineSettings::default() };
        let runtime = WasmRuntime::new(&settings).map_err(|e| anyhow::anyhow!("{e:#}"))?;
        let spec = PluginSpec { files, ..PluginSpec::new(name, path, serde_json::Value::Null) };
        let plugin = LoadedPlugin::load(spec, &runtime, &settings)?;
        Ok(Component { runtime, settings, plugin })
    }

    pub fn info(&self) -> &trailhound_sdk::Info {
        &self.plugin.info
    }

    /// Whether the engine would send this event to the plugin.
    pub fn wants(&self, event: &HostEvent) -> bool {
        self.plugin.wants(event)
    }

    pub fn instance(&self) -> anyhow::Result<PluginInstance> {
        Ok(PluginInstance::start(&self.plugin, &self.runtime, &self.settings)?)
    }
}

/// The detector natively, given the rule files (or folders) a config would name, read as the
/// host reads them.
pub fn native<D: Detector>(
    name: &str,
    events: &[Projected],
    batch: usize,
    files: &[PathBuf],
) -> anyhow::Result<Row> {
    let spec = PluginSpec { files: files.to_vec(), ..PluginSpec::new(name, "", serde_json::Value::Null) };
    let files = trailhound::engine::plugin::read_files(&spec)?
        .into_iter()
        .map(|f| trailhound_sdk::File { path: f.path, contents: f.contents })
        .collect();
    let mut harness = Harness::<D>::with_files(serde_json::Value::Null, files)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    measure("boundary", format!("{name} native, batch {batch}"), 0, || {
        let mut findings = 0;
        for chunk in events.chunks(batch) {
            // Filtered and laid out as the host does for a detector of either kind.
            let built =
                harness.prepare(chunk.iter().map(|e| (&e.host, e.fields.as_slice(), e.raw.as_deref())));
            findings += harness.batch(&built).len();
            findings += harness.tick(last_time(chunk)).len();
        }
        Ok(Outcome { events: events.len() as u64, note: format!("{findings} findings") })
    })
}

/// The detector as a component, one instance, in batches of `batch`.
pub fn wasm(name: &str, component: &Component, events: &[Projected], batch: usize) -> anyhow::Result<Row> {
    let mut instance = component.instance()?;
    measure("boundary", format!("{name} WASM, batch {batch}"), 0, || {
        let mut findings = 0;
        for chunk in events.chunks(batch) {
            // As the engine does: only the events the plugin declared cross the boundary.
            let wit_batch: Vec<Sent<'_>> = chunk
                .iter()
                .filter(|e| component.plugin.wants(&e.host))
                .map(|e| Sent { event: &e.host, fields: e.fields.clone(), raw: e.raw.as_deref() })
                .collect();
            if !wit_batch.is_empty() {
                findings += instance.on_events(&wit_batch).map_err(|f| anyhow::anyhow!("{name}: {f}"))?.len();
            }
            findings += instance.on_tick(last_time(chunk)).map_err(|f| anyhow::anyhow!("{name}: {f}"))?.len();
        }
        Ok(Outcome { events: events.len() as u64, note: format!("{findings} findings") })
    })
}

/// Resident memory per instance: `count` instances started and fed one batch each, kept
/// alive together; the growth of RSS divided by `count`. Also the largest linear memory.
pub fn memory_per_instance(
    name: &str,
    component: &Component,
    events: &[Projected],
    count: usize,
) -> anyhow::Result<(f64, f64)> {
    let batch: Vec<Sent<'_>> = events
        .iter()
        .filter(|e| component.plugin.wants(&e.host))
        .take(512)
        .map(|e| Sent { event: &e.host, fields: e.fields.clone(), raw: e.raw.as_deref() })
        .collect();
    rss::settle();
    let before = rss::resident().now;
    let mut instances = Vec::with_capacity(count);
    let mut linear = 0;
    for _ in 0..count {
        let mut instance = component.instance().with_context(|| format!("starting {name}"))?;
        instance.on_events(&batch).map_err(|f| anyhow::anyhow!("{name}: {f}"))?;
        linear = linear.max(instance.peak_memory());
        instances.push(instance);
    }
    rss::settle();
    let grown = rss::resident().now.saturating_sub(before);
    drop(instances);
    Ok((grown as f64 / count as f64 / (1 << 20) as f64, linear as f64 / (1 << 20) as f64))
}

fn last_time(events: &[Projected]) -> i64 {
    events.iter().map(|e| e.host.time).max().unwrap_or_default()
}

/// Time to start one fresh instance (instantiate and configure), averaged over `count`.
pub fn startup_micros(component: &Component, count: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    for _ in 0..count {
        component.instance()?;
    }
    Ok(started.elapsed().as_secs_f64() * 1e6 / count as f64)
}
