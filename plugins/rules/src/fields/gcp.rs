//! The fields of Falco's GCP audit plugin (`gcp.*`), each the raw field of the audit log
//! entry that plugin reads (a JSON object as JSON text); `gcp.methodName` is the event's
//! action, which is `protoPayload.methodName`.

use super::derived::Derived;
use super::model::Model;
use super::Field;

/// Fields that read one raw field, and the JSONPath of each.
const PATHS: &[(&str, &str)] = &[
    ("gcp.user", "$.protoPayload.authenticationInfo.principalEmail"),
    ("gcp.callerIP", "$.protoPayload.requestMetadata.callerIp"),
    ("gcp.userAgent", "$.protoPayload.requestMetadata.callerSuppliedUserAgent"),
    ("gcp.authorizationInfo", "$.protoPayload.authorizationInfo"),
    ("gcp.serviceName", "$.protoPayload.serviceName"),
    ("gcp.request", "$.protoPayload.request"),
    ("gcp.cloudfunctions.function", "$.resource.labels.function_name"),
    ("gcp.cloudsql.databaseId", "$.resource.labels.database_id"),
    ("gcp.compute.instanceId", "$.resource.labels.instance_id"),
    ("gcp.compute.networkId", "$.resource.labels.network_id"),
    ("gcp.compute.subnetwork", "$.resource.labels.subnetwork_name"),
    ("gcp.compute.subnetworkId", "$.resource.labels.subnetwork_id"),
    ("gcp.dns.zone", "$.resource.labels.zone_name"),
    ("gcp.iam.serviceAccount", "$.resource.labels.email_id"),
    ("gcp.iam.serviceAccountId", "$.resource.labels.unique_id"),
    ("gcp.projectId", "$.resource.labels.project_id"),
    ("gcp.resourceName", "$.protoPayload.resourceName"),
    ("gcp.resourceType", "$.resource.type"),
    ("gcp.resourceLabels", "$.resource.labels"),
    ("gcp.storage.bucket", "$.resource.labels.bucket_name"),
    ("gcp.time", "$.timestamp"),
];

/// The field a name means, if it is one of this plugin's.
pub fn field(name: &str) -> Option<Field> {
    if let Some((_, path)) = PATHS.iter().find(|(n, _)| *n == name) {
        return Some(Field::Path((*path).to_string()));
    }
    Some(Field::Derived(match name {
        // The event's action is the method called: rules on it let the host filter by action.
        "gcp.methodName" => return Some(Field::Model(Model::Action)),
        "gcp.location" => Derived::GcpLocation,
        "gcp.logging.sink" => Derived::GcpSink,
        "gcp.policyDelta" => Derived::GcpPolicyDelta,
        _ => return None,
    }))
}
