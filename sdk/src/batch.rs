//! A batch of events as contract 0.2.0 lays it out: columns, one entry per event, and every
//! string end to end in one table ([`crate::bindings::types::Batch`]). [`Builder`] is the one
//! conversion from the owned [`crate::model::Event`] (the host's, for the guest and for a
//! detector run natively alike, and the test harness's); [`Batch`] hands out [`Event`] views
//! that read the columns in place.
//!
//! Nothing is checked up front: every read goes through a bounds-checked lookup that yields
//! an empty value when the host sent an index out of range, so a malformed batch can cost
//! a detector wrong values, never a panic.

use crate::bindings::types;
use crate::event::Event;
use crate::model;

/// One batch of events, in stream order.
#[derive(Debug, Clone)]
pub struct Batch {
    pub(crate) columns: types::Batch,
    /// Projected values per event: the number of fields the detector declared.
    pub(crate) fields: usize,
}

impl Batch {
    /// The batch as it arrived from the host.
    pub fn from_columns(columns: types::Batch) -> Self {
        let events = columns.events.id.len();
        let fields = columns.fields.len().checked_div(events).unwrap_or(0);
        Batch { columns, fields }
    }

    /// The columns, as they cross into a detector.
    pub fn columns(&self) -> &types::Batch {
        &self.columns
    }

    pub fn len(&self) -> usize {
        self.columns.events.id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The event at `index`, in stream order.
    pub fn get(&self, index: usize) -> Option<Event<'_>> {
        (index < self.len()).then(|| Event::new(self, index))
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = Event<'_>> + '_ {
        (0..self.len()).map(|i| Event::new(self, i))
    }

    /// String `index` of the table; empty when the index or the table is out of range.
    pub(crate) fn str(&self, index: u32) -> &str {
        let strings = &self.columns.strings;
        let index = index as usize;
        let (Some(&end), Some(&start)) =
            (strings.ends.get(index), index.checked_sub(1).map_or(Some(&0), |i| strings.ends.get(i)))
        else {
            return "";
        };
        strings.text.get(start as usize..end as usize).unwrap_or("")
    }

    /// String `index`, or `None` for index 0 (no value).
    pub(crate) fn opt(&self, index: u32) -> Option<&str> {
        (index != 0).then(|| self.str(index))
    }

    /// The texts of a span of `texts`.
    pub(crate) fn texts(&self, span: types::Span) -> impl ExactSizeIterator<Item = &str> + '_ {
        let texts = self.columns.texts.get(span.start as usize..).unwrap_or(&[]);
        texts.get(..span.len as usize).unwrap_or(&[]).iter().map(move |&t| self.str(t))
    }

    /// Run `i` of a list cut by its `ends` column.
    pub(crate) fn run<'a, T>(items: &'a [T], ends: &[u32], i: usize) -> &'a [T] {
        let end = ends.get(i).copied().unwrap_or(0) as usize;
        let start = i.checked_sub(1).and_then(|p| ends.get(p)).copied().unwrap_or(0) as usize;
        items.get(start..end).unwrap_or(&[])
    }
}

/// Lays events out as a [`Batch`].
pub struct Builder {
    batch: types::Batch,
    fields: usize,
}

impl Builder {
    /// A builder for about `events` events, each with `fields` projected values.
    ///
    /// The string table is sized for a large cloud event (a kilobyte of text in some forty
    /// strings) so that a batch rarely grows it: growing copies everything already in it.
    pub fn new(events: usize, fields: usize) -> Self {
        let column = Vec::with_capacity;
        let batch = types::Batch {
            strings: types::Strings {
                text: String::with_capacity(events * 1024),
                // String 0: the empty string, standing for no value.
                ends: {
                    let mut ends = column(events * (40 + fields) + 1);
                    ends.push(0);
                    ends
                },
            },
            events: types::Events {
                id: column(events),
                time: Vec::with_capacity(events),
                provider: column(events),
                source: column(events),
                plane: Vec::with_capacity(events),
                class_uid: column(events),
                category: Vec::with_capacity(events),
                service: column(events),
                action: column(events),
                access_level: Vec::with_capacity(events),
                flags: Vec::with_capacity(events),
                error_code: column(events),
                error_message: column(events),
                account: column(events),
                region: column(events),
                source_ip: column(events),
                user_agent: column(events),
                request_id: column(events),
                correlation_id: column(events),
                risks: Vec::with_capacity(events),
            },
            actors: types::Actors {
                id: column(events),
                kind: column(events),
                account: column(events),
                name: column(events),
                access_key: column(events),
                session_name: column(events),
                session_issuer: column(events),
                source_identity: column(events),
                invoked_by: column(events),
                delegation_ends: column(events),
                delegation: Vec::new(),
            },
            lineage: types::Lineages {
                origin: column(events),
                hops: column(events),
                key_obtained_by: column(events),
            },
            resource_ends: column(events),
            resources: Vec::with_capacity(events),
            technique_ends: column(events),
            techniques: Vec::new(),
            fields: column(events * fields),
            raw: Vec::new(),
            networks: Vec::new(),
            processes: Vec::new(),
            alerts: Vec::new(),
            texts: Vec::new(),
        };
        Builder { batch, fields }
    }

    /// Adds `event`, with the detector's projected values (one per declared field, in order)
    /// and its raw record when the detector asked for it.
    pub fn push(&mut self, event: &model::Event, fields: &[Option<String>], raw: Option<&str>) {
        let index = self.batch.events.id.len() as u32;
        self.event(event);
        self.actor(&event.actor);
        let lineage = &event.enrichment.lineage;
        let origin = if lineage.origin.is_empty() { &event.actor.id } else { &lineage.origin };
        let origin = self.text(origin);
        let key_obtained_by = self.opt(&lineage.key_obtained_by);
        let l = &mut self.batch.lineage;
        l.origin.push(origin);
        l.hops.push(lineage.hops);
        l.key_obtained_by.push(key_obtained_by);

        for r in &event.resources {
            let resource = types::Resource {
                kind: self.text(&r.kind),
                id: self.text(&r.id),
                account: self.opt(&r.account),
            };
            self.batch.resources.push(resource);
        }
        self.batch.resource_ends.push(self.batch.resources.len() as u32);
        for technique in event.enrichment.techniques {
            let t = self.text(technique);
            self.batch.techniques.push(t);
        }
        self.batch.technique_ends.push(self.batch.techniques.len() as u32);
        for f in 0..self.fields {
            let value = fields.get(f).and_then(Option::as_deref);
            let v = value.map_or(0, |v| self.text(v));
            self.batch.fields.push(v);
        }
        if let Some(raw) = raw {
            let r = self.text(raw);
            self.batch.raw.push(r);
        }
        if let Some(n) = event.network.as_deref() {
            let network = self.network(index, n);
            self.batch.networks.push(network);
        }
        if let Some(p) = event.process.as_deref() {
            let process = self.process(index, p);
            self.batch.processes.push(process);
        }
        if let Some(a) = event.alert.as_deref() {
            let alert = self.alert(index, a);
            self.batch.alerts.push(alert);
        }
    }

    pub fn finish(self) -> Batch {
        Batch { columns: self.batch, fields: self.fields }
    }

    /// Appends `s` to the table. Strings are not looked up for reuse: copying the bytes of a
    /// repeated string costs less than hashing it, and the detector reads them in place.
    fn text(&mut self, s: &str) -> u32 {
        let strings = &mut self.batch.strings;
        strings.text.push_str(s);
        strings.ends.push(strings.text.len() as u32);
        (strings.ends.len() - 1) as u32
    }

    fn opt(&mut self, s: &Option<String>) -> u32 {
        s.as_deref().map_or(0, |s| self.text(s))
    }

    fn event(&mut self, e: &model::Event) {
        let mut flags = types::EventFlags::empty();
        flags.set(types::EventFlags::SUCCESS, e.success);
        flags.set(types::EventFlags::READ_ONLY, e.read_only);
        flags.set(types::EventFlags::MANAGEMENT, e.management);
        flags.set(types::EventFlags::MFA, e.actor.mfa);
        let id = self.text(&e.id);
        let provider = self.text(&e.provider);
        let source = self.text(&e.source);
        let service = self.text(&e.service);
        let action = self.text(&e.action);
        let error_code = self.opt(&e.error_code);
        let error_message = self.opt(&e.error_message);
        let account = self.text(&e.account);
        let region = self.text(&e.region);
        let source_ip = self.opt(&e.source_ip);
        let user_agent = self.opt(&e.user_agent);
        let request_id = self.opt(&e.ids.request);
        let correlation_id = self.opt(&e.ids.correlation);
        let c = &mut self.batch.events;
        c.id.push(id);
        c.time.push(e.time);
        c.provider.push(provider);
        c.source.push(source);
        c.plane.push(e.plane);
        c.class_uid.push(e.class.uid());
        c.category.push(e.category);
        c.service.push(service);
        c.action.push(action);
        c.access_level.push(e.access_level);
        c.flags.push(flags);
        c.error_code.push(error_code);
        c.error_message.push(error_message);
        c.account.push(account);
        c.region.push(region);
        c.source_ip.push(source_ip);
        c.user_agent.push(user_agent);
        c.request_id.push(request_id);
        c.correlation_id.push(correlation_id);
        c.risks.push(types::Risks::from_bits_retain(e.enrichment.risks.bits()));
    }

    fn actor(&mut self, a: &model::Actor) {
        let id = self.text(&a.id);
        let kind = self.text(&a.kind);
        let account = self.text(&a.account);
        let name = self.opt(&a.name);
        let access_key = self.opt(&a.access_key);
        let session_name = self.opt(&a.session_name);
        let session_issuer = self.opt(&a.session_issuer);
        let source_identity = self.opt(&a.source_identity);
        let invoked_by = self.opt(&a.invoked_by);
        for principal in &a.delegation {
            let p = self.text(principal);
            self.batch.actors.delegation.push(p);
        }
        let c = &mut self.batch.actors;
        c.id.push(id);
        c.kind.push(kind);
        c.account.push(account);
        c.name.push(name);
        c.access_key.push(access_key);
        c.session_name.push(session_name);
        c.session_issuer.push(session_issuer);
        c.source_identity.push(source_identity);
        c.invoked_by.push(invoked_by);
        c.delegation_ends.push(c.delegation.len() as u32);
    }

    fn network(&mut self, event: u32, n: &model::Network) -> types::Network {
        types::Network {
            event,
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

    fn process(&mut self, event: u32, p: &model::Process) -> types::Process {
        let host_paths = self.texts(&p.host_paths);
        types::Process {
            event,
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
            host_paths,
            host_pid: p.host_pid,
            host_network: p.host_network,
        }
    }

    fn alert(&mut self, event: u32, a: &model::Alert) -> types::Alert {
        types::Alert {
            event,
            rule: self.text(&a.rule),
            severity: a.severity.into(),
            tags: self.texts(&a.tags),
            reporter: self.text(&a.reporter),
        }
    }

    /// A run of `batch.texts` holding `items`.
    fn texts(&mut self, items: &[String]) -> types::Span {
        let start = self.batch.texts.len() as u32;
        for item in items {
            let t = self.text(item);
            self.batch.texts.push(t);
        }
        types::Span { start, len: self.batch.texts.len() as u32 - start }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Actor, Network, Resource, Risk, Risks};

    fn event(id: &str) -> model::Event {
        model::Event {
            id: id.into(),
            time: 1_700_000_000_000,
            provider: "gcp".into(),
            source: "gcp-audit".into(),
            service: "storage.googleapis.com".into(),
            action: "storage.setIamPermissions".into(),
            success: true,
            account: "acme-prod".into(),
            region: "europe-west1".into(),
            actor: Actor {
                id: "deploy@acme-prod.iam.gserviceaccount.com".into(),
                kind: "serviceAccount".into(),
                delegation: vec!["mallory@example.com".into()],
                ..Actor::default()
            },
            resources: vec![Resource { kind: "storage.buckets".into(), id: "b1".into(), account: None }],
            ..model::Event::default()
        }
    }

    #[test]
    fn every_event_reads_back_what_was_pushed() {
        let mut builder = Builder::new(2, 2);
        let first = event("e1");
        let mut second = event("e2");
        second.error_code = Some(String::new());
        second.network = Some(Box::new(Network { dst_port: Some(4444), ..Network::default() }));
        second.enrichment.risks = Risks::NONE.with(Risk::ResourceExposure);
        builder.push(&first, &[Some("allUsers".into()), None], Some("{}"));
        builder.push(&second, &[None, Some("x".into())], Some("{\"a\":1}"));
        let batch = builder.finish();
        assert_eq!(batch.len(), 2);
        let [a, b] = [batch.get(0).unwrap(), batch.get(1).unwrap()];
        assert_eq!((a.id(), b.id()), ("e1", "e2"));
        assert_eq!(a.action(), "storage.setIamPermissions");
        assert_eq!(a.actor().delegation().collect::<Vec<_>>(), ["mallory@example.com"]);
        assert_eq!(a.lineage().origin(), a.actor().id(), "an actor without lineage is its own origin");
        assert_eq!(a.resources().map(|r| r.id()).collect::<Vec<_>>(), ["b1"]);
        assert_eq!(
            (a.field_at(0), a.field_at(1), b.field_at(0), b.field_at(1)),
            (Some("allUsers"), None, None, Some("x"))
        );
        assert_eq!((a.raw(), b.raw()), (Some("{}"), Some("{\"a\":1}")));
        assert_eq!(a.error_code(), None);
        assert_eq!(b.error_code(), Some(""), "an empty value is not an absent one");
        assert!(a.network().is_none());
        assert_eq!(b.network().and_then(|n| n.dst_port()), Some(4444));
        assert!(b.risks().contains(Risk::ResourceExposure) && !a.risks().contains(Risk::ResourceExposure));
        assert!(a.success() && !a.management());
    }

    #[test]
    fn the_risk_bits_are_the_contract_flags_bits() {
        let pairs = [
            (Risk::PrivilegeEscalation, types::Risks::PRIVILEGE_ESCALATION),
            (Risk::ResourceExposure, types::Risks::RESOURCE_EXPOSURE),
            (Risk::DataExfiltration, types::Risks::DATA_EXFILTRATION),
            (Risk::CredentialExposure, types::Risks::CREDENTIAL_EXPOSURE),
            (Risk::DefenseEvasion, types::Risks::DEFENSE_EVASION),
        ];
        for (risk, flag) in pairs {
            assert_eq!(Risks::NONE.with(risk).bits(), flag.bits(), "{risk:?}");
        }
    }

    #[test]
    fn a_malformed_batch_reads_as_empty_values_never_a_panic() {
        let mut builder = Builder::new(1, 1);
        builder.push(&event("e1"), &[Some("v".into())], None);
        let mut columns = builder.finish().columns;
        // Indices past the table, ends running backwards and off a character boundary, short
        // columns, rare parts that name no event.
        columns.strings.text.push('é');
        let len = columns.strings.text.len() as u32;
        columns.strings.ends.push(len - 1);
        let off_boundary = (columns.strings.ends.len() - 1) as u32;
        columns.events.action[0] = 9_999;
        columns.events.service[0] = off_boundary;
        columns.events.time.clear();
        columns.actors.delegation_ends[0] = 50;
        columns.resource_ends[0] = u32::MAX;
        columns.fields[0] = 7_777;
        columns.networks.push(types::Network {
            event: 42,
            src_addr: 1,
            src_port: None,
            dst_addr: 1,
            dst_port: None,
            protocol: None,
            bytes: None,
            packets: None,
            allowed: None,
            interface: 1,
            end: None,
        });
        let batch = Batch::from_columns(columns);
        let e = batch.get(0).unwrap();
        assert_eq!((e.action(), e.service(), e.time()), ("", "", 0));
        assert_eq!(e.actor().delegation().count(), 0);
        assert_eq!(e.resources().count(), 0);
        assert_eq!(e.field_at(0), Some(""));
        assert!(e.network().is_none());
        assert!(batch.get(1).is_none());
    }
}
