//! Azure: the Activity Log (the control plane of subscriptions, with the resource logs of
//! Azure Monitor's common schema, such as a storage account's reads and writes), and Entra ID
//! (Azure AD) audit and sign-in logs, as diagnostic settings export them (JSON lines, or
//! `{"records":[...]}` blobs) or as the REST API returns them.
//!
//! The two share their top-level keys (`operationName`, `category`, `resourceId`, `time`,
//! `properties`), so keys only say "Azure": the record's content says which log it is
//! ([`family`]). Each reader refuses the other's records with a reason that starts with
//! "not a", so that the next source that recognises the keys reads them; AKS's Kubernetes
//! audit records (category `kube-audit`), which come in the same envelope, are refused by both.

mod activity;
mod arm;
mod entra;
mod values;

use super::TopKeys;

pub use activity::read as read_activity;
pub use entra::read as read_audit;

/// Whether a record's top-level keys are those of an Azure diagnostic record: an operation
/// and what an activity record always adds to it.
pub fn recognizes_activity(keys: &TopKeys) -> bool {
    keys.has_folded("operationName")
        && ["resourceId", "category", "callerIpAddress", "correlationId", "time", "eventTimestamp", "caller"]
            .iter()
            .any(|key| keys.has_folded(key))
}

/// Whether a record's top-level keys are those of an Entra ID record: an operation with its
/// properties.
pub fn recognizes_audit(keys: &TopKeys) -> bool {
    keys.has_folded("operationName") && keys.has_folded("properties")
}

/// Which Azure log a record is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Activity,
    SignIn,
    /// Entra ID's audit log: changes to the directory.
    DirectoryAudit,
    /// AKS's Kubernetes audit log, one Kubernetes audit event per record's `properties.log`.
    KubernetesAudit,
}

/// The categories of Entra ID's sign-in logs, as diagnostic settings name them.
const SIGN_IN_CATEGORIES: &[&str] = &[
    "SignInLogs",
    "NonInteractiveUserSignInLogs",
    "ServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs",
    "ADFSSignInLogs",
];

/// Entra ID's other categories: its audit log, and the audit log's own categories as some
/// exports write them at the top.
const DIRECTORY_CATEGORIES: &[&str] = &[
    "AuditLogs",
    "ProvisioningLogs",
    "RiskyUsers",
    "UserRiskEvents",
    "RiskyServicePrincipals",
    "ServicePrincipalRiskEvents",
    "UserManagement",
    "GroupManagement",
    "ApplicationManagement",
    "DirectoryManagement",
    "RoleManagement",
];

/// What a record's content says it is. `category` is the record's, `resource_id` its
/// `resourceId`, `operation` its operation name, `initiated_by` whether its properties say who
/// initiated a directory change (Entra ID's audit records do; activity records do not).
pub fn family(
    category: Option<&str>,
    resource_id: Option<&str>,
    operation: Option<&str>,
    initiated_by: bool,
) -> Family {
    let category = category.unwrap_or_default();
    let is = |names: &[&str]| names.iter().any(|name| name.eq_ignore_ascii_case(category));
    if category.to_ascii_lowercase().starts_with("kube-audit") {
        return Family::KubernetesAudit;
    }
    if is(SIGN_IN_CATEGORIES) || operation.is_some_and(|op| op.eq_ignore_ascii_case("Sign-in activity")) {
        return Family::SignIn;
    }
    let directory =
        resource_id.is_some_and(|id| id.to_ascii_lowercase().contains("/providers/microsoft.aadiam"));
    if is(DIRECTORY_CATEGORIES) || directory || initiated_by {
        return Family::DirectoryAudit;
    }
    Family::Activity
}

/// What a family is called in a reader's refusal.
pub fn described(family: Family) -> &'static str {
    match family {
        Family::Activity => "an Azure Activity Log record",
        Family::SignIn => "an Entra ID sign-in record",
        Family::DirectoryAudit => "an Entra ID audit record",
        Family::KubernetesAudit => "an AKS Kubernetes audit record",
    }
}

/// An address without the port Azure Storage appends to it (`203.0.113.9:51234`); IPv6
/// addresses are kept whole.
pub fn without_port(address: &str) -> &str {
    match address.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => address,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_by_content() {
        let aadiam = Some("/tenants/t/providers/Microsoft.aadiam");
        let vm = Some("/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/v");
        assert_eq!(
            family(Some("Administrative"), vm, Some("Microsoft.Compute/virtualMachines/write"), false),
            Family::Activity
        );
        assert_eq!(
            family(Some("Policy"), vm, Some("Microsoft.Authorization/policies/audit/action"), false),
            Family::Activity
        );
        assert_eq!(family(Some("Policy"), aadiam, Some("Update policy"), false), Family::DirectoryAudit);
        assert_eq!(family(Some("AuditLogs"), None, Some("Add user"), false), Family::DirectoryAudit);
        assert_eq!(family(None, None, Some("Add user"), true), Family::DirectoryAudit);
        assert_eq!(family(Some("signinlogs"), aadiam, None, false), Family::SignIn);
        assert_eq!(family(None, None, Some("Sign-in activity"), false), Family::SignIn);
        assert_eq!(family(Some("kube-audit-admin"), vm, None, false), Family::KubernetesAudit);
    }

    #[test]
    fn ports_are_dropped_from_addresses() {
        assert_eq!(without_port("203.0.113.9:51234"), "203.0.113.9");
        assert_eq!(without_port("203.0.113.9"), "203.0.113.9");
        assert_eq!(without_port("2001:db8::1"), "2001:db8::1");
    }
}
