//! The batch as it crosses into a plugin built against contract 0.2.0: the SDK's columns,
//! built from the host's events by [`trailhound_sdk::batch::Builder`] (the one conversion,
//! the same a detector run natively is given), then lowered as they are.
//!
//! Number columns and the string table are borrowed from the built batch: each is one
//! allocation in the guest and one copy. Only the enum and flags columns, and the rows of
//! the rare parts, are mapped onto the host's generated types on the way. wasmtime checks
//! every record here against the component's own `batch` type when the function is looked
//! up, so a column that drifted from `wit/` fails at load, not on the wire.

use trailhound_sdk::batch::{Batch as Columns, Builder};
use trailhound_sdk::bindings::types as sdk;
use wasmtime::component::{ComponentType, Lower};

use super::Sent;
use crate::engine::bindings::v0_2::wit;

/// The SDK's columns for `sent`, with `fields` projected values per event.
pub fn columns(sent: &[Sent<'_>], fields: usize) -> Columns {
    let mut builder = Builder::new(sent.len(), fields);
    for s in sent {
        builder.push(s.event, &s.fields, s.raw);
    }
    builder.finish()
}

/// `types.batch`, borrowing the built columns.
#[derive(ComponentType, Lower)]
#[component(record)]
pub struct Batch<'a> {
    strings: Strings<'a>,
    events: Events<'a>,
    actors: Actors<'a>,
    lineage: Lineages<'a>,
    #[component(name = "resource-ends")]
    resource_ends: &'a [u32],
    resources: Vec<wit::Resource>,
    #[component(name = "technique-ends")]
    technique_ends: &'a [u32],
    techniques: &'a [u32],
    fields: &'a [u32],
    raw: &'a [u32],
    networks: Vec<wit::Network>,
    processes: Vec<wit::Process>,
    alerts: Vec<wit::Alert>,
    texts: &'a [u32],
}

#[derive(ComponentType, Lower)]
#[component(record)]
pub struct Strings<'a> {
    text: &'a str,
    ends: &'a [u32],
}

#[derive(ComponentType, Lower)]
#[component(record)]
pub struct Events<'a> {
    id: &'a [u32],
    time: &'a [i64],
    provider: &'a [u32],
    source: &'a [u32],
    plane: Vec<wit::Plane>,
    #[component(name = "class-uid")]
    class_uid: &'a [u32],
    category: Vec<wit::Category>,
    service: &'a [u32],
    action: &'a [u32],
    #[component(name = "access-level")]
    access_level: Vec<Option<wit::AccessLevel>>,
    flags: Vec<wit::EventFlags>,
    #[component(name = "error-code")]
    error_code: &'a [u32],
    #[component(name = "error-message")]
    error_message: &'a [u32],
    account: &'a [u32],
    region: &'a [u32],
    #[component(name = "source-ip")]
    source_ip: &'a [u32],
    #[component(name = "user-agent")]
    user_agent: &'a [u32],
    #[component(name = "request-id")]
    request_id: &'a [u32],
    #[component(name = "correlation-id")]
    correlation_id: &'a [u32],
    risks: Vec<wit::Risks>,
}

#[derive(ComponentType, Lower)]
#[component(record)]
pub struct Actors<'a> {
    id: &'a [u32],
    kind: &'a [u32],
    account: &'a [u32],
    name: &'a [u32],
    #[component(name = "access-key")]
    access_key: &'a [u32],
    #[component(name = "session-name")]
    session_name: &'a [u32],
    #[component(name = "session-issuer")]
    session_issuer: &'a [u32],
    #[component(name = "source-identity")]
    source_identity: &'a [u32],
    #[component(name = "invoked-by")]
    invoked_by: &'a [u32],
    #[component(name = "delegation-ends")]
    delegation_ends: &'a [u32],
    delegation: &'a [u32],
}

#[derive(ComponentType, Lower)]
#[component(record)]
pub struct Lineages<'a> {
    origin: &'a [u32],
    hops: &'a [u32],
    #[component(name = "key-obtained-by")]
    key_obtained_by: &'a [u32],
}

impl<'a> Batch<'a> {
    /// The columns as they are lowered.
    pub fn new(columns: &'a Columns) -> Self {
        let c = columns.columns();
        let (e, a, l) = (&c.events, &c.actors, &c.lineage);
        Batch {
            strings: Strings { text: &c.strings.text, ends: &c.strings.ends },
            events: Events {
                id: &e.id,
                time: &e.time,
                provider: &e.provider,
                source: &e.source,
                plane: e.plane.iter().map(|&p| plane(p)).collect(),
                class_uid: &e.class_uid,
                category: e.category.iter().map(|&c| category(c)).collect(),
                service: &e.service,
                action: &e.action,
                access_level: e.access_level.iter().map(|l| l.map(access_level)).collect(),
                flags: e.flags.iter().map(|&f| event_flags(f)).collect(),
                error_code: &e.error_code,
                error_message: &e.error_message,
                account: &e.account,
                region: &e.region,
                source_ip: &e.source_ip,
                user_agent: &e.user_agent,
                request_id: &e.request_id,
                correlation_id: &e.correlation_id,
                risks: e.risks.iter().map(|&r| risks(r)).collect(),
            },
            actors: Actors {
                id: &a.id,
                kind: &a.kind,
                account: &a.account,
                name: &a.name,
                access_key: &a.access_key,
                session_name: &a.session_name,
                session_issuer: &a.session_issuer,
                source_identity: &a.source_identity,
                invoked_by: &a.invoked_by,
                delegation_ends: &a.delegation_ends,
                delegation: &a.delegation,
            },
            lineage: Lineages { origin: &l.origin, hops: &l.hops, key_obtained_by: &l.key_obtained_by },
            resource_ends: &c.resource_ends,
            resources: c
                .resources
                .iter()
                .map(|r| wit::Resource { kind: r.kind, id: r.id, account: r.account })
                .collect(),
            technique_ends: &c.technique_ends,
            techniques: &c.techniques,
            fields: &c.fields,
            raw: &c.raw,
            networks: c.networks.iter().map(network).collect(),
            processes: c.processes.iter().map(process).collect(),
            alerts: c.alerts.iter().map(alert).collect(),
            texts: &c.texts,
        }
    }
}

fn network(n: &sdk::Network) -> wit::Network {
    wit::Network {
        event: n.event,
        src_addr: n.src_addr,
        src_port: n.src_port,
        dst_addr: n.dst_addr,
        dst_port: n.dst_port,
        protocol: n.protocol,
        bytes: n.bytes,
        packets: n.packets,
        allowed: n.allowed,
        interface: n.interface,
        end: n.end,
    }
}

fn process(p: &sdk::Process) -> wit::Process {
    wit::Process {
        event: p.event,
        hostname: p.hostname,
        name: p.name,
        exe: p.exe,
        cmdline: p.cmdline,
        pid: p.pid,
        parent: p.parent,
        user: p.user,
        file: p.file,
        container_id: p.container_id,
        container_name: p.container_name,
        image: p.image,
        privileged: p.privileged,
        pod: p.pod,
        namespace: p.namespace,
        host_paths: span(p.host_paths),
        host_pid: p.host_pid,
        host_network: p.host_network,
    }
}

fn alert(a: &sdk::Alert) -> wit::Alert {
    wit::Alert {
        event: a.event,
        rule: a.rule,
        severity: severity(a.severity.into()),
        tags: span(a.tags),
        reporter: a.reporter,
    }
}

fn span(span: sdk::Span) -> wit::Span {
    wit::Span { start: span.start, len: span.len }
}

fn plane(plane: sdk::Plane) -> wit::Plane {
    match plane {
        sdk::Plane::Cloud => wit::Plane::Cloud,
        sdk::Plane::Kubernetes => wit::Plane::Kubernetes,
        sdk::Plane::Network => wit::Plane::Network,
        sdk::Plane::Host => wit::Plane::Host,
        sdk::Plane::Finding => wit::Plane::Finding,
    }
}

fn category(category: sdk::Category) -> wit::Category {
    match category {
        sdk::Category::Compute => wit::Category::Compute,
        sdk::Category::Storage => wit::Category::Storage,
        sdk::Category::Network => wit::Category::Network,
        sdk::Category::Database => wit::Category::Database,
        sdk::Category::Identity => wit::Category::Identity,
        sdk::Category::Management => wit::Category::Management,
        sdk::Category::Security => wit::Category::Security,
    }
}

fn access_level(level: sdk::AccessLevel) -> wit::AccessLevel {
    match level {
        sdk::AccessLevel::List => wit::AccessLevel::List,
        sdk::AccessLevel::Read => wit::AccessLevel::Read,
        sdk::AccessLevel::Write => wit::AccessLevel::Write,
        sdk::AccessLevel::PermissionsManagement => wit::AccessLevel::PermissionsManagement,
        sdk::AccessLevel::Tagging => wit::AccessLevel::Tagging,
    }
}

fn event_flags(flags: sdk::EventFlags) -> wit::EventFlags {
    let mut out = wit::EventFlags::empty();
    for (from, to) in [
        (sdk::EventFlags::SUCCESS, wit::EventFlags::SUCCESS),
        (sdk::EventFlags::READ_ONLY, wit::EventFlags::READ_ONLY),
        (sdk::EventFlags::MANAGEMENT, wit::EventFlags::MANAGEMENT),
        (sdk::EventFlags::MFA, wit::EventFlags::MFA),
    ] {
        if flags.contains(from) {
            out |= to;
        }
    }
    out
}

fn risks(risks: sdk::Risks) -> wit::Risks {
    let mut out = wit::Risks::empty();
    for (from, to) in [
        (sdk::Risks::PRIVILEGE_ESCALATION, wit::Risks::PRIVILEGE_ESCALATION),
        (sdk::Risks::RESOURCE_EXPOSURE, wit::Risks::RESOURCE_EXPOSURE),
        (sdk::Risks::DATA_EXFILTRATION, wit::Risks::DATA_EXFILTRATION),
        (sdk::Risks::CREDENTIAL_EXPOSURE, wit::Risks::CREDENTIAL_EXPOSURE),
        (sdk::Risks::DEFENSE_EVASION, wit::Risks::DEFENSE_EVASION),
    ] {
        if risks.contains(from) {
            out |= to;
        }
    }
    out
}

pub fn severity(severity: trailhound_sdk::Severity) -> wit::Severity {
    use trailhound_sdk::Severity as S;
    match severity {
        S::Info => wit::Severity::Info,
        S::Low => wit::Severity::Low,
        S::Medium => wit::Severity::Medium,
        S::High => wit::Severity::High,
        S::Critical => wit::Severity::Critical,
    }
}
