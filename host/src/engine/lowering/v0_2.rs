//! The batch as it crosses into a plugin built against contract 0.2.0: one table of the
//! batch's distinct strings, and flat events whose text fields index it.
//!
//! Every string lowered into a guest costs a call into the guest's allocator, a copy, and
//! later a free; events of one trail repeat nearly all their strings (the actor, its
//! account, the service, the region, the user agent), so a batch of 512 events holds a few
//! hundred distinct strings instead of ~12,000. Strings that are unique per event by nature
//! (ids, raw records, projected values) skip the table's lookup but still go through it, so
//! every `text` is an index into one list.
//!
//! The generated 0.2.0 types hold no strings (only indices), so they are lowered as they
//! are; only the batch record itself is written here, to borrow its strings from the host's
//! events instead of copying them into owned values first.

use std::collections::HashMap;

use wasmtime::component::{ComponentType, Lower};

use super::Sent;
use crate::engine::bindings::v0_2::wit;
use crate::event::{AccessLevel, Category, Event, Plane, Risk};

/// `types.batch`, with its strings borrowed.
#[derive(ComponentType, Lower)]
#[component(record)]
pub struct Batch<'a> {
    strings: Vec<&'a str>,
    events: Vec<wit::Event>,
    resources: Vec<wit::Resource>,
    texts: Vec<u32>,
    values: Vec<Option<u32>>,
}

/// Builds a [`Batch`], interning strings as the events are added.
pub struct Builder<'a> {
    batch: Batch<'a>,
    index: HashMap<&'a str, u32, foldhash::fast::FixedState>,
}

impl<'a> Builder<'a> {
    pub fn new(events: usize) -> Self {
        Builder {
            batch: Batch {
                strings: Vec::with_capacity(events * 4),
                events: Vec::with_capacity(events),
                resources: Vec::new(),
                texts: Vec::new(),
                values: Vec::new(),
            },
            index: HashMap::with_capacity_and_hasher(events * 4, foldhash::fast::FixedState::with_seed(0)),
        }
    }

    /// The batch for these events.
    pub fn batch(sent: &'a [Sent<'a>]) -> Batch<'a> {
        let mut builder = Builder::new(sent.len());
        for s in sent {
            builder.push(s);
        }
        builder.batch
    }

    fn push(&mut self, sent: &'a Sent<'a>) {
        let e: &'a Event = sent.event;
        let actor = &e.actor;
        let resources = self.resources(e);
        let delegation = self.texts(actor.delegation.iter().map(String::as_str));
        let techniques = self.texts(e.enrichment.techniques.iter().copied());
        let fields = self.values(&sent.fields);
        let lineage = &e.enrichment.lineage;
        let event = wit::Event {
            id: self.unique(&e.id),
            time: e.time,
            provider: self.text(&e.provider),
            source: self.text(&e.source),
            plane: plane(e.plane),
            class_uid: e.class.uid(),
            category: category(e.category),
            service: self.text(&e.service),
            action: self.text(&e.action),
            access_level: e.access_level.map(access_level),
            success: e.success,
            error_code: self.opt(&e.error_code),
            error_message: self.opt(&e.error_message),
            read_only: e.read_only,
            management: e.management,
            account: self.text(&e.account),
            region: self.text(&e.region),
            actor: wit::Actor {
                id: self.text(&actor.id),
                kind: self.text(&actor.kind),
                account: self.text(&actor.account),
                name: self.opt(&actor.name),
                access_key: self.opt(&actor.access_key),
                session_name: self.opt(&actor.session_name),
                session_issuer: self.opt(&actor.session_issuer),
                source_identity: self.opt(&actor.source_identity),
                mfa: actor.mfa,
                invoked_by: self.opt(&actor.invoked_by),
                delegation,
            },
            source_ip: self.opt(&e.source_ip),
            user_agent: self.opt(&e.user_agent),
            resources,
            network: e.network.as_deref().map(|n| self.network(n)),
            process: e.process.as_deref().map(|p| self.process(p)),
            alert: e.alert.as_deref().map(|a| self.alert(a)),
            request_id: e.ids.request.as_deref().map(|id| self.unique(id)),
            correlation_id: self.opt(&e.ids.correlation),
            techniques,
            risks: risks(e.enrichment.risks),
            lineage: wit::Lineage {
                origin: self.text(if lineage.origin.is_empty() { &actor.id } else { &lineage.origin }),
                hops: lineage.hops,
                key_obtained_by: self.opt(&lineage.key_obtained_by),
            },
            fields,
            raw: sent.raw.map(|raw| self.unique(raw)),
        };
        self.batch.events.push(event);
    }

    /// A string that repeats across events: looked up in the table first.
    fn text(&mut self, s: &'a str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.unique(s);
        self.index.insert(s, i);
        i
    }

    /// A string that is unique to its event (an id, a raw record): added without a lookup.
    fn unique(&mut self, s: &'a str) -> u32 {
        let i = self.batch.strings.len() as u32;
        self.batch.strings.push(s);
        i
    }

    fn opt(&mut self, s: &'a Option<String>) -> Option<u32> {
        s.as_deref().map(|s| self.text(s))
    }

    fn texts(&mut self, items: impl Iterator<Item = &'a str>) -> wit::Span {
        let start = self.batch.texts.len();
        for item in items {
            let i = self.text(item);
            self.batch.texts.push(i);
        }
        span(start, self.batch.texts.len())
    }

    fn values(&mut self, values: &'a [Option<String>]) -> wit::Span {
        let start = self.batch.values.len();
        for value in values {
            let i = value.as_deref().map(|v| self.unique(v));
            self.batch.values.push(i);
        }
        span(start, self.batch.values.len())
    }

    fn resources(&mut self, e: &'a Event) -> wit::Span {
        let start = self.batch.resources.len();
        for r in &e.resources {
            let resource = wit::Resource {
                kind: self.text(&r.kind),
                id: self.text(&r.id),
                account: self.opt(&r.account),
            };
            self.batch.resources.push(resource);
        }
        span(start, self.batch.resources.len())
    }

    fn network(&mut self, n: &'a crate::event::Network) -> wit::Network {
        wit::Network {
            src_addr: self.opt(&n.src_addr),
            src_port: n.src_port,
            dst_addr: self.opt(&n.dst_addr),
            dst_port: n.dst_port,
            protocol: n.protocol,
            bytes: n.bytes,
            packets: n.packets,
            allowed: n.allowed,
            interface: self.opt(&n.interface),
            end: n.end,
        }
    }

    fn process(&mut self, p: &'a crate::event::Process) -> wit::Process {
        wit::Process {
            hostname: self.opt(&p.hostname),
            name: self.opt(&p.name),
            exe: self.opt(&p.exe),
            cmdline: self.opt(&p.cmdline),
            pid: p.pid,
            parent: self.opt(&p.parent),
            user: self.opt(&p.user),
            file: self.opt(&p.file),
            container_id: self.opt(&p.container_id),
            container_name: self.opt(&p.container_name),
            image: self.opt(&p.image),
            privileged: p.privileged,
            pod: self.opt(&p.pod),
            namespace: self.opt(&p.namespace),
        }
    }

    fn alert(&mut self, a: &'a crate::event::Alert) -> wit::Alert {
        wit::Alert {
            rule: self.text(&a.rule),
            severity: severity(a.severity),
            tags: self.texts(a.tags.iter().map(String::as_str)),
            reporter: self.text(&a.reporter),
        }
    }
}

fn span(start: usize, end: usize) -> wit::Span {
    wit::Span { start: start as u32, len: (end - start) as u32 }
}

fn plane(plane: Plane) -> wit::Plane {
    match plane {
        Plane::Cloud => wit::Plane::Cloud,
        Plane::Kubernetes => wit::Plane::Kubernetes,
        Plane::Network => wit::Plane::Network,
        Plane::Host => wit::Plane::Host,
        Plane::Finding => wit::Plane::Finding,
    }
}

fn category(category: Category) -> wit::Category {
    match category {
        Category::Compute => wit::Category::Compute,
        Category::Storage => wit::Category::Storage,
        Category::Network => wit::Category::Network,
        Category::Database => wit::Category::Database,
        Category::Identity => wit::Category::Identity,
        Category::Management => wit::Category::Management,
        Category::Security => wit::Category::Security,
    }
}

fn access_level(level: AccessLevel) -> wit::AccessLevel {
    match level {
        AccessLevel::List => wit::AccessLevel::List,
        AccessLevel::Read => wit::AccessLevel::Read,
        AccessLevel::Write => wit::AccessLevel::Write,
        AccessLevel::PermissionsManagement => wit::AccessLevel::PermissionsManagement,
        AccessLevel::Tagging => wit::AccessLevel::Tagging,
    }
}

fn risks(risks: crate::event::Risks) -> wit::Risks {
    let mut out = wit::Risks::empty();
    for (risk, flag) in [
        (Risk::PrivilegeEscalation, wit::Risks::PRIVILEGE_ESCALATION),
        (Risk::ResourceExposure, wit::Risks::RESOURCE_EXPOSURE),
        (Risk::DataExfiltration, wit::Risks::DATA_EXFILTRATION),
        (Risk::CredentialExposure, wit::Risks::CREDENTIAL_EXPOSURE),
        (Risk::DefenseEvasion, wit::Risks::DEFENSE_EVASION),
    ] {
        if risks.contains(risk) {
            out |= flag;
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
