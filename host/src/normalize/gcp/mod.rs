//! GCP Cloud Audit Logs: a Cloud Logging entry whose `protoPayload` is an `AuditLog`
//! (admin activity, data access, system event and policy-denied logs), as a log sink exports
//! it to JSON lines or a JSON array, or with its top-level keys folded to lower case.
//!
//! An entry must say what was called (`protoPayload.methodName`; in trimmed copies that lost
//! it, the first permission IAM checked, `authorizationInfo[].permission`); the rest is filled
//! from the next best source where trimmed or exported copies lack it:
//! - the time: `timestamp`, else `receiveTimestamp`, else when the service received the
//!   request; none of them readable: marked so, and given the stream's time by the engine;
//! - the project: `resource.labels.project_id`, else the parent in `logName`;
//! - the service: `serviceName`, else the one `resource.labels` or `operation` names;
//! - the id: `insertId`, else a stable id derived from the record's content;
//! - the caller: `principalEmail`, else `principalSubject`, else `unknown`.
//!
//! A call failed when its `status.code` is not 0 (the code is given by its `google.rpc.Code`
//! name, `PERMISSION_DENIED`) or when IAM refused a permission it checked (`granted: false`).
//! Entries whose payload is another type than an `AuditLog` are skipped with a reason.

mod catalog;
mod identity;
mod shape;

use super::lenient::{owned, scalar_text, text, FoldedKeys, Loose, Object};
use super::{content_id, not_json, required_str, time, verbs, Read, SourceType, TopKeys};
use crate::event::{Event, OcsfClass, Plane, ProviderIds, Resource};
use shape::{AuditLog, LogEntry};

/// The log of data-access audit entries ends so (`%2F` is the `/` of
/// `cloudaudit.googleapis.com/data_access`, which some exports decode).
const DATA_ACCESS_LOGS: [&str; 2] =
    ["cloudaudit.googleapis.com%2Fdata_access", "cloudaudit.googleapis.com/data_access"];

/// Whether a record's top-level keys are a Cloud Logging entry's with a `protoPayload`.
pub fn recognizes(keys: &TopKeys) -> bool {
    keys.has_folded("protoPayload")
}

/// The event of one audit log entry given as JSON text, or why there is none.
pub fn read(json: &str) -> Result<Read, String> {
    let FoldedKeys(entry): shape::Record = serde_json::from_str(json).map_err(|e| not_json(&e))?;
    let Some(Object(log)) = &entry.proto_payload else {
        return Err(format!("{} GCP audit log record: no protoPayload", super::NOT_A));
    };
    let payload_type = text(&log.type_url).or_else(|| text(&log.at_type));
    if payload_type.is_some_and(|t| !t.ends_with("google.cloud.audit.AuditLog")) {
        return Ok(Read::Skip("a GCP log entry whose payload is not an audit log"));
    }
    let method = match log.authorization_info.0.iter().find_map(|check| text(&check.permission)) {
        // Trimmed copies lose the method; the permission checked says what was attempted.
        Some(permission) if log.method_name.is_none() => permission,
        _ => required_str(&log.method_name, "protoPayload.methodName", "GCP audit log")?,
    };
    let received = &log.request_metadata.0.request_attributes.0.time;
    let time = time::with_fallbacks(&entry.timestamp, "timestamp", &[&entry.receive_timestamp, received])?;
    let labels = &entry.resource.0.labels.0;
    let log_name = text(&entry.log_name);
    let account = scalar_text(&labels.project_id)
        .or_else(|| log_name.and_then(log_parent).map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    let service = text(&log.service_name)
        .or_else(|| text(&labels.service))
        .or_else(|| text(&entry.operation.0.producer))
        .unwrap_or_default();
    let (success, error_code) = outcome(log);
    let metadata = &log.request_metadata.0;
    let insert_id = scalar_text(&entry.insert_id);
    let event = Event {
        id: insert_id.clone().unwrap_or_else(|| content_id(json)),
        time: time.unwrap_or_default(),
        provider: "gcp".into(),
        source: SourceType::GcpAudit.name().into(),
        plane: Plane::Cloud,
        class: OcsfClass::ApiActivity,
        category: catalog::category(service, method),
        service: service.to_string(),
        action: method.to_string(),
        success,
        error_message: owned(&log.status.0.message).filter(|_| !success),
        error_code,
        read_only: verbs::reads_only(catalog::verb(method)),
        management: !log_name.is_some_and(|name| DATA_ACCESS_LOGS.iter().any(|log| name.ends_with(log))),
        region: [&labels.location, &labels.zone, &labels.region]
            .into_iter()
            .find_map(scalar_text)
            .unwrap_or_default(),
        actor: identity::actor(&log.authentication_info.0),
        source_ip: owned(&metadata.caller_ip).or_else(|| owned(&metadata.caller_ip_upper)),
        user_agent: owned(&metadata.user_agent),
        resources: resources(&entry, log),
        ids: ProviderIds { request: scalar_text(&entry.operation.0.id), correlation: insert_id },
        account,
        ..Event::default()
    };
    Ok(Read::Event { event, time_missing: time.is_none() })
}

/// The resource that wrote the log: `projects/P/logs/...` → `P`; an organization, folder or
/// billing account keeps its kind (`organizations/O`).
fn log_parent(log_name: &str) -> Option<&str> {
    let (parent, _) = log_name.split_once("/logs/").or_else(|| log_name.rsplit_once('/'))?;
    Some(parent.strip_prefix("projects/").unwrap_or(parent)).filter(|p| !p.is_empty())
}

/// Whether the call succeeded, and its error code when not.
fn outcome(log: &AuditLog<'_>) -> (bool, Option<String>) {
    let code = match &log.status.0.code {
        Some(Loose::Number(n)) => Some(*n as i64),
        Some(Loose::Str(s)) => match s.trim().parse::<i64>() {
            Ok(n) => Some(n),
            // A code already written by its name.
            Err(_) if s.eq_ignore_ascii_case("OK") || s.is_empty() => None,
            Err(_) => return (false, Some(s.to_string())),
        },
        _ => None,
    };
    let denied =
        log.authorization_info.0.iter().any(|a| a.granted.as_ref().and_then(Loose::bool) == Some(false));
    match code.filter(|c| *c != 0).or(denied.then_some(catalog::PERMISSION_DENIED)) {
        None => (true, None),
        Some(code) => {
            (false, Some(catalog::status_name(code).map_or_else(|| code.to_string(), str::to_string)))
        }
    }
}

/// `resourceName` and the resources IAM checked permissions on, each once, typed by the
/// permission check's resource type (`compute.subnetworks`) where there is one, else by the
/// entry's monitored resource type (`gce_subnetwork`).
fn resources(entry: &LogEntry<'_>, log: &AuditLog<'_>) -> Vec<Resource> {
    let monitored = text(&entry.resource.0.kind).unwrap_or_default();
    let checks = &log.authorization_info.0;
    let kind_of = |id: &str| {
        checks
            .iter()
            .map(|check| &check.resource_attributes.0)
            .find(|attributes| text(&attributes.name) == Some(id))
            .and_then(|attributes| text(&attributes.kind))
            .unwrap_or(monitored)
    };
    let named = text(&log.resource_name).into_iter();
    let checked =
        checks.iter().filter_map(|c| text(&c.resource).or_else(|| text(&c.resource_attributes.0.name)));
    let mut out: Vec<Resource> = Vec::new();
    for id in named.chain(checked) {
        if out.iter().all(|r| r.id != id) {
            out.push(Resource { kind: kind_of(id).to_string(), id: id.to_string(), account: project_of(id) });
        }
    }
    out
}

/// The project a resource name is in: `projects/P/...`, also as a full name
/// (`//iam.googleapis.com/projects/P/...`); `_` is no project.
fn project_of(name: &str) -> Option<String> {
    let (_, rest) = name.split_once("projects/")?;
    let project = rest.split('/').next()?;
    (!project.is_empty() && project != "_").then(|| project.to_string())
}

#[cfg(test)]
mod tests {
    use super::{log_parent, project_of};

    #[test]
    fn the_project_of_a_log_and_of_a_resource() {
        assert_eq!(log_parent("projects/p-1/logs/cloudaudit.googleapis.com%2Factivity"), Some("p-1"));
        assert_eq!(
            log_parent("organizations/42/logs/cloudaudit.googleapis.com%2Factivity"),
            Some("organizations/42")
        );
        assert_eq!(log_parent("projects/p-1/cloudaudit.googleapis.com%2Factivity"), Some("p-1"));
        assert_eq!(log_parent("activity"), None);
        assert_eq!(project_of("projects/p-1/zones/us-central1-a/instances/vm"), Some("p-1".into()));
        assert_eq!(project_of("//iam.googleapis.com/projects/p-2/serviceAccounts/sa"), Some("p-2".into()));
        assert_eq!(project_of("projects/_/buckets/logs"), None);
        assert_eq!(project_of("apps/p-3"), None);
    }
}
