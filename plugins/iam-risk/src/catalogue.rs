//! What makes an AWS permission risky: the privilege-escalation methods, resource-exposure,
//! data-exfiltration and credentials-exposure actions of Cloudsplaining's catalogue
//! (salesforce/cloudsplaining, after Rhino Security Labs' escalation research and
//! pathfinding.cloud), and the AWS managed policies known to grant admin or a way to it.
//!
//! Actions are written in lower case: IAM compares action names without regard to case, and
//! [`crate::permissions`] expands a policy's wildcards against these lists.

/// A privilege-escalation method: a name (Cloudsplaining's) and the actions that together,
/// on any resource, let a principal raise its own privileges.
#[derive(Debug, PartialEq, Eq)]
pub struct Method {
    pub name: &'static str,
    pub actions: &'static [&'static str],
}

const fn method(name: &'static str, actions: &'static [&'static str]) -> Method {
    Method { name, actions }
}

pub const ESCALATION: &[Method] = &[
    // Permissions on other users.
    method("CreateAccessKey", &["iam:createaccesskey"]),
    method("CreateLoginProfile", &["iam:createloginprofile"]),
    method("UpdateLoginProfile", &["iam:updateloginprofile"]),
    method("AddUserToGroup", &["iam:addusertogroup"]),
    // Permissions on policies.
    method("CreateNewPolicyVersion", &["iam:createpolicyversion"]),
    method("SetExistingDefaultPolicyVersion", &["iam:setdefaultpolicyversion"]),
    method("AttachUserPolicy", &["iam:attachuserpolicy"]),
    method("AttachGroupPolicy", &["iam:attachgrouppolicy"]),
    method("AttachRolePolicy", &["iam:attachrolepolicy"]),
    method("PutUserPolicy", &["iam:putuserpolicy"]),
    method("PutGroupPolicy", &["iam:putgrouppolicy"]),
    method("PutRolePolicy", &["iam:putrolepolicy"]),
    // A role's trust policy.
    method("UpdateRolePolicyToAssumeIt", &["iam:updateassumerolepolicy"]),
    // Passing an existing role to a new compute resource.
    method("CreateEC2WithExistingIP", &["iam:passrole", "ec2:runinstances"]),
    method("PassExistingRoleToNewEC2SpotInstance", &["iam:passrole", "ec2:requestspotinstances"]),
    method(
        "PassExistingRoleToNewLambdaThenInvoke",
        &["iam:passrole", "lambda:createfunction", "lambda:invokefunction"],
    ),
    method(
        "PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo",
        &["iam:passrole", "lambda:createfunction", "lambda:createeventsourcemapping"],
    ),
    method(
        "PassExistingRoleToNewLambdaThenAddPermission",
        &["iam:passrole", "lambda:createfunction", "lambda:addpermission"],
    ),
    method("PassExistingRoleToNewGlueDevEndpoint", &["iam:passrole", "glue:createdevendpoint"]),
    method("PassExistingRoleToNewGlueJobThenRun", &["iam:passrole", "glue:createjob", "glue:startjobrun"]),
    method("PassExistingRoleToCloudFormation", &["iam:passrole", "cloudformation:createstack"]),
    method("PassExistingRoleToNewDataPipeline", &["iam:passrole", "datapipeline:createpipeline"]),
    method(
        "PassExistingRoleToNewCodeBuildProjectThenBuild",
        &["iam:passrole", "codebuild:createproject", "codebuild:startbuild"],
    ),
    method(
        "PassExistingRoleToNewECSTaskViaRunTask",
        &["iam:passrole", "ecs:registertaskdefinition", "ecs:runtask"],
    ),
    method("PassExistingRoleToNewAppRunnerService", &["iam:passrole", "apprunner:createservice"]),
    method(
        "PassExistingRoleToNewSageMakerNotebookInstance",
        &["iam:passrole", "sagemaker:createnotebookinstance"],
    ),
    // Taking over a resource that already runs as a role.
    method("UpdateExistingGlueDevEndpoint", &["glue:updatedevendpoint"]),
    method("EditExistingLambdaFunctionWithRole", &["lambda:updatefunctioncode"]),
    method(
        "ModifyEC2InstanceUserDataThenRestart",
        &["ec2:modifyinstanceattribute", "ec2:stopinstances", "ec2:startinstances"],
    ),
    method(
        "ExecuteCloudFormationChangeSet",
        &["cloudformation:createchangeset", "cloudformation:executechangeset"],
    ),
    method("ECSExecuteCommandOnRunningTask", &["ecs:executecommand", "ecs:describetasks"]),
    method("CreatePresignedSageMakerNotebookUrl", &["sagemaker:createpresignednotebookinstanceurl"]),
];

/// Actions that change who may reach a resource (its resource-based policy, ACL or sharing).
pub const RESOURCE_EXPOSURE: &[&str] = &[
    "s3:putbucketpolicy",
    "s3:putbucketacl",
    "s3:putobjectacl",
    "s3:putobjectversionacl",
    "s3:putaccesspointpolicy",
    "s3:putbucketpublicaccessblock",
    "s3:putaccountpublicaccessblock",
    "kms:putkeypolicy",
    "kms:creategrant",
    "secretsmanager:putresourcepolicy",
    "lambda:addpermission",
    "lambda:addlayerversionpermission",
    "sns:addpermission",
    "sns:settopicattributes",
    "sqs:addpermission",
    "sqs:setqueueattributes",
    "ecr:setrepositorypolicy",
    "glacier:setvaultaccesspolicy",
    "ec2:modifysnapshotattribute",
    "ec2:modifyimageattribute",
    "rds:modifydbsnapshotattribute",
    "rds:modifydbclustersnapshotattribute",
    "ram:createresourceshare",
    "ram:associateresourceshare",
    "iam:updateassumerolepolicy",
    "glue:putresourcepolicy",
    "logs:putresourcepolicy",
    "events:putpermission",
    "backup:putbackupvaultaccesspolicy",
    "elasticfilesystem:putfilesystempolicy",
    "ssm:modifydocumentpermission",
    "redshift:authorizesnapshotaccess",
    "codeartifact:putrepositorypermissionspolicy",
];

/// Read actions that hand over stored data or secrets (Cloudsplaining's default list).
pub const DATA_EXFILTRATION: &[&str] = &[
    "s3:getobject",
    "ssm:getparameter",
    "ssm:getparameters",
    "ssm:getparametersbypath",
    "secretsmanager:getsecretvalue",
];

/// Actions whose response carries credentials (Cloudsplaining's credentials-exposure list).
pub const CREDENTIALS_EXPOSURE: &[&str] = &[
    "chime:createapikey",
    "codepipeline:pollforjobs",
    "cognito-identity:getopenidtoken",
    "cognito-identity:getopenidtokenfordeveloperidentity",
    "cognito-identity:getcredentialsforidentity",
    "connect:getfederationtoken",
    "ec2:getpassworddata",
    "ecr:getauthorizationtoken",
    "gamelift:requestuploadcredentials",
    "iam:createaccesskey",
    "iam:createloginprofile",
    "iam:createservicespecificcredential",
    "iam:resetservicespecificcredential",
    "iam:updateaccesskey",
    "lightsail:getinstanceaccessdetails",
    "lightsail:getrelationaldatabasemasteruserpassword",
    "rds-db:connect",
    "redshift:getclustercredentials",
    "sso:getrolecredentials",
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:getfederationtoken",
    "sts:getsessiontoken",
];

/// Services whose every action (`service:*`) is a way to admin on its own.
pub const ADMIN_SERVICES: &[&str] = &["iam", "sts", "organizations", "sso"];

/// An AWS managed policy that grants admin or a way to it, with why.
pub struct ManagedPolicy {
    pub name: &'static str,
    pub critical: bool,
    pub why: &'static str,
}

pub const RISKY_MANAGED_POLICIES: &[ManagedPolicy] = &[
    ManagedPolicy { name: "AdministratorAccess", critical: true, why: "allows every action on every resource" },
    ManagedPolicy {
        name: "IAMFullAccess",
        critical: true,
        why: "iam:* lets the principal attach AdministratorAccess to itself or create keys for any user",
    },
    ManagedPolicy {
        name: "PowerUserAccess",
        critical: false,
        why: "every action outside IAM and Organizations: all data, compute and secrets of the account",
    },
    ManagedPolicy {
        name: "AWSOrganizationsFullAccess",
        critical: false,
        why: "organizations:* from the management account reaches every member account (OrganizationAccountAccessRole)",
    },
    ManagedPolicy {
        name: "AWSSSOMasterAccountAdministrator",
        critical: false,
        why: "manages IAM Identity Center: can give any user any permission set in the organization's accounts",
    },
    ManagedPolicy {
        name: "AWSLambda_FullAccess",
        critical: false,
        why: "lambda:* with iam:PassRole to Lambda: runs code as any role Lambda may assume",
    },
    ManagedPolicy {
        name: "AmazonSageMakerFullAccess",
        critical: false,
        why: "sagemaker:* with iam:PassRole to SageMaker: notebooks and jobs run as any role SageMaker may assume",
    },
    ManagedPolicy {
        name: "AdministratorAccess-AWSElasticBeanstalk",
        critical: false,
        why: "ec2:*, cloudformation:* and iam:PassRole: launches instances and stacks with existing roles",
    },
];

/// Every action the lists above name, once each: what a policy's wildcards are expanded against.
pub fn known_actions() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = ESCALATION
        .iter()
        .flat_map(|m| m.actions.iter().copied())
        .chain(RESOURCE_EXPOSURE.iter().copied())
        .chain(DATA_EXFILTRATION.iter().copied())
        .chain(CREDENTIALS_EXPOSURE.iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_lower_case_and_qualified() {
        for action in known_actions() {
            assert_eq!(action, action.to_ascii_lowercase());
            assert!(action.split_once(':').is_some_and(|(s, a)| !s.is_empty() && !a.is_empty()), "{action}");
        }
        let names: std::collections::BTreeSet<&str> = ESCALATION.iter().map(|m| m.name).collect();
        assert_eq!(names.len(), ESCALATION.len(), "method names are unique");
    }
}
