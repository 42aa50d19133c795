//! The event mix, written down as data: which `eventSource`/`eventName` pairs the generator
//! emits and how often, and who typically makes each call.
//!
//! Two tables are blended:
//! - [`BACKGROUND`]: the high-volume calls that dominate real trails (Describe*/Get*/List*,
//!   KMS Decrypt/GenerateDataKey by services, AssumeRole by services, S3 and DynamoDB data
//!   events, SSM agent calls, ...). Weights are relative (they sum to 12,417) and follow the
//!   shape of production organisations' trails: data events ~25%, KMS and STS ~25%,
//!   Describe/List/Get management calls most of the rest, writes a few percent; read-only
//!   calls are 82–90% of the background (a test holds the table to these proportions).
//!   Blended with the fixture part, about 83% of generated records are read-only.
//! - [`FIXTURE`]: the distribution of the detection test cases in
//!   `../shared/fixtures/panther/aws-cloudtrail.jsonl` (see its comment). Those cases are
//!   skewed towards suspicious calls, so they are only [`FIXTURE_SHARE`] of the events.
//!
//! `--mix-from PATH` replaces [`FIXTURE`] with the counts read from such a file at run time
//! ([`Mix::from_file`]); the background blend stays, so read-only calls still dominate.

use std::borrow::Cow;
use std::io::BufRead;
use std::path::Path;

use super::Rng8;
use rand::RngExt;

/// The share of events drawn from the fixture-derived table; the rest is background.
pub const FIXTURE_SHARE: f64 = 0.06;

/// Who makes a call, which decides the `userIdentity` the record gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callers {
    /// People and their tooling: role sessions, IAM users, federated users, rarely root.
    People,
    /// Mostly AWS services acting for the account (KMS for S3/EBS, CloudWatch Logs, ...).
    Service,
    /// Object- and item-level data events: role sessions, services, other accounts.
    Data,
    /// `sts:AssumeRole`: services for instance profiles and functions, people and role
    /// sessions for hops (sometimes into another account).
    Assume,
    /// Console sign-in: IAM users, SSO/SAML role sessions, root; unknown users on failure.
    Console,
    /// IAM Identity Center portal and OIDC calls.
    IdentityCenter,
    /// `AssumeRoleWithSAML`.
    Saml,
    /// `AssumeRoleWithWebIdentity` (EKS service accounts, CI OIDC).
    WebIdentity,
}

impl Callers {
    /// The callers of a call, from what it is.
    pub fn of(source: &str, name: &str) -> Callers {
        match name {
            "AssumeRole" if source == "sts.amazonaws.com" => return Callers::Assume,
            "AssumeRoleWithSAML" => return Callers::Saml,
            "AssumeRoleWithWebIdentity" => return Callers::WebIdentity,
            "ConsoleLogin" | "GetSigninToken" | "ExternalIdPDirectoryLogin" | "PasswordUpdated" => {
                return Callers::Console
            }
            "Decrypt"
            | "GenerateDataKey"
            | "Encrypt"
            | "CreateLogStream"
            | "PutEvaluations"
            | "CreateNetworkInterface"
            | "DeleteNetworkInterface"
            | "BatchImportFindings" => return Callers::Service,
            _ => {}
        }
        if matches!(source, "sso.amazonaws.com" | "sso-oauth.amazonaws.com" | "identitystore.amazonaws.com") {
            return Callers::IdentityCenter;
        }
        if is_data_event(source, name) {
            return Callers::Data;
        }
        Callers::People
    }
}

/// Object- and item-level calls, which CloudTrail logs as data events.
pub fn is_data_event(source: &str, name: &str) -> bool {
    match source {
        "s3.amazonaws.com" => matches!(
            name,
            "GetObject"
                | "PutObject"
                | "HeadObject"
                | "CopyObject"
                | "DeleteObject"
                | "DeleteObjects"
                | "ListObjects"
        ),
        "dynamodb.amazonaws.com" => {
            matches!(name, "GetItem" | "PutItem" | "Query" | "UpdateItem" | "GetRecords")
        }
        "lambda.amazonaws.com" => name == "Invoke",
        _ => false,
    }
}

/// High-volume background calls with relative weights (proportions: see the module docs).
#[rustfmt::skip]
pub const BACKGROUND: &[(&str, &str, u32)] = &[
    // Data events (~30%): object reads dominate.
    ("s3.amazonaws.com", "GetObject", 1400),
    ("s3.amazonaws.com", "PutObject", 450),
    ("s3.amazonaws.com", "HeadObject", 300),
    ("s3.amazonaws.com", "ListObjects", 200),
    ("s3.amazonaws.com", "DeleteObject", 60),
    ("dynamodb.amazonaws.com", "GetItem", 250),
    ("dynamodb.amazonaws.com", "Query", 150),
    ("dynamodb.amazonaws.com", "PutItem", 100),
    ("lambda.amazonaws.com", "Invoke", 150),
    // KMS (~18%): envelope encryption on behalf of S3, EBS, Secrets Manager, ...
    ("kms.amazonaws.com", "Decrypt", 1100),
    ("kms.amazonaws.com", "GenerateDataKey", 500),
    ("kms.amazonaws.com", "Encrypt", 100),
    ("kms.amazonaws.com", "DescribeKey", 80),
    ("kms.amazonaws.com", "ListAliases", 30),
    // STS (~13%): instance profiles, functions and tasks refresh credentials all day.
    ("sts.amazonaws.com", "AssumeRole", 900),
    ("sts.amazonaws.com", "GetCallerIdentity", 200),
    ("sts.amazonaws.com", "AssumeRoleWithWebIdentity", 150),
    ("sts.amazonaws.com", "AssumeRoleWithSAML", 40),
    ("sts.amazonaws.com", "GetSessionToken", 20),
    ("sts.amazonaws.com", "GetFederationToken", 10),
    // EC2: inventory and monitoring tools describe everything, constantly.
    ("ec2.amazonaws.com", "DescribeInstances", 350),
    ("ec2.amazonaws.com", "DescribeInstanceStatus", 150),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", 150),
    ("ec2.amazonaws.com", "DescribeNetworkInterfaces", 120),
    ("ec2.amazonaws.com", "DescribeSubnets", 100),
    ("ec2.amazonaws.com", "DescribeVolumes", 100),
    ("ec2.amazonaws.com", "DescribeVpcs", 80),
    ("ec2.amazonaws.com", "DescribeImages", 80),
    ("ec2.amazonaws.com", "DescribeTags", 80),
    ("ec2.amazonaws.com", "DescribeSnapshots", 60),
    ("ec2.amazonaws.com", "DescribeRouteTables", 40),
    ("ec2.amazonaws.com", "DescribeRegions", 40),
    ("ec2.amazonaws.com", "DescribeAddresses", 30),
    ("ec2.amazonaws.com", "CreateTags", 40),
    ("ec2.amazonaws.com", "CreateNetworkInterface", 30),
    ("ec2.amazonaws.com", "DeleteNetworkInterface", 25),
    ("ec2.amazonaws.com", "RunInstances", 25),
    ("ec2.amazonaws.com", "TerminateInstances", 15),
    ("ec2.amazonaws.com", "CreateSnapshot", 10),
    ("ec2.amazonaws.com", "StartInstances", 8),
    ("ec2.amazonaws.com", "StopInstances", 8),
    ("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", 6),
    // IAM: reads by audit and IaC tools; writes are rare.
    ("iam.amazonaws.com", "GetRole", 80),
    ("iam.amazonaws.com", "ListRoles", 50),
    ("iam.amazonaws.com", "ListAttachedRolePolicies", 50),
    ("iam.amazonaws.com", "GetPolicy", 40),
    ("iam.amazonaws.com", "GetPolicyVersion", 40),
    ("iam.amazonaws.com", "ListUsers", 40),
    ("iam.amazonaws.com", "GetUser", 30),
    ("iam.amazonaws.com", "ListRolePolicies", 30),
    ("iam.amazonaws.com", "ListPolicies", 30),
    ("iam.amazonaws.com", "ListAccessKeys", 20),
    ("iam.amazonaws.com", "ListGroupsForUser", 10),
    ("iam.amazonaws.com", "GetAccountSummary", 10),
    ("iam.amazonaws.com", "CreateRole", 4),
    ("iam.amazonaws.com", "PutRolePolicy", 4),
    ("iam.amazonaws.com", "AttachRolePolicy", 4),
    ("iam.amazonaws.com", "TagRole", 3),
    ("iam.amazonaws.com", "CreatePolicy", 3),
    ("iam.amazonaws.com", "CreatePolicyVersion", 2),
    ("iam.amazonaws.com", "CreateUser", 2),
    ("iam.amazonaws.com", "CreateAccessKey", 2),
    ("iam.amazonaws.com", "DeleteAccessKey", 2),
    // S3 bucket-level management calls.
    ("s3.amazonaws.com", "GetBucketLocation", 150),
    ("s3.amazonaws.com", "ListBuckets", 100),
    ("s3.amazonaws.com", "GetBucketAcl", 60),
    ("s3.amazonaws.com", "GetBucketPolicy", 50),
    ("s3.amazonaws.com", "GetBucketVersioning", 40),
    ("s3.amazonaws.com", "GetBucketEncryption", 40),
    ("s3.amazonaws.com", "GetBucketTagging", 40),
    ("s3.amazonaws.com", "GetBucketPublicAccessBlock", 30),
    ("s3.amazonaws.com", "GetBucketLogging", 20),
    ("s3.amazonaws.com", "PutBucketTagging", 3),
    ("s3.amazonaws.com", "CreateBucket", 2),
    ("s3.amazonaws.com", "PutBucketPolicy", 2),
    // Monitoring, logs, configuration.
    ("monitoring.amazonaws.com", "GetMetricData", 200),
    ("monitoring.amazonaws.com", "DescribeAlarms", 100),
    ("monitoring.amazonaws.com", "ListMetrics", 60),
    ("monitoring.amazonaws.com", "PutMetricAlarm", 5),
    ("logs.amazonaws.com", "CreateLogStream", 150),
    ("logs.amazonaws.com", "DescribeLogGroups", 80),
    ("logs.amazonaws.com", "DescribeLogStreams", 60),
    ("config.amazonaws.com", "PutEvaluations", 60),
    ("config.amazonaws.com", "DescribeConfigRules", 20),
    ("cloudformation.amazonaws.com", "DescribeStacks", 100),
    ("cloudformation.amazonaws.com", "DescribeStackEvents", 40),
    ("cloudformation.amazonaws.com", "ListStacks", 20),
    ("cloudtrail.amazonaws.com", "LookupEvents", 20),
    ("cloudtrail.amazonaws.com", "DescribeTrails", 15),
    ("cloudtrail.amazonaws.com", "GetTrailStatus", 15),
    ("tagging.amazonaws.com", "GetResources", 40),
    ("health.amazonaws.com", "DescribeEventAggregates", 30),
    // Systems Manager: agents on every instance, parameters read at start-up.
    ("ssm.amazonaws.com", "GetParameter", 250),
    ("ssm.amazonaws.com", "UpdateInstanceInformation", 200),
    ("ssm.amazonaws.com", "GetParameters", 150),
    ("ssm.amazonaws.com", "ListInstanceAssociations", 100),
    ("ssm.amazonaws.com", "GetParametersByPath", 60),
    ("ssm.amazonaws.com", "DescribeParameters", 40),
    ("secretsmanager.amazonaws.com", "GetSecretValue", 200),
    ("secretsmanager.amazonaws.com", "DescribeSecret", 40),
    ("secretsmanager.amazonaws.com", "ListSecrets", 20),
    // Containers, functions, databases, networking.
    ("ecr.amazonaws.com", "GetAuthorizationToken", 120),
    ("ecr.amazonaws.com", "GetDownloadUrlForLayer", 120),
    ("ecr.amazonaws.com", "BatchGetImage", 80),
    ("ecr.amazonaws.com", "DescribeRepositories", 20),
    ("ecr.amazonaws.com", "PutImage", 5),
    ("ecs.amazonaws.com", "DescribeTasks", 60),
    ("ecs.amazonaws.com", "ListTasks", 40),
    ("ecs.amazonaws.com", "DescribeServices", 40),
    ("eks.amazonaws.com", "DescribeCluster", 60),
    ("lambda.amazonaws.com", "ListFunctions20150331", 60),
    ("lambda.amazonaws.com", "GetFunction20150331v2", 40),
    ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", 6),
    ("rds.amazonaws.com", "DescribeDBInstances", 80),
    ("rds.amazonaws.com", "DescribeDBClusters", 40),
    ("rds.amazonaws.com", "DescribeDBSnapshots", 20),
    ("dynamodb.amazonaws.com", "DescribeTable", 100),
    ("dynamodb.amazonaws.com", "ListTables", 30),
    ("elasticloadbalancing.amazonaws.com", "DescribeTargetHealth", 80),
    ("elasticloadbalancing.amazonaws.com", "DescribeLoadBalancers", 60),
    ("autoscaling.amazonaws.com", "DescribeAutoScalingGroups", 80),
    ("route53.amazonaws.com", "ListResourceRecordSets", 30),
    ("route53.amazonaws.com", "ListHostedZones", 20),
    ("route53.amazonaws.com", "ChangeResourceRecordSets", 4),
    ("athena.amazonaws.com", "GetQueryExecution", 60),
    ("athena.amazonaws.com", "StartQueryExecution", 20),
    ("glue.amazonaws.com", "GetTable", 30),
    ("securityhub.amazonaws.com", "BatchImportFindings", 40),
    ("guardduty.amazonaws.com", "ListDetectors", 10),
    ("organizations.amazonaws.com", "DescribeOrganization", 20),
    // People signing in: console, IAM Identity Center portal.
    ("signin.amazonaws.com", "ConsoleLogin", 40),
    ("signin.amazonaws.com", "GetSigninToken", 10),
    ("sso.amazonaws.com", "GetRoleCredentials", 40),
    ("sso.amazonaws.com", "Federate", 30),
    ("sso.amazonaws.com", "ListAccounts", 25),
    ("sso.amazonaws.com", "ListAccountRoles", 25),
    ("sso.amazonaws.com", "Authenticate", 15),
    ("sso-oauth.amazonaws.com", "CreateToken", 20),
];

/// The detection test cases' distribution: every row of
/// `../shared/fixtures/panther/aws-cloudtrail.jsonl` whose `event` is a CloudTrail record
/// (459 of 537 rows; the rest are other log types), counted by (eventSource, eventName).
/// 14 rows were dropped because their pair is not a real API call (cases that mislabel the
/// source on purpose, such as ec2 `PutBucketVersioning`, or invent a name such as
/// `NotCreateUser`), leaving 445 rows in 186 pairs. Weight = number of rows.
#[rustfmt::skip]
pub const FIXTURE: &[(&str, &str, u32)] = &[
    ("signin.amazonaws.com", "ConsoleLogin", 31),
    ("s3.amazonaws.com", "PutBucketVersioning", 15),
    ("rds.amazonaws.com", "ModifyDBInstance", 12),
    ("ec2.amazonaws.com", "RunInstances", 10),
    ("s3.amazonaws.com", "GetObject", 9),
    ("sts.amazonaws.com", "AssumeRole", 8),
    ("ec2.amazonaws.com", "DescribeInstances", 7),
    ("iam.amazonaws.com", "CreateAccessKey", 7),
    ("s3.amazonaws.com", "PutBucketLogging", 7),
    ("ec2.amazonaws.com", "CreateNetworkAclEntry", 6),
    ("ec2.amazonaws.com", "ModifyImageAttribute", 6),
    ("ecr.amazonaws.com", "PutImage", 6),
    ("iam.amazonaws.com", "CreateUser", 6),
    ("rds.amazonaws.com", "CreateDBSnapshot", 6),
    ("s3.amazonaws.com", "CopyObject", 6),
    ("s3.amazonaws.com", "PutBucketPolicy", 6),
    ("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", 5),
    ("iam.amazonaws.com", "AttachUserPolicy", 5),
    ("iam.amazonaws.com", "CreateServiceLinkedRole", 5),
    ("iam.amazonaws.com", "UpdateLoginProfile", 5),
    ("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", 5),
    ("ec2.amazonaws.com", "ModifySnapshotAttribute", 4),
    ("iam.amazonaws.com", "AttachRolePolicy", 4),
    ("kms.amazonaws.com", "Decrypt", 4),
    ("lambda.amazonaws.com", "DeleteFunction", 4),
    ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", 4),
    ("rds.amazonaws.com", "AuthorizeDBSecurityGroupIngress", 4),
    ("s3.amazonaws.com", "DeleteBucketEncryption", 4),
    ("s3.amazonaws.com", "PutBucketLifecycle", 4),
    ("secretsmanager.amazonaws.com", "BatchGetSecretValue", 4),
    ("sts.amazonaws.com", "GetCallerIdentity", 4),
    ("codebuild.amazonaws.com", "UpdateProjectVisibility", 3),
    ("config.amazonaws.com", "DeleteDeliveryChannel", 3),
    ("config.amazonaws.com", "PutDeliveryChannel", 3),
    ("dynamodb.amazonaws.com", "DescribeTable", 3),
    ("ec2-instance-connect.amazonaws.com", "SendSSHPublicKey", 3),
    ("ec2.amazonaws.com", "DescribeInstanceAttribute", 3),
    ("iam.amazonaws.com", "PutUserPolicy", 3),
    ("iam.amazonaws.com", "UpdateAssumeRolePolicy", 3),
    ("rds.amazonaws.com", "CopyDBSnapshot", 3),
    ("rds.amazonaws.com", "DeleteDBInstance", 3),
    ("rds.amazonaws.com", "DescribeDBSnapshots", 3),
    ("rds.amazonaws.com", "DownloadDBLogFilePortion", 3),
    ("rds.amazonaws.com", "ModifyDBCluster", 3),
    ("rds.amazonaws.com", "StartExportTask", 3),
    ("s3.amazonaws.com", "ListBucket", 3),
    ("s3.amazonaws.com", "PutObject", 3),
    ("ssm.amazonaws.com", "GetParameters", 3),
    ("ssm.amazonaws.com", "SendCommand", 3),
    ("sts.amazonaws.com", "GetSessionToken", 3),
    ("bedrock.amazonaws.com", "ListGuardrails", 2),
    ("cloudtrail.amazonaws.com", "CreateTrail", 2),
    ("cloudtrail.amazonaws.com", "DeleteTrail", 2),
    ("cloudtrail.amazonaws.com", "PutEventSelectors", 2),
    ("cloudtrail.amazonaws.com", "StopLogging", 2),
    ("ec2.amazonaws.com", "AttachInternetGateway", 2),
    ("ec2.amazonaws.com", "CreateImage", 2),
    ("ec2.amazonaws.com", "CreateRoute", 2),
    ("ec2.amazonaws.com", "CreateVpc", 2),
    ("ec2.amazonaws.com", "DescribeRouteTables", 2),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", 2),
    ("ec2.amazonaws.com", "DescribeTrafficMirrorTargets", 2),
    ("ec2.amazonaws.com", "GetPasswordData", 2),
    ("ec2.amazonaws.com", "StopInstances", 2),
    ("ec2.amazonaws.com", "TerminateInstances", 2),
    ("iam.amazonaws.com", "ChangePassword", 2),
    ("iam.amazonaws.com", "CreateSAMLProvider", 2),
    ("iam.amazonaws.com", "DeleteGroupPolicy", 2),
    ("iam.amazonaws.com", "GetRole", 2),
    ("iam.amazonaws.com", "ListAccessKeys", 2),
    ("kms.amazonaws.com", "DisableKey", 2),
    ("kms.amazonaws.com", "PutKeyPolicy", 2),
    ("kms.amazonaws.com", "ScheduleKeyDeletion", 2),
    ("rds.amazonaws.com", "AddRoleToDBInstance", 2),
    ("rds.amazonaws.com", "DeleteDBInstanceAutomatedBackup", 2),
    ("rds.amazonaws.com", "DeleteDBSnapshot", 2),
    ("rds.amazonaws.com", "FailoverDBCluster", 2),
    ("rds.amazonaws.com", "ModifyDBSnapshotAttribute", 2),
    ("rds.amazonaws.com", "RebootDBInstance", 2),
    ("rds.amazonaws.com", "RestoreDBInstanceFromDBSnapshot", 2),
    ("rds.amazonaws.com", "StopActivityStream", 2),
    ("s3.amazonaws.com", "DeleteBucketPublicAccessBlock", 2),
    ("s3.amazonaws.com", "DeleteBucketReplication", 2),
    ("s3.amazonaws.com", "PutBucketAcl", 2),
    ("secretsmanager.amazonaws.com", "GetSecretValue", 2),
    ("secretsmanager.amazonaws.com", "PutResourcePolicy", 2),
    ("ses.amazonaws.com", "GetSendQuota", 2),
    ("signin.amazonaws.com", "GetSigninToken", 2),
    ("signin.amazonaws.com", "PasswordUpdated", 2),
    ("athena.amazonaws.com", "StartQueryExecution", 1),
    ("bedrock.amazonaws.com", "DeleteGuardrail", 1),
    ("bedrock.amazonaws.com", "DeleteModelInvocationLoggingConfiguration", 1),
    ("bedrock.amazonaws.com", "UpdateGuardrail", 1),
    ("billingconsole.amazonaws.com", "GetAlternateContact", 1),
    ("billingconsole.amazonaws.com", "GetContactInformation", 1),
    ("cloudtrail.amazonaws.com", "DescribeTrail", 1),
    ("cloudtrail.amazonaws.com", "EnableRegion", 1),
    ("cloudtrail.amazonaws.com", "GetEventSelectors", 1),
    ("cloudtrail.amazonaws.com", "StartLogging", 1),
    ("cloudtrail.amazonaws.com", "UpdateTrail", 1),
    ("codebuild.amazonaws.com", "CreateProject", 1),
    ("dynamodb.amazonaws.com", "GetRecords", 1),
    ("ec2.amazonaws.com", "AuthorizeSecurityGroupEgress", 1),
    ("ec2.amazonaws.com", "CreateSecurityGroup", 1),
    ("ec2.amazonaws.com", "CreateTrafficMirrorFilter", 1),
    ("ec2.amazonaws.com", "CreateTrafficMirrorFilterRule", 1),
    ("ec2.amazonaws.com", "CreateTrafficMirrorSession", 1),
    ("ec2.amazonaws.com", "CreateTrafficMirrorTarget", 1),
    ("ec2.amazonaws.com", "DeleteFlowLogs", 1),
    ("ec2.amazonaws.com", "DeleteTrafficMirrorTarget", 1),
    ("ec2.amazonaws.com", "DescribeInstanceStatus", 1),
    ("ec2.amazonaws.com", "DescribeNetworkAcls", 1),
    ("ec2.amazonaws.com", "DescribeVpcs", 1),
    ("ec2.amazonaws.com", "DisableEbsEncryptionByDefault", 1),
    ("ec2.amazonaws.com", "ModifyInstanceAttribute", 1),
    ("ec2.amazonaws.com", "ModifyTrafficMirrorSession", 1),
    ("ec2.amazonaws.com", "RegisterManagedInstance", 1),
    ("ec2.amazonaws.com", "StartInstances", 1),
    ("ec2messages.amazonaws.com", "SendHeartbeat", 1),
    ("ecr.amazonaws.com", "SetRepositoryPolicy", 1),
    ("es.amazonaws.com", "CreateElasticsearchDomain", 1),
    ("glue.amazonaws.com", "GetPartition", 1),
    ("iam.amazonaws.com", "CreateRole", 1),
    ("iam.amazonaws.com", "CreateVirtualMFADevice", 1),
    ("iam.amazonaws.com", "DeleteSAMLProvider", 1),
    ("iam.amazonaws.com", "GetGroup", 1),
    ("iam.amazonaws.com", "GetGroupPolicy", 1),
    ("iam.amazonaws.com", "ListAttachedGroupPolicies", 1),
    ("iam.amazonaws.com", "ListGroups", 1),
    ("iam.amazonaws.com", "ListGroupsForUser", 1),
    ("iam.amazonaws.com", "UpdateSAMLProvider", 1),
    ("lambda.amazonaws.com", "AddPermission20150331", 1),
    ("lambda.amazonaws.com", "AddPermission20150331v2", 1),
    ("lambda.amazonaws.com", "ListFunctions20150331", 1),
    ("lambda.amazonaws.com", "RemovePermission", 1),
    ("lambda.amazonaws.com", "UpdateFunctionCode20150331", 1),
    ("logs.amazonaws.com", "CreateLogStream", 1),
    ("macie.amazonaws.com", "UpdateMacieSession", 1),
    ("macie2.amazonaws.com", "ListMembers", 1),
    ("macie2.amazonaws.com", "UpdateMacieSession", 1),
    ("organizations.amazonaws.com", "CreateAccountResult", 1),
    ("organizations.amazonaws.com", "DescribeAccount", 1),
    ("organizations.amazonaws.com", "LeaveOrganization", 1),
    ("rds.amazonaws.com", "AddRoleToDBCluster", 1),
    ("rds.amazonaws.com", "CopyDBClusterSnapshot", 1),
    ("rds.amazonaws.com", "CreateDBInstance", 1),
    ("rds.amazonaws.com", "CreateDBInstanceReadReplica", 1),
    ("rds.amazonaws.com", "DeleteDBCluster", 1),
    ("rds.amazonaws.com", "DeleteDBClusterAutomatedBackup", 1),
    ("rds.amazonaws.com", "DeleteDBClusterSnapshot", 1),
    ("rds.amazonaws.com", "DescribeDBClusterSnapshots", 1),
    ("rds.amazonaws.com", "DescribeDBLogFiles", 1),
    ("rds.amazonaws.com", "FailoverGlobalCluster", 1),
    ("rds.amazonaws.com", "RebootDBCluster", 1),
    ("rds.amazonaws.com", "RemoveRoleFromDBInstance", 1),
    ("rds.amazonaws.com", "RevokeDBSecurityGroupIngress", 1),
    ("rds.amazonaws.com", "StartActivityStream", 1),
    ("rds.amazonaws.com", "StartDBInstance", 1),
    ("route53resolver.amazonaws.com", "DeleteResolverQueryLogConfig", 1),
    ("s3.amazonaws.com", "DeleteBucket", 1),
    ("s3.amazonaws.com", "DeleteObject", 1),
    ("s3.amazonaws.com", "DeleteObjects", 1),
    ("s3.amazonaws.com", "GetBucketAcl", 1),
    ("s3.amazonaws.com", "GetBucketLifecycle", 1),
    ("s3.amazonaws.com", "GetBucketPolicy", 1),
    ("s3.amazonaws.com", "ListAllMyBuckets", 1),
    ("s3.amazonaws.com", "PutBucketEncryption", 1),
    ("s3.amazonaws.com", "PutBucketPublicAccessBlock", 1),
    ("s3.amazonaws.com", "PutBucketReplication", 1),
    ("securityhub.amazonaws.com", "CreateInsight", 1),
    ("securityhub.amazonaws.com", "DeleteInsight", 1),
    ("securityhub.amazonaws.com", "UpdateFindings", 1),
    ("ses.amazonaws.com", "GetAccountSendingEnabled", 1),
    ("ses.amazonaws.com", "GetIdentityVerificationAttributes", 1),
    ("ses.amazonaws.com", "ListIdentities", 1),
    ("signin.amazonaws.com", "ExternalIdPDirectoryLogin", 1),
    ("sqs.amazonaws.com", "SetQueueAttributes", 1),
    ("ssm.amazonaws.com", "DescribeParameters", 1),
    ("ssm.amazonaws.com", "GetParameter", 1),
    ("ssm.amazonaws.com", "UpdateInstanceInformation", 1),
    ("ssmmessages.amazonaws.com", "CreateControlChannel", 1),
    ("sso.amazonaws.com", "Authenticate", 1),
    ("sso.amazonaws.com", "CreateToken", 1),
    ("sso.amazonaws.com", "ListApplications", 1),
    ("wafv2.amazonaws.com", "DisassociateWebACL", 1),
    ("wafv2.amazonaws.com", "ListWebACLs", 1),
];

/// One weighted call of a mix.
#[derive(Debug, Clone)]
pub struct Entry {
    pub source: Cow<'static, str>,
    pub name: Cow<'static, str>,
    pub callers: Callers,
}

/// A weighted list of calls to draw from: background and fixture-derived entries blended so
/// that the fixture part gets [`FIXTURE_SHARE`] of the draws.
#[derive(Debug, Clone)]
pub struct Mix {
    entries: Vec<Entry>,
    /// Running totals of the (scaled) weights, for a binary search per draw.
    cumulative: Vec<u64>,
    /// Where the fixture part came from, for the report.
    pub origin: String,
}

/// A mix file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MixError {
    #[error("cannot read the mix file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: not JSON ({reason}); expected one fixture row or CloudTrail record per line")]
    Json { path: String, line: usize, reason: String },
    #[error("{path}: no line holds a CloudTrail record (an object with eventSource and eventName, or such an object under `event`)")]
    Empty { path: String },
}

impl Default for Mix {
    fn default() -> Self {
        let fixture = FIXTURE.iter().map(|&(s, n, w)| (Cow::Borrowed(s), Cow::Borrowed(n), w));
        Mix::blend(fixture.collect(), "built-in table (panther aws-cloudtrail fixtures)".into())
    }
}

impl Mix {
    /// The built-in mix with its fixture part replaced by the counts of the (eventSource,
    /// eventName) pairs found in `path`: JSON lines, each a fixture row whose `event` holds the
    /// record (as an object or as JSON text), or a CloudTrail record itself. Lines that hold
    /// no CloudTrail record (other log types) are skipped.
    ///
    /// # Errors
    /// The file cannot be read, a line is not JSON, or no line holds a CloudTrail record.
    pub fn from_file(path: &Path) -> Result<Mix, MixError> {
        let shown = path.display().to_string();
        let io = |source| MixError::Io { path: shown.clone(), source };
        let reader = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
        let mut counts: Vec<(Cow<'static, str>, Cow<'static, str>, u32)> = Vec::new();
        for (index, line) in reader.lines().enumerate() {
            let line = line.map_err(io)?;
            if line.trim().is_empty() {
                continue;
            }
            let row: serde_json::Value = serde_json::from_str(&line).map_err(|e| MixError::Json {
                path: shown.clone(),
                line: index + 1,
                reason: e.to_string(),
            })?;
            let event = match row.get("event") {
                Some(serde_json::Value::String(text)) => serde_json::from_str(text).unwrap_or_default(),
                Some(event) => event.clone(),
                None => row,
            };
            let (Some(source), Some(name)) = (
                event.get("eventSource").and_then(|v| v.as_str()),
                event.get("eventName").and_then(|v| v.as_str()),
            ) else {
                continue;
            };
            match counts.iter_mut().find(|(s, n, _)| s == source && n == name) {
                Some(entry) => entry.2 += 1,
                None => counts.push((Cow::Owned(source.to_string()), Cow::Owned(name.to_string()), 1)),
            }
        }
        if counts.is_empty() {
            return Err(MixError::Empty { path: shown });
        }
        Ok(Mix::blend(counts, shown))
    }

    /// Scales both tables to a common total so the fixture part weighs [`FIXTURE_SHARE`].
    fn blend(fixture: Vec<(Cow<'static, str>, Cow<'static, str>, u32)>, origin: String) -> Mix {
        const SCALE: f64 = 1e9;
        let background_total: u64 = BACKGROUND.iter().map(|e| u64::from(e.2)).sum();
        let fixture_total: u64 = fixture.iter().map(|e| u64::from(e.2)).sum();
        let background = BACKGROUND.iter().map(|&(s, n, w)| {
            (Cow::Borrowed(s), Cow::Borrowed(n), w as f64 / background_total as f64 * (1.0 - FIXTURE_SHARE))
        });
        let fixture = fixture
            .into_iter()
            .map(|(s, n, w)| (s, n, f64::from(w) / fixture_total.max(1) as f64 * FIXTURE_SHARE));
        let mut entries = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0u64;
        for (source, name, share) in background.chain(fixture) {
            total += ((share * SCALE) as u64).max(1);
            cumulative.push(total);
            let callers = Callers::of(&source, &name);
            entries.push(Entry { source, name, callers });
        }
        Mix { entries, cumulative, origin }
    }

    /// Draws one call.
    pub fn draw(&self, rng: &mut Rng8) -> &Entry {
        let total = *self.cumulative.last().expect("a mix has entries");
        let point = rng.random_range(0..total);
        let index = self.cumulative.partition_point(|&c| c <= point);
        &self.entries[index]
    }

    /// How many distinct calls the mix holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the mix is empty (never, for a mix that was built).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The proportions the module documentation states.
    #[test]
    fn the_background_is_mostly_reads_and_a_third_data_events() {
        let total: u32 = BACKGROUND.iter().map(|e| e.2).sum();
        let share = |keep: &dyn Fn(&str, &str) -> bool| {
            let kept: u32 = BACKGROUND.iter().filter(|e| keep(e.0, e.1)).map(|e| e.2).sum();
            f64::from(kept) / f64::from(total)
        };
        let reads = share(&|s, n| crate::record::read_only(s, n));
        let data = share(&is_data_event);
        let sts_kms = share(&|s, _| s == "sts.amazonaws.com" || s == "kms.amazonaws.com");
        assert!((0.82..=0.90).contains(&reads), "reads {reads}");
        assert!((0.22..=0.30).contains(&data), "data {data}");
        assert!((0.22..=0.28).contains(&sts_kms), "sts+kms {sts_kms}");
    }

    #[test]
    fn the_fixture_table_holds_what_its_comment_says() {
        assert_eq!(FIXTURE.len(), 186);
        assert_eq!(FIXTURE.iter().map(|e| e.2).sum::<u32>(), 445);
    }
}
