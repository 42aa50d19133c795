//! Who signs the day's calls, each rendering its own `userIdentity`; the roles of the day;
//! and the calls every story makes the same way (role assumption, console sign-in).

use serde_json::{json, Value};

use super::day::{at, cloudtrail_date, ts, Call, Day, UPPER_ALNUM};
use super::{DEV, DEV_ROLE, PROD, PROD_ROLE};

pub const CLI_UA: &str = "aws-cli/2.18.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1017-aws md/arch#x86_64 \
     lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe \
     md/distrib#ubuntu.24 md/prompt#off md/command#";
pub const BOTO_UA: &str = "Boto3/1.35.54 md/Botocore#1.35.54 ua/2.0 os/linux#6.1.112-124.190.amzn2023.x86_64 md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.54";
pub const TF_UA: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.74.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.3 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/iam#1.37.3";
pub const BROWSER_UA: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
pub const CONSOLE_UA: &str = "AWS Internal";
pub const SSM_AGENT_UA: &str = "aws-sdk-go/1.55.5 (go1.22.8; linux; amd64) amazon-ssm-agent/3.3.1142.0";
pub const VENDOR_UA: &str = "datadog-aws-integration/1.0 aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5";
pub const GITHUB_UA: &str =
    "aws-sdk-js/3.682.0 ua/2.1 os/linux#6.5.0-1025-azure lang/js md/nodejs#20.18.0 api/sts#3.682.0 m/E";

/// The AWS CLI's user agent running `command` (`iam.list-users`).
pub fn cli(command: &str) -> String {
    format!("{CLI_UA}{command}")
}

/// Something that signs requests.
#[derive(Debug, Clone)]
pub struct Principal {
    pub identity: Value,
    pub ip: String,
    pub ua: String,
    /// The account its calls are recorded in, unless a call names another.
    pub account: Option<String>,
}

impl Principal {
    pub fn new(identity: Value, ip: &str, ua: &str, account: Option<&str>) -> Principal {
        Principal { identity, ip: ip.into(), ua: ua.into(), account: account.map(String::from) }
    }

    pub fn arn(&self) -> &str {
        self.identity["arn"].as_str().unwrap_or_default()
    }
}

/// An IAM user; `console` users sign with a session key from their sign-in.
pub fn iam_user(
    day: &mut Day,
    account: &str,
    name: &str,
    ip: &str,
    ua: &str,
    console: Option<bool>,
) -> Principal {
    let mut identity = json!({
        "type": "IAMUser",
        "principalId": day.rid("AIDA", 17, UPPER_ALNUM),
        "arn": format!("arn:aws:iam::{account}:user/{name}"),
        "accountId": account,
        "accessKeyId": day.key("AKIA"),
        "userName": name,
    });
    if let Some(mfa) = console {
        identity["accessKeyId"] = day.key("ASIA").into();
        identity["sessionContext"] = json!({ "attributes": { "creationDate": ts(at(7, 55, 0)), "mfaAuthenticated": mfa.to_string() } });
    }
    Principal::new(identity, ip, ua, Some(account))
}

#[derive(Debug, Clone)]
pub struct Role {
    pub account: String,
    pub name: String,
    pub arn: String,
    pub role_id: String,
}

impl Role {
    pub fn new(day: &mut Day, account: &str, name: &str) -> Role {
        Role::at_path(day, account, name, "/")
    }

    pub fn at_path(day: &mut Day, account: &str, name: &str, path: &str) -> Role {
        Role {
            account: account.into(),
            name: name.into(),
            arn: format!("arn:aws:iam::{account}:role{path}{name}"),
            role_id: day.rid("AROA", 17, UPPER_ALNUM),
        }
    }

    /// `[{accountId, type: AWS::IAM::Role, ARN}]`.
    pub fn resource(&self) -> Value {
        role_resource(&self.arn, &self.account)
    }

    pub fn session_arn(&self, session: &str) -> String {
        format!("arn:aws:sts::{}:assumed-role/{}/{session}", self.account, self.name)
    }
}

/// How a role session came to be.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// The key its calls are signed with; a fresh one when `None`.
    pub key: Option<String>,
    pub mfa: bool,
    /// Created at 06:00 unless said.
    pub created: Option<i64>,
    /// An instance profile's session.
    pub ec2: bool,
}

/// A session of `role` named `name`.
pub fn session(
    day: &mut Day,
    role: &Role,
    name: &str,
    ip: &str,
    ua: &str,
    options: SessionOptions,
) -> Principal {
    let mut context = json!({
        "sessionIssuer": {
            "type": "Role", "principalId": role.role_id, "arn": role.arn, "accountId": role.account,
            "userName": role.name,
        },
        "attributes": {
            "creationDate": ts(options.created.unwrap_or(at(6, 0, 0))),
            "mfaAuthenticated": options.mfa.to_string(),
        },
    });
    if options.ec2 {
        context["ec2RoleDelivery"] = "2.0".into();
    }
    let key = options.key.unwrap_or_else(|| day.key("ASIA"));
    let identity = json!({
        "type": "AssumedRole",
        "principalId": format!("{}:{name}", role.role_id),
        "arn": role.session_arn(name),
        "accountId": role.account,
        "accessKeyId": key,
        "sessionContext": context,
    });
    Principal::new(identity, ip, ua, Some(&role.account))
}

/// An AWS service acting on its own behalf.
pub fn service(name: &str) -> Principal {
    Principal::new(json!({ "type": "AWSService", "invokedBy": name }), name, name, None)
}

pub fn role_resource(arn: &str, account: &str) -> Value {
    json!([{ "accountId": account, "type": "AWS::IAM::Role", "ARN": arn }])
}

pub fn instance_resource(account: &str, region: &str, instance: &str) -> Value {
    json!([{ "accountId": account, "type": "AWS::EC2::Instance",
             "ARN": format!("arn:aws:ec2:{region}:{account}:instance/{instance}") }])
}

/// The message IAM gives when no policy allows `action`.
pub fn denied(who: &Principal, action: &str, resource: &str) -> String {
    format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} because no identity-based \
         policy allows the {action} action",
        who.arn()
    )
}

/// How a role is assumed.
#[derive(Debug, Clone, Default)]
pub struct Assume<'a> {
    pub external_id: Option<&'a str>,
    pub mfa_serial: Option<String>,
    pub ua: Option<String>,
}

/// A successful `sts:AssumeRole` of `role` as session `name`; returns the issued key id.
pub fn assume_role(
    day: &mut Day,
    who: &Principal,
    t: i64,
    role: &Role,
    name: &str,
    how: Assume<'_>,
) -> String {
    let key = day.key("ASIA");
    let mut request = json!({ "roleArn": role.arn, "roleSessionName": name });
    if let Some(external_id) = how.external_id {
        request["externalId"] = external_id.into();
    }
    if let Some(serial) = how.mfa_serial {
        request["serialNumber"] = serial.into();
        request["tokenCode"] = "HIDDEN_DUE_TO_SECURITY_REASONS".into();
    }
    let response = json!({
        "credentials": { "accessKeyId": key, "sessionToken": day.session_token(), "expiration": cloudtrail_date(t + 3600) },
        "assumedRoleUser": { "assumedRoleId": format!("{}:{name}", role.role_id), "arn": role.session_arn(name) },
    });
    let recipient = who.account.clone().unwrap_or_else(|| role.account.clone());
    let mut call = Call::new(who, t, "sts.amazonaws.com", "AssumeRole")
        .request(request)
        .response(response)
        .read_only(true)
        .resources(role.resource())
        .recipient(&recipient);
    if let Some(ua) = how.ua {
        call = call.ua(ua);
    }
    call.emit(day);
    key
}

/// A console sign-in of an IAM user, with or without MFA, failed when asked.
pub fn console_login(day: &mut Day, user: &Principal, t: i64, mfa: bool, fail: bool) {
    let mut data = json!({
        "LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
        "MobileVersion": "No",
        "MFAUsed": if mfa { "Yes" } else { "No" },
    });
    if mfa {
        data["MFAIdentifier"] = format!(
            "arn:aws:iam::{}:mfa/{}",
            user.account.as_deref().unwrap_or_default(),
            user.identity["userName"].as_str().unwrap_or_default()
        )
        .into();
    }
    let mut identity = user.identity.clone();
    if let Some(fields) = identity.as_object_mut() {
        fields.remove("accessKeyId");
        fields.remove("sessionContext");
    }
    let signer = Principal::new(identity, &user.ip, BROWSER_UA, user.account.as_deref());
    let mut call = Call::new(&signer, t, "signin.amazonaws.com", "ConsoleLogin")
        .event_type("AwsConsoleSignIn")
        .response(json!({ "ConsoleLogin": if fail { "Failure" } else { "Success" } }))
        .extra("additionalEventData", data);
    if fail {
        call = call.error("Failed authentication", "Failed authentication");
    }
    call.emit(day);
}

/// The roles several stories use.
pub struct Roles {
    pub dev: Role,
    pub prod: Role,
    pub github: Role,
    pub lambda: Role,
    pub task: Role,
    pub config: Role,
    pub vendor: Role,
    pub scanner: Role,
    pub audit: Role,
}

impl Roles {
    pub fn new(day: &mut Day) -> Roles {
        Roles {
            dev: Role::new(day, DEV, DEV_ROLE),
            prod: Role::new(day, PROD, PROD_ROLE),
            github: Role::new(day, DEV, "github-actions-deploy"),
            lambda: Role::new(day, DEV, "orders-api-lambda"),
            task: Role::new(day, DEV, "orders-worker-task"),
            config: Role::at_path(
                day,
                DEV,
                "AWSServiceRoleForConfig",
                "/aws-service-role/config.amazonaws.com/",
            ),
            vendor: Role::new(day, DEV, "DatadogIntegrationRole"),
            scanner: Role::new(day, DEV, "secops-scanner"),
            audit: Role::new(day, PROD, "OrganizationAuditRole"),
        }
    }
}
