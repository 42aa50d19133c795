//! Writing the day, every log where its provider delivers it:
//! - CloudTrail files as delivered to S3
//!   (`AWSLogs/<acct>/CloudTrail/<region>/2026/11/03/<acct>_CloudTrail_<region>_<time>_<rand>.json.gz`,
//!   each a `{"Records": [...]}` document), and the marketing account's trail as JSON lines
//!   under `extra/` (the other input format);
//! - the production VPC's flow logs as delivered to S3, gzipped text with the format's header
//!   line first (`AWSLogs/<acct>/vpcflowlogs/<region>/2026/11/03/<acct>_vpcflowlogs_<region>_<flow log id>_<time>_<hash>.log.gz`);
//! - GCP's audit logs as a log sink exports them to Cloud Storage, JSON lines in hourly shards
//!   per log (`gcp/<bucket>/cloudaudit.googleapis.com/<log>/2026/11/03/HH:00:00_HH:59:59_S0.json`);
//! - Azure's Activity Log as diagnostic settings archive it to a storage account, one
//!   `{"records": [...]}` blob per hour
//!   (`azure/insights-activity-logs/resourceId=/SUBSCRIPTIONS/<id>/y=2026/m=11/d=03/h=HH/m=00/PT1H.json`);
//! - the cluster's audit log and Falco's alerts as JSON lines (`kubernetes/<cluster>/`,
//!   `falco/<cluster>/`);
//!
//! and the README that tells the stories ([`super::readme`]).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Value};

use super::day::{Day, ALNUM, LOWER_HEX};
use super::flows::Flow;
use super::*;

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExampleSummary {
    /// CloudTrail records.
    pub records: usize,
    /// CloudTrail `.json.gz` files; the JSON-lines file comes on top.
    pub files: usize,
    /// Records of the other planes' logs (GCP, Azure, Kubernetes, Falco, VPC flow logs).
    pub other_records: usize,
    /// The files they are in.
    pub other_files: usize,
}

/// The other planes' records of the day, each in time order.
pub struct Planes {
    pub gcp: Vec<Value>,
    pub azure: Vec<Value>,
    pub kubernetes: Vec<Value>,
    pub falco: Vec<Value>,
    pub flows: Vec<Flow>,
}

impl Planes {
    /// How many records each plane holds, in the order the README lists them.
    pub fn counts(&self) -> [usize; 5] {
        [self.gcp.len(), self.azure.len(), self.kubernetes.len(), self.falco.len(), self.flows.len()]
    }
}

/// Writes `day`'s CloudTrail records and the other `planes` into `out`, replacing what is
/// there.
///
/// # Errors
/// A file or folder cannot be written.
pub fn write(mut day: Day, planes: &Planes, out: &Path) -> io::Result<ExampleSummary> {
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    let (records, files) = cloudtrail(&mut day, out)?;
    // Flow log file names draw on the CloudTrail day's randomness only after every CloudTrail
    // file is named, so they never move a CloudTrail name.
    let other_files = flow_logs(&mut day, &planes.flows, out)?
        + gcp_sink(&planes.gcp, out)?
        + activity_archive(&planes.azure, out)?
        + json_lines(&out.join("kubernetes").join(CLUSTER), "audit-2026-11-03.jsonl", &planes.kubernetes)?
        + json_lines(&out.join("falco").join(CLUSTER), "events-2026-11-03.jsonl", &planes.falco)?;
    let summary = ExampleSummary { records, files, other_records: planes.counts().iter().sum(), other_files };
    std::fs::write(out.join("README.md"), super::readme::text(&summary, planes))?;
    Ok(summary)
}

/// CloudTrail's files: the records and the `.json.gz` files written.
fn cloudtrail(day: &mut Day, out: &Path) -> io::Result<(usize, usize)> {
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
        let stamp = file_stamp(delivered);
        let name = format!("{account}_CloudTrail_{region}_{stamp}_{}.json.gz", day.rid("", 16, ALNUM));
        let body = serde_json::to_vec(&json!({ "Records": batch })).map_err(io::Error::other)?;
        std::fs::write(folder.join(name), gzipped(&body)?)?;
    }
    json_lines(&out.join("extra"), &format!("marketing-{MARKETING}-2026-11-03.jsonl"), &lines)?;
    Ok((total, files))
}

/// `2026-11-03T19:00:00Z` → `20261103T1900Z`, as AWS stamps delivered files.
fn file_stamp(t: i64) -> String {
    let stamp = super::day::ts(t);
    format!("{}{}{}T{}{}Z", &stamp[0..4], &stamp[5..7], &stamp[8..10], &stamp[11..13], &stamp[14..16])
}

fn gzipped(body: &[u8]) -> io::Result<Vec<u8>> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(body)?;
    gz.finish()
}

/// `records` as one JSON-lines file `name` in `folder`: one file written.
fn json_lines(folder: &Path, name: &str, records: &[Value]) -> io::Result<usize> {
    std::fs::create_dir_all(folder)?;
    let mut body = Vec::new();
    for record in records {
        serde_json::to_writer(&mut body, record).map_err(io::Error::other)?;
        body.push(b'\n');
    }
    std::fs::write(folder.join(name), body)?;
    Ok(1)
}

/// The hour (`00`–`23`) of an RFC 3339 time.
fn hour_of(time: &str) -> &str {
    time.get(11..13).unwrap_or("00")
}

/// The production VPC's flow log: one file per hour; the files written.
fn flow_logs(day: &mut Day, flows: &[Flow], out: &Path) -> io::Result<usize> {
    const REGION: &str = "us-east-1";
    const FLOW_LOG: &str = "fl-0b6e2d41a9c37f582";
    let folder = out.join("AWSLogs").join(PROD).join("vpcflowlogs").join(REGION).join("2026/11/03");
    std::fs::create_dir_all(&folder)?;
    let mut hours: BTreeMap<i64, Vec<&Flow>> = BTreeMap::new();
    for flow in flows {
        hours.entry(flow.start - flow.start.rem_euclid(3600)).or_default().push(flow);
    }
    let header = super::flows::HEADER;
    for (hour, batch) in &hours {
        let mut body = format!("{header}\n");
        for flow in batch {
            body.push_str(&flow.line);
            body.push('\n');
        }
        // Delivered a few minutes after the hour's last window closes.
        let delivered = hour + 3600 + 60 * (5 + day.below(5));
        let name = format!(
            "{PROD}_vpcflowlogs_{REGION}_{FLOW_LOG}_{}_{}.log.gz",
            file_stamp(delivered),
            day.rid("", 8, LOWER_HEX)
        );
        std::fs::write(folder.join(name), gzipped(body.as_bytes())?)?;
    }
    Ok(hours.len())
}

/// The log sink's export: a shard per log and hour; the files written.
fn gcp_sink(entries: &[Value], out: &Path) -> io::Result<usize> {
    let mut shards: BTreeMap<(String, String), Vec<Value>> = BTreeMap::new();
    for entry in entries {
        let log = text(entry, "logName").rsplit("%2F").next().unwrap_or_default().to_string();
        let hour = hour_of(text(entry, "timestamp")).to_string();
        shards.entry((log, hour)).or_default().push(entry.clone());
    }
    let root = out.join("gcp").join("acme-audit-export").join("cloudaudit.googleapis.com");
    for ((log, hour), batch) in &shards {
        let folder = root.join(log).join("2026/11/03");
        json_lines(&folder, &format!("{hour}:00:00_{hour}:59:59_S0.json"), batch)?;
    }
    Ok(shards.len())
}

/// The Activity Log's archive: a blob per hour; the files written.
fn activity_archive(records: &[Value], out: &Path) -> io::Result<usize> {
    let mut hours: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for record in records {
        hours.entry(hour_of(text(record, "time")).to_string()).or_default().push(record.clone());
    }
    let subscription = super::azure::SUBSCRIPTION.to_ascii_uppercase();
    let root = out.join("azure/insights-activity-logs/resourceId=/SUBSCRIPTIONS").join(subscription);
    for (hour, batch) in &hours {
        let folder = root.join(format!("y=2026/m=11/d=03/h={hour}/m=00"));
        std::fs::create_dir_all(&folder)?;
        let body = serde_json::to_vec(&json!({ "records": batch })).map_err(io::Error::other)?;
        std::fs::write(folder.join("PT1H.json"), body)?;
    }
    Ok(hours.len())
}

fn text<'v>(record: &'v Value, key: &str) -> &'v str {
    record[key].as_str().unwrap_or_default()
}
