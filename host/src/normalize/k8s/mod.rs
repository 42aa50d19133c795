//! Kubernetes audit events (`audit.k8s.io/v1` `Event`), from any API server: as the audit
//! log backend writes them (JSON lines), as EKS delivers them through CloudWatch Logs (each
//! log event's `message` is one audit event; see [`crate::normalize::logs`]), or exported.
//!
//! The action is the verb and what it was applied to: `create pods`, `create pods/exec`,
//! `get secrets`, or a non-resource path (`get /healthz`). A request must say one of them
//! (`verb`, `objectRef.resource` or `requestURI`); trimmed records without a verb read it as
//! `unknown`. The outcome is `responseStatus.code` (400 and above failed) or, without one, the
//! authorizer's decision. A request's stages share its `auditID`: the event id is the
//! `auditID` for the final stage (`ResponseComplete`) and `auditID:STAGE` for the others, so
//! every stage keeps an id of its own.
//!
//! For pods, and workloads that template them, the pod's namespace, name, first image,
//! whether any container is privileged, its `hostPath` mounts and whether it shares the host's
//! process or network namespace fill [`Process`], as for container runtime events.

mod identity;
mod shape;

use super::lenient::{owned, text, Loose};
use super::{content_id, not_json, time, Read, TopKeys};
use crate::event::{AccessLevel, Category, Event, OcsfClass, Plane, Process, ProviderIds, Resource};
use shape::{Audit, Manifest, Spec};

pub use identity::principal_kind;

/// Whether a record's top-level keys are an audit event's.
pub fn recognizes(keys: &TopKeys) -> bool {
    const OWN: [&str; 6] =
        ["auditID", "objectRef", "requestURI", "sourceIPs", "impersonatedUser", "requestReceivedTimestamp"];
    OWN.iter().any(|k| keys.has(k)) || (keys.has("verb") && (keys.has("user") || keys.has("kind")))
}

/// The event of one audit event given as JSON text, or why there is none.
pub fn read(json: &str) -> Result<Read, String> {
    let audit: Audit = serde_json::from_str(json).map_err(|e| not_json(&e))?;
    let verb = match &audit.verb {
        None => "unknown",
        Some(verb) => {
            verb.str().ok_or_else(|| format!("verb: expected a non-empty string, found {}", verb.kind()))?
        }
    };
    let object = &audit.object_ref.0;
    let resource = text(&object.resource);
    let target = match (resource, text(&object.subresource)) {
        (Some(resource), Some(sub)) => format!("{resource}/{sub}"),
        (Some(resource), None) => resource.to_string(),
        (None, _) => match text(&audit.request_uri) {
            Some(uri) => uri.split('?').next().unwrap_or(uri).to_string(),
            None if audit.verb.is_some() => String::new(),
            None => return Err("not a Kubernetes audit event: no verb, objectRef or requestURI".into()),
        },
    };
    let time = match time::optional(&audit.request_received, "requestReceivedTimestamp")? {
        Some(t) => Some(t),
        None => time::optional(&audit.stage_timestamp, "stageTimestamp")?,
    };
    let (success, error_code) = outcome(&audit);
    let access_level = access_level(verb, resource);
    let mut actor = identity::actor(&audit);
    let account = UNKNOWN_CLUSTER.to_string();
    if actor.account.is_empty() {
        actor.account = account.clone();
    }
    let audit_id = owned(&audit.audit_id);
    let id = match (&audit_id, text(&audit.stage)) {
        (Some(id), Some(stage)) if stage != "ResponseComplete" => format!("{id}:{stage}"),
        (Some(id), _) => id.clone(),
        (None, _) => content_id(json),
    };
    let action = if target.is_empty() { verb.to_string() } else { format!("{verb} {target}") };
    let event = Event {
        id,
        time: time.unwrap_or_default(),
        provider: "kubernetes".into(),
        source: super::SourceType::K8sAudit.name().into(),
        plane: Plane::Kubernetes,
        class: OcsfClass::ApiActivity,
        category: category(resource, text(&object.api_group)),
        service: text(&object.api_group).unwrap_or("k8s.io").to_string(),
        action,
        access_level,
        success,
        error_message: owned(&audit.response_status.0.message).filter(|_| !success),
        error_code,
        read_only: matches!(verb, "get" | "list" | "watch"),
        management: true,
        account,
        actor,
        source_ip: audit.source_ips.first().map(str::to_string),
        user_agent: owned(&audit.user_agent),
        resources: resources(&audit),
        process: process(&audit).map(Box::new),
        ids: ProviderIds { request: audit_id, correlation: None },
        ..Event::default()
    };
    Ok(Read::Event { event, time_missing: time.is_none() })
}

/// The account of an audit event: its cluster, which the event itself never names (a
/// CloudWatch Logs group or export that does may fill it in).
pub const UNKNOWN_CLUSTER: &str = "unknown";

/// Whether the request succeeded, and its error code: `responseStatus.reason` (`Forbidden`)
/// or the HTTP code. Without a response, the authorizer's `forbid` is a failure.
fn outcome(audit: &Audit<'_>) -> (bool, Option<String>) {
    let status = &audit.response_status.0;
    match status.code.as_ref().and_then(Loose::number) {
        Some(code) if code >= 400.0 => {
            (false, Some(owned(&status.reason).unwrap_or_else(|| format!("{}", code as i64))))
        }
        Some(_) => (true, None),
        None if text(&audit.annotations.0.decision) == Some("forbid") => (false, Some("Forbidden".into())),
        None => (true, None),
    }
}

/// Resources of role-based access control and authentication: writing them is permissions
/// management.
const IDENTITY_RESOURCES: &[&str] = &[
    "roles",
    "rolebindings",
    "clusterroles",
    "clusterrolebindings",
    "serviceaccounts",
    "certificatesigningrequests",
    "tokenreviews",
    "subjectaccessreviews",
    "selfsubjectaccessreviews",
    "localsubjectaccessreviews",
    "selfsubjectrulesreviews",
];

fn category(resource: Option<&str>, api_group: Option<&str>) -> Category {
    let identity_group = api_group.is_some_and(|g| {
        ["rbac.authorization.k8s.io", "authentication.k8s.io", "authorization.k8s.io", "certificates.k8s.io"]
            .contains(&g)
    });
    match resource {
        Some(r) if identity_group || IDENTITY_RESOURCES.contains(&r) => Category::Identity,
        Some("secrets") => Category::Security,
        Some("services" | "endpoints" | "endpointslices" | "ingresses" | "networkpolicies") => {
            Category::Network
        }
        Some("persistentvolumes" | "persistentvolumeclaims" | "storageclasses") => Category::Storage,
        Some(_) => Category::Compute,
        // A non-resource request: health, version, metrics.
        None => Category::Management,
    }
}

/// The access level of a verb on a resource, in the terms of AWS's IAM action definitions.
fn access_level(verb: &str, resource: Option<&str>) -> Option<AccessLevel> {
    let rbac = resource.is_some_and(|r| IDENTITY_RESOURCES.contains(&r));
    match verb {
        "get" | "head" => Some(AccessLevel::Read),
        "list" | "watch" => Some(AccessLevel::List),
        "bind" | "escalate" | "impersonate" => Some(AccessLevel::PermissionsManagement),
        "create" | "update" | "patch" | "delete" | "deletecollection" if rbac => {
            Some(AccessLevel::PermissionsManagement)
        }
        "create" | "update" | "patch" | "delete" | "deletecollection" | "post" | "put" => {
            Some(AccessLevel::Write)
        }
        _ => None,
    }
}

/// The object the request was about: kind is the resource, id `namespace/name` (`name` when
/// cluster-scoped, `namespace/*` for a namespace's collection).
fn resources(audit: &Audit<'_>) -> Vec<Resource> {
    let object = &audit.object_ref.0;
    let Some(kind) = owned(&object.resource) else { return Vec::new() };
    let id = match (text(&object.namespace), text(&object.name)) {
        (Some(ns), Some(name)) => format!("{ns}/{name}"),
        (None, Some(name)) => name.to_string(),
        (Some(ns), None) => format!("{ns}/*"),
        (None, None) => "*".to_string(),
    };
    vec![Resource { kind, id, account: None }]
}

/// The pod a request is about (`pods`, `pods/exec`, ...), or the pod template of a workload
/// being written: what container-plane detectors read.
fn process(audit: &Audit<'_>) -> Option<Process> {
    let object = &audit.object_ref.0;
    let manifest: &Manifest<'_> = &audit.request_object.0;
    let spec = pod_spec(&manifest.spec.0);
    let is_pod = text(&object.resource) == Some("pods");
    if !is_pod && spec.is_none() {
        return None;
    }
    let metadata = &manifest.metadata.0;
    let containers = || spec.into_iter().flat_map(|s| s.containers.0.iter().chain(&s.init_containers.0));
    let privileged = spec.map(|_| {
        containers().any(|c| c.security_context.0.privileged.as_ref().and_then(Loose::bool) == Some(true))
    });
    let flag = |value: Option<&Loose<'_>>| value.and_then(Loose::bool);
    Some(Process {
        image: containers().find_map(|c| owned(&c.image)),
        privileged,
        host_paths: spec
            .into_iter()
            .flat_map(|s| &s.volumes.0)
            .filter_map(|v| owned(&v.host_path.0.path))
            .collect(),
        host_pid: spec.and_then(|s| flag(s.host_pid.as_ref())),
        host_network: spec.and_then(|s| flag(s.host_network.as_ref())),
        namespace: owned(&object.namespace).or_else(|| owned(&metadata.namespace)),
        pod: if is_pod { owned(&object.name).or_else(|| owned(&metadata.name)) } else { None },
        ..Process::default()
    })
}

/// The spec that lists containers: the pod's own, or a template's, however deep (a CronJob
/// holds a Job template holding a pod template).
fn pod_spec<'s, 'a>(spec: &'s Spec<'a>) -> Option<&'s Spec<'a>> {
    if !spec.containers.0.is_empty() {
        return Some(spec);
    }
    [&spec.template.0.spec, &spec.job_template.0.spec]
        .into_iter()
        .flatten()
        .find_map(|inner| pod_spec(&inner.0))
}
