//! One CloudTrail record: the envelope every record shares (identity, time, source, request
//! and event ids, outcome, TLS details), with the call-specific parts from [`super::calls`].

use rand::RngExt;

use super::calls::{self, Call};
use super::ids;
use super::json::Json;
use super::mix::{is_data_event, Callers};
use super::principals::{pick, Session, Sessions, World, HUMAN_AGENTS, REGIONS, SERVICES};
use super::Rng8;

/// Who made a call. Indices point into the [`World`] and the live [`Sessions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Root(u16),
    User(u32),
    Session(u32),
    Federated(u32),
    Service {
        service: u16,
        account: u16,
    },
    /// A principal of a foreign account acting on a resource of `account`.
    Account {
        foreign: u16,
        account: u16,
    },
    IdentityCenter(u32),
    Saml(u32),
    WebIdentity(u32),
    Unknown {
        account: u16,
    },
}

/// A call to write: what, by whom, and what the scenario (if any) fixes about it.
#[derive(Debug, Clone)]
pub struct Planned<'a> {
    pub source: &'a str,
    pub name: &'a str,
    pub callers: Callers,
    pub caller: Caller,
    /// A region the scenario fixes (reconnaissance sweeps every region).
    pub region: Option<u8>,
    /// Source address and user agent a scenario fixes (an attacker's, not the principal's).
    pub origin: Option<(String, &'static str)>,
    /// Part of a suspicious scenario: the call's parameters take the harmful form.
    pub suspicious: bool,
    /// An error code the scenario fixes (failed cross-account assumes).
    pub error: Option<&'static str>,
}

/// What the generator needs to know about a record it just wrote.
pub struct Written {
    pub account: u16,
    pub region: u8,
    pub new_session: Option<Session>,
}

/// Everything one record is drawn from.
pub struct Ctx<'g> {
    pub rng: &'g mut Rng8,
    pub world: &'g World,
    pub sessions: &'g Sessions,
    /// Seconds since the epoch, and the same as CloudTrail writes it.
    pub now: i64,
    pub now_text: &'g str,
}

/// The caller as the record shows it, resolved once.
pub struct Who {
    /// The account the record is delivered to.
    pub account: u16,
    pub arn: Option<String>,
    pub ip: String,
    pub agent: String,
    pub service: Option<&'static str>,
    pub mfa: bool,
    pub console: bool,
    pub source_identity: Option<String>,
    /// The user name or session name, for sessions this caller creates.
    pub display: String,
}

pub fn write(out: &mut Vec<u8>, ctx: &mut Ctx<'_>, p: &Planned<'_>) -> Written {
    let who = resolve(ctx, p);
    let global = matches!(
        p.source,
        "iam.amazonaws.com"
            | "signin.amazonaws.com"
            | "organizations.amazonaws.com"
            | "route53.amazonaws.com"
    );
    let region = match p.region {
        Some(r) => r,
        None if global => 0,
        None if ctx.rng.random_bool(0.8) => ctx.world.accounts[who.account as usize].home_region,
        None => ctx.world.region(ctx.rng),
    };
    let data = is_data_event(p.source, p.name);
    let read_only = read_only(p.source, p.name);
    let error = p
        .error
        .map(|code| (code, error_message(code, p, &who)))
        .or_else(|| error_for(ctx, p, &who, read_only));

    let mut j = Json::new(out);
    j.begin().kv("eventVersion", if data { "1.10" } else { "1.09" });
    identity(&mut j, ctx, p, &who);
    j.kv("eventTime", ctx.now_text).kv("eventSource", p.source).kv("eventName", p.name);
    j.kv("awsRegion", REGIONS[region as usize].0).kv("sourceIPAddress", &who.ip).kv("userAgent", &who.agent);
    let console_failure = p.callers == Callers::Console && matches!(p.caller, Caller::Unknown { .. });
    if let Some((code, message)) = &error {
        j.kv("errorCode", code).kv("errorMessage", message);
    } else if console_failure {
        j.kv("errorMessage", "Failed authentication");
    }
    let call = Call { p, who: &who, region, failed: error.is_some() || console_failure };
    let effects = calls::write(&mut j, ctx, &call);
    j.key("requestID");
    let mut id = String::with_capacity(36);
    if p.source == "s3.amazonaws.com" {
        id.push_str(&ids::hex(ctx.rng, 16).to_ascii_uppercase());
    } else {
        ids::uuid_into(ctx.rng, &mut id, false);
    }
    j.str(&id);
    id.clear();
    ids::uuid_into(ctx.rng, &mut id, false);
    j.kv("eventID", &id).kv_bool("readOnly", read_only);
    if !effects.resources.is_empty() {
        j.key("resources").begin_array();
        for (kind, arn, account) in &effects.resources {
            j.begin();
            if let Some(account) = account {
                j.kv("accountId", account);
            }
            j.kv("type", kind).kv("ARN", arn).end();
        }
        j.end_array();
    }
    let event_type = if p.callers == Callers::Console { "AwsConsoleSignIn" } else { "AwsApiCall" };
    j.kv("eventType", event_type).kv_bool("managementEvent", !data);
    j.kv("recipientAccountId", &ctx.world.accounts[who.account as usize].id);
    if effects.shared {
        id.clear();
        ids::uuid_into(ctx.rng, &mut id, false);
        j.kv("sharedEventID", &id);
    }
    j.kv("eventCategory", if data { "Data" } else { "Management" });
    if who.service.is_none() && p.callers != Callers::Console {
        let host = host_header(p.source, REGIONS[region as usize].0);
        let (version, suite) = if ctx.rng.random_bool(0.85) {
            ("TLSv1.3", "TLS_AES_128_GCM_SHA256")
        } else {
            ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256")
        };
        j.key("tlsDetails").begin().kv("tlsVersion", version).kv("cipherSuite", suite);
        j.kv("clientProvidedHostHeader", &host).end();
    }
    if who.console {
        j.kv("sessionCredentialFromConsole", "true");
    }
    j.end();
    Written { account: who.account, region, new_session: effects.new_session }
}

/// Reads, per CloudTrail: the actions whose verb reads (CloudTrail's `readOnly` follows the
/// verb more closely than the IAM access level: `kms:Decrypt` is a Write to IAM and read-only
/// to CloudTrail), plus the STS and KMS calls CloudTrail marks read-only.
pub fn read_only(source: &str, name: &str) -> bool {
    if matches!(
        name,
        "AssumeRole" | "AssumeRoleWithSAML" | "AssumeRoleWithWebIdentity" | "Encrypt" | "GetSessionToken"
    ) {
        return true;
    }
    if source == "signin.amazonaws.com" || name == "ConsoleLogin" {
        return false;
    }
    matches!(trailhound_sdk::aws::access_level(name), "List" | "Read")
}

fn host_header(source: &str, region: &str) -> String {
    let service = source.trim_end_matches(".amazonaws.com");
    match service {
        "iam" | "sts" | "organizations" | "route53" => format!("{service}.amazonaws.com"),
        "monitoring" => format!("monitoring.{region}.amazonaws.com"),
        _ => format!("{service}.{region}.amazonaws.com"),
    }
}

fn resolve(ctx: &mut Ctx<'_>, p: &Planned<'_>) -> Who {
    let world = ctx.world;
    let rng = &mut *ctx.rng;
    let mut who = match p.caller {
        Caller::Root(a) => Who {
            account: a,
            arn: Some(format!("arn:aws:iam::{}:root", world.accounts[a as usize].id)),
            ip: ids::public_ip(rng),
            agent: HUMAN_AGENTS[6].into(),
            service: None,
            mfa: rng.random_bool(0.8),
            console: false,
            source_identity: None,
            display: "root".into(),
        },
        Caller::User(u) => {
            let user = &world.users[u as usize];
            Who {
                account: user.account,
                arn: Some(format!(
                    "arn:aws:iam::{}:user/{}",
                    world.accounts[user.account as usize].id, user.name
                )),
                ip: user.ip.clone(),
                agent: HUMAN_AGENTS[user.agent as usize].into(),
                service: None,
                mfa: user.mfa,
                console: false,
                source_identity: None,
                display: user.name.clone(),
            }
        }
        Caller::Session(s) => {
            let session = ctx.sessions.get(s);
            let role = &world.roles[session.role as usize];
            let account = &world.accounts[role.account as usize];
            Who {
                account: role.account,
                arn: Some(format!("arn:aws:sts::{}:assumed-role/{}/{}", account.id, role.name, session.name)),
                ip: session.ip.clone(),
                agent: session.agent.into(),
                service: None,
                mfa: session.mfa,
                console: session.console,
                source_identity: session.source_identity.clone(),
                display: session.name.clone(),
            }
        }
        Caller::Federated(f) => {
            let (a, name) = &world.federated[f as usize];
            Who {
                account: *a,
                arn: Some(format!("arn:aws:sts::{}:federated-user/{name}", world.accounts[*a as usize].id)),
                ip: ids::public_ip(rng),
                agent: pick(rng, HUMAN_AGENTS).to_string(),
                service: None,
                mfa: false,
                console: false,
                source_identity: None,
                display: name.clone(),
            }
        }
        Caller::Service { service, account } => {
            let name = SERVICES[service as usize];
            Who {
                account,
                arn: None,
                ip: name.into(),
                agent: name.into(),
                service: Some(name),
                mfa: false,
                console: false,
                source_identity: None,
                display: name.into(),
            }
        }
        Caller::Account { account, .. } => Who {
            account,
            arn: None,
            ip: ids::aws_ip(rng),
            agent: pick(rng, super::principals::WORKLOAD_AGENTS).to_string(),
            service: None,
            mfa: false,
            console: false,
            source_identity: None,
            display: "partner".into(),
        },
        Caller::IdentityCenter(u) => Who {
            account: 0,
            arn: None,
            ip: ids::public_ip(rng),
            agent: HUMAN_AGENTS[6].into(),
            service: None,
            mfa: true,
            console: false,
            source_identity: None,
            display: world.identity_center[u as usize].name.clone(),
        },
        Caller::Saml(u) => Who {
            account: rng.random_range(0..world.accounts.len()) as u16,
            arn: None,
            ip: ids::public_ip(rng),
            agent: HUMAN_AGENTS[6].into(),
            service: None,
            mfa: false,
            console: false,
            source_identity: None,
            display: world.saml[u as usize].name.clone(),
        },
        Caller::WebIdentity(u) => Who {
            account: rng.random_range(0..world.accounts.len()) as u16,
            arn: None,
            ip: ids::aws_ip(rng),
            agent: super::principals::WORKLOAD_AGENTS[3].into(),
            service: None,
            mfa: false,
            console: false,
            source_identity: None,
            display: world.web[u as usize].subject.clone(),
        },
        Caller::Unknown { account } => Who {
            account,
            arn: None,
            ip: ids::public_ip(rng),
            agent: HUMAN_AGENTS[6].into(),
            service: None,
            mfa: false,
            console: false,
            source_identity: None,
            display: "unknown".into(),
        },
    };
    if let Some((ip, agent)) = &p.origin {
        who.ip = ip.clone();
        who.agent = (*agent).into();
    }
    who
}

fn identity(j: &mut Json<'_>, ctx: &mut Ctx<'_>, p: &Planned<'_>, who: &Who) {
    let world = ctx.world;
    j.key("userIdentity").begin();
    match p.caller {
        Caller::Root(a) => {
            let account = &world.accounts[a as usize].id;
            j.kv("type", "Root").kv("principalId", account).kv("arn", who.arn.as_deref().unwrap_or_default());
            j.kv("accountId", account);
            if p.callers != Callers::Console {
                j.kv("accessKeyId", &ids::access_key(ctx.rng, "ASIA"));
            }
        }
        Caller::User(u) => {
            let user = &world.users[u as usize];
            j.kv("type", "IAMUser")
                .kv("principalId", &user.id)
                .kv("arn", who.arn.as_deref().unwrap_or_default());
            j.kv("accountId", &world.accounts[user.account as usize].id);
            if p.callers != Callers::Console {
                j.kv("accessKeyId", &user.key);
            }
            j.kv("userName", &user.name);
        }
        Caller::Session(s) => {
            let session = ctx.sessions.get(s);
            let role = &world.roles[session.role as usize];
            let account = &world.accounts[role.account as usize].id;
            j.kv("type", "AssumedRole").kv_fmt("principalId", format_args!("{}:{}", role.id, session.name));
            j.kv("arn", who.arn.as_deref().unwrap_or_default()).kv("accountId", account);
            j.kv("accessKeyId", &session.key);
            j.key("sessionContext").begin();
            j.key("sessionIssuer").begin().kv("type", "Role").kv("principalId", &role.id);
            j.kv_fmt("arn", format_args!("arn:aws:iam::{account}:role/{}", role.name));
            j.kv("accountId", account).kv("userName", &role.name).end();
            j.key("attributes").begin().kv("creationDate", &super::iso_time(session.created));
            j.kv("mfaAuthenticated", if session.mfa { "true" } else { "false" }).end();
            if let Some(source) = &session.source_identity {
                j.kv("sourceIdentity", source);
            }
            if session.instance {
                j.kv("ec2RoleDelivery", "2.0");
            }
            j.end();
        }
        Caller::Federated(f) => {
            let (a, name) = &world.federated[f as usize];
            let account = &world.accounts[*a as usize].id;
            j.kv("type", "FederatedUser").kv_fmt("principalId", format_args!("{account}:{name}"));
            j.kv("arn", who.arn.as_deref().unwrap_or_default()).kv("accountId", account);
            j.kv("accessKeyId", &ids::access_key(ctx.rng, "ASIA"));
            j.key("sessionContext").begin();
            j.key("sessionIssuer")
                .begin()
                .kv("type", "IAMUser")
                .kv("principalId", &ids::principal(ctx.rng, "AIDA"));
            j.kv_fmt("arn", format_args!("arn:aws:iam::{account}:user/federation-broker"))
                .kv("accountId", account);
            j.kv("userName", "federation-broker").end();
            j.key("attributes")
                .begin()
                .kv("creationDate", ctx.now_text)
                .kv("mfaAuthenticated", "false")
                .end();
            j.end();
        }
        Caller::Service { .. } => {
            j.kv("type", "AWSService").kv("invokedBy", who.service.unwrap_or_default());
        }
        Caller::Account { foreign, .. } => {
            let role = ids::principal(ctx.rng, "AROA");
            j.kv("type", "AWSAccount").kv_fmt("principalId", format_args!("{role}:{}", ids::hex(ctx.rng, 8)));
            j.kv("accountId", &world.foreign[foreign as usize]);
        }
        Caller::IdentityCenter(u) => {
            let user = &world.identity_center[u as usize];
            j.kv("type", "IdentityCenterUser").kv("accountId", &world.accounts[0].id);
            j.key("onBehalfOf")
                .begin()
                .kv("userId", &user.user_id)
                .kv("identityStoreArn", &world.identity_store);
            j.end();
            j.kv("credentialId", &ids::hex(ctx.rng, 40));
        }
        Caller::Saml(u) => {
            let user = &world.saml[u as usize];
            j.kv("type", "SAMLUser").kv_fmt("principalId", format_args!("{}:{}", user.provider, user.name));
            j.kv("userName", &user.name).kv("identityProvider", &user.provider);
        }
        Caller::WebIdentity(u) => {
            let user = &world.web[u as usize];
            j.kv("type", "WebIdentityUser");
            j.kv_fmt(
                "principalId",
                format_args!(
                    "arn:aws:iam::{}:oidc-provider/{}:sts.amazonaws.com:{}",
                    world.accounts[who.account as usize].id, user.provider, user.subject
                ),
            );
            j.kv("userName", &user.subject);
            j.kv_fmt(
                "identityProvider",
                format_args!(
                    "arn:aws:iam::{}:oidc-provider/{}",
                    world.accounts[who.account as usize].id, user.provider
                ),
            );
        }
        Caller::Unknown { .. } => {
            j.kv("type", "Unknown")
                .kv("principalId", "")
                .kv("accountId", &world.accounts[who.account as usize].id);
            j.kv("userName", "HIDDEN_DUE_TO_SECURITY_REASONS");
        }
    }
    j.end();
}

/// The error share by kind of call: people's calls fail most (missing permissions, typos,
/// throttled scripts), services' and data calls rarely. Overall about 5%.
fn error_for(
    ctx: &mut Ctx<'_>,
    p: &Planned<'_>,
    who: &Who,
    read_only: bool,
) -> Option<(&'static str, String)> {
    let rate = match p.callers {
        Callers::Console | Callers::IdentityCenter | Callers::Saml | Callers::WebIdentity => 0.003,
        Callers::Service | Callers::Assume if who.service.is_some() => 0.003,
        Callers::Service | Callers::Assume => 0.02,
        Callers::Data => 0.015,
        Callers::People if read_only => 0.06,
        Callers::People => 0.08,
    };
    if !ctx.rng.random_bool(rate) {
        return None;
    }
    let service = p.source.trim_end_matches(".amazonaws.com");
    let roll: f64 = ctx.rng.random();
    let code = match service {
        _ if roll < 0.15 && read_only => {
            if service == "ec2" {
                "Client.RequestLimitExceeded"
            } else {
                "ThrottlingException"
            }
        }
        "ec2" if roll < 0.25 => "Client.InvalidInstanceID.NotFound",
        "iam" if roll < 0.3 => "NoSuchEntityException",
        "s3" if roll < 0.3 && p.name == "GetObject" => "NoSuchKey",
        "s3" if roll < 0.3 => "NoSuchBucketPolicy",
        "lambda" | "secretsmanager" | "dynamodb" | "logs" | "ecs" | "eks" if roll < 0.3 => {
            "ResourceNotFoundException"
        }
        "ec2" => "Client.UnauthorizedOperation",
        "s3" | "iam" | "sts" | "cloudtrail" | "signin" | "monitoring" => "AccessDenied",
        _ => "AccessDeniedException",
    };
    Some((code, error_message(code, p, who)))
}

fn error_message(code: &str, p: &Planned<'_>, who: &Who) -> String {
    let prefix = match p.source.trim_end_matches(".amazonaws.com") {
        "monitoring" => "cloudwatch",
        other => other,
    };
    let principal = who.arn.as_deref().unwrap_or("anonymous");
    match code {
        "ThrottlingException" | "Client.RequestLimitExceeded" => "Rate exceeded".into(),
        "NoSuchEntityException" => "The role with name deploy-helper cannot be found.".into(),
        "NoSuchKey" => "The specified key does not exist.".into(),
        "NoSuchBucketPolicy" => "The bucket policy does not exist".into(),
        "ResourceNotFoundException" => "Requested resource not found".into(),
        "Client.InvalidInstanceID.NotFound" => "The instance ID 'i-0abc' does not exist".into(),
        "Client.UnauthorizedOperation" => format!(
            "You are not authorized to perform this operation. User: {principal} is not authorized to perform: ec2:{} because no identity-based policy allows the ec2:{} action",
            p.name, p.name
        ),
        _ => format!(
            "User: {principal} is not authorized to perform: {prefix}:{} because no identity-based policy allows the {prefix}:{} action",
            p.name, p.name
        ),
    }
}
