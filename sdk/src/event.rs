//! The event a detector receives, of every plane (cloud APIs, Kubernetes, network flows,
//! hosts and containers): a view into its [`Batch`]'s columns. Reading a field is an index
//! into a column and, for text, a slice of the batch's string table: nothing is built or
//! copied per event, so events a detector looks at briefly cost it almost nothing.
//!
//! A view borrows its batch; a detector that keeps something past the call copies it
//! (`event.id().to_string()`).

use crate::batch::Batch;
use crate::bindings::types;
use crate::model::{AccessLevel, Category, Plane, Risks};
use crate::Severity;

/// One normalized, enriched event.
#[derive(Clone, Copy)]
pub struct Event<'a> {
    batch: &'a Batch,
    i: usize,
}

/// A text column's accessor: a required text (empty when absent) or an optional one.
macro_rules! text {
    ($(#[$doc:meta])* $name:ident: $group:ident.$column:ident) => {
        $(#[$doc])*
        pub fn $name(&self) -> &'a str {
            self.batch.str(self.batch.columns.$group.$column.get(self.i).copied().unwrap_or(0))
        }
    };
    ($(#[$doc:meta])* $name:ident?: $group:ident.$column:ident) => {
        $(#[$doc])*
        pub fn $name(&self) -> Option<&'a str> {
            self.batch.opt(self.batch.columns.$group.$column.get(self.i).copied().unwrap_or(0))
        }
    };
}

impl<'a> Event<'a> {
    pub(crate) fn new(batch: &'a Batch, i: usize) -> Self {
        Event { batch, i }
    }

    fn columns(&self) -> &'a types::Events {
        &self.batch.columns.events
    }

    fn flag(&self, flag: types::EventFlags) -> bool {
        self.columns().flags.get(self.i).is_some_and(|f| f.contains(flag))
    }

    text!(
        /// The provider's event id, or a stable id derived from the record's content.
        id: events.id
    );
    text!(
        /// `aws`, `gcp`, `azure`, `kubernetes`, `host`.
        provider: events.provider
    );
    text!(
        /// The log source: `aws-cloudtrail`, `gcp-audit`, `azure-activity`, `k8s-audit`, ...
        source: events.source
    );
    text!(
        /// Service endpoint: `iam.amazonaws.com`, `storage.googleapis.com`, ...
        service: events.service
    );
    text!(
        /// What was done: CloudTrail `eventName`, GCP `methodName`, Azure `operationName`, a
        /// Kubernetes verb and resource, `ACCEPT`/`REJECT`, the rule a Falco alert fired.
        action: events.action
    );
    text!(error_code?: events.error_code);
    text!(error_message?: events.error_message);
    text!(
        /// Account, project, subscription or cluster the event was recorded in.
        account: events.account
    );
    text!(
        /// Region or location.
        region: events.region
    );
    text!(source_ip?: events.source_ip);
    text!(user_agent?: events.user_agent);
    text!(
        /// The provider's id of the call (CloudTrail `requestID`, Kubernetes `auditID`).
        request_id?: events.request_id
    );
    text!(
        /// The provider's id tying calls together (Azure `correlationId`, ...).
        correlation_id?: events.correlation_id
    );

    /// Milliseconds since the Unix epoch.
    pub fn time(&self) -> i64 {
        self.columns().time.get(self.i).copied().unwrap_or(0)
    }

    pub fn plane(&self) -> Plane {
        self.columns().plane.get(self.i).copied().unwrap_or_default()
    }

    /// The OCSF class: 6003 API Activity, 4001 Network Activity, 1007 Process Activity,
    /// 1001 File System Activity, 2004 Detection Finding.
    pub fn class_uid(&self) -> u32 {
        self.columns().class_uid.get(self.i).copied().unwrap_or(0)
    }

    pub fn category(&self) -> Category {
        self.columns().category.get(self.i).copied().unwrap_or_default()
    }

    /// How much access the action exercises, when the host knows it.
    pub fn access_level(&self) -> Option<AccessLevel> {
        self.columns().access_level.get(self.i).copied().flatten()
    }

    pub fn success(&self) -> bool {
        self.flag(types::EventFlags::SUCCESS)
    }

    pub fn read_only(&self) -> bool {
        self.flag(types::EventFlags::READ_ONLY)
    }

    /// A control-plane call rather than a data access.
    pub fn management(&self) -> bool {
        self.flag(types::EventFlags::MANAGEMENT)
    }

    /// The harm the action can do in the wrong hands.
    pub fn risks(&self) -> Risks {
        self.columns().risks.get(self.i).map_or(Risks::NONE, |r| Risks::from_bits(r.bits()))
    }

    pub fn actor(&self) -> Actor<'a> {
        Actor { event: *self }
    }

    /// Where the actor's trail began, as the host follows role hops and impersonations.
    pub fn lineage(&self) -> Lineage<'a> {
        Lineage { event: *self }
    }

    /// The resources the event touched.
    pub fn resources(&self) -> impl ExactSizeIterator<Item = Resource<'a>> + 'a {
        let batch = self.batch;
        let c = &batch.columns;
        Batch::run(&c.resources, &c.resource_ends, self.i).iter().map(move |r| Resource { batch, r })
    }

    /// The first resource of the given kind.
    pub fn resource(&self, kind: &str) -> Option<Resource<'a>> {
        self.resources().find(|r| r.kind() == kind)
    }

    /// MITRE ATT&CK technique ids the action serves.
    pub fn techniques(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        let batch = self.batch;
        let c = &batch.columns;
        Batch::run(&c.techniques, &c.technique_ends, self.i).iter().map(move |&t| batch.str(t))
    }

    /// Traffic between two endpoints (flow logs).
    pub fn network(&self) -> Option<Network<'a>> {
        let batch = self.batch;
        part(&batch.columns.networks, self.i, |n| n.event).map(|n| Network { batch, n })
    }

    /// What happened on a host or in a container (Falco).
    pub fn process(&self) -> Option<Process<'a>> {
        let batch = self.batch;
        part(&batch.columns.processes, self.i, |p| p.event).map(|p| Process { batch, p })
    }

    /// The detection the event carries: a Falco rule that fired, or another plugin's finding.
    pub fn alert(&self) -> Option<Alert<'a>> {
        let batch = self.batch;
        part(&batch.columns.alerts, self.i, |a| a.event).map(|a| Alert { batch, a })
    }

    /// The value the host projected for `path`, one of the paths declared in
    /// [`crate::Info::fields`]. A string match comes as-is; other matches as JSON text.
    pub fn field(&self, path: &str) -> Option<&'a str> {
        self.field_at(crate::fields::index_of(path)?)
    }

    /// The texts of a projected value that may match several times (`$.items[*].id`): one
    /// match comes as-is, several as a JSON array, whose strings (and other values, as JSON
    /// text) this lists; none when the path matched nothing or only nulls.
    pub fn field_texts(&self, path: &str) -> Vec<String> {
        let Some(value) = self.field(path) else { return Vec::new() };
        if !value.starts_with('[') {
            return vec![value.to_string()];
        }
        match serde_json::from_str::<Vec<serde_json::Value>>(value) {
            Ok(items) => items
                .into_iter()
                .filter(|v| !v.is_null())
                .map(|v| match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect(),
            // A string that only looks like an array is one value.
            Err(_) => vec![value.to_string()],
        }
    }

    /// The projected value at `index` of [`crate::Info::fields`].
    pub fn field_at(&self, index: usize) -> Option<&'a str> {
        let batch = self.batch;
        if index >= batch.fields {
            return None;
        }
        batch.opt(*batch.columns.fields.get(self.i * batch.fields + index)?)
    }

    /// The raw record as JSON text, when [`crate::Info::raw`] was asked for.
    pub fn raw(&self) -> Option<&'a str> {
        self.batch.opt(*self.batch.columns.raw.get(self.i)?)
    }

    /// The raw record parsed as JSON, when it was asked for.
    pub fn raw_json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(self.raw()?).ok()
    }

    /// True when the call failed with an access-denied style error.
    pub fn denied(&self) -> bool {
        matches!(self.error_code(), Some(code) if code.contains("AccessDenied") || code.contains("Unauthorized") || code.contains("PERMISSION_DENIED") || code == "403")
    }
}

impl std::fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("id", &self.id())
            .field("time", &self.time())
            .field("source", &self.source())
            .field("action", &self.action())
            .field("actor", &self.actor().id())
            .finish_non_exhaustive()
    }
}

/// The row of a rare part (network, process, alert) that belongs to event `i`: rows are in
/// event order, so a binary search finds it.
fn part<T>(rows: &[T], i: usize, event: impl Fn(&T) -> u32) -> Option<&T> {
    let at = rows.partition_point(|r| (event(r) as usize) < i);
    rows.get(at).filter(|r| event(r) as usize == i)
}

/// Who performed an action, normalized across providers and identity kinds.
#[derive(Clone, Copy)]
pub struct Actor<'a> {
    event: Event<'a>,
}

impl<'a> Actor<'a> {
    fn text(&self, column: &[u32]) -> u32 {
        column.get(self.event.i).copied().unwrap_or(0)
    }

    fn columns(&self) -> &'a types::Actors {
        &self.event.batch.columns.actors
    }

    /// Stable principal id: an ARN, a GCP principal email, an Azure object id or UPN, a
    /// Kubernetes user name; `unknown` when the log names nobody.
    pub fn id(&self) -> &'a str {
        self.event.batch.str(self.text(&self.columns().id))
    }

    /// The identity kind as the provider names it (CloudTrail `userIdentity.type`, ...).
    pub fn kind(&self) -> &'a str {
        self.event.batch.str(self.text(&self.columns().kind))
    }

    /// Account, project, subscription or tenant that owns the principal.
    pub fn account(&self) -> &'a str {
        self.event.batch.str(self.text(&self.columns().account))
    }

    pub fn name(&self) -> Option<&'a str> {
        self.event.batch.opt(self.text(&self.columns().name))
    }

    pub fn access_key(&self) -> Option<&'a str> {
        self.event.batch.opt(self.text(&self.columns().access_key))
    }

    /// For assumed roles and federated users: the role session name.
    pub fn session_name(&self) -> Option<&'a str> {
        self.event.batch.opt(self.text(&self.columns().session_name))
    }

    /// The role or user that issued the session.
    pub fn session_issuer(&self) -> Option<&'a str> {
        self.event.batch.opt(self.text(&self.columns().session_issuer))
    }

    /// `sourceIdentity` carried across role chains.
    pub fn source_identity(&self) -> Option<&'a str> {
        self.event.batch.opt(self.text(&self.columns().source_identity))
    }

    /// The service that acted on the principal's behalf.
    pub fn invoked_by(&self) -> Option<&'a str> {
        self.event.batch.opt(self.text(&self.columns().invoked_by))
    }

    /// The principal authenticated with MFA.
    pub fn mfa(&self) -> bool {
        self.event.flag(types::EventFlags::MFA)
    }

    /// The principals this identity acts for, the original caller first.
    pub fn delegation(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        let batch = self.event.batch;
        let c = self.columns();
        Batch::run(&c.delegation, &c.delegation_ends, self.event.i).iter().map(move |&p| batch.str(p))
    }
}

/// Where an actor's trail began.
#[derive(Clone, Copy)]
pub struct Lineage<'a> {
    event: Event<'a>,
}

impl<'a> Lineage<'a> {
    fn columns(&self) -> &'a types::Lineages {
        &self.event.batch.columns.lineage
    }

    /// The identity the chain started from (the actor itself when it is its own origin).
    pub fn origin(&self) -> &'a str {
        self.event.batch.str(self.columns().origin.get(self.event.i).copied().unwrap_or(0))
    }

    /// Hops from the origin to the actor.
    pub fn hops(&self) -> u32 {
        self.columns().hops.get(self.event.i).copied().unwrap_or(0)
    }

    /// The identity that obtained the temporary access key the call was made with.
    pub fn key_obtained_by(&self) -> Option<&'a str> {
        self.event.batch.opt(self.columns().key_obtained_by.get(self.event.i).copied().unwrap_or(0))
    }
}

/// A resource an event touched.
#[derive(Clone, Copy)]
pub struct Resource<'a> {
    batch: &'a Batch,
    r: &'a types::Resource,
}

impl<'a> Resource<'a> {
    /// Resource type, e.g. `AWS::S3::Bucket`, `storage.buckets`, `pods`.
    pub fn kind(&self) -> &'a str {
        self.batch.str(self.r.kind)
    }

    /// ARN or provider id.
    pub fn id(&self) -> &'a str {
        self.batch.str(self.r.id)
    }

    pub fn account(&self) -> Option<&'a str> {
        self.batch.opt(self.r.account)
    }
}

/// Traffic between two endpoints.
#[derive(Clone, Copy)]
pub struct Network<'a> {
    batch: &'a Batch,
    n: &'a types::Network,
}

impl<'a> Network<'a> {
    pub fn src_addr(&self) -> Option<&'a str> {
        self.batch.opt(self.n.src_addr)
    }

    pub fn src_port(&self) -> Option<u16> {
        self.n.src_port
    }

    pub fn dst_addr(&self) -> Option<&'a str> {
        self.batch.opt(self.n.dst_addr)
    }

    pub fn dst_port(&self) -> Option<u16> {
        self.n.dst_port
    }

    /// IANA protocol number (6 TCP, 17 UDP, 1 ICMP).
    pub fn protocol(&self) -> Option<u8> {
        self.n.protocol
    }

    pub fn bytes(&self) -> Option<u64> {
        self.n.bytes
    }

    pub fn packets(&self) -> Option<u64> {
        self.n.packets
    }

    /// Let through (`ACCEPT`) or not (`REJECT`), when recorded.
    pub fn allowed(&self) -> Option<bool> {
        self.n.allowed
    }

    /// Network interface, e.g. `eni-0123456789abcdef0`.
    pub fn interface(&self) -> Option<&'a str> {
        self.batch.opt(self.n.interface)
    }

    /// End of the flow's window, ms since the Unix epoch.
    pub fn end(&self) -> Option<i64> {
        self.n.end
    }
}

/// What happened on a host or in a container.
#[derive(Clone, Copy)]
pub struct Process<'a> {
    batch: &'a Batch,
    p: &'a types::Process,
}

impl<'a> Process<'a> {
    pub fn hostname(&self) -> Option<&'a str> {
        self.batch.opt(self.p.hostname)
    }

    pub fn name(&self) -> Option<&'a str> {
        self.batch.opt(self.p.name)
    }

    pub fn exe(&self) -> Option<&'a str> {
        self.batch.opt(self.p.exe)
    }

    pub fn cmdline(&self) -> Option<&'a str> {
        self.batch.opt(self.p.cmdline)
    }

    pub fn pid(&self) -> Option<i64> {
        self.p.pid
    }

    /// The parent process's name.
    pub fn parent(&self) -> Option<&'a str> {
        self.batch.opt(self.p.parent)
    }

    pub fn user(&self) -> Option<&'a str> {
        self.batch.opt(self.p.user)
    }

    /// The file or connection the process used.
    pub fn file(&self) -> Option<&'a str> {
        self.batch.opt(self.p.file)
    }

    pub fn container_id(&self) -> Option<&'a str> {
        self.batch.opt(self.p.container_id)
    }

    pub fn container_name(&self) -> Option<&'a str> {
        self.batch.opt(self.p.container_name)
    }

    pub fn image(&self) -> Option<&'a str> {
        self.batch.opt(self.p.image)
    }

    pub fn privileged(&self) -> Option<bool> {
        self.p.privileged
    }

    pub fn pod(&self) -> Option<&'a str> {
        self.batch.opt(self.p.pod)
    }

    pub fn namespace(&self) -> Option<&'a str> {
        self.batch.opt(self.p.namespace)
    }

    /// Host folders mounted into the pod (Kubernetes `hostPath` volumes).
    pub fn host_paths(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        self.batch.texts(self.p.host_paths)
    }

    /// The pod shares the host's process namespace (`hostPID`).
    pub fn host_pid(&self) -> Option<bool> {
        self.p.host_pid
    }

    /// The pod shares the host's network namespace (`hostNetwork`).
    pub fn host_network(&self) -> Option<bool> {
        self.p.host_network
    }
}

/// A detection an event carries: an upstream alert (a Falco rule that fired) or another
/// plugin's finding.
#[derive(Clone, Copy)]
pub struct Alert<'a> {
    batch: &'a Batch,
    a: &'a types::Alert,
}

impl<'a> Alert<'a> {
    pub fn rule(&self) -> &'a str {
        self.batch.str(self.a.rule)
    }

    pub fn severity(&self) -> Severity {
        self.a.severity.into()
    }

    pub fn tags(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        self.batch.texts(self.a.tags)
    }

    /// What reported it: `falco`, or the plugin's name.
    pub fn reporter(&self) -> &'a str {
        self.batch.str(self.a.reporter)
    }
}
