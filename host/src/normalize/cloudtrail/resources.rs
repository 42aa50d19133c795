//! The resources an event touched: CloudTrail's own `resources[]`, plus the resources its
//! `requestParameters` name (most management events carry no `resources[]` at all).

use super::identity::arn_account;
use super::shape::{CloudTrail, RequestParameters};
use crate::event::Resource;
use crate::normalize::lenient::{owned, text, Loose};

/// The request parameters that name a resource, and the resource type they name.
/// Ids are kept as the request wrote them, except S3 bucket names, which become ARNs.
fn named_by_request<'r>(r: &'r RequestParameters<'_>) -> [(&'r Option<Loose<'r>>, &'static str); 19] {
    [
        (&r.bucket_name, "AWS::S3::Bucket"),
        (&r.role_arn, "AWS::IAM::Role"),
        (&r.role_name, "AWS::IAM::Role"),
        (&r.policy_arn, "AWS::IAM::ManagedPolicy"),
        (&r.user_name, "AWS::IAM::User"),
        (&r.group_name, "AWS::IAM::Group"),
        (&r.instance_id, "AWS::EC2::Instance"),
        (&r.snapshot_id, "AWS::EC2::Snapshot"),
        (&r.image_id, "AWS::EC2::Image"),
        (&r.volume_id, "AWS::EC2::Volume"),
        (&r.group_id, "AWS::EC2::SecurityGroup"),
        (&r.vpc_id, "AWS::EC2::VPC"),
        (&r.db_snapshot_identifier, "AWS::RDS::DBSnapshot"),
        (&r.db_instance_identifier, "AWS::RDS::DBInstance"),
        (&r.function_name, "AWS::Lambda::Function"),
        (&r.key_id, "AWS::KMS::Key"),
        (&r.secret_id, "AWS::SecretsManager::Secret"),
        (&r.trail_name, "AWS::CloudTrail::Trail"),
        (&r.detector_id, "AWS::GuardDuty::Detector"),
    ]
}

pub fn resources(record: &CloudTrail<'_>) -> Vec<Resource> {
    let mut out: Vec<Resource> = Vec::new();
    let mut add = |resource: Resource| {
        if !out.iter().any(|r| r.kind == resource.kind && r.id == resource.id) {
            out.push(resource);
        }
    };
    for entry in &record.resources.0 {
        let Some(id) = owned(&entry.arn) else { continue };
        let kind = owned(&entry.kind).unwrap_or_default();
        let account = owned(&entry.account_id).or_else(|| arn_account(&id).map(str::to_string));
        add(Resource { kind, id, account });
    }
    let request = &record.request_parameters.0;
    for (field, kind) in named_by_request(request) {
        let Some(value) = text(field) else { continue };
        let id = if kind == "AWS::S3::Bucket" { format!("arn:aws:s3:::{value}") } else { value.to_string() };
        let account = arn_account(&id).map(str::to_string);
        add(Resource { kind: kind.into(), id, account });
    }
    // `target` names an instance only for SSM sessions.
    if let Some(target) = text(&request.target).filter(|t| t.starts_with("i-")) {
        add(Resource { kind: "AWS::EC2::Instance".into(), id: target.to_string(), account: None });
    }
    // RunInstances, StartInstances, ...: `instancesSet.items[].instanceId`.
    for item in &request.instances_set.0.items.0 {
        if let Some(id) = owned(&item.instance_id) {
            add(Resource { kind: "AWS::EC2::Instance".into(), id, account: None });
        }
    }
    out
}
