//! Story 4, a vulnerable container escapes to its node (production, 20:05–20:40), as CloudTrail
//! records it: the orders node's instance-profile key, read from the instance metadata service
//! through the escaped container, runs discovery across eight regions from the attacker's
//! machine within minutes, then assumes the privileged `prod-dba-admin` role (no MFA, no
//! external id), whose key snapshots the orders database and shares the snapshot with a
//! foreign account. Falco's view of the escape is in [`super::falco`], the shell's connection
//! in [`super::flows`].
//!
//! Around it, the node's own day: its VPC CNI agent and its kubelet's image credential provider
//! call EC2 and ECR through the VPC's interface endpoints, from the node's private address,
//! with the same instance-profile keys, which EC2 renews every six hours.

use serde_json::{json, Value};

use super::day::{at, cloudtrail_date, Call, Day};
use super::principals::{assume_role, denied, session, Assume, Principal, Role, SessionOptions};
use super::*;

/// The VPC CNI agent's user agent: the AWS SDK for Go's, with the agent's own appended.
const CNI_UA: &str = "aws-sdk-go-v2/1.30.3 ua/2.1 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.173.0 amazon-vpc-cni-k8s/version/v1.19.0-eksbuild.1";
/// The kubelet's ECR credential provider's user agent.
const ECR_PROVIDER_UA: &str = "aws-sdk-go/1.55.5 (go1.22.8; linux; amd64)";
/// The AWS CLI on the attacker's machine: another build and system than Acme's.
const ATTACKER_CLI_UA: &str =
    "aws-cli/2.22.35 md/awscrt#0.23.4 ua/2.0 os/linux#6.11.10-amd64 md/arch#x86_64 \
     lang/python#3.12.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#debian.12 \
     md/prompt#off md/command#";
/// The production VPC's interface endpoints the node reaches EC2 and ECR through.
const EC2_ENDPOINT: &str = "vpce-0c9a3e5d7f1b24680";
const ECR_ENDPOINT: &str = "vpce-05b8d2e6a4c1f3097";
/// The hours (of the day; the first is the evening before) in which EC2 issued the node's
/// instance-profile credentials, at 14 minutes 37 past: every six hours.
const ISSUED_HOURS: [i64; 5] = [-3, 3, 9, 15, 21];
/// The regions the stolen key sweeps, in the order it sweeps them.
pub const SWEPT_REGIONS: [&str; 8] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
];

pub fn story(day: &mut Day) {
    let node_role = Role::new(day, PROD, NODE_ROLE);
    let dba_role = Role::new(day, PROD, DBA_ROLE);
    let sessions: Vec<(i64, Principal)> = ISSUED_HOURS
        .iter()
        .map(|&hour| {
            let issued = at(hour, 14, 37);
            let options = SessionOptions { created: Some(issued), ec2: true, ..SessionOptions::default() };
            (issued, session(day, &node_role, ORDERS_NODE.instance, ORDERS_NODE.ip, CNI_UA, options))
        })
        .collect();
    let at_time = |t: i64| {
        let (_, current) = sessions.iter().rev().find(|(issued, _)| *issued <= t).unwrap_or(&sessions[0]);
        current.clone()
    };
    node_day(day, &at_time);
    // The credentials issued at 15:14, which the node still uses when they are read at 20:11.
    let stolen = at_time(at(20, 11, 19));
    attack(day, &stolen, &dba_role);
}

/// The attacker's AWS CLI running `command` (`ec2.describe-instances`).
fn attacker_cli(command: &str) -> String {
    format!("{ATTACKER_CLI_UA}{command}")
}

/// `call` as a request that reached its service through the VPC's interface `endpoint`.
fn through<'p>(call: Call<'p>, endpoint: &str) -> Call<'p> {
    call.extra("vpcEndpointId", endpoint.into()).extra("vpcEndpointAccountId", PROD.into())
}

/// The node's own calls: the VPC CNI agent checks the node's network interfaces every hour, and
/// the kubelet's credential provider renews its ECR token every six hours.
fn node_day(day: &mut Day, session_at: &dyn Fn(i64) -> Principal) {
    let attached = json!({
        "networkInterfaceIdSet": {},
        "filterSet": { "items": [{ "name": "attachment.instance-id",
                                   "valueSet": { "items": [{ "value": ORDERS_NODE.instance }] } }] }
    });
    for hour in 0..24 {
        let t = at(hour, day.below(60), day.below(60));
        let node = session_at(t);
        let call =
            Call::new(&node, t, "ec2.amazonaws.com", "DescribeNetworkInterfaces").request(attached.clone());
        through(call, EC2_ENDPOINT).emit(day);
    }
    for hour in [4, 10, 16, 22] {
        let t = at(hour, day.below(60), day.below(60));
        let node = session_at(t);
        let call = Call::new(&node, t, "ecr.amazonaws.com", "GetAuthorizationToken")
            .ua(ECR_PROVIDER_UA)
            .request(json!({ "registryIds": [DEV] }))
            .read_only(true);
        through(call, ECR_ENDPOINT).emit(day);
    }
}

/// Steps 2–4: discovery with the node's key, the privileged assume, the snapshot shared.
fn attack(day: &mut Day, node: &Principal, dba_role: &Role) {
    // The same identity and key as the node's, from the attacker's machine and CLI.
    let stolen = Principal::new(node.identity.clone(), ATTACKER_IP, &attacker_cli(""), Some(PROD));
    Call::new(&stolen, at(20, 14, 7), "sts.amazonaws.com", "GetCallerIdentity")
        .ua(attacker_cli("sts.get-caller-identity"))
        .emit(day);
    let data = day.s3_extra();
    Call::new(&stolen, at(20, 14, 35), "s3.amazonaws.com", "ListBuckets")
        .ua(attacker_cli("s3api.list-buckets"))
        .request(json!({ "Host": "s3.amazonaws.com" }))
        .error("AccessDenied", "Access Denied")
        .extra("additionalEventData", data)
        .emit(day);
    // The node role may describe EC2 everywhere (the worker node policy); RDS is not its own.
    for (i, region) in SWEPT_REGIONS.into_iter().enumerate() {
        let base = at(20, 15, 2) + 38 * i as i64;
        Call::new(&stolen, base, "ec2.amazonaws.com", "DescribeInstances")
            .region(region)
            .ua(attacker_cli("ec2.describe-instances"))
            .request(json!({ "instancesSet": {}, "filterSet": {} }))
            .emit(day);
        for (offset, name, command, resource) in [
            (11, "DescribeDBInstances", "rds.describe-db-instances", "db"),
            (23, "DescribeDBSnapshots", "rds.describe-db-snapshots", "snapshot"),
        ] {
            let arn = format!("arn:aws:rds:{region}:{PROD}:{resource}:*");
            Call::new(&stolen, base + offset, "rds.amazonaws.com", name)
                .region(region)
                .ua(attacker_cli(command))
                .error("AccessDenied", denied(&stolen, &format!("rds:{name}"), &arn))
                .emit(day);
        }
    }

    // 20:22 the role whose trust policy still names the node role.
    let how = Assume { ua: Some(attacker_cli("sts.assume-role")), ..Assume::default() };
    let assumed = at(20, 22, 10);
    let key = assume_role(day, &stolen, assumed, dba_role, DBA_SESSION, how);
    let options = SessionOptions { key: Some(key), created: Some(assumed), ..SessionOptions::default() };
    let dba = session(day, dba_role, DBA_SESSION, ATTACKER_IP, &attacker_cli(""), options);
    Call::new(&dba, at(20, 23, 1), "sts.amazonaws.com", "GetCallerIdentity")
        .ua(attacker_cli("sts.get-caller-identity"))
        .emit(day);
    Call::new(&dba, at(20, 23, 40), "rds.amazonaws.com", "DescribeDBInstances")
        .ua(attacker_cli("rds.describe-db-instances"))
        .emit(day);
    let own_snapshots = json!({ "dBInstanceIdentifier": ORDERS_DB });
    Call::new(&dba, at(20, 24, 15), "rds.amazonaws.com", "DescribeDBSnapshots")
        .ua(attacker_cli("rds.describe-db-snapshots"))
        .request(own_snapshots)
        .emit(day);
    // 20:25 a manual snapshot of the orders database, polled until it is available.
    let arn = format!("arn:aws:rds:us-east-1:{PROD}:snapshot:{EXPORTED_SNAPSHOT}");
    let created = at(20, 25, 2);
    Call::new(&dba, created, "rds.amazonaws.com", "CreateDBSnapshot")
        .ua(attacker_cli("rds.create-db-snapshot"))
        .request(json!({ "dBSnapshotIdentifier": EXPORTED_SNAPSHOT, "dBInstanceIdentifier": ORDERS_DB }))
        .response(snapshot(day, &arn, created))
        .emit(day);
    let this_snapshot = json!({ "dBSnapshotIdentifier": EXPORTED_SNAPSHOT });
    for t in [at(20, 31, 12), at(20, 37, 30)] {
        Call::new(&dba, t, "rds.amazonaws.com", "DescribeDBSnapshots")
            .ua(attacker_cli("rds.describe-db-snapshots"))
            .request(this_snapshot.clone())
            .emit(day);
    }
    // 20:38 restore permission for a foreign account.
    Call::new(&dba, at(20, 38, 44), "rds.amazonaws.com", "ModifyDBSnapshotAttribute")
        .ua(attacker_cli("rds.modify-db-snapshot-attribute"))
        .request(json!({ "dBSnapshotIdentifier": EXPORTED_SNAPSHOT, "attributeName": "restore",
                         "valuesToAdd": [FOREIGN_SNAPSHOT_TARGET] }))
        .response(json!({ "dBSnapshotIdentifier": EXPORTED_SNAPSHOT, "dBSnapshotAttributes": [
            { "attributeName": "restore", "attributeValues": [FOREIGN_SNAPSHOT_TARGET] }] }))
        .emit(day);
    Call::new(&dba, at(20, 39, 20), "rds.amazonaws.com", "DescribeDBSnapshotAttributes")
        .ua(attacker_cli("rds.describe-db-snapshot-attributes"))
        .request(this_snapshot)
        .emit(day);
}

/// The `DBSnapshot` a `CreateDBSnapshot` response describes: the orders database's, just started.
fn snapshot(day: &mut Day, arn: &str, created: i64) -> Value {
    let resource_id = day.rid("db-", 26, super::day::UPPER_ALNUM);
    json!({
        "dBSnapshotIdentifier": EXPORTED_SNAPSHOT, "dBInstanceIdentifier": ORDERS_DB,
        "engine": "postgres", "allocatedStorage": 200, "status": "creating", "port": 5432,
        "availabilityZone": "us-east-1a", "vpcId": "vpc-0e4b7d2a9c1f35608",
        "instanceCreateTime": cloudtrail_date(created - 412 * 86_400), "masterUsername": "orders_admin",
        "engineVersion": "16.4", "licenseModel": "postgresql-license", "snapshotType": "manual",
        "optionGroupName": "default:postgres-16", "percentProgress": 0, "storageType": "gp3",
        "encrypted": false, "dBSnapshotArn": arn, "iAMDatabaseAuthenticationEnabled": false,
        "processorFeatures": [], "dbiResourceId": resource_id, "tagList": [],
        "snapshotTarget": "region", "dedicatedLogVolume": false
    })
}
