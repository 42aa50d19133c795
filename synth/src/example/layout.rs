//! Writing the day: CloudTrail files as delivered to S3
//! (`AWSLogs/<acct>/CloudTrail/<region>/2026/11/03/<acct>_CloudTrail_<region>_<time>_<rand>.json.gz`,
//! each a `{"Records": [...]}` document), the marketing account's trail as JSON lines under
//! `extra/` (the other input format), and the README that tells the stories.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Value};

use super::day::{Day, ALNUM};
use super::*;

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExampleSummary {
    pub records: usize,
    /// `.json.gz` files; the JSON-lines file comes on top.
    pub files: usize,
}

/// Writes `day`'s records into `out`, replacing what is there.
///
/// # Errors
/// A file or folder cannot be written.
pub fn write(mut day: Day, out: &Path) -> io::Result<ExampleSummary> {
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    let mut records = std::mem::take(&mut day.records);
    records.sort_by(|a, b| text(a, "eventTime").cmp(text(b, "eventTime")));
    let (lines, delivered): (Vec<Value>, Vec<Value>) =
        records.into_iter().partition(|r| text(r, "recipientAccountId") == MARKETING);
    let total = lines.len() + delivered.len();
    // CloudTrail delivers about every five minutes; this trail batches per hour, which keeps
    // the example small while preserving the layout.
    let mut groups: BTreeMap<(String, String, i64), Vec<Value>> = BTreeMap::new();
    for record in delivered {
        let hour = super::day::at(text(&record, "eventTime")[11..13].parse().unwrap_or(0), 0, 0);
        let key = (
            text(&record, "recipientAccountId").to_string(),
            text(&record, "awsRegion").to_string(),
            hour + 3600,
        );
        groups.entry(key).or_default().push(record);
    }
    let files = groups.len();
    for ((account, region, window), batch) in groups {
        let folder = out.join("AWSLogs").join(&account).join("CloudTrail").join(&region).join("2026/11/03");
        std::fs::create_dir_all(&folder)?;
        let delivered = window + 60 * (3 + day.below(9));
        let stamp = super::day::ts(delivered);
        let stamp = format!(
            "{}{}{}T{}{}Z",
            &stamp[0..4],
            &stamp[5..7],
            &stamp[8..10],
            &stamp[11..13],
            &stamp[14..16]
        );
        let name = format!("{account}_CloudTrail_{region}_{stamp}_{}.json.gz", day.rid("", 16, ALNUM));
        let body = serde_json::to_vec(&json!({ "Records": batch })).map_err(io::Error::other)?;
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&body)?;
        std::fs::write(folder.join(name), gz.finish()?)?;
    }
    let extra = out.join("extra");
    std::fs::create_dir_all(&extra)?;
    let mut jsonl = Vec::new();
    for record in &lines {
        serde_json::to_writer(&mut jsonl, record).map_err(io::Error::other)?;
        jsonl.push(b'\n');
    }
    std::fs::write(extra.join(format!("marketing-{MARKETING}-2026-11-03.jsonl")), jsonl)?;
    std::fs::write(out.join("README.md"), readme(total, files))?;
    Ok(ExampleSummary { records: total, files })
}

fn text<'v>(record: &'v Value, key: &str) -> &'v str {
    record[key].as_str().unwrap_or_default()
}

/// `examples/data/README.md`: the layout, the accounts and the stories.
fn readme(total: usize, files: usize) -> String {
    format!(
        r#"# Example data: one day at Acme (2026-11-03, UTC)

Synthetic AWS CloudTrail written by `trailhound generate --example --out examples/data` (the
`trailhound-synth` crate's `example` module; deterministic: run it again and the files come out
byte-identical). Nothing here is real: account ids, keys, addresses (RFC 5737 documentation
ranges) and people are invented.

## Layout

- `AWSLogs/<account>/CloudTrail/<region>/2026/11/03/*.json.gz`: CloudTrail files as delivered
  to S3, each `{{"Records": [...]}}`, one file per account, region and hour.
- `extra/marketing-{marketing}-2026-11-03.jsonl`: the marketing account's trail as JSON lines
  (one record per line), the other input format.

{total} records in all: {files} `.json.gz` files plus the JSON-lines file, 00:00–24:00 UTC.

## Accounts

| account        | what it is |
|----------------|------------|
| `{dev}` | Acme dev / shared tools (workstations, bastion, CI) |
| `{prod}` | Acme production |
| `{marketing}` | Acme marketing (website assets) |
| `{foreign}` | not Acme: receives the shared snapshot |
| `{ext}` | other corporate accounts, not Acme's: the failed assumes |
| `{datadog}` | monitoring vendor, trusted with an external id |

## Story 1: the insider (dev → prod, 09:12–10:25)

1. 09:12 IAM user **`{insider}`** opens an SSM session (`ssm:StartSession`) on the analytics
   workstation **`{ws}`**.
2. 09:14–09:24 from the workstation's instance role (`{ws_role}`, session name = the instance
   id) reconnaissance: `GetCallerIdentity`, `ListUsers`, `ListRoles`, `ListGroups`, `ListBuckets`,
   `DescribeInstances`/`DescribeSecurityGroups`/`DescribeSnapshots` in us-east-1, us-east-2,
   us-west-1 and us-west-2, `GetAccountAuthorizationDetails`, a denied `ListRolePolicies`.
3. 09:31 `ec2-instance-connect:SendSSHPublicKey` to the bastion **`{bastion}`**, from the
   workstation's role.
4. 09:34–09:38 from the bastion's role (`{bastion_role}`): `ListRolePolicies`,
   `ListAttachedRolePolicies`, `GetRolePolicy`, `GetRole` on `{dev_role}`, `ListPolicyVersions`.
5. 09:44 `sts:AssumeRole` of **`{dev_role}`** — no `serialNumber` (MFA), no `externalId` —
   session `{dev_session}`. Every later hop's events are signed with the `ASIA…` key this call
   returned (`userIdentity.accessKeyId` = the previous `responseElements.credentials.accessKeyId`).
6. 09:51 `iam:SetDefaultPolicyVersion` rolls `{policy}` back to its permissive `v1`.
7. 09:55 `iam:CreateAccessKey` for the service user `{key_user}`.
8. 10:05 `ec2:ModifySnapshotAttribute` shares `{snapshot}` with `{foreign}` (createVolumePermission add).
9. 10:11 `sts:AssumeRole` of **`{prod_role}`** in production `{prod}` (cross-account, no MFA),
   session `{prod_session}`; `GetCallerIdentity`, `ListRoles`, a denied `DescribeOrganization`.
10. 10:16–10:18 three `sts:AssumeRole` calls into `{ext}` fail with `AccessDenied`.
11. 10:24 the SSM session is terminated.

Expected: `actor-trail` reports `{insider}` once with the whole trail; `iam-risk-signals`
reports steps 5, 6, 7, 8, 9 and 10 on their own.

## Story 2: a public bucket loses its encryption (marketing, 12:58–15:41)

IAM user **`{exposer}`** signs in to the console without MFA, creates **`{bucket}`** with
`x-amz-acl: public-read` (object ownership `ObjectWriter`), sets KMS encryption, deletes the
bucket's public access block, grants `AllUsers` `READ` with `PutBucketAcl`, and at 15:40 deletes
the bucket's encryption configuration (`DeleteBucketEncryption`).

Expected: `s3-exposure` reports the bucket made public (medium) and then one high finding,
"public bucket lost its encryption", carrying both the exposure and the encryption event ids.

## Background (benign)

Over 20 other principals through the day, chosen so that detectors must discriminate:
console users with MFA (alice.nguyen, carol.smith, grace.park — one failed login first,
priya.raman in production, nora.quinn in marketing); bob.okafor rotating his own access key;
carol.smith creating a policy version that is *not* made default; dan.kowalski's denied
`ListUsers` and `GetBucketPolicy`; erin.walsh's Athena/Glue work; frank.li assuming
`{dev_role}` **with MFA** and updating a CloudFormation stack; henry.adams opening an SSM
session on a build box; ivy.chen using EC2 Instance Connect on the same bastion; the
`{key_user}` Terraform user's reads; GitHub Actions (OIDC) deploying to ECR/ECS; Lambda and ECS
task roles assumed by their services; AWS Backup and RDS snapshots; AWS Config describing
every few hours in three regions; a monitoring vendor assuming its role with an external id
and polling three regions; a Prowler audit assuming `OrganizationAuditRole` in production
with an external id; CodePipeline deploying to production; a marketing logs bucket created
private, encrypted, with a LogDelivery grant; CloudFront invalidations.
"#,
        ext = EXTERNAL_CORPORATE.join("`, `"),
        dev = DEV,
        prod = PROD,
        marketing = MARKETING,
        foreign = FOREIGN_SNAPSHOT_TARGET,
        datadog = VENDOR,
        insider = INSIDER,
        ws = WORKSTATION,
        ws_role = WORKSTATION_ROLE,
        bastion = BASTION,
        bastion_role = BASTION_ROLE,
        dev_role = DEV_ROLE,
        dev_session = DEV_SESSION,
        policy = ESCALATED_POLICY,
        key_user = KEY_TARGET_USER,
        snapshot = SHARED_SNAPSHOT,
        prod_role = PROD_ROLE,
        prod_session = PROD_SESSION,
        exposer = EXPOSER,
        bucket = EXPOSED_BUCKET,
    )
}
