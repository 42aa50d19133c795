//! The generated bindings and the conversions between them and the SDK's own types.
//! Plugin authors never touch this; [`crate::export_detector!`] uses it.

pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "detector",
        pub_export_macro: true,
        default_bindings_module: "trailhound_sdk::glue::bindings",
    });
}

pub use bindings::trailhound::detector::types;
pub use bindings::{export, Guest};

use crate::{Detector, Event, Finding};
use bindings::trailhound::detector::host;

pub fn info<D: Detector>() -> types::Info {
    let info = D::info();
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
    }
}

pub fn configure<D: Detector>(detector: &mut D, config: &str) -> Result<(), String> {
    // A panic aborts the instance with a bare trap; send its message to the host's log first.
    std::panic::set_hook(Box::new(|panic| host::log(types::LogLevel::Error, &panic.to_string())));
    crate::declare_fields(&D::info().fields);
    let value = if config.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(config).map_err(|e| format!("plugin config is not valid JSON: {e}"))?
    };
    detector.configure(&value)
}

pub fn on_events<D: Detector>(detector: &mut D, batch: Vec<types::Event>) -> Vec<types::Finding> {
    let events: Vec<Event> = batch.into_iter().map(event_from_wit).collect();
    let mut findings = Vec::new();
    detector.on_events(&events, &mut findings);
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
        L::Trace => types::LogLevel::Trace,
        L::Debug => types::LogLevel::Debug,
        L::Info => types::LogLevel::Info,
        L::Warn => types::LogLevel::Warn,
        L::Error => types::LogLevel::Error,
    };
    host::log(level, message);
}

pub(crate) fn host_counter_add(name: &str, delta: u64) {
    host::counter_add(name, delta);
}

pub(crate) fn host_gauge_set(name: &str, value: f64) {
    host::gauge_set(name, value);
}

fn event_from_wit(e: types::Event) -> Event {
    Event {
        id: e.id,
        time: e.time,
        provider: e.provider,
        source: e.source,
        category: e.category,
        service: e.service,
        action: e.action,
        access_level: e.access_level,
        success: e.success,
        error_code: e.error_code,
        error_message: e.error_message,
        read_only: e.read_only,
        management: e.management,
        account: e.account,
        region: e.region,
        actor: crate::Actor {
            id: e.actor.id,
            kind: e.actor.kind,
            account: e.actor.account,
            name: e.actor.name,
            access_key: e.actor.access_key,
            session_name: e.actor.session_name,
            session_issuer: e.actor.session_issuer,
            source_identity: e.actor.source_identity,
            mfa: e.actor.mfa,
            invoked_by: e.actor.invoked_by,
        },
        source_ip: e.source_ip,
        user_agent: e.user_agent,
        resources: e
            .resources
            .into_iter()
            .map(|r| crate::Resource { kind: r.kind, id: r.id, account: r.account })
            .collect(),
        fields: e.fields,
        raw: e.raw,
    }
}

fn finding_to_wit(f: Finding) -> types::Finding {
    use crate::Severity as S;
    types::Finding {
        rule_id: f.rule_id,
        title: f.title,
        severity: match f.severity {
            S::Info => types::Severity::Info,
            S::Low => types::Severity::Low,
            S::Medium => types::Severity::Medium,
            S::High => types::Severity::High,
            S::Critical => types::Severity::Critical,
        },
        summary: f.summary,
        actor: f.actor,
        event_ids: f.event_ids,
        techniques: f.techniques,
        tags: f.tags,
        evidence: f.evidence.into_iter().map(|e| types::Evidence { key: e.key, value: e.value }).collect(),
    }
}
