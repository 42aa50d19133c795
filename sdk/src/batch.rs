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
        // The count the detector declared, not one inferred from the column's length: a
        // column of the wrong length must read as missing values, not another event's.
        let fields = crate::fields::declared_count();
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
            // Events pushed before without a raw record keep their places (0: none).
            self.batch.raw.resize(index as usize, 0);
            self.batch.raw.push(r);
        } else if !self.batch.raw.is_empty() {
            self.batch.raw.push(0);
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
    use crate::model::{AccessLevel, Actor, Category, Network, Plane, Resource, Risk, Risks};

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
    fn a_projected_value_is_one_text_or_the_texts_of_an_array() {
        crate::declare_fields(&["$.ids[*]".into()]);
        let values = ["e-1", r#"["e-1",null,7,{"a":1}]"#, "[not an array", "[]"];
        let mut builder = Builder::new(values.len() + 1, 1);
        for v in values {
            builder.push(&event(v), &[Some(v.into())], None);
        }
        builder.push(&event("none"), &[None], None);
        let batch = builder.finish();
        let texts: Vec<Vec<String>> = batch.iter().map(|e| e.field_texts("$.ids[*]")).collect();
        let expected: [&[&str]; 5] = [&["e-1"], &["e-1", "7", r#"{"a":1}"#], &["[not an array"], &[], &[]];
        assert_eq!(texts, expected.map(|e| e.iter().map(|s| s.to_string()).collect::<Vec<_>>()));
    }

    #[test]
    fn a_malformed_batch_reads_as_empty_values_never_a_panic() {
        crate::declare_fields(&["$.v".into()]);
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

    // ---- review tests ----

    fn network_row(event: u32) -> types::Network {
        types::Network {
            event,
            src_addr: 0,
            src_port: Some(event as u16),
            dst_addr: 0,
            dst_port: None,
            protocol: None,
            bytes: None,
            packets: None,
            allowed: None,
            interface: 0,
            end: None,
        }
    }

    fn three() -> types::Batch {
        // What the glue declares in `configure` (from_columns may rely on it).
        crate::declare_fields(&["$.f0".into(), "$.f1".into()]);
        let mut builder = Builder::new(3, 2);
        for id in ["e0", "e1", "e2"] {
            builder.push(&event(id), &[Some(format!("{id}-f0")), Some(format!("{id}-f1"))], None);
        }
        builder.finish().columns
    }

    #[test]
    fn hostile_string_table_never_panics() {
        let mut c = three();
        // ends running backwards, past the text, u32::MAX, and a nonzero ends[0].
        c.strings.ends[0] = 3;
        let n = c.strings.ends.len();
        c.strings.ends[n - 1] = u32::MAX;
        c.strings.ends[n / 2] = 0;
        c.events.id[0] = u32::MAX;
        c.events.provider[0] = (n - 1) as u32;
        c.events.source[0] = (n / 2 + 1) as u32;
        c.actors.delegation[0] = u32::MAX;
        c.techniques.push(u32::MAX);
        c.technique_ends[0] = 1;
        let batch = Batch::from_columns(c);
        for e in batch.iter() {
            let _ = (e.id(), e.provider(), e.source(), e.service(), e.action(), e.error_code(), e.raw());
            let _ = e.actor().delegation().collect::<Vec<_>>();
            let _ = e.techniques().collect::<Vec<_>>();
            let _ = (e.field_at(0), e.field_at(1), e.field_at(usize::MAX));
            let _ = format!("{e:?}");
        }
        let e = batch.get(0).unwrap();
        assert_eq!(e.id(), "");
        assert_eq!(e.provider(), "");
    }

    #[test]
    fn hostile_spans_and_ends_never_panic() {
        let mut c = three();
        c.texts = vec![1, 2, 3];
        let span = |start, len| types::Span { start, len };
        for (i, s) in [span(u32::MAX, u32::MAX), span(2, u32::MAX), span(u32::MAX, 1)].into_iter().enumerate()
        {
            c.alerts.push(types::Alert {
                event: i as u32,
                rule: 0,
                severity: types::Severity::Low,
                tags: s,
                reporter: u32::MAX,
            });
            c.processes.push(types::Process {
                event: i as u32,
                hostname: u32::MAX,
                name: 0,
                exe: 0,
                cmdline: 0,
                pid: None,
                parent: 0,
                user: 0,
                file: 0,
                container_id: 0,
                container_name: 0,
                image: 0,
                privileged: None,
                pod: 0,
                namespace: 0,
                host_paths: s,
                host_pid: None,
                host_network: None,
            });
        }
        // ends decreasing, and past the list.
        c.resource_ends = vec![u32::MAX, 0, 5];
        c.actors.delegation_ends = vec![1, 0];
        c.technique_ends = vec![];
        let batch = Batch::from_columns(c);
        for e in batch.iter() {
            let a = e.alert().unwrap();
            let _ = (a.rule(), a.reporter(), a.severity(), a.tags().count());
            let p = e.process().unwrap();
            let _ = (p.hostname(), p.host_paths().count());
            let _ = e.resources().count();
            let _ = e.actor().delegation().count();
            let _ = e.techniques().count();
        }
        // A span running past the list reads as empty as a whole (not clipped).
        assert_eq!(batch.get(1).unwrap().alert().unwrap().tags().count(), 0);
    }

    #[test]
    fn rare_parts_out_of_order_or_duplicated_never_panic() {
        let mut c = three();
        c.networks =
            vec![network_row(2), network_row(0), network_row(0), network_row(1), network_row(u32::MAX)];
        let batch = Batch::from_columns(c);
        for e in batch.iter() {
            let _ = e.network().map(|n| n.src_port());
        }
    }

    /// A column shorter than the others (time, flags, actors, lineage) reads as empty.
    #[test]
    fn short_columns_read_empty() {
        let mut c = three();
        c.events.time.truncate(1);
        c.events.flags.clear();
        c.events.plane.clear();
        c.events.access_level.clear();
        c.events.risks.clear();
        c.actors.id.truncate(1);
        c.lineage.hops.clear();
        c.lineage.origin.clear();
        let batch = Batch::from_columns(c);
        let e = batch.get(2).unwrap();
        assert_eq!(
            (e.time(), e.success(), e.actor().id(), e.lineage().hops(), e.lineage().origin()),
            (0, false, "", 0, "")
        );
        assert!(e.risks().is_empty());
        assert_eq!(e.access_level(), None);
    }

    /// The fields column is one entry short of events x fields: every read must be empty
    /// (or right), never another event's value.
    #[test]
    fn short_fields_column_never_reads_another_events_value() {
        let mut c = three();
        c.fields.pop(); // 5 entries for 3 events x 2 fields
        let batch = Batch::from_columns(c);
        for (i, e) in batch.iter().enumerate() {
            for f in 0..2 {
                let v = e.field_at(f);
                assert!(
                    v.is_none() || v == Some(format!("e{i}-f{f}").as_str()),
                    "event {i} field {f} read {v:?}"
                );
            }
        }
    }

    /// A fields column longer than events x fields (not a multiple) must not shift values.
    #[test]
    fn long_fields_column_keeps_values_aligned() {
        let mut c = three();
        c.fields.push(0);
        let batch = Batch::from_columns(c);
        for (i, e) in batch.iter().enumerate() {
            assert_eq!(e.field_at(1), Some(format!("e{i}-f1").as_str()));
        }
    }

    /// The detector declared 2 fields, the wasm glue infers the count from the column: with
    /// three events the column must be 6 long; a longer extra row of fields for all events
    /// would change the inferred count. Native (Builder) and wasm (from_columns) must agree.
    #[test]
    fn from_columns_agrees_with_builder_on_field_count() {
        crate::declare_fields(&["$.f0".into(), "$.f1".into()]);
        let built = {
            let mut b = Builder::new(3, 2);
            for id in ["e0", "e1", "e2"] {
                b.push(&event(id), &[Some(format!("{id}-f0"))], None); // fewer values than fields
            }
            b.finish()
        };
        let lifted = Batch::from_columns(built.columns().clone());
        assert_eq!(built.fields, lifted.fields);
    }

    /// Raw records given for some events only (Harness::prepare, a host with a record that
    /// has none) must not shift onto other events.
    #[test]
    fn raw_stays_with_its_event() {
        let mut builder = Builder::new(2, 0);
        builder.push(&event("e0"), &[], None);
        builder.push(&event("e1"), &[], Some("{\"raw\":1}"));
        let batch = builder.finish();
        assert_eq!(batch.get(0).unwrap().raw(), None, "event 0 had no raw record");
        assert_eq!(batch.get(1).unwrap().raw(), Some("{\"raw\":1}"));
    }

    /// Every field of the owned model reads back through the views, optional apart from empty.
    #[test]
    fn every_model_field_round_trips() {
        use crate::model::{Alert, Lineage, OcsfClass, Process, ProviderIds};
        let e = model::Event {
            id: "id".into(),
            time: -5,
            provider: "prov".into(),
            source: "src".into(),
            plane: Plane::Host,
            class: OcsfClass::ProcessActivity,
            category: Category::Security,
            service: "svc".into(),
            action: "act".into(),
            access_level: Some(AccessLevel::Tagging),
            success: false,
            error_code: Some("ec".into()),
            error_message: Some(String::new()),
            read_only: true,
            management: false,
            account: "acct".into(),
            region: "reg".into(),
            actor: Actor {
                id: "aid".into(),
                kind: "akind".into(),
                account: "aacct".into(),
                name: Some("aname".into()),
                access_key: Some("akey".into()),
                session_name: Some("sname".into()),
                session_issuer: Some("siss".into()),
                source_identity: Some("sid".into()),
                mfa: true,
                invoked_by: Some(String::new()),
                delegation: vec!["d1".into(), "d2".into()],
            },
            source_ip: Some("1.2.3.4".into()),
            user_agent: None,
            resources: vec![
                Resource { kind: "k1".into(), id: "r1".into(), account: Some("ra".into()) },
                Resource { kind: "k2".into(), id: "".into(), account: Some(String::new()) },
            ],
            network: Some(Box::new(Network {
                src_addr: Some("s".into()),
                src_port: Some(1),
                dst_addr: Some("d".into()),
                dst_port: Some(2),
                protocol: Some(6),
                bytes: Some(3),
                packets: Some(4),
                allowed: Some(false),
                interface: Some("eni".into()),
                end: Some(9),
            })),
            process: Some(Box::new(Process {
                hostname: Some("h".into()),
                name: Some("n".into()),
                exe: Some("x".into()),
                cmdline: Some("c".into()),
                pid: Some(7),
                parent: Some("par".into()),
                user: Some("u".into()),
                file: Some("f".into()),
                container_id: Some("cid".into()),
                container_name: Some("cn".into()),
                image: Some("img".into()),
                privileged: Some(true),
                pod: Some("pod".into()),
                namespace: Some("ns".into()),
                host_paths: vec!["/".into(), "/etc".into()],
                host_pid: Some(false),
                host_network: Some(true),
            })),
            alert: Some(Box::new(Alert {
                rule: "rule".into(),
                severity: crate::Severity::High,
                tags: vec!["t1".into(), "t2".into()],
                reporter: "falco".into(),
            })),
            ids: ProviderIds { request: Some("req".into()), correlation: Some("cor".into()) },
            enrichment: model::Enrichment {
                techniques: &["T1", "T2"],
                risks: Risks::NONE.with(Risk::DefenseEvasion).with(Risk::PrivilegeEscalation),
                lineage: Lineage { origin: "orig".into(), hops: 3, key_obtained_by: Some("kob".into()) },
            },
        };
        let mut b = Builder::new(2, 0);
        b.push(&event("before"), &[], None);
        b.push(&e, &[], None);
        b.push(&event("after"), &[], None);
        let batch = Batch::from_columns(b.finish().columns().clone());
        let v = batch.get(1).unwrap();
        assert_eq!((v.id(), v.time(), v.provider(), v.source()), ("id", -5, "prov", "src"));
        assert_eq!((v.plane(), v.class_uid(), v.category()), (Plane::Host, 1007, Category::Security));
        assert_eq!((v.service(), v.action(), v.access_level()), ("svc", "act", Some(AccessLevel::Tagging)));
        assert_eq!((v.success(), v.read_only(), v.management()), (false, true, false));
        assert_eq!((v.error_code(), v.error_message()), (Some("ec"), Some("")));
        assert_eq!(
            (v.account(), v.region(), v.source_ip(), v.user_agent()),
            ("acct", "reg", Some("1.2.3.4"), None)
        );
        assert_eq!((v.request_id(), v.correlation_id()), (Some("req"), Some("cor")));
        let a = v.actor();
        assert_eq!((a.id(), a.kind(), a.account(), a.name()), ("aid", "akind", "aacct", Some("aname")));
        assert_eq!(
            (a.access_key(), a.session_name(), a.session_issuer()),
            (Some("akey"), Some("sname"), Some("siss"))
        );
        assert_eq!((a.source_identity(), a.invoked_by(), a.mfa()), (Some("sid"), Some(""), true));
        assert_eq!(a.delegation().collect::<Vec<_>>(), ["d1", "d2"]);
        let l = v.lineage();
        assert_eq!((l.origin(), l.hops(), l.key_obtained_by()), ("orig", 3, Some("kob")));
        let r: Vec<_> = v.resources().map(|r| (r.kind(), r.id(), r.account())).collect();
        assert_eq!(r, [("k1", "r1", Some("ra")), ("k2", "", Some(""))]);
        assert_eq!(v.techniques().collect::<Vec<_>>(), ["T1", "T2"]);
        assert!(v.risks().contains(Risk::DefenseEvasion) && v.risks().contains(Risk::PrivilegeEscalation));
        assert!(!v.risks().contains(Risk::DataExfiltration));
        let n = v.network().unwrap();
        assert_eq!(
            (n.src_addr(), n.src_port(), n.dst_addr(), n.dst_port()),
            (Some("s"), Some(1), Some("d"), Some(2))
        );
        assert_eq!(
            (n.protocol(), n.bytes(), n.packets(), n.allowed()),
            (Some(6), Some(3), Some(4), Some(false))
        );
        assert_eq!((n.interface(), n.end()), (Some("eni"), Some(9)));
        let p = v.process().unwrap();
        assert_eq!(
            (p.hostname(), p.name(), p.exe(), p.cmdline(), p.pid()),
            (Some("h"), Some("n"), Some("x"), Some("c"), Some(7))
        );
        assert_eq!((p.parent(), p.user(), p.file()), (Some("par"), Some("u"), Some("f")));
        assert_eq!((p.container_id(), p.container_name(), p.image()), (Some("cid"), Some("cn"), Some("img")));
        assert_eq!((p.privileged(), p.pod(), p.namespace()), (Some(true), Some("pod"), Some("ns")));
        assert_eq!(p.host_paths().collect::<Vec<_>>(), ["/", "/etc"]);
        assert_eq!((p.host_pid(), p.host_network()), (Some(false), Some(true)));
        let al = v.alert().unwrap();
        assert_eq!((al.rule(), al.severity(), al.reporter()), ("rule", crate::Severity::High, "falco"));
        assert_eq!(al.tags().collect::<Vec<_>>(), ["t1", "t2"]);
        // The neighbours have no rare parts.
        for i in [0, 2] {
            let o = batch.get(i).unwrap();
            assert!(o.network().is_none() && o.process().is_none() && o.alert().is_none());
            assert_eq!(o.techniques().count(), 0);
        }
        assert_eq!(batch.get(2).unwrap().id(), "after");
    }
}
