//! What the normalizer knows about AWS services and API actions: the category of each
//! service and the IAM access level of each action.

use crate::event::Category;

/// The category of a CloudTrail `eventSource` such as `iam.amazonaws.com`.
pub fn category(event_source: &str) -> Category {
    let service = event_source.split('.').next().unwrap_or_default();
    match service {
        "ec2"
        | "ec2-instance-connect"
        | "lambda"
        | "ecs"
        | "eks"
        | "ecr"
        | "ecr-public"
        | "batch"
        | "autoscaling"
        | "elasticbeanstalk"
        | "lightsail"
        | "ssm"
        | "ssmmessages"
        | "ec2messages"
        | "sagemaker"
        | "apprunner"
        | "emr"
        | "elasticmapreduce"
        | "imagebuilder"
        | "states" => Category::Compute,
        "s3" | "s3-outposts" | "glacier" | "backup" | "elasticfilesystem" | "fsx" | "storagegateway"
        | "datasync" | "ebs" | "transfer" => Category::Storage,
        "rds" | "dynamodb" | "redshift" | "redshift-data" | "elasticache" | "docdb-elastic"
        | "neptune-db" | "athena" | "glue" | "lakeformation" | "timestream" | "memorydb" | "qldb"
        | "kinesis" | "firehose" | "es" | "opensearch" => Category::Database,
        "elasticloadbalancing"
        | "cloudfront"
        | "route53"
        | "route53domains"
        | "route53resolver"
        | "apigateway"
        | "execute-api"
        | "directconnect"
        | "globalaccelerator"
        | "vpc-lattice"
        | "network-firewall"
        | "networkmanager"
        | "vpn"
        | "appmesh" => Category::Network,
        "iam"
        | "sts"
        | "signin"
        | "sso"
        | "sso-directory"
        | "identitystore"
        | "sso-oauth"
        | "cognito-identity"
        | "cognito-idp"
        | "organizations"
        | "account"
        | "ds"
        | "ram"
        | "access-analyzer"
        | "rolesanywhere"
        | "verifiedpermissions" => Category::Identity,
        "kms" | "secretsmanager" | "guardduty" | "securityhub" | "inspector" | "inspector2" | "macie"
        | "macie2" | "detective" | "waf" | "wafv2" | "waf-regional" | "shield" | "acm" | "acm-pca"
        | "cloudhsm" | "fms" | "securitylake" | "auditmanager" => Category::Security,
        _ => Category::Management,
    }
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
    use super::{access_level, category};
    use crate::event::Category;

    #[test]
    fn categories_by_service() {
        assert_eq!(category("ec2.amazonaws.com"), Category::Compute);
        assert_eq!(category("s3.amazonaws.com"), Category::Storage);
        assert_eq!(category("rds.amazonaws.com"), Category::Database);
        assert_eq!(category("elasticloadbalancing.amazonaws.com"), Category::Network);
        assert_eq!(category("sts.amazonaws.com"), Category::Identity);
        assert_eq!(category("kms.amazonaws.com"), Category::Security);
        assert_eq!(category("cloudtrail.amazonaws.com"), Category::Management);
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
}
