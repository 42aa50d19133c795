//! The call-specific part of a record: `requestParameters`, `responseElements`,
//! `additionalEventData` and the `resources` CloudTrail lists, shaped like the real call.
//! Failed calls have no `responseElements`. An AssumeRole family response creates the
//! session its credentials belong to, which later records act as.

use rand::RngExt;

use super::ids;
use super::json::Json;
use super::mix::Callers;
use super::principals::{pick, RoleUse, Session};
use super::record::{Caller, Ctx, Planned, Who};
use super::REGIONS;

pub struct Call<'a> {
    pub p: &'a Planned<'a>,
    pub who: &'a Who,
    pub region: u8,
    pub failed: bool,
}

#[derive(Default)]
pub struct Effects {
    /// (type, ARN, owning account).
    pub resources: Vec<(&'static str, String, Option<String>)>,
    pub new_session: Option<Session>,
    /// Cross-account: CloudTrail links both accounts' copies with a `sharedEventID`.
    pub shared: bool,
}

const AGENT_VERSION: &str = "3.3.131.0";

pub fn write(j: &mut Json<'_>, ctx: &mut Ctx<'_>, call: &Call<'_>) -> Effects {
    let mut fx = Effects::default();
    let p = call.p;
    match p.source {
        "sts.amazonaws.com" => sts(j, ctx, call, &mut fx),
        "signin.amazonaws.com" => signin(j, ctx, call),
        "s3.amazonaws.com" => s3(j, ctx, call, &mut fx),
        "kms.amazonaws.com" => kms(j, ctx, call, &mut fx),
        "ec2.amazonaws.com" => ec2(j, ctx, call),
        "iam.amazonaws.com" => iam(j, ctx, call),
        _ => other(j, ctx, call, &mut fx),
    }
    fx
}

fn account<'w>(ctx: &Ctx<'w>, call: &Call<'_>) -> &'w super::principals::Account {
    &ctx.world.accounts[call.who.account as usize]
}

fn region(call: &Call<'_>) -> &'static str {
    REGIONS[call.region as usize].0
}

/// `null` responses for failed calls; otherwise the closure writes the value.
fn response(j: &mut Json<'_>, call: &Call<'_>, write: impl FnOnce(&mut Json<'_>)) {
    j.key("responseElements");
    if call.failed {
        j.null();
    } else {
        write(j);
    }
}

/// The date format of IAM and STS responses (`Mar 1, 2025, 12:00:00 PM`).
fn response_date(secs: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let (hour, half) = match t.hour() {
        0 => (12, "AM"),
        h @ 1..=11 => (h, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    let month = &format!("{:?}", t.month())[..3];
    format!("{month} {}, {}, {hour}:{:02}:{:02} {half}", t.day(), t.year(), t.minute(), t.second())
}

fn credentials(j: &mut Json<'_>, ctx: &mut Ctx<'_>, key: &str) {
    j.key("credentials").begin().kv("accessKeyId", key);
    j.kv("sessionToken", &ids::base64(ctx.rng, 180)).kv("expiration", &response_date(ctx.now + 3600)).end();
}

fn sts(j: &mut Json<'_>, ctx: &mut Ctx<'_>, call: &Call<'_>, fx: &mut Effects) {
    let p = call.p;
    let world = ctx.world;
    match p.name {
        "AssumeRole" | "AssumeRoleWithSAML" | "AssumeRoleWithWebIdentity" => {
            // The role: the caller's kind decides which role it assumes; people hop to other
            // accounts a quarter of the time; a suspicious attempt targets a foreign account.
            let own = call.who.account;
            let other = (own + 1 + ctx.rng.random_range(0..world.accounts.len() as u16 - 1))
                % world.accounts.len() as u16;
            let (role, purpose) = match (p.name, p.caller) {
                ("AssumeRoleWithSAML", _) => (world.role_in(ctx.rng, RoleUse::Saml, own), RoleUse::Saml),
                ("AssumeRoleWithWebIdentity", _) => {
                    (world.role_in(ctx.rng, RoleUse::WebIdentity, own), RoleUse::WebIdentity)
                }
                (_, Caller::Service { service, .. }) => {
                    let purpose = match super::principals::SERVICES[service as usize] {
                        "lambda.amazonaws.com" => RoleUse::Function,
                        "ecs-tasks.amazonaws.com" => RoleUse::Task,
                        _ => RoleUse::Instance,
                    };
                    (world.role_in(ctx.rng, purpose, own), purpose)
                }
                _ if ctx.rng.random_bool(0.25) => {
                    (world.role_in(ctx.rng, RoleUse::CrossAccount, other), RoleUse::CrossAccount)
                }
                _ => {
                    let purpose = if ctx.rng.random_bool(0.3) { RoleUse::Automation } else { RoleUse::Human };
                    (world.role_in(ctx.rng, purpose, own), purpose)
                }
            };
            let mut session = world.session(ctx.rng, role, ctx.now);
            session.created = ctx.now;
            let human = !matches!(p.caller, Caller::Service { .. } | Caller::WebIdentity(_));
            if human && !matches!(purpose, RoleUse::Saml) {
                session.name = call.who.display.clone();
                session.ip = call.who.ip.clone();
                session.mfa = call.who.mfa;
                session.source_identity = call.who.source_identity.clone();
                if let Some(agent) = super::principals::HUMAN_AGENTS.iter().find(|a| **a == call.who.agent) {
                    session.agent = agent;
                }
                if matches!(p.caller, Caller::User(_)) && ctx.rng.random_bool(0.3) {
                    session.source_identity = Some(call.who.display.clone());
                }
            }
            let role_arn = if p.suspicious {
                format!(
                    "arn:aws:iam::{}:role/{}",
                    pick(ctx.rng, &world.foreign),
                    "OrganizationAccountAccessRole"
                )
            } else {
                world.role_arn(role)
            };
            let role_account = trailhound_sdk::aws::arn_account(&role_arn).unwrap_or_default().to_string();
            j.key("requestParameters").begin().kv("roleArn", &role_arn).kv("roleSessionName", &session.name);
            match p.name {
                "AssumeRoleWithSAML" => {
                    j.kv_fmt("principalArn", format_args!("arn:aws:iam::{role_account}:saml-provider/ADFS"));
                    j.kv_fmt("sAMLAssertionID", format_args!("_{}", ids::uuid(ctx.rng)));
                }
                "AssumeRoleWithWebIdentity" => {}
                _ => {
                    if let Some(source) = &session.source_identity {
                        j.kv("sourceIdentity", source);
                    }
                    if purpose == RoleUse::CrossAccount && ctx.rng.random_bool(0.5) {
                        j.kv("externalId", &ids::hex(ctx.rng, 12));
                    }
                }
            }
            j.kv_num("durationSeconds", 3600).end();
            let session_arn = format!(
                "arn:aws:sts::{role_account}:assumed-role/{}/{}",
                role_arn.rsplit('/').next().unwrap_or_default(),
                session.name
            );
            let role_id = &world.roles[role as usize].id;
            response(j, call, |j| {
                j.begin();
                credentials(j, ctx, &session.key);
                j.key("assumedRoleUser")
                    .begin()
                    .kv_fmt("assumedRoleId", format_args!("{role_id}:{}", session.name));
                j.kv("arn", &session_arn).end();
                if let Some(source) = &session.source_identity {
                    j.kv("sourceIdentity", source);
                }
                match p.name {
                    "AssumeRoleWithSAML" => {
                        j.kv("subjectType", "persistent")
                            .kv("issuer", "http://adfs.corp.example.com/adfs/services/trust");
                        j.kv("audience", "https://signin.aws.amazon.com/saml")
                            .kv("subject", &call.who.display);
                    }
                    "AssumeRoleWithWebIdentity" => {
                        j.kv("subjectFromWebIdentityToken", &call.who.display)
                            .kv("audience", "sts.amazonaws.com");
                    }
                    _ => {}
                }
                j.end();
            });
            fx.resources.push(("AWS::IAM::Role", role_arn, Some(role_account.clone())));
            fx.shared = role_account != world.accounts[call.who.account as usize].id;
            if !call.failed {
                fx.new_session = Some(session);
            }
        }
        "GetSessionToken" | "GetFederationToken" => {
            j.key("requestParameters").begin().kv_num("durationSeconds", 43200);
            if p.name == "GetFederationToken" {
                j.kv("name", &call.who.display);
            }
            j.end();
            let key = ids::access_key(ctx.rng, "ASIA");
            response(j, call, |j| {
                j.begin();
                credentials(j, ctx, &key);
                j.end();
            });
        }
        _ => {
            j.key("requestParameters").null().key("responseElements").null();
        }
    }
}

fn signin(j: &mut Json<'_>, ctx: &mut Ctx<'_>, call: &Call<'_>) {
    j.key("requestParameters").null();
    j.key("responseElements");
    if call.p.name == "ConsoleLogin" {
        j.begin().kv("ConsoleLogin", if call.failed { "Failure" } else { "Success" }).end();
        j.key("additionalEventData").begin();
        j.kv("LoginTo", "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_a1b2c3d4e5f6");
        j.kv("MobileVersion", "No")
            .kv("MFAIdentifier", if call.who.mfa { "arn:aws:iam::mfa/device" } else { "" });
        j.kv("MFAUsed", if call.who.mfa { "Yes" } else { "No" }).end();
    } else {
        j.null();
        j.key("additionalEventData").begin().kv("MobileVersion", "No").kv("SamlProviderArn", "").end();
    }
    let _ = ctx;
}

fn s3_extra(j: &mut Json<'_>, ctx: &mut Ctx<'_>, bytes_out: u64) {
    j.key("additionalEventData")
        .begin()
        .kv("SignatureVersion", "SigV4")
        .kv("CipherSuite", "TLS_AES_128_GCM_SHA256");
    j.kv_num("bytesTransferredIn", 0).kv("AuthenticationMethod", "AuthHeader");
    j.kv("x-amz-id-2", &ids::base64(ctx.rng, 76)).kv_num("bytesTransferredOut", bytes_out).end();
}

fn s3(j: &mut Json<'_>, ctx: &mut Ctx<'_>, call: &Call<'_>, fx: &mut Effects) {
    let p = call.p;
    let acct = account(ctx, call);
    let bucket = pick(ctx.rng, &acct.buckets).clone();
    let host = format!("{bucket}.s3.{}.amazonaws.com", region(call));
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    if p.name == "ListBuckets" {
        j.key("requestParameters").begin().kv("Host", "s3.amazonaws.com").end();
        j.key("responseElements").null();
        s3_extra(j, ctx, 0);
        return;
    }
    j.key("requestParameters").begin().kv("bucketName", &bucket).kv("Host", &host);
    let object = matches!(p.name, "GetObject" | "PutObject" | "HeadObject" | "CopyObject" | "DeleteObject");
    let key = format!(
        "{}/{}/part-{:05}-{}.{}",
        pick(ctx.rng, &["data", "exports", "raw", "uploads", "reports"]),
        ctx.now_text.get(..10).unwrap_or_default(),
        ctx.rng.random_range(0..2000),
        ids::hex(ctx.rng, 8),
        pick(ctx.rng, &["parquet", "json.gz", "csv", "png", "pdf"])
    );
    match p.name {
        n if object => {
            j.kv("key", &key);
            if n == "CopyObject" {
                j.kv_fmt("x-amz-copy-source", format_args!("{bucket}/{key}"));
            }
        }
        "ListObjects" => {
            j.kv("list-type", "2").kv("prefix", "exports/").kv("encoding-type", "url");
        }
        "PutBucketAcl" => {
            j.key("AccessControlPolicy").begin().key("AccessControlList").begin().key("Grant").begin_array();
            j.begin()
                .key("Grantee")
                .begin()
                .kv("xsi:type", "CanonicalUser")
                .kv("ID", &ids::hex(ctx.rng, 64))
                .end();
            j.kv("Permission", "FULL_CONTROL").end();
            if p.suspicious {
                j.begin().key("Grantee").begin().kv("xsi:type", "Group");
                j.kv("URI", "http://acs.amazonaws.com/groups/global/AllUsers")
                    .end()
                    .kv("Permission", "READ")
                    .end();
            }
            j.end_array().end().end().kv("acl", "");
        }
        "PutBucketPolicy" => {
            let principal = if p.suspicious {
                "\"*\"".to_string()
            } else {
                format!("{{\"AWS\":\"arn:aws:iam::{}:root\"}}", acct.id)
            };
            j.kv_fmt("bucketPolicy", format_args!("{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{principal},\"Action\":\"s3:GetObject\",\"Resource\":\"{bucket_arn}/*\"}}]}}"));
            j.kv("policy", "");
        }
        name => {
            // Bucket subresource calls name the subresource as an empty parameter.
            let sub = name
                .trim_start_matches("Get")
                .trim_start_matches("Put")
                .trim_start_matches("Delete")
                .trim_start_matches("Bucket");
            if !sub.is_empty() && sub != name {
                j.kv(&sub.to_ascii_lowercase(), "");
            }
        }
    }
    j.end();
    let bytes_out = if p.name == "GetObject" { ctx.rng.random_range(200..5_000_000) } else { 0 };
    response(j, call, |j| {
        if p.name == "PutObject" {
            j.begin().kv("x-amz-server-side-encryption", "aws:kms");
            j.kv_fmt(
                "x-amz-server-side-encryption-aws-kms-key-id",
                format_args!("arn:aws:kms:{}:{}:key/{}", region(call), acct.id, acct.keys[0]),
            );
            j.kv("x-amz-version-id", &ids::base64(ctx.rng, 32)).end();
        } else {
            j.null();
        }
    });
    s3_extra(j, ctx, bytes_out);
    if object {
        fx.resources.push(("AWS::S3::Object", format!("{bucket_arn}/{key}"), None));
    }
    fx.resources.push(("AWS::S3::Bucket", bucket_arn, Some(acct.id.clone())));
}

fn kms(j: &mut Json<'_>, ctx: &mut Ctx<'_>, call: &Call<'_>, fx: &mut Effects) {
    let acct = account(ctx, call);
    let key_arn = format!("arn:aws:kms:{}:{}:key/{}", region(call), acct.id, pick(ctx.rng, &acct.keys));
    j.key("requestParameters").begin();
    match call.p.name {
        "Decrypt" | "Encrypt" | "GenerateDataKey" => {
            j.key("encryptionContext").begin();
            if ctx.rng.random_bool(0.6) {
                j.kv_fmt(
                    "aws:s3:arn",
                    format_args!(
                        "arn:aws:s3:::{}/data/{}",
                        pick(ctx.rng, &acct.buckets),
                        ids::hex(ctx.rng, 24)
                    ),
                );
            } else {
                j.kv_fmt(
                    "SecretARN",
                    format_args!(
                        "arn:aws:secretsmanager:{}:{}:secret:{}-{}",
                        region(call),
                        acct.id,
                        pick(ctx.rng, &acct.secrets),
                        ids::alnum(ctx.rng, 6)
                    ),
                );
                j.kv("SecretVersionId", &ids::uuid(ctx.rng));
            }
            j.end().kv("encryptionAlgorithm", "SYMMETRIC_DEFAULT");
            if call.p.name != "Decrypt" {
                j.kv("keyId", &key_arn);
            }
            if call.p.name == "GenerateDataKey" {
                j.kv("keySpec", "AES_256");
            }
        }
        "ListAliases" | "ListKeys" => {
            j.kv_num("limit", 100);
        }
        _ => {
            j.kv("keyId", &key_arn);
        }
    }
    j.end();
    j.key("responseElements").null();
    fx.resources.push(("AWS::KMS::Key", key_arn, Some(acct.id.clone())));
}

fn items<V: AsRef<str> + ?Sized>(j: &mut Json<'_>, set: &str, key: &str, value: &V) {
    j.key(set).begin().key("items").begin_array().begin().kv(key, value).end().end_array().end();
}

fn ec2(j: &mut Json<'_>, ctx: &mut Ctx<'_>, call: &Call<'_>) {
    let p = call.p;
    let acct = account(ctx, call);
    let instance = pick(ctx.rng, &acct.instances).clone();
    let request_id = ids::uuid(ctx.rng);
    j.key("requestParameters").begin();
    match p.name {
        "DescribeInstances" | "DescribeInstanceStatus" if ctx.rng.random_bool(0.5) => {
            items(j, "instancesSet", "instanceId", &instance);
            j.key("filterSet").begin().end();
        }
        "DescribeRegions" => {
            j.key("regionSet").begin().end().kv_bool("allRegions", false);
        }
        "DescribeSecurityGroups" => {
            items(j, "securityGroupIdSet", "groupId", pick(ctx.rng, &acct.security_groups));
            j.key("securityGroupSet").begin().end().key("filterSet").begin().end();
        }
        n if n.starts_with("Describe") => {
            j.kv_num("maxResults", 1000).key("filterSet").begin().key("items").begin_array();
            j.begin().kv("name", "vpc-id").key("valueSet").begin().key("items").begin_array();
            j.begin().kv("value", pick(ctx.rng, &acct.vpcs)).end().end_array().end().end().end_array().end();
        }
        "RunInstances" => {
            j.key("instancesSet").begin().key("items").begin_array().begin();
            j.kv_fmt("imageId", format_args!("ami-{}", ids::hex(ctx.rng, 17)))
                .kv_num("minCount", 1)
                .kv_num("maxCount", 1);
            j.end()
                .end_array()
                .end()
                .kv("instanceType", pick(ctx.rng, &["t3.medium", "m6i.large", "c6g.xlarge", "r6i.2xlarge"]));
            j.key("blockDeviceMapping")
                .begin()
                .end()
                .key("monitoring")
                .begin()
                .kv_bool("enabled", false)
                .end();
            j.kv_bool("disableApiTermination", false).kv("clientToken", &ids::uuid(ctx.rng));
        }
        "ModifySnapshotAttribute" => {
            let target = if p.suspicious {
                pick(ctx.rng, &ctx.world.foreign).clone()
            } else {
                pick(ctx.rng, &ctx.world.accounts).id.clone()
            };
            j.kv("snapshotId", pick(ctx.rng, &acct.snapshots))
                .kv("attributeType", "CREATE_VOLUME_PERMISSION");
            j.key("createVolumePermission").begin().key("add").begin().key("items").begin_array();
            j.begin().kv("userId", &target).end().end_array().end().end();
        }
        "CreateSnapshot" => {
            j.kv_fmt("volumeId", format_args!("vol-{}", ids::hex(ctx.rng, 17)))
                .kv("description", "nightly backup");
        }
        "AuthorizeSecurityGroupIngress" => {
            let cidr = if p.suspicious { "0.0.0.0/0" } else { "10.0.0.0/16" };
            j.kv("groupId", pick(ctx.rng, &acct.security_groups))
                .key("ipPermissions")
                .begin()
                .key("items")
                .begin_array();
            j.begin().kv("ipProtocol", "tcp").kv_num("fromPort", 22).kv_num("toPort", 22);
            items(j, "ipRanges", "cidrIp", cidr);
            j.end().end_array().end();
        }
        "CreateTags" => {
            items(j, "resourcesSet", "resourceId", &instance);
            j.key("tagSet")
                .begin()
                .key("items")
                .begin_array()
                .begin()
                .kv("key", "Owner")
                .kv("value", pick(ctx.rng, &["platform", "data", "web"]));
            j.end().end_array().end();
        }
        "CreateNetworkInterface" => {
            j.kv_fmt("subnetId", format_args!("subnet-{}", ids::hex(ctx.rng, 17)))
                .kv("description", "AWS Lambda VPC ENI");
            items(j, "groupSet", "groupId", pick(ctx.rng, &acct.security_groups));
        }
        "DeleteNetworkInterface" => {
            j.kv_fmt("networkInterfaceId", format_args!("eni-{}", ids::hex(ctx.rng, 17)));
        }
        "DeleteFlowLogs" => {
            j.key("DeleteFlowLogsRequest")
                .begin()
                .key("FlowLogId")
                .begin()
                .kv("content", &format!("fl-{}", ids::hex(ctx.rng, 17)));
            j.kv_num("tag", 1).end().end();
        }
        _ => {
            items(j, "instancesSet", "instanceId", &instance);
        }
    }
    j.end();
    response(j, call, |j| match p.name {
        n if n.starts_with("Describe") => {
            j.null();
        }
        "RunInstances" => {
            j.begin()
                .kv("requestId", &request_id)
                .kv_fmt("reservationId", format_args!("r-{}", ids::hex(ctx.rng, 17)));
            j.kv("ownerId", &acct.id).key("instancesSet").begin().key("items").begin_array().begin();
            j.kv_fmt("instanceId", format_args!("i-{}", ids::hex(ctx.rng, 17)));
            j.key("instanceState").begin().kv_num("code", 0).kv("name", "pending").end();
            j.kv_fmt(
                "privateIpAddress",
                format_args!("10.0.{}.{}", ctx.rng.random_range(0..255u8), ctx.rng.random_range(1..255u8)),
            );
            j.kv("subnetId", &format!("subnet-{}", ids::hex(ctx.rng, 17))).kv("vpcId", &acct.vpcs[0]);
            j.end().end_array().end().end();
        }
        "CreateSnapshot" => {
            j.begin()
                .kv("requestId", &request_id)
                .kv_fmt("snapshotId", format_args!("snap-{}", ids::hex(ctx.rng, 17)));
            j.kv("status", "pending").kv("ownerId", &acct.id).kv_num("volumeSize", 100).end();
        }
        _ => {
            j.begin().kv("requestId", &request_id).kv_bool("_return", true).end();
        }
    });
}

fn iam(j: &mut Json<'_>, ctx: &mut Ctx<'_>, call: &Call<'_>) {
    let p = call.p;
    let world = ctx.world;
    let acct = account(ctx, call);
    let per_account = world.users.len() / world.accounts.len();
    let user = &world.users[call.who.account as usize * per_account + ctx.rng.random_range(0..per_account)];
    let role = world.role_in(ctx.rng, RoleUse::Human, call.who.account);
    let role_name = &world.roles[role as usize].name;
    let admin = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}";
    let scoped = format!("{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\",\"s3:ListBucket\"],\"Resource\":[\"arn:aws:s3:::{0}\",\"arn:aws:s3:::{0}/*\"]}}]}}", pick(ctx.rng, &acct.buckets));
    let policy = if p.suspicious { admin } else { scoped.as_str() };
    let policy_arn = format!("arn:aws:iam::{}:policy/{}-access", acct.id, role_name);
    let name = p.name;
    j.key("requestParameters");
    match name {
        "GetAccountSummary" | "GetAccountAuthorizationDetails" => {
            j.null();
        }
        n if n.starts_with("List")
            && !n.contains("For")
            && !n.ends_with("Policies")
            && !n.ends_with("Keys") =>
        {
            j.begin().kv_num("maxItems", 100).end();
        }
        "CreatePolicy" => {
            j.begin()
                .kv("policyName", policy_arn.rsplit('/').next().unwrap_or_default())
                .kv("policyDocument", policy)
                .end();
        }
        "CreatePolicyVersion" => {
            j.begin()
                .kv("policyArn", &policy_arn)
                .kv("policyDocument", policy)
                .kv_bool("setAsDefault", true)
                .end();
        }
        "GetPolicy" | "GetPolicyVersion" | "DeletePolicy" => {
            j.begin().kv("policyArn", &policy_arn);
            if name == "GetPolicyVersion" {
                j.kv("versionId", "v3");
            }
            j.end();
        }
        "CreateRole" | "UpdateAssumeRolePolicy" => {
            let trusted = if p.suspicious { pick(ctx.rng, &world.foreign).clone() } else { acct.id.clone() };
            let trust = format!("{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{{\"AWS\":\"arn:aws:iam::{trusted}:root\"}},\"Action\":\"sts:AssumeRole\"}}]}}");
            let key = if name == "CreateRole" { "assumeRolePolicyDocument" } else { "policyDocument" };
            j.begin().kv("roleName", role_name).kv(key, &trust).end();
        }
        "CreateAccessKey" | "CreateUser" | "CreateLoginProfile" | "UpdateLoginProfile"
        | "DeleteAccessKey" => {
            // A suspicious CreateAccessKey names another user than the caller.
            j.begin().kv("userName", &user.name);
            if name == "DeleteAccessKey" {
                j.kv("accessKeyId", &user.key);
            }
            j.end();
        }
        n if n.contains("User") || n.ends_with("Keys") => {
            j.begin().kv("userName", &user.name);
            if n.ends_with("Policy") {
                let attached = if p.suspicious {
                    "arn:aws:iam::aws:policy/AdministratorAccess".to_string()
                } else {
                    policy_arn.clone()
                };
                if n.starts_with("Attach") || n.starts_with("Detach") {
                    j.kv("policyArn", &attached);
                } else {
                    j.kv("policyName", "inline").kv("policyDocument", policy);
                }
            }
            j.end();
        }
        n if n.contains("Group") => {
            j.begin().kv("groupName", pick(ctx.rng, &["Admins", "Developers", "ReadOnly"])).end();
        }
        n if n.contains("SAML") => {
            j.begin()
                .kv_fmt("sAMLProviderArn", format_args!("arn:aws:iam::{}:saml-provider/ADFS", acct.id))
                .end();
        }
        n => {
            j.begin().kv("roleName", role_name);
            if n.starts_with("Attach") || n.starts_with("Detach") {
                j.kv(
                    "policyArn",
                    if p.suspicious { "arn:aws:iam::aws:policy/AdministratorAccess" } else { &policy_arn },
                );
            } else if n.starts_with("Put") {
                j.kv("policyName", "inline").kv("policyDocument", policy);
            } else if n == "TagRole" {
                j.key("tags")
                    .begin_array()
                    .begin()
                    .kv("key", "team")
                    .kv("value", "platform")
                    .end()
                    .end_array();
            }
            j.end();
        }
    }
    let created = response_date(ctx.now);
    response(j, call, |j| match name {
        "CreateAccessKey" => {
            j.begin()
                .key("accessKey")
                .begin()
                .kv("accessKeyId", &ids::access_key(ctx.rng, "AKIA"))
                .kv("status", "Active");
            j.kv("userName", &user.name).kv("createDate", &created).end().end();
        }
        "CreateUser" => {
            j.begin().key("user").begin().kv("path", "/").kv("userName", &user.name).kv("userId", &user.id);
            j.kv_fmt("arn", format_args!("arn:aws:iam::{}:user/{}", acct.id, user.name))
                .kv("createDate", &created)
                .end()
                .end();
        }
        "CreateRole" => {
            j.begin()
                .key("role")
                .begin()
                .kv("path", "/")
                .kv("roleName", role_name)
                .kv("roleId", &world.roles[role as usize].id);
            j.kv("arn", &world.role_arn(role)).kv("createDate", &created).end().end();
        }
        "CreatePolicy" | "CreatePolicyVersion" => {
            j.begin().key("policyVersion").begin().kv("versionId", "v4").kv_bool("isDefaultVersion", true);
            j.kv("createDate", &created).end().end();
        }
        _ => {
            j.null();
        }
    });
}

/// Every other service: the identifying parameter the service's calls take, looked up by the
/// service and the resource the call name mentions.
fn other(j: &mut Json<'_>, ctx: &mut Ctx<'_>, call: &Call<'_>, fx: &mut Effects) {
    let p = call.p;
    let acct = account(ctx, call);
    let region = region(call);
    let name = p.name;
    let reads = name.starts_with("Describe") || name.starts_with("List") || name.starts_with("Get");
    j.key("requestParameters");
    match p.source {
        "dynamodb.amazonaws.com" => {
            let table = pick(ctx.rng, &acct.tables);
            j.begin().kv("tableName", table);
            if matches!(name, "GetItem" | "PutItem" | "UpdateItem") {
                j.key("key")
                    .begin()
                    .kv("pk", "HIDDEN_DUE_TO_SECURITY_REASONS")
                    .kv("sk", "HIDDEN_DUE_TO_SECURITY_REASONS")
                    .end();
                j.kv("consistentRead", "false");
            } else if name == "Query" {
                j.kv("keyConditionExpression", "pk = :pk AND begins_with(sk, :prefix)")
                    .kv("indexName", "by-customer");
                j.kv("expressionAttributeValues", "HIDDEN_DUE_TO_SECURITY_REASONS").kv_num("limit", 100);
            }
            j.end();
            if name != "ListTables" {
                let arn = format!("arn:aws:dynamodb:{region}:{}:table/{table}", acct.id);
                fx.resources.push(("AWS::DynamoDB::Table", arn, Some(acct.id.clone())));
            }
        }
        "lambda.amazonaws.com" if !name.starts_with("List") => {
            let function = pick(ctx.rng, &acct.functions);
            let arn = format!("arn:aws:lambda:{region}:{}:function:{function}", acct.id);
            j.begin().kv("functionName", &arn);
            if name == "Invoke" {
                j.kv("invocationType", "RequestResponse");
            } else if name.starts_with("UpdateFunctionCode") {
                j.kv_bool("publish", true).kv_bool("dryRun", false);
                j.kv_fmt("s3Bucket", format_args!("{}", pick(ctx.rng, &acct.buckets)))
                    .kv("s3Key", "builds/function.zip");
            }
            j.end();
            if name == "Invoke" {
                j.key("responseElements").null();
                j.key("additionalEventData")
                    .begin()
                    .kv_fmt("functionVersion", format_args!("{arn}:$LATEST"))
                    .end();
                fx.resources.push(("AWS::Lambda::Function", arn, Some(acct.id.clone())));
                return;
            }
        }
        "secretsmanager.amazonaws.com" if name != "ListSecrets" => {
            j.begin().kv_fmt(
                "secretId",
                format_args!(
                    "arn:aws:secretsmanager:{region}:{}:secret:{}-{}",
                    acct.id,
                    pick(ctx.rng, &acct.secrets),
                    ids::alnum(ctx.rng, 6)
                ),
            );
            j.end();
        }
        "ssm.amazonaws.com" => {
            let instance = pick(ctx.rng, &acct.instances);
            let parameter = format!(
                "/{}/{}/{}",
                acct.alias,
                pick(ctx.rng, &acct.functions),
                pick(ctx.rng, &["db_url", "api_key", "feature_flags", "queue_url"])
            );
            j.begin();
            match name {
                "GetParameter" => {
                    j.kv("name", &parameter).kv_bool("withDecryption", true);
                }
                "GetParameters" => {
                    j.kv_strs("names", &[parameter.as_str(), "/shared/log_level"])
                        .kv_bool("withDecryption", true);
                }
                "GetParametersByPath" => {
                    j.kv_fmt("path", format_args!("/{}/", acct.alias))
                        .kv_bool("recursive", true)
                        .kv_bool("withDecryption", true);
                }
                "UpdateInstanceInformation" => {
                    j.kv("instanceId", instance)
                        .kv("agentVersion", AGENT_VERSION)
                        .kv("agentStatus", "Active");
                    j.kv("platformType", "Linux")
                        .kv("platformName", "Amazon Linux")
                        .kv("platformVersion", "2023");
                    j.kv_fmt(
                        "iPAddress",
                        format_args!(
                            "10.0.{}.{}",
                            ctx.rng.random_range(0..255u8),
                            ctx.rng.random_range(1..255u8)
                        ),
                    );
                    j.kv("agentName", "amazon-ssm-agent")
                        .kv_fmt("availabilityZone", format_args!("{region}a"));
                }
                "SendCommand" => {
                    j.kv("documentName", "AWS-RunShellScript").kv_strs("instanceIds", &[instance.as_str()]);
                    j.kv("parameters", "HIDDEN_DUE_TO_SECURITY_REASONS").kv_bool("interactive", false);
                }
                _ => {
                    j.kv("instanceId", instance).kv_num("maxResults", 50);
                }
            }
            j.end();
        }
        "logs.amazonaws.com" => {
            let group = format!("/aws/lambda/{}", pick(ctx.rng, &acct.functions));
            j.begin();
            if name == "CreateLogStream" {
                j.kv("logGroupName", &group);
                j.kv_fmt(
                    "logStreamName",
                    format_args!(
                        "{}/[$LATEST]{}",
                        ctx.now_text.get(..10).unwrap_or_default().replace('-', "/"),
                        ids::hex(ctx.rng, 32)
                    ),
                );
            } else {
                j.kv("logGroupNamePrefix", "/aws/lambda/").kv_num("limit", 50);
            }
            j.end();
        }
        "rds.amazonaws.com" => {
            let db = pick(ctx.rng, &acct.databases);
            j.begin();
            if name == "ModifyDBSnapshotAttribute" {
                let target =
                    if p.suspicious { pick(ctx.rng, &ctx.world.foreign).clone() } else { acct.id.clone() };
                j.kv_fmt("dBSnapshotIdentifier", format_args!("{db}-snapshot"))
                    .kv("attributeName", "restore");
                j.kv_strs("valuesToAdd", &[target]);
            } else if name.contains("Cluster") {
                j.kv_fmt("dBClusterIdentifier", format_args!("{db}-cluster"));
            } else if name.contains("Snapshot") {
                j.kv("dBInstanceIdentifier", db)
                    .kv_fmt("dBSnapshotIdentifier", format_args!("{db}-snapshot"));
            } else {
                j.kv("dBInstanceIdentifier", db);
            }
            if reads {
                j.kv_num("maxRecords", 100);
            }
            j.end();
        }
        "cloudtrail.amazonaws.com" => match name {
            "LookupEvents" => {
                j.begin().kv_num("maxResults", 50).key("lookupAttributes").begin_array().begin();
                j.kv("attributeKey", "EventName")
                    .kv("attributeValue", "ConsoleLogin")
                    .end()
                    .end_array()
                    .end();
            }
            "DescribeTrails" => {
                j.begin().kv_bool("includeShadowTrails", true).end();
            }
            _ => {
                j.begin().kv("name", &acct.trail).end();
                if !reads {
                    fx.resources.push(("AWS::CloudTrail::Trail", acct.trail.clone(), Some(acct.id.clone())));
                }
            }
        },
        "ecr.amazonaws.com" => {
            let repo = format!("{}/{}", acct.alias, pick(ctx.rng, &acct.functions));
            j.begin().kv("registryId", &acct.id).kv("repositoryName", &repo);
            match name {
                "GetDownloadUrlForLayer" => {
                    j.kv_fmt("layerDigest", format_args!("sha256:{}", ids::hex(ctx.rng, 64)));
                }
                "BatchGetImage" => {
                    j.key("imageIds").begin_array().begin().kv("imageTag", "latest").end().end_array();
                    j.kv_strs(
                        "acceptedMediaTypes",
                        &[
                            "application/vnd.docker.distribution.manifest.v2+json",
                            "application/vnd.oci.image.manifest.v1+json",
                        ],
                    );
                }
                "PutImage" => {
                    j.kv("imageTag", &ids::hex(ctx.rng, 7))
                        .kv("imageManifestMediaType", "application/vnd.oci.image.manifest.v1+json");
                }
                _ => {}
            }
            j.end();
            let arn = format!("arn:aws:ecr:{region}:{}:repository/{repo}", acct.id);
            fx.resources.push(("AWS::ECR::Repository", arn, Some(acct.id.clone())));
        }
        "monitoring.amazonaws.com" => {
            j.begin();
            match name {
                "GetMetricData" => {
                    j.key("metricDataQueries").begin_array().begin().kv("id", "m1").key("metricStat").begin();
                    j.key("metric")
                        .begin()
                        .kv("namespace", "AWS/EC2")
                        .kv("metricName", "CPUUtilization")
                        .end();
                    j.kv_num("period", 300).kv("stat", "Average").end().end().end_array();
                    j.kv("startTime", ctx.now_text).kv("endTime", ctx.now_text);
                }
                "PutMetricAlarm" => {
                    j.kv_fmt("alarmName", format_args!("{}-high-cpu", pick(ctx.rng, &acct.functions)))
                        .kv("metricName", "CPUUtilization");
                    j.kv("namespace", "AWS/EC2")
                        .kv_num("threshold", 80)
                        .kv("comparisonOperator", "GreaterThanThreshold");
                }
                _ => {
                    j.kv("namespace", "AWS/EC2").kv_num("maxRecords", 100);
                }
            }
            j.end();
        }
        "config.amazonaws.com" if name == "PutEvaluations" => {
            j.begin()
                .key("evaluations")
                .begin_array()
                .begin()
                .kv("complianceResourceType", "AWS::EC2::Instance");
            j.kv("complianceResourceId", pick(ctx.rng, &acct.instances)).kv("complianceType", "COMPLIANT");
            j.kv("orderingTimestamp", ctx.now_text).end().end_array();
            j.kv("resultToken", &ids::base64(ctx.rng, 120)).kv_bool("testMode", false).end();
        }
        _ if call.p.callers == Callers::IdentityCenter => {
            j.null();
            j.key("responseElements").null();
            j.key("additionalEventData").begin().kv("identityStoreArn", &ctx.world.identity_store);
            j.kv_fmt(
                "CredentialType",
                format_args!("{}", if name == "Authenticate" { "PASSWORD" } else { "TOKEN" }),
            )
            .end();
            return;
        }
        "athena.amazonaws.com" => {
            j.begin().kv("queryExecutionId", &ids::uuid(ctx.rng));
            if name == "StartQueryExecution" {
                j.kv(
                    "queryString",
                    "SELECT * FROM cloudtrail_logs WHERE eventname = 'ConsoleLogin' LIMIT 100",
                );
                j.kv("workGroup", "primary");
            }
            j.end();
        }
        _ if reads && ctx.rng.random_bool(0.5) => {
            j.null();
        }
        _ => {
            let resource = pick(ctx.rng, &acct.functions);
            j.begin().kv("name", resource).kv("maxResults", "100").end();
        }
    }
    response(j, call, |j| {
        if reads {
            j.null();
        } else {
            j.begin().kv("requestId", &ids::uuid(ctx.rng)).end();
        }
    });
}
