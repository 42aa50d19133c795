//! The resources an event touched: CloudTrail's own `resources[]`, plus the resources its
//! `requestParameters` name (most management events carry no `resources[]` at all).

use trailhound_sdk::Resource;

use super::identity::arn_account;
use super::lookup::Fields;

/// Request parameters that name a resource, and the resource type they name.
/// Ids are kept as the request wrote them, except S3 bucket names, which become ARNs.
const NAMED_BY_REQUEST: &[(&str, &str)] = &[
    ("bucketName", "AWS::S3::Bucket"),
    ("roleArn", "AWS::IAM::Role"),
    ("roleName", "AWS::IAM::Role"),
    ("policyArn", "AWS::IAM::ManagedPolicy"),
    ("userName", "AWS::IAM::User"),
    ("groupName", "AWS::IAM::Group"),
    ("instanceId", "AWS::EC2::Instance"),
    ("target", "AWS::EC2::Instance"),
    ("snapshotId", "AWS::EC2::Snapshot"),
    ("imageId", "AWS::EC2::Image"),
    ("volumeId", "AWS::EC2::Volume"),
    ("groupId", "AWS::EC2::SecurityGroup"),
    ("vpcId", "AWS::EC2::VPC"),
    ("dBSnapshotIdentifier", "AWS::RDS::DBSnapshot"),
    ("dBInstanceIdentifier", "AWS::RDS::DBInstance"),
    ("functionName", "AWS::Lambda::Function"),
    ("keyId", "AWS::KMS::Key"),
    ("secretId", "AWS::SecretsManager::Secret"),
    ("trailName", "AWS::CloudTrail::Trail"),
    ("detectorId", "AWS::GuardDuty::Detector"),
];

pub fn resources(record: Fields<'_>) -> Vec<Resource> {
    let mut out: Vec<Resource> = Vec::new();
    let mut add = |resource: Resource| {
        if !out.iter().any(|r| r.kind == resource.kind && r.id == resource.id) {
            out.push(resource);
        }
    };
    if let Some(listed) = record.get("resources").and_then(|v| v.as_array()) {
        for entry in listed {
            let entry = Fields::of_record(entry, "ARN");
            let Some(id) = entry.string("ARN") else { continue };
            let kind = entry.string("type").unwrap_or_default();
            let account = entry.string("accountId").or_else(|| arn_account(&id).map(str::to_string));
            add(Resource { kind, id, account });
        }
    }
    let request = record.object("requestParameters");
    if !request.is_present() {
        return out;
    }
    for (key, kind) in NAMED_BY_REQUEST {
        let Some(value) = request.str(key) else { continue };
        // `target` names an instance only for SSM sessions.
        if *key == "target" && !value.starts_with("i-") {
            continue;
        }
        let id = if *kind == "AWS::S3::Bucket" { format!("arn:aws:s3:::{value}") } else { value.to_string() };
        let account = arn_account(&id).map(str::to_string);
        add(Resource { kind: (*kind).into(), id, account });
    }
    // RunInstances, StartInstances, ...: `instancesSet.items[].instanceId`.
    let instances = request.object("instancesSet").get("items").and_then(|v| v.as_array());
    for item in instances.into_iter().flatten() {
        if let Some(id) = Fields::of_record(item, "instanceId").string("instanceId") {
            add(Resource { kind: "AWS::EC2::Instance".into(), id, account: None });
        }
    }
    out
}
