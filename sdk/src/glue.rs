//! The component's exports: the calls of contract 0.2.0 turned into calls of a
//! [`Detector`]. Plugin authors never touch this; [`crate::export_detector!`] uses it.

use crate::bindings::{host, types};
use crate::{Batch, Detector, File, Finding};

pub fn info<D: Detector>(detector: &D) -> types::Info {
    let info = detector.declared();
    types::Info {
        name: info.name,
        version: info.version,
        sources: info.sources,
        actions: info.actions,
        fields: info.fields,
        wants_raw: info.wants_raw,
        state: match info.state {
            crate::StateScope::None => types::StateScope::None,
            crate::StateScope::Actor => types::StateScope::Actor,
            crate::StateScope::Resource => types::StateScope::Resource,
        },
        wants_findings: info.wants_findings,
    }
}

pub fn configure<D: Detector>(detector: &mut D, config: &str, files: Vec<types::File>) -> Result<(), String> {
    // A panic aborts the instance with a bare trap; send its message to the host's log first.
    std::panic::set_hook(Box::new(|panic| host::log(host::LogLevel::Error, &panic.to_string())));
    let value = if config.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(config).map_err(|e| format!("plugin config is not valid JSON: {e}"))?
    };
    let files: Vec<File> = files.into_iter().map(|f| File { path: f.path, contents: f.contents }).collect();
    detector.load_files(&files)?;
    detector.configure(&value)?;
    crate::declare_fields(&detector.declared().fields);
    Ok(())
}

pub fn on_events<D: Detector>(detector: &mut D, batch: types::Batch) -> Vec<types::Finding> {
    let batch = Batch::from_columns(batch);
    let mut findings = Vec::new();
    detector.on_events(&batch, &mut findings);
    findings.into_iter().map(finding_to_wit).collect()
}

pub fn on_tick<D: Detector>(detector: &mut D, now: i64) -> Vec<types::Finding> {
    let mut findings = Vec::new();
    detector.on_tick(now, &mut findings);
    findings.into_iter().map(finding_to_wit).collect()
}

pub(crate) fn host_log(level: crate::host::LogLevel, message: &str) {
    use crate::host::LogLevel as L;
    let level = match level {
        L::Trace => host::LogLevel::Trace,
        L::Debug => host::LogLevel::Debug,
        L::Info => host::LogLevel::Info,
        L::Warn => host::LogLevel::Warn,
        L::Error => host::LogLevel::Error,
    };
    host::log(level, message);
}

pub(crate) fn host_counter_add(name: &str, delta: u64) {
    host::counter_add(name, delta);
}

pub(crate) fn host_gauge_set(name: &str, value: f64) {
    host::gauge_set(name, value);
}

fn finding_to_wit(f: Finding) -> types::Finding {
    types::Finding {
        rule_id: f.rule_id,
        title: f.title,
        severity: f.severity.into(),
        summary: f.summary,
        actor: f.actor,
        event_ids: f.event_ids,
        techniques: f.techniques,
        tags: f.tags,
        evidence: f.evidence.into_iter().map(|e| types::Evidence { key: e.key, value: e.value }).collect(),
    }
}
