//! Where each field a Sigma rule names is read from: the event model, where the normalizer
//! keeps the raw field verbatim (the action, by which rules are indexed, and CloudTrail's
//! `eventSource`, `errorCode`, `errorMessage`, `sourceIPAddress` and `userAgent`: read there,
//! they are not projected for every event), or JSONPaths into the raw record that the plugin
//! declares so the host projects them.
//!
//! A dotted field is the JSONPath of its names (`userIdentity.arn` → `$.userIdentity.arn`).
//! The table below maps the fields SigmaHQ's cloud rules name differently from the records
//! trailhound reads: GCP's ECS-style `gcp.audit.method_name` and the `data.` prefix of a
//! Pub/Sub export, the Log Analytics column names of the Azure rules (the records are the
//! diagnostic-settings export the Azure normalizers read: envelope keys in any case, the
//! Graph resource's camelCase keys under `properties`), and Kubernetes fields the rules write
//! without their place in the pod spec. Where several paths are listed, the first one the
//! record has is read.

use crate::logsource::Kind;

/// A field of the event model that holds a raw field as the record wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Model {
    /// `Event::action`: CloudTrail's `eventName`, GCP's `methodName`, Azure's operation.
    Action,
    Service,
    ErrorCode,
    ErrorMessage,
    SourceIp,
    UserAgent,
}

/// Where a field is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Model(Model),
    /// JSONPaths, tried in order.
    Paths(Vec<String>),
}

enum Mapped {
    Model(Model),
    Paths(&'static [&'static str]),
}

use Kind::*;
use Mapped::Paths;

/// Fields named otherwise than their record's keys. Names compare case-insensitively, as
/// the Azure exports fold their keys.
const TABLE: &[(Kind, &str, Mapped)] = &[
    (CloudTrail, "eventName", Mapped::Model(Model::Action)),
    (CloudTrail, "eventSource", Mapped::Model(Model::Service)),
    (CloudTrail, "errorCode", Mapped::Model(Model::ErrorCode)),
    (CloudTrail, "errorMessage", Mapped::Model(Model::ErrorMessage)),
    (CloudTrail, "sourceIPAddress", Mapped::Model(Model::SourceIp)),
    (CloudTrail, "userAgent", Mapped::Model(Model::UserAgent)),
    (GcpAudit, "gcp.audit.method_name", Mapped::Model(Model::Action)),
    (GcpAudit, "data.protoPayload.methodName", Mapped::Model(Model::Action)),
    (GcpAudit, "protoPayload.methodName", Mapped::Model(Model::Action)),
    (
        GcpAudit,
        "data.protoPayload.authorizationInfo.permission",
        Paths(&["$.protoPayload.authorizationInfo[*].permission"]),
    ),
    (
        GcpAudit,
        "data.protoPayload.authorizationInfo.granted",
        Paths(&["$.protoPayload.authorizationInfo[*].granted"]),
    ),
    (AzureActivity, "operationName", Mapped::Model(Model::Action)),
    (AzureActivity, "OperationNameValue", Mapped::Model(Model::Action)),
    (AzureActivity, "CategoryValue", Paths(&["$.category.value", "$.category"])),
    (
        AzureActivity,
        "ResourceProviderValue",
        Paths(&["$.resourceProviderName.value", "$.resourceProviderName"]),
    ),
    (AzureActivity, "ResourceId", Paths(&["$.resourceId", "$.ResourceId"])),
    // An Entra ID audit record's operation is its activity's display name, which most rules
    // test as `properties.message` (one tests the modified properties there: it is not the
    // action, so the rules naming it are not indexed by it).
    (AzureAudit, "properties.message", Paths(&["$.properties.activityDisplayName", "$.properties.message"])),
    (AzureAudit, "operationName", Mapped::Model(Model::Action)),
    (AzureAudit, "ActivityDisplayName", Mapped::Model(Model::Action)),
    (AzureAudit, "Status", Paths(&["$.properties.result", "$.result", "$.Status"])),
    (AzureAudit, "properties.result", Paths(&["$.properties.result", "$.result"])),
    (AzureAudit, "Category", Paths(&["$.category", "$.Category", "$.properties.category"])),
    (AzureAudit, "TargetResources", Paths(&["$.properties.targetResources"])),
    (AzureAudit, "properties.targetResources", Paths(&["$.properties.targetResources"])),
    (AzureAudit, "targetResources.type", Paths(&["$.properties.targetResources[*].type"])),
    (
        AzureAudit,
        "TargetResources.modifiedProperties",
        Paths(&["$.properties.targetResources[*].modifiedProperties"]),
    ),
    (
        AzureAudit,
        "TargetResources.ModifiedProperties.DisplayName",
        Paths(&["$.properties.targetResources[*].modifiedProperties[*].displayName"]),
    ),
    (
        AzureAudit,
        "TargetResources.ModifiedProperties.NewValue",
        Paths(&["$.properties.targetResources[*].modifiedProperties[*].newValue"]),
    ),
    (AzureAudit, "additionalDetails.additionalInfo", Paths(&["$.properties.additionalDetails[*].value"])),
    (AzureSignIn, "ResultType", Paths(&["$.resultType", "$.ResultType", "$.properties.status.errorCode"])),
    (
        AzureSignIn,
        "ResultDescription",
        Paths(&["$.resultDescription", "$.ResultDescription", "$.properties.status.failureReason"]),
    ),
    (AzureSignIn, "userAgent", Paths(&["$.properties.userAgent", "$.userAgent"])),
    (AzureSignIn, "ClientApp", Paths(&["$.properties.clientAppUsed", "$.ClientApp"])),
    (AzureSignIn, "Username", Paths(&["$.properties.userPrincipalName", "$.Username"])),
    (
        AzureSignIn,
        "DeviceDetail.trusttype",
        Paths(&["$.properties.deviceDetail.trustType", "$.DeviceDetail.trustType"]),
    ),
    (
        AzureSignIn,
        "DeviceDetail.deviceId",
        Paths(&["$.properties.deviceDetail.deviceId", "$.DeviceDetail.deviceId"]),
    ),
    (
        AzureSignIn,
        "DeviceDetail.isCompliant",
        Paths(&["$.properties.deviceDetail.isCompliant", "$.DeviceDetail.isCompliant"]),
    ),
    (K8sAudit, "hostPath", Paths(&["$.requestObject.spec.volumes[*].hostPath.path"])),
    (
        K8sAudit,
        "capabilities",
        Paths(&["$.requestObject.spec.containers[*].securityContext.capabilities.add[*]"]),
    ),
    (K8sAudit, "apiGroup", Paths(&["$.objectRef.apiGroup"])),
];

/// Where `field` of a rule of `kind` is read.
///
/// # Errors
/// A field name that cannot be written as a JSONPath.
pub fn target(kind: Kind, field: &str) -> Result<Target, String> {
    if let Some((_, _, mapped)) =
        TABLE.iter().find(|(k, name, _)| *k == kind && name.eq_ignore_ascii_case(field))
    {
        return Ok(match mapped {
            Mapped::Model(model) => Target::Model(*model),
            Paths(paths) => Target::Paths(paths.iter().map(|p| p.to_string()).collect()),
        });
    }
    let names: Vec<&str> = field.split('.').collect();
    if names.iter().any(|n| n.is_empty() || n.contains(['\'', '\\'])) {
        return Err(format!("field '{field}' cannot be read as a JSONPath"));
    }
    let paths = match kind {
        GcpAudit => vec![json_path(names.strip_prefix(&["data"]).unwrap_or(&names))],
        AzureActivity | AzureAudit | AzureSignIn => azure(&names),
        CloudTrail | K8sAudit => vec![json_path(&names)],
    };
    Ok(Target::Paths(paths))
}

/// An Azure column: as written, with its first letter in lower case (the envelope's keys),
/// and as a key of `properties` in camelCase (the Graph resource's keys).
fn azure(names: &[&str]) -> Vec<String> {
    let camel: Vec<String> = names.iter().map(|n| lower_first(n)).collect();
    let camel: Vec<&str> = camel.iter().map(String::as_str).collect();
    let mut paths = vec![json_path(names), json_path(&camel)];
    if !names[0].eq_ignore_ascii_case("properties") {
        paths.push(json_path(&[&["properties"], camel.as_slice()].concat()));
    }
    paths.dedup();
    paths
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

/// `$.a.b`, with names that are not plain identifiers in brackets.
fn json_path(names: &[&str]) -> String {
    names.iter().fold(String::from("$"), |mut path, name| {
        if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            path.push('.');
            path.push_str(name);
        } else {
            path.push_str(&format!("['{name}']"));
        }
        path
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(kind: Kind, field: &str) -> Vec<String> {
        match target(kind, field).unwrap() {
            Target::Paths(paths) => paths,
            Target::Model(model) => vec![format!("{model:?}")],
        }
    }

    #[test]
    fn dotted_fields_are_json_paths() {
        assert_eq!(paths(CloudTrail, "userIdentity.arn"), ["$.userIdentity.arn"]);
        assert_eq!(paths(CloudTrail, "eventName"), ["Action"]);
        assert_eq!(paths(CloudTrail, "eventSource"), ["Service"]);
        assert_eq!(paths(CloudTrail, "userAgent"), ["UserAgent"]);
        assert_eq!(paths(K8sAudit, "userAgent"), ["$.userAgent"]);
        assert_eq!(paths(K8sAudit, "objectRef.resource"), ["$.objectRef.resource"]);
        assert_eq!(paths(CloudTrail, "a.some-key"), ["$.a['some-key']"]);
        assert!(target(CloudTrail, "a..b").is_err());
    }

    #[test]
    fn sigma_names_map_to_the_records_keys() {
        assert_eq!(paths(GcpAudit, "gcp.audit.method_name"), ["Action"]);
        assert_eq!(paths(GcpAudit, "data.protoPayload.serviceName"), ["$.protoPayload.serviceName"]);
        assert_eq!(paths(AzureActivity, "operationname"), ["Action"]);
        assert_eq!(paths(AzureAudit, "operationName"), ["Action"]);
        assert_eq!(
            paths(AzureSignIn, "AuthenticationRequirement"),
            [
                "$.AuthenticationRequirement",
                "$.authenticationRequirement",
                "$.properties.authenticationRequirement"
            ]
        );
        assert_eq!(paths(AzureActivity, "properties.message"), ["$.properties.message"]);
    }
}
