//! Access levels derived from the verb of an action, in the terms of AWS's IAM action
//! definitions: for AWS, only for the actions the generated table lacks; for GCP, Azure and
//! Kubernetes, whose providers publish no such levels, always.

use crate::event::AccessLevel;

/// The level of an AWS action the table lacks: exact exceptions first, then the verb the
/// action starts with; `Write` when no verb says otherwise.
pub fn aws_verb(action: &str) -> AccessLevel {
    // The heuristic is AWS vocabulary the SDK shares with plugins and the generator; it
    // always names one of the five levels.
    AccessLevel::parse(trailhound_sdk::aws::access_level(action)).unwrap_or(AccessLevel::Write)
}

/// The level of a GCP `methodName` (`google.iam.admin.v1.CreateServiceAccountKey`,
/// `v1.compute.instances.insert`), from its last segment; `None` for an empty name.
pub fn gcp(service: &str, method: &str) -> Option<AccessLevel> {
    let last = method.rsplit('.').next().filter(|s| !s.is_empty())?;
    let starts = |prefix: &str| starts_folded(last, prefix);
    if last.eq_ignore_ascii_case("setIamPolicy") || last.eq_ignore_ascii_case("setIamPermissions") {
        return Some(AccessLevel::PermissionsManagement);
    }
    // IAM's own roles and service account keys, as AWS counts its policies and access keys.
    let grants = ["CreateRole", "UpdateRole", "DeleteRole", "UndeleteRole"];
    let keys = ["CreateServiceAccountKey", "UploadServiceAccountKey", "DeleteServiceAccountKey"];
    if service == "iam.googleapis.com" && grants.iter().chain(&keys).any(|m| last.eq_ignore_ascii_case(m)) {
        return Some(AccessLevel::PermissionsManagement);
    }
    if ["getIam", "testIam"].iter().any(|p| starts(p)) {
        return Some(AccessLevel::Read);
    }
    if ["setLabels", "setTags", "setResourceTags", "CreateTagBinding", "DeleteTagBinding"]
        .iter()
        .any(|p| starts(p))
    {
        return Some(AccessLevel::Tagging);
    }
    if ["list", "aggregatedList", "search"].iter().any(|p| starts(p)) {
        return Some(AccessLevel::List);
    }
    if ["get", "read", "access", "batchGet", "lookup", "query", "export", "generate", "download"]
        .iter()
        .any(|p| starts(p))
    {
        return Some(AccessLevel::Read);
    }
    Some(AccessLevel::Write)
}

/// The level of an Azure `operationName` (`Microsoft.Compute/virtualMachines/write`), in any
/// ASCII case; `None` for a name without an operation (`/read`, `/write`, `/delete`,
/// `/action`), such as an Entra ID audit activity.
pub fn azure(operation: &str) -> Option<AccessLevel> {
    let (path, verb) = operation.rsplit_once('/')?;
    let is = |s: &str, t: &str| s.eq_ignore_ascii_case(t);
    if is(verb, "read") {
        return Some(AccessLevel::Read);
    }
    if !["write", "delete", "action"].iter().any(|v| is(verb, v)) {
        return None;
    }
    let mut segments = path.split('/');
    let namespace = segments.next().unwrap_or_default();
    let resource = segments.next().unwrap_or_default();
    const AUTHORIZATION: &[&str] = &[
        "roleAssignments",
        "roleDefinitions",
        "policyAssignments",
        "policyDefinitions",
        "policySetDefinitions",
        "policyExemptions",
        "denyAssignments",
        "elevateAccess",
    ];
    if is(namespace, "Microsoft.Authorization") && AUTHORIZATION.iter().any(|r| is(resource, r)) {
        return Some(AccessLevel::PermissionsManagement);
    }
    let last_resource = path.rsplit('/').next().unwrap_or_default();
    if is(last_resource, "accessPolicies") {
        return Some(AccessLevel::PermissionsManagement);
    }
    if is(namespace, "Microsoft.Resources") && is(last_resource, "tags") {
        return Some(AccessLevel::Tagging);
    }
    // `listKeys/action`, `getSecret/action`: actions that only return something.
    if is(verb, "action") && (starts_folded(last_resource, "list") || starts_folded(last_resource, "get")) {
        return Some(AccessLevel::Read);
    }
    Some(AccessLevel::Write)
}

/// Whether `text` starts with `prefix`, in any ASCII case (compared as bytes: `text` may hold
/// any UTF-8).
fn starts_folded(text: &str, prefix: &str) -> bool {
    text.as_bytes().get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// The level of a Kubernetes request, given as its verb and resource (`create pods/exec`,
/// `list secrets`); `None` for a verb Kubernetes does not define.
pub fn kubernetes(action: &str) -> Option<AccessLevel> {
    let (verb, resource) = action.split_once(' ').unwrap_or((action, ""));
    let resource = resource.trim();
    let (resource, subresource) = resource.split_once('/').unwrap_or((resource, ""));
    const RBAC: &[&str] = &["roles", "rolebindings", "clusterroles", "clusterrolebindings"];
    // A command run in a pod, whatever verb the client's protocol asked with.
    const INTO_POD: &[&str] = &["exec", "attach", "portforward", "proxy", "ephemeralcontainers"];
    let level = match verb {
        "impersonate" | "escalate" | "bind" => AccessLevel::PermissionsManagement,
        _ if resource == "pods" && INTO_POD.contains(&subresource) => AccessLevel::Write,
        "get" => AccessLevel::Read,
        "list" | "watch" => AccessLevel::List,
        "create" | "update" | "patch" | "delete" | "deletecollection" | "approve" | "sign"
            if RBAC.contains(&resource) =>
        {
            AccessLevel::PermissionsManagement
        }
        "create" | "update" | "patch" | "delete" | "deletecollection" | "approve" | "sign" => {
            AccessLevel::Write
        }
        _ => return None,
    };
    Some(level)
}

#[cfg(test)]
mod tests {
    use super::{aws_verb, azure, gcp, kubernetes};
    use crate::event::AccessLevel::{List, PermissionsManagement, Read, Tagging, Write};

    #[test]
    fn aws_verbs() {
        assert_eq!(aws_verb("ListBuckets"), List);
        assert_eq!(aws_verb("DescribeInstances"), List);
        assert_eq!(aws_verb("GetObject"), Read);
        assert_eq!(aws_verb("RunInstances"), Write);
        assert_eq!(aws_verb("DeleteBucketEncryption"), Write);
        assert_eq!(aws_verb("PutBucketPolicy"), PermissionsManagement);
        assert_eq!(aws_verb("PutBucketAcl"), PermissionsManagement);
        assert_eq!(aws_verb("SetDefaultPolicyVersion"), PermissionsManagement);
        assert_eq!(aws_verb("CreateAccessKey"), PermissionsManagement);
        assert_eq!(aws_verb("TagResource"), Tagging);
        assert_eq!(aws_verb("CreateTags"), Tagging);
    }

    #[test]
    fn gcp_methods() {
        assert_eq!(gcp("compute.googleapis.com", "v1.compute.instances.insert"), Some(Write));
        assert_eq!(gcp("compute.googleapis.com", "v1.compute.instances.list"), Some(List));
        assert_eq!(gcp("compute.googleapis.com", "v1.compute.instances.aggregatedList"), Some(List));
        assert_eq!(gcp("compute.googleapis.com", "v1.compute.instances.get"), Some(Read));
        assert_eq!(gcp("compute.googleapis.com", "v1.compute.instances.setLabels"), Some(Tagging));
        assert_eq!(gcp("storage.googleapis.com", "storage.objects.delete"), Some(Write));
        assert_eq!(gcp("storage.googleapis.com", "storage.setIamPermissions"), Some(PermissionsManagement));
        assert_eq!(gcp("storage.googleapis.com", "storage.getIamPermissions"), Some(Read));
        let projects = "cloudresourcemanager.googleapis.com";
        assert_eq!(gcp(projects, "SetIamPolicy"), Some(PermissionsManagement));
        assert_eq!(gcp(projects, "google.cloud.resourcemanager.v3.Projects.GetIamPolicy"), Some(Read));
        assert_eq!(
            gcp("iam.googleapis.com", "google.iam.admin.v1.CreateServiceAccountKey"),
            Some(PermissionsManagement)
        );
        assert_eq!(gcp("iam.googleapis.com", "google.iam.admin.v1.CreateServiceAccount"), Some(Write));
        assert_eq!(gcp("iam.googleapis.com", "google.iam.admin.v1.ListServiceAccounts"), Some(List));
        assert_eq!(
            gcp(
                "secretmanager.googleapis.com",
                "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion"
            ),
            Some(Read)
        );
        assert_eq!(gcp("x", ""), None);
        assert_eq!(gcp("x", "é"), Some(Write), "any UTF-8, no panic");
    }

    #[test]
    fn azure_operations() {
        assert_eq!(azure("Microsoft.Compute/virtualMachines/read"), Some(Read));
        assert_eq!(azure("Microsoft.Compute/virtualMachines/write"), Some(Write));
        assert_eq!(azure("Microsoft.Compute/virtualMachines/delete"), Some(Write));
        assert_eq!(azure("Microsoft.Compute/virtualMachines/runCommand/action"), Some(Write));
        assert_eq!(azure("Microsoft.Authorization/roleAssignments/write"), Some(PermissionsManagement));
        assert_eq!(azure("MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/DELETE"), Some(PermissionsManagement));
        assert_eq!(azure("Microsoft.Authorization/roleDefinitions/write"), Some(PermissionsManagement));
        assert_eq!(azure("Microsoft.Authorization/policyAssignments/delete"), Some(PermissionsManagement));
        assert_eq!(azure("Microsoft.Authorization/roleAssignments/read"), Some(Read));
        assert_eq!(azure("Microsoft.Authorization/locks/write"), Some(Write));
        assert_eq!(azure("Microsoft.KeyVault/vaults/accessPolicies/write"), Some(PermissionsManagement));
        assert_eq!(azure("Microsoft.Resources/tags/write"), Some(Tagging));
        assert_eq!(azure("Microsoft.Storage/storageAccounts/listKeys/action"), Some(Read));
        assert_eq!(azure("Microsoft.Storage/storageAccounts/regenerateKey/action"), Some(Write));
        assert_eq!(azure("Add member to role"), None);
        assert_eq!(azure("Microsoft.Compute/virtualMachines"), None);
    }

    #[test]
    fn kubernetes_verbs() {
        assert_eq!(kubernetes("get pods"), Some(Read));
        assert_eq!(kubernetes("list pods"), Some(List));
        assert_eq!(kubernetes("watch secrets"), Some(List));
        assert_eq!(kubernetes("create deployments"), Some(Write));
        assert_eq!(kubernetes("patch deployments"), Some(Write));
        assert_eq!(kubernetes("deletecollection pods"), Some(Write));
        assert_eq!(kubernetes("create pods/exec"), Some(Write));
        assert_eq!(kubernetes("get pods/exec"), Some(Write));
        assert_eq!(kubernetes("create clusterrolebindings"), Some(PermissionsManagement));
        assert_eq!(kubernetes("delete roles"), Some(PermissionsManagement));
        assert_eq!(kubernetes("get clusterroles"), Some(Read));
        assert_eq!(kubernetes("impersonate users"), Some(PermissionsManagement));
        assert_eq!(kubernetes("escalate clusterroles"), Some(PermissionsManagement));
        assert_eq!(kubernetes("bind roles"), Some(PermissionsManagement));
        assert_eq!(kubernetes("frobnicate pods"), None);
        assert_eq!(kubernetes(""), None);
    }
}
