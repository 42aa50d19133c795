//! The generated bindings of contract 0.2.0 and the conversions between them and the SDK's
//! own types. Plugin authors never touch this; [`crate::export_detector!`] uses it.
//!
//! A batch arrives as one table of its distinct strings and flat events that index it; each
//! string becomes one [`Text`] that every event naming it shares.

pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "trailhound:detector/plugin@0.2.0",
        pub_export_macro: true,
        default_bindings_module: "trailhound_sdk::glue::bindings",
    });
}

// Two versions of the package sit in `wit/`: the generated modules carry the version.
pub use bindings::export;
pub use bindings::exports::trailhound::detector0_2_0::detector::Guest;
use bindings::trailhound::detector0_2_0::host;
pub use bindings::trailhound::detector0_2_0::types;

use crate::event::{AccessLevel, Alert, Category, Lineage, Network, Plane, Process, Risks};
use crate::{Actor, Detector, Event, File, Finding, Resource, Text};

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
        wants_findings: info.wants_findings,
    }
}

pub fn configure<D: Detector>(detector: &mut D, config: &str, files: Vec<types::File>) -> Result<(), String> {
    // A panic aborts the instance with a bare trap; send its message to the host's log first.
    std::panic::set_hook(Box::new(|panic| host::log(host::LogLevel::Error, &panic.to_string())));
    crate::declare_fields(&D::info().fields);
    let value = if config.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(config).map_err(|e| format!("plugin config is not valid JSON: {e}"))?
    };
    let files: Vec<File> = files.into_iter().map(|f| File { path: f.path, contents: f.contents }).collect();
    detector.load_files(&files)?;
    detector.configure(&value)
}

pub fn on_events<D: Detector>(detector: &mut D, batch: types::Batch) -> Vec<types::Finding> {
    let events = events(batch);
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

/// The batch's events, each text resolved in the batch's table. An index out of range is
/// the host's bug; it traps the call, which the host reports.
fn events(batch: types::Batch) -> Vec<Event> {
    let table = Table {
        strings: batch.strings.into_iter().map(Text::from).collect(),
        texts: batch.texts,
        values: batch.values,
    };
    let resources: Vec<Resource> = batch
        .resources
        .into_iter()
        .map(|r| Resource { kind: table.text(r.kind), id: table.text(r.id), account: table.opt(r.account) })
        .collect();
    batch.events.into_iter().map(|e| table.event(e, &resources)).collect()
}

struct Table {
    strings: Vec<Text>,
    texts: Vec<u32>,
    values: Vec<Option<u32>>,
}

impl Table {
    fn text(&self, i: u32) -> Text {
        self.strings[i as usize].clone()
    }

    fn opt(&self, i: Option<u32>) -> Option<Text> {
        i.map(|i| self.text(i))
    }

    fn texts(&self, span: types::Span) -> Vec<Text> {
        slice(&self.texts, span).iter().map(|&i| self.text(i)).collect()
    }

    fn event(&self, e: types::Event, resources: &[Resource]) -> Event {
        let a = e.actor;
        Event {
            id: self.text(e.id),
            time: e.time,
            provider: self.text(e.provider),
            source: self.text(e.source),
            plane: plane(e.plane),
            class_uid: e.class_uid,
            category: category(e.category),
            service: self.text(e.service),
            action: self.text(e.action),
            access_level: e.access_level.map(access_level),
            success: e.success,
            error_code: self.opt(e.error_code),
            error_message: self.opt(e.error_message),
            read_only: e.read_only,
            management: e.management,
            account: self.text(e.account),
            region: self.text(e.region),
            actor: Actor {
                id: self.text(a.id),
                kind: self.text(a.kind),
                account: self.text(a.account),
                name: self.opt(a.name),
                access_key: self.opt(a.access_key),
                session_name: self.opt(a.session_name),
                session_issuer: self.opt(a.session_issuer),
                source_identity: self.opt(a.source_identity),
                mfa: a.mfa,
                invoked_by: self.opt(a.invoked_by),
                delegation: self.texts(a.delegation),
            },
            source_ip: self.opt(e.source_ip),
            user_agent: self.opt(e.user_agent),
            resources: slice(resources, e.resources).to_vec(),
            network: e.network.map(|n| Network {
                src_addr: self.opt(n.src_addr),
                src_port: n.src_port,
                dst_addr: self.opt(n.dst_addr),
                dst_port: n.dst_port,
                protocol: n.protocol,
                bytes: n.bytes,
                packets: n.packets,
                allowed: n.allowed,
                interface: self.opt(n.interface),
                end: n.end,
            }),
            process: e.process.map(|p| Process {
                hostname: self.opt(p.hostname),
                name: self.opt(p.name),
                exe: self.opt(p.exe),
                cmdline: self.opt(p.cmdline),
                pid: p.pid,
                parent: self.opt(p.parent),
                user: self.opt(p.user),
                file: self.opt(p.file),
                container_id: self.opt(p.container_id),
                container_name: self.opt(p.container_name),
                image: self.opt(p.image),
                privileged: p.privileged,
                pod: self.opt(p.pod),
                namespace: self.opt(p.namespace),
            }),
            alert: e.alert.map(|al| Alert {
                rule: self.text(al.rule),
                severity: severity_from_wit(al.severity),
                tags: self.texts(al.tags),
                reporter: self.text(al.reporter),
            }),
            request_id: self.opt(e.request_id),
            correlation_id: self.opt(e.correlation_id),
            techniques: self.texts(e.techniques),
            risks: risks(e.risks),
            lineage: Lineage {
                origin: self.text(e.lineage.origin),
                hops: e.lineage.hops,
                key_obtained_by: self.opt(e.lineage.key_obtained_by),
            },
            fields: slice(&self.values, e.fields).iter().map(|v| self.opt(*v)).collect(),
            raw: self.opt(e.raw),
        }
    }
}

fn slice<T>(items: &[T], span: types::Span) -> &[T] {
    &items[span.start as usize..][..span.len as usize]
}

fn plane(plane: types::Plane) -> Plane {
    match plane {
        types::Plane::Cloud => Plane::Cloud,
        types::Plane::Kubernetes => Plane::Kubernetes,
        types::Plane::Network => Plane::Network,
        types::Plane::Host => Plane::Host,
        types::Plane::Finding => Plane::Finding,
    }
}

fn category(category: types::Category) -> Category {
    match category {
        types::Category::Compute => Category::Compute,
        types::Category::Storage => Category::Storage,
        types::Category::Network => Category::Network,
        types::Category::Database => Category::Database,
        types::Category::Identity => Category::Identity,
        types::Category::Management => Category::Management,
        types::Category::Security => Category::Security,
    }
}

fn access_level(level: types::AccessLevel) -> AccessLevel {
    match level {
        types::AccessLevel::List => AccessLevel::List,
        types::AccessLevel::Read => AccessLevel::Read,
        types::AccessLevel::Write => AccessLevel::Write,
        types::AccessLevel::PermissionsManagement => AccessLevel::PermissionsManagement,
        types::AccessLevel::Tagging => AccessLevel::Tagging,
    }
}

fn risks(risks: types::Risks) -> Risks {
    Risks {
        privilege_escalation: risks.contains(types::Risks::PRIVILEGE_ESCALATION),
        resource_exposure: risks.contains(types::Risks::RESOURCE_EXPOSURE),
        data_exfiltration: risks.contains(types::Risks::DATA_EXFILTRATION),
        credential_exposure: risks.contains(types::Risks::CREDENTIAL_EXPOSURE),
        defense_evasion: risks.contains(types::Risks::DEFENSE_EVASION),
    }
}

fn severity_from_wit(severity: types::Severity) -> crate::Severity {
    use crate::Severity as S;
    match severity {
        types::Severity::Info => S::Info,
        types::Severity::Low => S::Low,
        types::Severity::Medium => S::Medium,
        types::Severity::High => S::High,
        types::Severity::Critical => S::Critical,
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
