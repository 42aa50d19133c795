//! Suspicious activity, as short scenarios one actor plays out: defense evasion, public
//! buckets, persistence through another user's access key, snapshots shared with a foreign
//! account, reconnaissance bursts across regions, failed cross-account assumes, privilege
//! escalation, root sign-in, secret harvesting, SSH opened to the world.
//!
//! The generator interleaves a scenario's steps with background traffic and starts scenarios
//! only while the suspicious records written stay below the configured share.

use rand::RngExt;

use super::ids;
use super::mix::Callers;
use super::principals::{pick, Sessions, World, REGIONS};
use super::record::{Caller, Planned};
use super::Rng8;

/// Tools attackers' traffic shows up with.
const ATTACKER_AGENTS: &[&str] = &[
    "aws-cli/1.16.312 Python/3.8.5 Linux/5.10.0-kali7-amd64 botocore/1.13.48",
    "python-requests/2.31.0",
    "Boto3/1.26.0 Python/3.9.2 Linux/5.15.0-kali3-amd64 Botocore/1.29.0",
    "aws-sdk-go/1.44.0 (go1.20; linux; amd64) pacu",
];

/// Read calls of a reconnaissance sweep.
const RECON: &[(&str, &str)] = &[
    ("sts.amazonaws.com", "GetCallerIdentity"),
    ("iam.amazonaws.com", "ListUsers"),
    ("iam.amazonaws.com", "ListRoles"),
    ("iam.amazonaws.com", "ListAttachedRolePolicies"),
    ("iam.amazonaws.com", "GetAccountSummary"),
    ("s3.amazonaws.com", "ListBuckets"),
    ("s3.amazonaws.com", "GetBucketAcl"),
    ("ec2.amazonaws.com", "DescribeInstances"),
    ("ec2.amazonaws.com", "DescribeSnapshots"),
    ("ec2.amazonaws.com", "DescribeSecurityGroups"),
    ("rds.amazonaws.com", "DescribeDBInstances"),
    ("lambda.amazonaws.com", "ListFunctions20150331"),
    ("secretsmanager.amazonaws.com", "ListSecrets"),
    ("kms.amazonaws.com", "ListKeys"),
    ("cloudtrail.amazonaws.com", "DescribeTrails"),
    ("guardduty.amazonaws.com", "ListDetectors"),
];

type Step = (&'static str, &'static str);

/// The steps of one scenario, chosen at random, all by one actor from one hostile origin.
pub fn plan(rng: &mut Rng8, world: &World, sessions: &Sessions) -> Vec<Planned<'static>> {
    let per_account = world.users.len() / world.accounts.len();
    let user = rng.random_range(0..world.users.len()) as u32;
    let actor = if rng.random_bool(0.6) {
        Caller::User(user)
    } else {
        Caller::Session(rng.random_range(0..sessions.ring.len()) as u32)
    };
    let origin = (ids::hostile_ip(rng), *pick(rng, ATTACKER_AGENTS));
    let mut steps: Vec<(Step, Caller, Option<u8>, Option<&'static str>)> = Vec::new();
    let add = |steps: &mut Vec<_>, step: Step| steps.push((step, actor, None, None));
    match rng.random_range(0..10) {
        0 => match rng.random_range(0..3) {
            0 => add(&mut steps, ("cloudtrail.amazonaws.com", "StopLogging")),
            1 => add(&mut steps, ("cloudtrail.amazonaws.com", "DeleteTrail")),
            _ => add(&mut steps, ("ec2.amazonaws.com", "DeleteFlowLogs")),
        },
        1 => {
            add(&mut steps, ("s3.amazonaws.com", "GetBucketAcl"));
            add(&mut steps, ("s3.amazonaws.com", "PutBucketAcl"));
            add(&mut steps, ("s3.amazonaws.com", "PutBucketPolicy"));
        }
        2 => {
            add(&mut steps, ("iam.amazonaws.com", "ListUsers"));
            add(&mut steps, ("iam.amazonaws.com", "CreateAccessKey"));
            add(&mut steps, ("iam.amazonaws.com", "AttachUserPolicy"));
        }
        3 => {
            if rng.random_bool(0.5) {
                add(&mut steps, ("ec2.amazonaws.com", "DescribeSnapshots"));
                add(&mut steps, ("ec2.amazonaws.com", "CreateSnapshot"));
                add(&mut steps, ("ec2.amazonaws.com", "ModifySnapshotAttribute"));
            } else {
                add(&mut steps, ("rds.amazonaws.com", "DescribeDBSnapshots"));
                add(&mut steps, ("rds.amazonaws.com", "ModifyDBSnapshotAttribute"));
            }
        }
        4 | 5 => {
            // Reconnaissance: a burst of reads sweeping regions, some denied.
            for _ in 0..rng.random_range(15..40) {
                let region = rng.random_range(0..REGIONS.len()) as u8;
                let error = rng.random_bool(0.2).then_some("AccessDenied");
                steps.push((*pick(rng, RECON), actor, Some(region), error));
            }
        }
        6 => {
            for _ in 0..rng.random_range(3..8) {
                steps.push((("sts.amazonaws.com", "AssumeRole"), actor, None, Some("AccessDenied")));
            }
        }
        7 => {
            add(&mut steps, ("iam.amazonaws.com", "CreatePolicyVersion"));
            add(&mut steps, ("iam.amazonaws.com", "UpdateAssumeRolePolicy"));
        }
        8 => {
            let account = (user as usize / per_account) as u16;
            steps.push((("signin.amazonaws.com", "ConsoleLogin"), Caller::Root(account), None, None));
            steps.push((("iam.amazonaws.com", "CreateAccessKey"), Caller::Root(account), None, None));
        }
        _ => {
            for _ in 0..rng.random_range(5..15) {
                let step = if rng.random_bool(0.7) {
                    ("secretsmanager.amazonaws.com", "GetSecretValue")
                } else {
                    ("ssm.amazonaws.com", "GetParameter")
                };
                add(&mut steps, step);
            }
            add(&mut steps, ("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress"));
        }
    }
    steps
        .into_iter()
        .map(|((source, name), caller, region, error)| Planned {
            source,
            name,
            callers: Callers::of(source, name),
            caller,
            region,
            origin: Some(origin.clone()),
            suspicious: true,
            error,
        })
        .collect()
}
