//! What the normalizer knows about AWS services: the category of each. (The access level of
//! each action is enrichment's: [`crate::enrich`].)

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

#[cfg(test)]
mod tests {
    use super::category;
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
}
