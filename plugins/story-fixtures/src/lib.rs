//! Test-only fixtures: the bundled example data (`examples/data`) as SDK events.
//!
//! Plugin crates use this as a dev-dependency to check, natively and without the host, that
//! their detectors tell the dataset's two stories and stay quiet on its background. It owns
//! a deliberately small CloudTrail reader and normalizer that follow the event-model
//! conventions just far enough for the bundled plugins; the host's normalizer is the real one.
//! It also owns the names that identify the stories' principals, which must match
//! `scripts/make-example-data.py`.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;
use trailhound_sdk::{Actor, Detector, Event, Resource};

/// The insider's IAM user.
pub const INSIDER_ARN: &str = "arn:aws:iam::418295730164:user/m.hollis";
/// Instances whose role sessions (named after the instance id) the insider drove.
pub const INSIDER_INSTANCES: [&str; 2] = ["i-0a4f19c2d7e3b5816", "i-07d2e8b1c9f4a6035"];
/// Role sessions the insider opened with AssumeRole.
pub const INSIDER_SESSIONS: [&str; 2] = ["botocore-session-1793784262", "botocore-session-1793786118"];
/// The bucket of story 2, and who exposed it.
pub const EXPOSED_BUCKET: &str = "acme-campaign-assets-2026";
pub const EXPOSER_ARN: &str = "arn:aws:iam::562014837795:user/k.brennan";

/// Which story an event belongs to, by the principals and resources named above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Story {
    Insider,
    Bucket,
}

/// The story an event is part of, or `None` for background.
pub fn story_of(event: &Event, raw: &Value) -> Option<Story> {
    let actor = &event.actor;
    let session = actor.session_name.as_deref().unwrap_or_default();
    if actor.id == INSIDER_ARN || INSIDER_INSTANCES.contains(&session) || INSIDER_SESSIONS.contains(&session)
    {
        return Some(Story::Insider);
    }
    if raw["requestParameters"]["bucketName"].as_str() == Some(EXPOSED_BUCKET) {
        return Some(Story::Bucket);
    }
    None
}

/// One record of the dataset: its normalized event (fields projected for the detector under
/// test) and the raw CloudTrail record.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub event: Event,
    pub raw: Value,
    /// `file:line` or `file (Records[i])`, for failure messages.
    pub origin: String,
}

impl Loaded {
    pub fn story(&self) -> Option<Story> {
        story_of(&self.event, &self.raw)
    }
}

/// `examples/data` in this repository.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data")
}

/// Every record of `examples/data`, in the order the host reads them (files sorted by path,
/// records in file order), normalized, with the fields `D` declares projected.
///
/// # Panics
/// When the data is missing or unreadable: the data is part of the repository.
pub fn load_for<D: Detector>() -> Vec<Loaded> {
    let paths = D::info().fields;
    let mut files = Vec::new();
    walk(&data_dir(), &mut files);
    files.sort();
    assert!(!files.is_empty(), "no CloudTrail files under {}", data_dir().display());
    let mut out = Vec::new();
    for file in files {
        let name = file.display().to_string();
        for (origin, raw) in read_records(&file) {
            let mut event = normalize(&raw);
            event.fields = paths.iter().map(|p| project(&raw, p)).collect();
            out.push(Loaded { event, raw, origin: format!("{name}{origin}") });
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            let name = path.to_string_lossy();
            if name.ends_with(".json.gz") || name.ends_with(".json") || name.ends_with(".jsonl") {
                out.push(path);
            }
        }
    }
}

fn read_records(file: &Path) -> Vec<(String, Value)> {
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let text = if file.to_string_lossy().ends_with(".gz") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap_or_else(|e| panic!("{} is not gzip text: {e}", file.display()));
        text
    } else {
        String::from_utf8(bytes).unwrap_or_else(|e| panic!("{} is not UTF-8: {e}", file.display()))
    };
    if file.to_string_lossy().ends_with(".jsonl") {
        return text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(i, line)| {
                let value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{}:{}: not JSON: {e}", file.display(), i + 1));
                (format!(":{}", i + 1), value)
            })
            .collect();
    }
    let doc: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", file.display()));
    let Some(Value::Array(records)) = doc.get("Records").cloned() else {
        panic!("{}: no Records array", file.display());
    };
    records.into_iter().enumerate().map(|(i, r)| (format!(" (Records[{i}])"), r)).collect()
}

/// Normalizes one CloudTrail record following the event-model conventions of the brief,
/// as far as the bundled plugins read them.
pub fn normalize(raw: &Value) -> Event {
    let s = |v: &Value| v.as_str().map(str::to_string);
    let identity = &raw["userIdentity"];
    let context = &identity["sessionContext"];
    let account = s(&raw["recipientAccountId"]).or_else(|| s(&identity["accountId"])).unwrap_or_default();
    let actor_id = s(&identity["arn"])
        .or_else(|| s(&identity["principalId"]))
        .or_else(|| s(&identity["invokedBy"]))
        .unwrap_or_default();
    let session_name = (identity["type"] == "AssumedRole")
        .then(|| actor_id.rsplit('/').next().map(str::to_string))
        .flatten();
    let mfa =
        context["attributes"]["mfaAuthenticated"] == "true" || raw["additionalEventData"]["MFAUsed"] == "Yes";
    let service = s(&raw["eventSource"]).unwrap_or_default();
    let action = s(&raw["eventName"]).unwrap_or_default();
    let error_code = s(&raw["errorCode"]);
    Event {
        id: s(&raw["eventID"]).unwrap_or_default(),
        time: raw["eventTime"].as_str().map(parse_time).unwrap_or_default(),
        provider: "aws".into(),
        source: "aws-cloudtrail".into(),
        category: category(&service).into(),
        access_level: access_level(&action).into(),
        success: error_code.is_none(),
        error_code,
        error_message: s(&raw["errorMessage"]),
        read_only: raw["readOnly"].as_bool().unwrap_or_default(),
        management: raw["managementEvent"].as_bool().unwrap_or(true),
        region: s(&raw["awsRegion"]).unwrap_or_default(),
        actor: Actor {
            id: actor_id,
            kind: s(&identity["type"]).unwrap_or_default(),
            account: s(&identity["accountId"]).unwrap_or_else(|| account.clone()),
            name: s(&identity["userName"]).or_else(|| s(&context["sessionIssuer"]["userName"])),
            access_key: s(&identity["accessKeyId"]),
            session_name,
            session_issuer: s(&context["sessionIssuer"]["arn"]),
            source_identity: s(&context["sourceIdentity"]),
            mfa,
            invoked_by: s(&identity["invokedBy"]),
        },
        account,
        service,
        action,
        source_ip: s(&raw["sourceIPAddress"]),
        user_agent: s(&raw["userAgent"]),
        resources: resources(raw),
        fields: Vec::new(),
        raw: None,
    }
}

fn resources(raw: &Value) -> Vec<Resource> {
    let mut out: Vec<Resource> = raw["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| Resource {
            kind: r["type"].as_str().unwrap_or_default().into(),
            id: r["ARN"].as_str().unwrap_or_default().into(),
            account: r["accountId"].as_str().map(str::to_string),
        })
        .collect();
    let request = &raw["requestParameters"];
    let named = [
        ("bucketName", "AWS::S3::Bucket"),
        ("roleArn", "AWS::IAM::Role"),
        ("policyArn", "AWS::IAM::ManagedPolicy"),
        ("snapshotId", "AWS::EC2::Snapshot"),
    ];
    for (key, kind) in named {
        if let Some(value) = request[key].as_str() {
            let id = if key == "bucketName" { format!("arn:aws:s3:::{value}") } else { value.to_string() };
            if !out.iter().any(|r| r.id == id) {
                out.push(Resource { kind: kind.into(), id, account: None });
            }
        }
    }
    out
}

fn category(service: &str) -> &'static str {
    match service.split('.').next().unwrap_or_default() {
        "ec2" | "lambda" | "ecs" | "eks" | "ssm" | "ec2-instance-connect" | "ecr" => "compute",
        "s3" | "glacier" | "backup" => "storage",
        "rds" | "dynamodb" | "athena" | "glue" => "database",
        "iam" | "sts" | "signin" | "sso" | "organizations" => "identity",
        "kms" | "secretsmanager" | "guardduty" | "securityhub" => "security",
        "elasticloadbalancing" | "cloudfront" | "route53" => "network",
        _ => "management",
    }
}

fn access_level(action: &str) -> &'static str {
    const PERMISSIONS: [&str; 6] =
        ["Policy", "AccessKey", "Acl", "PublicAccessBlock", "Permission", "Attribute"];
    if action.starts_with("List") || action.starts_with("Describe") {
        "List"
    } else if action.starts_with("Get") || action.starts_with("Head") {
        "Read"
    } else if action.starts_with("Tag") || action.starts_with("Untag") {
        "Tagging"
    } else if PERMISSIONS.iter().any(|p| action.contains(p)) {
        "Permissions management"
    } else {
        "Write"
    }
}

/// `2026-11-03T09:14:02Z` → ms since the epoch (UTC; CloudTrail always writes `Z`).
fn parse_time(text: &str) -> i64 {
    let n = |range: std::ops::Range<usize>| {
        text.get(range).and_then(|t| t.parse::<i64>().ok()).unwrap_or_default()
    };
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 24 + n(11..13)) * 60 + n(14..16)) * 60_000 + n(17..19) * 1000
}

/// Evaluates the JSONPath subset the bundled plugins use (`$`, `.name`, `['name']`, `[n]`,
/// `[*]`) the way the host passes values: a single string as-is, anything else (including
/// several matches) as JSON text, nothing when nothing matched.
pub fn project(raw: &Value, path: &str) -> Option<String> {
    let mut current = vec![raw];
    for segment in segments(path) {
        current = current
            .into_iter()
            .flat_map(|v| -> Vec<&Value> {
                match &segment {
                    Segment::Key(k) => v.get(k.as_str()).into_iter().collect(),
                    Segment::Index(i) => v.get(*i).into_iter().collect(),
                    Segment::All => match v {
                        Value::Array(items) => items.iter().collect(),
                        Value::Object(map) => map.values().collect(),
                        _ => Vec::new(),
                    },
                }
            })
            .collect();
    }
    let current: Vec<&Value> = current.into_iter().filter(|v| !v.is_null()).collect();
    match current.as_slice() {
        [] => None,
        [Value::String(s)] => Some(s.clone()),
        [one] => Some(one.to_string()),
        many => Some(Value::Array(many.iter().map(|v| (*v).clone()).collect()).to_string()),
    }
}

enum Segment {
    Key(String),
    Index(usize),
    All,
}

fn segments(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = path.strip_prefix('$').unwrap_or(path);
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix('.') {
            let end = tail.find(['.', '[']).unwrap_or(tail.len());
            out.push(Segment::Key(tail[..end].to_string()));
            rest = &tail[end..];
        } else if let Some(tail) = rest.strip_prefix('[') {
            let end = tail.find(']').unwrap_or(tail.len());
            let inner = &tail[..end];
            out.push(match inner {
                "*" => Segment::All,
                quoted if quoted.starts_with('\'') || quoted.starts_with('"') => {
                    Segment::Key(quoted.trim_matches(['\'', '"']).to_string())
                }
                index => Segment::Index(index.parse().unwrap_or(usize::MAX)),
            });
            rest = tail.get(end + 1..).unwrap_or_default();
        } else {
            panic!("unsupported JSONPath {path:?} in the story fixtures");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_cloudtrail_time() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), 0);
        assert_eq!(parse_time("2026-11-03T09:14:02Z"), 1_793_697_242_000);
    }

    #[test]
    fn projects_the_jsonpath_subset() {
        let raw = json!({"a": {"x-y": ["p"], "b": [{"c": "1"}, {"c": "2"}], "n": 3}});
        assert_eq!(project(&raw, "$.a['x-y']").as_deref(), Some(r#"["p"]"#));
        assert_eq!(project(&raw, "$.a.b[1].c").as_deref(), Some("2"));
        assert_eq!(project(&raw, "$.a.b[*].c").as_deref(), Some(r#"["1","2"]"#));
        assert_eq!(project(&raw, "$.a.n").as_deref(), Some("3"));
        assert_eq!(project(&raw, "$.a.missing"), None);
    }

    #[test]
    fn normalizes_an_assumed_role_session() {
        let raw = json!({
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/r/i-0abc", "accountId": "1",
                             "accessKeyId": "ASIAX", "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::1:role/r", "userName": "r"},
                                                                        "attributes": {"mfaAuthenticated": "false"}}},
            "eventTime": "2026-11-03T00:00:00Z", "eventSource": "iam.amazonaws.com", "eventName": "ListUsers",
            "errorCode": "AccessDenied", "recipientAccountId": "1", "eventID": "e1"});
        let event = normalize(&raw);
        assert_eq!(event.actor.session_name.as_deref(), Some("i-0abc"));
        assert_eq!(event.actor.name.as_deref(), Some("r"));
        assert_eq!(event.actor.access_key.as_deref(), Some("ASIAX"));
        assert!(!event.success && event.denied() && !event.actor.mfa);
        assert_eq!((event.category.as_str(), event.access_level.as_str()), ("identity", "List"));
    }

    #[test]
    fn the_dataset_holds_both_stories_and_background() {
        #[derive(Default)]
        struct Nothing;
        impl Detector for Nothing {
            fn info() -> trailhound_sdk::Info {
                trailhound_sdk::Info::new("nothing", "0")
            }
        }
        let all = load_for::<Nothing>();
        let count = |story| all.iter().filter(|l| l.story() == story).count();
        assert!(all.len() > 300, "only {} records", all.len());
        assert!(count(Some(Story::Insider)) > 20);
        assert!(count(Some(Story::Bucket)) >= 5);
        assert!(count(None) > all.len() / 2);
        assert!(all
            .iter()
            .all(|l| !l.event.id.is_empty() && l.event.time > 0 && !l.event.actor.id.is_empty()));
    }
}
