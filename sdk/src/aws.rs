//! AWS vocabulary shared by detectors, so plugins agree on what the same words mean.

use std::net::Ipv4Addr;

/// Substrings of role names that mark a role as privileged, unless a plugin is configured
/// with its own list.
pub const PRIVILEGED_ROLE_PATTERNS: [&str; 6] =
    ["admin", "poweruser", "fullaccess", "privileged", "breakglass", "owner"];

/// [`PRIVILEGED_ROLE_PATTERNS`] as an owned list, the usual default of a config field.
pub fn default_privileged_role_patterns() -> Vec<String> {
    PRIVILEGED_ROLE_PATTERNS.map(String::from).to_vec()
}

/// Whether the role named by `role` (an ARN or a bare name) matches any of `patterns`,
/// ignoring case. Only the name is compared: `arn:aws:iam::1:role/ops/Admin` → `admin`.
pub fn is_privileged_role(role: &str, patterns: &[String]) -> bool {
    let name = role_name(role).to_ascii_lowercase();
    patterns.iter().any(|p| name.contains(&p.to_ascii_lowercase()))
}

/// The last path segment of a role ARN, or the input when it has none.
pub fn role_name(role: &str) -> &str {
    role.rsplit('/').next().unwrap_or(role)
}

/// An EC2 instance id: `i-` and 8 or 17 hex digits.
pub fn is_instance_id(s: &str) -> bool {
    s.strip_prefix("i-")
        .is_some_and(|hex| matches!(hex.len(), 8 | 17) && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The instance an EC2 resource-name host name names (`i-0123456789abcdef0.ec2.internal`,
/// `i-0123456789abcdef0.us-west-2.compute.internal`).
pub fn hostname_instance(hostname: &str) -> Option<&str> {
    hostname.split('.').next().filter(|first| is_instance_id(first))
}

/// The private address an EC2 IP-name host name spells (`ip-10-40-7-188`,
/// `ip-10-40-7-188.ec2.internal`): EC2 names hosts after their private address only.
pub fn ip_name_address(hostname: &str) -> Option<Ipv4Addr> {
    let first = hostname.split('.').next()?.strip_prefix("ip-")?;
    private_address(&first.replace('-', "."))
}

/// A private (RFC 1918) IPv4 source address: a call from inside a VPC (through an endpoint),
/// which names one host of the network; a public one may be many hosts behind a NAT.
pub fn private_address(source_ip: &str) -> Option<Ipv4Addr> {
    source_ip.parse::<Ipv4Addr>().ok().filter(Ipv4Addr::is_private)
}

/// The account field of an ARN (`arn:partition:service:region:ACCOUNT:resource`).
pub fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// Actions whose IAM access level does not follow from their verb.
const PERMISSIONS_MANAGEMENT: &[&str] = &[
    "AddPermission",
    "RemovePermission",
    "AddUserToGroup",
    "RemoveUserFromGroup",
    "AddRoleToInstanceProfile",
    "RemoveRoleFromInstanceProfile",
    "AttachGroupPolicy",
    "AttachRolePolicy",
    "AttachUserPolicy",
    "DetachGroupPolicy",
    "DetachRolePolicy",
    "DetachUserPolicy",
    "CreatePolicy",
    "CreatePolicyVersion",
    "DeletePolicy",
    "DeletePolicyVersion",
    "SetDefaultPolicyVersion",
    "UpdateAssumeRolePolicy",
    "CreateAccessKey",
    "UpdateAccessKey",
    "CreateLoginProfile",
    "UpdateLoginProfile",
    "DeleteLoginProfile",
    "CreateGrant",
    "RetireGrant",
    "RevokeGrant",
    "ModifySnapshotAttribute",
    "ModifyImageAttribute",
    "ModifyDBSnapshotAttribute",
    "ModifyDBClusterSnapshotAttribute",
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "UpdateFunctionUrlConfig",
    "CreateFunctionUrlConfig",
    "SetIdentityPoolRoles",
    "ShareDirectory",
    "EnableSharingWithAwsOrganization",
];

/// The IAM access level of an API action: `List`, `Read`, `Write`, `Permissions management`
/// or `Tagging`. Exact exceptions first, then the verb the action starts with.
pub fn access_level(action: &str) -> &'static str {
    if PERMISSIONS_MANAGEMENT.contains(&action) || is_policy_or_acl_change(action) {
        return "Permissions management";
    }
    const TAGGING: &[&str] = &["Tag", "Untag", "AddTags", "RemoveTags", "CreateTags", "DeleteTags"];
    if TAGGING.iter().any(|p| action.starts_with(p)) {
        return "Tagging";
    }
    const LIST: &[&str] = &["List", "Describe", "Search", "Lookup", "Scan"];
    if LIST.iter().any(|p| action.starts_with(p)) {
        return "List";
    }
    const READ: &[&str] =
        &["Get", "BatchGet", "Head", "Query", "Select", "Download", "Decrypt", "Export", "Generate", "View"];
    if READ.iter().any(|p| action.starts_with(p)) {
        return "Read";
    }
    "Write"
}

/// `PutBucketPolicy`, `DeleteRolePolicy`, `PutBucketAcl`, `PutBucketPublicAccessBlock`, ...:
/// writes to a resource policy, inline policy or ACL.
fn is_policy_or_acl_change(action: &str) -> bool {
    let verb = ["Put", "Delete", "Set", "Update"].iter().find(|v| action.starts_with(**v));
    verb.is_some_and(|_| {
        action.ends_with("Policy")
            || action.ends_with("Acl")
            || action.ends_with("PublicAccessBlock")
            || action.ends_with("PermissionsBoundary")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_name_not_the_path_ignoring_case() {
        let patterns = default_privileged_role_patterns();
        assert!(is_privileged_role("arn:aws:iam::1:role/ops/Prod-Admin", &patterns));
        assert!(!is_privileged_role("arn:aws:iam::1:role/admin/reader", &patterns));
        assert_eq!(role_name("reader"), "reader");
    }

    #[test]
    fn access_levels_by_action() {
        assert_eq!(access_level("ListBuckets"), "List");
        assert_eq!(access_level("DescribeInstances"), "List");
        assert_eq!(access_level("GetObject"), "Read");
        assert_eq!(access_level("RunInstances"), "Write");
        assert_eq!(access_level("DeleteBucketEncryption"), "Write");
        assert_eq!(access_level("PutBucketPolicy"), "Permissions management");
        assert_eq!(access_level("PutBucketAcl"), "Permissions management");
        assert_eq!(access_level("SetDefaultPolicyVersion"), "Permissions management");
        assert_eq!(access_level("ModifySnapshotAttribute"), "Permissions management");
        assert_eq!(access_level("CreateAccessKey"), "Permissions management");
        assert_eq!(access_level("TagResource"), "Tagging");
        assert_eq!(access_level("CreateTags"), "Tagging");
    }

    #[test]
    fn ip_name_host_names_spell_their_private_address() {
        assert_eq!(ip_name_address("ip-10-40-7-188.ec2.internal"), Some(Ipv4Addr::new(10, 40, 7, 188)));
        assert_eq!(ip_name_address("ip-172-31-0-9"), Some(Ipv4Addr::new(172, 31, 0, 9)));
        assert_eq!(ip_name_address("ip-10-40-7"), None);
        assert_eq!(ip_name_address("ip-10-40-7-300"), None);
        assert_eq!(
            ip_name_address("ip-203-0-113-7.ec2.internal"),
            None,
            "EC2 names hosts by private address"
        );
        assert_eq!(ip_name_address("web-1"), None);
        assert_eq!(private_address("203.0.113.7"), None, "public addresses are shared behind NATs");
        assert_eq!(private_address("not an address"), None);
    }

    #[test]
    fn the_account_of_an_arn() {
        assert_eq!(arn_account("arn:aws:iam::418295730164:role/ops"), Some("418295730164"));
        assert_eq!(arn_account("arn:aws:s3:::bucket"), None);
    }
}
