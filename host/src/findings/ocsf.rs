//! Rendering a [`Detection`] for people and machines: an OCSF 1.3 Detection Finding
//! (class_uid 2004) as JSON, and one readable line for terminals.
//!
//! Field names follow the OCSF 1.3 schema (`events/findings/detection_finding.json` and the
//! objects it uses: `finding_info`, `analytic`, `attack`, `related_event`, `evidences`,
//! `actor`, `cloud`, `resource_details`). What the schema has no place for (which plugin
//! reported it, at what version) goes to `unmapped`, as OCSF asks.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use trailhound_sdk::story::{REVISION, REVISION_OF};
use trailhound_sdk::Severity;

use super::{Detection, RelatedEvent};

/// The OCSF schema version the output follows.
pub const OCSF_VERSION: &str = "1.3.0";

const CLASS_UID: u32 = 2004;
const CATEGORY_UID: u32 = 2;
/// Every detection is delivered once, as a new finding; updates and closing are not modelled.
const ACTIVITY_CREATE: u32 = 1;
/// A later revision of a finding reported before (a storyline that grew).
const ACTIVITY_UPDATE: u32 = 2;
const STATUS_NEW: u32 = 1;
/// OCSF `account.type_id` for an AWS account.
const ACCOUNT_TYPE_AWS: u32 = 10;
/// OCSF `analytic.type_id` for a rule.
const ANALYTIC_RULE: u32 = 1;

/// The detection as an OCSF 1.3 Detection Finding.
pub fn to_json(detection: &Detection) -> Value {
    let finding = &detection.finding;
    let (severity_id, severity) = severity(finding.severity);
    let attacks: Vec<Value> = finding.techniques.iter().map(|t| attack(t)).collect();
    let message = if finding.summary.is_empty() { &finding.title } else { &finding.summary };
    let revision = revision(finding);
    let (activity_id, activity) =
        if revision > 1 { (ACTIVITY_UPDATE, "Update") } else { (ACTIVITY_CREATE, "Create") };

    let mut out = json!({
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "activity_id": activity_id,
        "activity_name": activity,
        "type_uid": CLASS_UID * 100 + activity_id,
        "type_name": format!("Detection Finding: {activity}"),
        "severity_id": severity_id,
        "severity": severity,
        "status_id": STATUS_NEW,
        "status": "New",
        "time": detection.time,
        "message": message,
        "metadata": metadata(detection),
        "finding_info": finding_info(detection, &attacks),
        "attacks": attacks,
        "evidences": evidences(detection),
        "unmapped": {
            "plugin": detection.plugin,
            "plugin_version": detection.plugin_version,
        },
    });
    let fields = out.as_object_mut().expect("a JSON object literal");
    if let (Some(start), Some(end)) = (first_seen(detection), last_seen(detection)) {
        fields.insert("start_time".into(), start.into());
        fields.insert("end_time".into(), end.into());
    }
    if let Some(actor) = actor(detection) {
        fields.insert("actor".into(), actor);
    }
    if let Some(cloud) = cloud(detection) {
        fields.insert("cloud".into(), cloud);
    }
    let resources = resources(detection);
    if !resources.is_empty() {
        fields.insert("resources".into(), resources.into());
    }
    out
}

/// One readable line for a terminal, starting with [`severity_label`] padded to 8 columns:
///
/// `HIGH      aws.iam.policy-version-changed  Default policy version changed — v3 of …  actor=arn:…  events=3  (plugin storyline)`
///
/// The title is left out when it is the rule id, the summary (a rule's rendered output)
/// when there is none.
///
/// Control characters from the plugin's text are escaped, so a finding cannot move the
/// cursor or recolour the terminal.
pub fn to_line(detection: &Detection) -> String {
    let finding = &detection.finding;
    let mut line = format!("{:<8}  {}", severity_label(finding.severity), printable(&finding.rule_id));
    // A rules-file finding is titled by its rule's name, which is already its id.
    if finding.title != finding.rule_id {
        line.push_str("  ");
        line.push_str(&printable(&finding.title));
    }
    if !finding.summary.is_empty() && finding.summary != finding.title {
        line.push_str(" — ");
        line.push_str(&printable(&finding.summary));
    }
    if let Some(actor) = &finding.actor {
        line.push_str("  actor=");
        line.push_str(&printable(actor));
    }
    line.push_str(&format!(
        "  events={}  (plugin {})",
        finding.event_ids.len(),
        printable(&detection.plugin)
    ));
    line
}

/// The upper-case severity word that starts every [`to_line`] line.
pub fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "INFO",
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    }
}

/// The revision a finding says it is (see [`trailhound_sdk::Finding::revision`]); 1 when it
/// says none.
pub fn revision(finding: &trailhound_sdk::Finding) -> u32 {
    finding.evidence_value(REVISION).and_then(|r| r.parse().ok()).unwrap_or(1)
}

/// A stable id for the finding: hex SHA-256 over the plugin, the rule id and the sorted,
/// de-duplicated proving event ids, so the same finding reported twice (a replay, a retried
/// batch) gets the same id and downstream dedup can rely on it. A finding without event ids
/// (from a time window closing) is told apart by its actor instead. A finding that names
/// what its revisions are about (a storyline's origin) is identified by that instead, so
/// every revision of it shares one uid.
pub fn finding_uid(detection: &Detection) -> String {
    let finding = &detection.finding;
    if let Some(key) = finding.evidence_value(REVISION_OF) {
        return hex::encode(
            parts([detection.plugin.as_str(), finding.rule_id.as_str(), REVISION_OF, key]).finalize(),
        );
    }
    let mut ids: Vec<&str> = finding.event_ids.iter().map(String::as_str).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut hash =
        parts([detection.plugin.as_str(), finding.rule_id.as_str()].into_iter().chain(ids.iter().copied()));
    if ids.is_empty() {
        hash.update(finding.actor.as_deref().unwrap_or_default().as_bytes());
    }
    hex::encode(hash.finalize())
}

/// SHA-256 over the parts, a NUL after each so ("ab", "c") and ("a", "bc") stay apart.
fn parts<'a>(parts: impl IntoIterator<Item = &'a str>) -> Sha256 {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash
}

/// OCSF `severity_id` and its caption.
fn severity(severity: Severity) -> (u32, &'static str) {
    match severity {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

fn metadata(detection: &Detection) -> Value {
    let mut metadata = json!({
        "version": OCSF_VERSION,
        "product": {
            "name": "trailhound",
            "vendor_name": "trailhound",
            "version": env!("CARGO_PKG_VERSION"),
            "feature": { "name": detection.plugin, "version": detection.plugin_version },
        },
        "log_name": "findings",
    });
    if cloud(detection).is_some() {
        metadata["profiles"] = json!(["cloud"]);
    }
    metadata
}

fn finding_info(detection: &Detection, attacks: &[Value]) -> Value {
    let finding = &detection.finding;
    let mut info = json!({
        "uid": finding_uid(detection),
        "title": finding.title,
        "desc": finding.summary,
        "analytic": {
            "uid": finding.rule_id,
            "name": finding.title,
            "type_id": ANALYTIC_RULE,
            "type": "Rule",
        },
        "attacks": attacks,
        "related_events": related_events(detection),
        "related_events_count": finding.event_ids.len(),
        "types": finding.tags,
        "created_time": detection.time,
    });
    if let (Some(first), Some(last)) = (first_seen(detection), last_seen(detection)) {
        info["first_seen_time"] = first.into();
        info["last_seen_time"] = last.into();
    }
    info
}

/// Every proving event id, in the plugin's order; the host's facts about it where it could
/// resolve the id (OCSF 1.3 `related_event` has no time, so times go to `evidences`).
fn related_events(detection: &Detection) -> Vec<Value> {
    detection
        .finding
        .event_ids
        .iter()
        .map(|uid| match resolved(detection, uid) {
            Some(event) => json!({ "uid": uid, "type": api_operation(event) }),
            None => json!({ "uid": uid }),
        })
        .collect()
}

fn resolved<'a>(detection: &'a Detection, uid: &str) -> Option<&'a RelatedEvent> {
    detection.related.iter().find(|event| event.uid == uid)
}

/// `iam:CreateAccessKey`: the service prefix and action, as IAM policies name an API call.
fn api_operation(event: &RelatedEvent) -> String {
    let prefix = event.service.strip_suffix(".amazonaws.com").unwrap_or(&event.service);
    format!("{prefix}:{}", event.action)
}

/// The detector's key/value evidence first (as `data`; repeated keys collect into an
/// array), then what each resolved proving event shows: the API call, who made it, from where.
fn evidences(detection: &Detection) -> Vec<Value> {
    let mut out = Vec::new();
    let mut data = Map::new();
    for item in &detection.finding.evidence {
        match data.get_mut(&item.key) {
            None => {
                data.insert(item.key.clone(), item.value.clone().into());
            }
            Some(Value::Array(values)) => values.push(item.value.clone().into()),
            Some(first) => *first = json!([first.take(), item.value]),
        }
    }
    if !data.is_empty() {
        out.push(json!({ "data": data }));
    }
    for event in &detection.related {
        let mut evidence = json!({
            "api": { "operation": event.action, "service": { "name": event.service } },
            "actor": { "user": { "uid": event.actor } },
            "data": {
                "event_uid": event.uid,
                "time": event.time,
                "account": event.account,
                "region": event.region,
            },
        });
        if let Some(ip) = &event.source_ip {
            evidence["src_endpoint"] = json!({ "ip": ip });
        }
        out.push(evidence);
    }
    out
}

/// The finding's actor as an OCSF `actor.user`; name and account come from its ARN.
fn actor(detection: &Detection) -> Option<Value> {
    let uid = detection.finding.actor.as_deref().filter(|a| !a.is_empty())?;
    let mut user = json!({ "uid": uid });
    if let Some(arn) = Arn::parse(uid) {
        user["name"] = arn.name().into();
        if !arn.account.is_empty() {
            user["account"] = aws_account(arn.account);
        }
    }
    Some(json!({ "user": user }))
}

/// Where it happened: the account and region of the latest resolved proving event.
fn cloud(detection: &Detection) -> Option<Value> {
    let event = detection.related.iter().max_by_key(|event| event.time)?;
    let aws = event.service.ends_with(".amazonaws.com") || event.actor.starts_with("arn:aws");
    let mut cloud = json!({ "provider": if aws { "AWS" } else { "Unknown" } });
    if !event.account.is_empty() {
        cloud["account"] = aws_account(&event.account);
    }
    if !event.region.is_empty() {
        cloud["region"] = event.region.clone().into();
    }
    Some(cloud)
}

fn aws_account(uid: &str) -> Value {
    json!({ "uid": uid, "type_id": ACCOUNT_TYPE_AWS, "type": "AWS Account" })
}

/// Affected resources: the ARNs among the evidence values, other than the actor's own.
fn resources(detection: &Detection) -> Vec<Value> {
    let actor = detection.finding.actor.as_deref();
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for item in &detection.finding.evidence {
        let value = item.value.as_str();
        if Some(value) == actor || seen.contains(&value) {
            continue;
        }
        let Some(arn) = Arn::parse(value) else { continue };
        seen.push(value);
        let mut resource = json!({
            "uid": value,
            "name": arn.name(),
            "type": arn.resource_type(),
            "cloud_partition": arn.partition,
        });
        if !arn.region.is_empty() {
            resource["region"] = arn.region.into();
        }
        if !arn.account.is_empty() {
            resource["owner"] = json!({ "account": aws_account(arn.account) });
        }
        out.push(resource);
    }
    out
}

fn first_seen(detection: &Detection) -> Option<i64> {
    detection.related.iter().map(|event| event.time).min()
}

fn last_seen(detection: &Detection) -> Option<i64> {
    detection.related.iter().map(|event| event.time).max()
}

/// `arn:partition:service:region:account:resource`.
struct Arn<'a> {
    partition: &'a str,
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

impl<'a> Arn<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let arn = Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        };
        (!arn.partition.is_empty() && !arn.service.is_empty() && !arn.resource.is_empty()).then_some(arn)
    }

    /// The last path segment: a user, role session, policy or bucket name.
    fn name(&self) -> &'a str {
        self.resource.rsplit(['/', ':']).next().unwrap_or(self.resource)
    }

    /// The CloudFormation-style type the event model uses, for the common kinds.
    fn resource_type(&self) -> String {
        let kind = self.resource.split(['/', ':']).next().unwrap_or_default();
        let known = match (self.service, kind) {
            ("iam", "user") => "AWS::IAM::User",
            ("iam", "role") => "AWS::IAM::Role",
            ("iam", "policy") => "AWS::IAM::ManagedPolicy",
            ("iam", "group") => "AWS::IAM::Group",
            ("iam", "instance-profile") => "AWS::IAM::InstanceProfile",
            ("sts", "assumed-role") => "AWS::STS::AssumedRole",
            ("s3", _) if self.resource.contains('/') => "AWS::S3::Object",
            ("s3", _) => "AWS::S3::Bucket",
            ("ec2", "instance") => "AWS::EC2::Instance",
            ("ec2", "snapshot") => "AWS::EC2::Snapshot",
            ("ec2", "volume") => "AWS::EC2::Volume",
            ("ec2", "security-group") => "AWS::EC2::SecurityGroup",
            ("rds", "snapshot") => "AWS::RDS::DBSnapshot",
            ("rds", "cluster-snapshot") => "AWS::RDS::DBClusterSnapshot",
            ("rds", "db") => "AWS::RDS::DBInstance",
            ("kms", "key") => "AWS::KMS::Key",
            ("lambda", "function") => "AWS::Lambda::Function",
            ("ecr", "repository") => "AWS::ECR::Repository",
            _ => "",
        };
        if known.is_empty() {
            format!("AWS::{}", self.service)
        } else {
            known.to_string()
        }
    }
}

/// An OCSF `attack` for a MITRE ATT&CK technique id: a sub-technique (`T1098.001`) is given
/// with its parent technique, as OCSF 1.3 models them; names where the table knows them.
fn attack(id: &str) -> Value {
    let named = |uid: &str| match technique_name(uid) {
        Some(name) => json!({ "uid": uid, "name": name }),
        None => json!({ "uid": uid }),
    };
    match id.split_once('.') {
        Some((parent, _)) => json!({ "technique": named(parent), "sub_technique": named(id) }),
        None => json!({ "technique": named(id) }),
    }
}

/// Names of the ATT&CK (Enterprise, cloud matrix) techniques cloud detectors report most.
fn technique_name(uid: &str) -> Option<&'static str> {
    Some(match uid {
        "T1021" => "Remote Services",
        "T1021.004" => "SSH",
        "T1021.007" => "Cloud Services",
        "T1059" => "Command and Scripting Interpreter",
        "T1059.009" => "Cloud API",
        "T1069" => "Permission Groups Discovery",
        "T1069.003" => "Cloud Groups",
        "T1078" => "Valid Accounts",
        "T1078.004" => "Cloud Accounts",
        "T1087" => "Account Discovery",
        "T1087.004" => "Cloud Account",
        "T1098" => "Account Manipulation",
        "T1098.001" => "Additional Cloud Credentials",
        "T1098.003" => "Additional Cloud Roles",
        "T1110" => "Brute Force",
        "T1136" => "Create Account",
        "T1136.003" => "Cloud Account",
        "T1190" => "Exploit Public-Facing Application",
        "T1485" => "Data Destruction",
        "T1486" => "Data Encrypted for Impact",
        "T1496" => "Resource Hijacking",
        "T1525" => "Implant Internal Image",
        "T1526" => "Cloud Service Discovery",
        "T1530" => "Data from Cloud Storage",
        "T1531" => "Account Access Removal",
        "T1537" => "Transfer Data to Cloud Account",
        "T1538" => "Cloud Service Dashboard",
        "T1548" => "Abuse Elevation Control Mechanism",
        "T1548.005" => "Temporary Elevated Cloud Access",
        "T1550" => "Use Alternate Authentication Material",
        "T1550.001" => "Application Access Token",
        "T1552" => "Unsecured Credentials",
        "T1552.005" => "Cloud Instance Metadata API",
        "T1562" => "Impair Defenses",
        "T1562.001" => "Disable or Modify Tools",
        "T1562.007" => "Disable or Modify Cloud Firewall",
        "T1562.008" => "Disable or Modify Cloud Logs",
        "T1578" => "Modify Cloud Compute Infrastructure",
        "T1578.001" => "Create Snapshot",
        "T1578.002" => "Create Cloud Instance",
        "T1580" => "Cloud Infrastructure Discovery",
        "T1619" => "Cloud Storage Object Discovery",
        "T1651" => "Cloud Administration Command",
        _ => return None,
    })
}

/// The text with control characters escaped (`\u{1b}` for ESC), everything else as is.
fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() })
        .collect()
}
