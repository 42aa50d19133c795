//! Normalize: map a raw record of any supported log source onto the event model
//! ([`crate::event::Event`]).
//!
//! The source of a record is recognised from its top-level keys ([`TopKeys`]), record by
//! record, so one stream may mix sources; an operator who knows better forces one
//! ([`SourceType`], `--source-type`). CloudTrail, by far the largest stream, is tried first
//! and read in one pass; other records are read again with their own shape. Each source's
//! module says which fields it requires and how it fills the rest; all of them read fields
//! leniently ([`lenient`]), so one odd value never costs the whole record.
//!
//! Not every record is an event: CloudTrail digest files and Insights summaries are
//! recognised and skipped with a reason ([`Normalized::Skipped`]), never counted as malformed.
//!
//! A record no source recognises may wrap one that a source does: a CloudWatch Logs log
//! event whose message is the record ([`logs`]). The record inside is read in its place, and
//! kept as the record's text.

mod azure;
mod cloudtrail;
mod falco;
mod gcp;
mod k8s;
mod lenient;
mod logs;
pub mod pool;
mod time;
mod verbs;
mod vpcflow;

use std::fmt;
use std::sync::Arc;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use sha2::{Digest, Sha256};

use crate::event::Event;
use crate::record::{json_kind, Malformed, Origin, RawRecord, Record};
use lenient::Loose;

pub use cloudtrail::{arn_account, category};

/// A log source the host reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceType {
    AwsCloudTrail,
    AwsVpcFlow,
    GcpAudit,
    AzureActivity,
    /// Entra ID (Azure AD) audit and sign-in logs.
    AzureAudit,
    /// Kubernetes audit events, EKS's included.
    K8sAudit,
    /// Falco alerts (JSON output).
    Falco,
}

impl SourceType {
    /// Every source, in the order records are tried against them.
    pub const ALL: [SourceType; 7] = [
        SourceType::AwsCloudTrail,
        SourceType::GcpAudit,
        SourceType::AzureActivity,
        SourceType::AzureAudit,
        SourceType::K8sAudit,
        SourceType::Falco,
        SourceType::AwsVpcFlow,
    ];

    /// The name used in events (`event.source`), on the command line and in the config.
    pub fn name(self) -> &'static str {
        match self {
            SourceType::AwsCloudTrail => "aws-cloudtrail",
            SourceType::AwsVpcFlow => "aws-vpcflow",
            SourceType::GcpAudit => "gcp-audit",
            SourceType::AzureActivity => "azure-activity",
            SourceType::AzureAudit => "azure-audit",
            SourceType::K8sAudit => "k8s-audit",
            SourceType::Falco => "falco",
        }
    }

    /// The source of this name.
    ///
    /// # Errors
    /// The name is none of [`SourceType::ALL`]; the message lists them.
    pub fn parse(name: &str) -> Result<Self, String> {
        SourceType::ALL.into_iter().find(|s| s.name() == name).ok_or_else(|| {
            let names: Vec<&str> = SourceType::ALL.iter().map(|s| s.name()).collect();
            format!("unknown source type {name:?}; expected one of {}", names.join(", "))
        })
    }

    fn recognizes(self, keys: &TopKeys) -> bool {
        match self {
            SourceType::AwsCloudTrail => cloudtrail::recognizes(keys),
            SourceType::AwsVpcFlow => vpcflow::recognizes(keys),
            SourceType::GcpAudit => gcp::recognizes(keys),
            SourceType::AzureActivity => azure::recognizes_activity(keys),
            SourceType::AzureAudit => azure::recognizes_audit(keys),
            SourceType::K8sAudit => k8s::recognizes(keys),
            SourceType::Falco => falco::recognizes(keys),
        }
    }

    fn read(self, json: &str) -> Result<Read, String> {
        match self {
            SourceType::AwsCloudTrail => cloudtrail::read(json),
            SourceType::AwsVpcFlow => vpcflow::read(json),
            SourceType::GcpAudit => gcp::read(json),
            SourceType::AzureActivity => azure::read_activity(json),
            SourceType::AzureAudit => azure::read_audit(json),
            SourceType::K8sAudit => k8s::read(json),
            SourceType::Falco => falco::read(json),
        }
    }
}

impl fmt::Display for SourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What one source's reader made of a record.
// An event is what nearly every record becomes; boxing it would cost an allocation each.
#[allow(clippy::large_enum_variant)]
pub enum Read {
    Event {
        event: Event,
        /// The record had no time; the engine gives it the stream's.
        time_missing: bool,
    },
    /// A record of the source that is not an event, and what it is instead.
    Skip(&'static str),
}

/// What a record normalized to.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // as for `Read`
pub enum Normalized {
    Event(Record),
    /// Recognised, and not an event: counted by reason, never as malformed.
    Skipped {
        origin: Origin,
        reason: &'static str,
    },
}

/// Maps one raw record onto the event model; `forced` skips recognition.
///
/// # Errors
/// A [`Malformed`] naming the missing or mistyped field, or saying why the text is not JSON
/// or of no known source.
pub fn normalize(raw: RawRecord, forced: Option<SourceType>) -> Result<Normalized, Malformed> {
    match read_unwrapping(&raw.text, forced) {
        Ok((Read::Event { event, time_missing }, inner)) => {
            let raw_text = inner.map_or(raw.text, Arc::from);
            Ok(Normalized::Event(Record { origin: raw.origin, event, raw: raw_text, time_missing }))
        }
        Ok((Read::Skip(reason), _)) => Ok(Normalized::Skipped { origin: raw.origin, reason }),
        Err(reason) => Err(Malformed { origin: raw.origin, reason }),
    }
}

impl Normalized {
    /// The record, when it is an event.
    pub fn into_record(self) -> Option<Record> {
        match self {
            Normalized::Event(record) => Some(record),
            Normalized::Skipped { .. } => None,
        }
    }
}

/// The event of one record given as JSON text, of whatever source it is; a record that is
/// not an event is an error saying what it is, and a record without a time gets the wall
/// clock's.
///
/// # Errors
/// As for [`normalize`].
pub fn event(json: &str) -> Result<Event, String> {
    match read(json, None)? {
        Read::Event { mut event, time_missing } => {
            if time_missing {
                event.time = now_millis();
            }
            Ok(event)
        }
        Read::Skip(reason) => Err(format!("not an event: {reason}")),
    }
}

fn now_millis() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// The event for one record given as JSON text, or why there is none.
///
/// # Errors
/// As for [`normalize`].
pub fn read(json: &str, forced: Option<SourceType>) -> Result<Read, String> {
    read_unwrapping(json, forced).map(|(read, _)| read)
}

/// As [`read`], with the text of the record read when it was wrapped in another.
fn read_unwrapping(json: &str, forced: Option<SourceType>) -> Result<(Read, Option<String>), String> {
    let direct = read_record(json, forced);
    if !matches!(&direct, Err(reason) if reason.starts_with(NOT_A)) {
        return direct.map(|read| (read, None));
    }
    let Some(wrapped) = logs::unwrapped(json) else { return direct.map(|read| (read, None)) };
    let (inner, time, cluster) = match wrapped? {
        logs::Wrapped::Skip(reason) => return Ok((Read::Skip(reason), None)),
        logs::Wrapped::Record { text, time, cluster } => (text, time, cluster),
    };
    // One level only: a message is never unwrapped again.
    let read = match read_record(&inner, forced).map_err(|reason| format!("message: {reason}"))? {
        Read::Event { mut event, time_missing } => {
            if let Some(cluster) = cluster.filter(|_| event.account == k8s::UNKNOWN_CLUSTER) {
                if event.actor.account == k8s::UNKNOWN_CLUSTER {
                    event.actor.account.clone_from(&cluster);
                }
                event.account = cluster;
            }
            match time.filter(|_| time_missing) {
                Some(time) => Read::Event { event: Event { time, ..event }, time_missing: false },
                None => Read::Event { event, time_missing },
            }
        }
        skip @ Read::Skip(_) => skip,
    };
    Ok((read, Some(inner)))
}

/// The event for one record, read as it is.
fn read_record(json: &str, forced: Option<SourceType>) -> Result<Read, String> {
    if !json.trim_start().starts_with('{') {
        return Err(match serde_json::from_str::<serde_json::Value>(json) {
            Ok(value) => format!("expected a log record (a JSON object), found {}", json_kind(&value)),
            Err(e) => not_json(&e),
        });
    }
    if let Some(source) = forced {
        return source.read(json);
    }
    // The common case in one pass: a CloudTrail record names its event.
    let first = cloudtrail::read(json);
    if !is_not_a(&first) {
        return first;
    }
    let keys = TopKeys::of(json)?;
    let mut candidates = SourceType::ALL.into_iter().filter(|s| s.recognizes(&keys));
    match candidates.next() {
        Some(source) => {
            // Keys are a first guess where sources share them (Azure's activity log, Entra ID
            // and AKS's Kubernetes audit log all have `operationName` and `category`): a reader
            // that finds the record is not its source's says so, and the next source that
            // recognises the keys reads it. If none does, the first one's reason stands.
            let guess = source.read(json);
            if !is_not_a(&guess) {
                return guess;
            }
            candidates.map(|next| next.read(json)).find(|read| !is_not_a(read)).unwrap_or(guess)
        }
        // A CloudTrail record that lost a required key: say which.
        None if cloudtrail::resembles(&keys) => first,
        None => {
            Err(format!("not a record of any known source ({}); top-level keys: {keys}", known_sources()))
        }
    }
}

fn is_not_a(read: &Result<Read, String>) -> bool {
    matches!(read, Err(reason) if reason.starts_with(NOT_A))
}

fn known_sources() -> String {
    SourceType::ALL.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
}

/// The start of every error that says a record lacks a key its source requires: the record
/// may be of another source.
const NOT_A: &str = "not a";

/// A required string field, or an error naming it.
pub(crate) fn required_str<'a>(
    field: &'a Option<Loose<'_>>,
    key: &str,
    source: &str,
) -> Result<&'a str, String> {
    match field {
        None => Err(format!("{NOT_A} {source} record: no {key}")),
        Some(value) => {
            value.str().ok_or_else(|| format!("{key}: expected a non-empty string, found {}", value.kind()))
        }
    }
}

/// The top-level keys of a record, read without building any value: what recognition needs.
pub struct TopKeys(Vec<String>);

impl TopKeys {
    fn of(json: &str) -> Result<Self, String> {
        let mut de = serde_json::Deserializer::from_str(json);
        de.deserialize_map(KeysVisitor).map(TopKeys).map_err(|e| not_json(&e))
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.iter().any(|k| k == key)
    }

    /// Has the key in any case (exporters fold keys to lower case).
    pub fn has_folded(&self, key: &str) -> bool {
        self.0.iter().any(|k| k.eq_ignore_ascii_case(key))
    }
}

impl fmt::Display for TopKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 8;
        let shown: Vec<&str> = self.0.iter().take(SHOWN).map(String::as_str).collect();
        let more = self.0.len().saturating_sub(SHOWN);
        match (shown.is_empty(), more) {
            (true, _) => f.write_str("none"),
            (false, 0) => write!(f, "{}", shown.join(", ")),
            (false, more) => write!(f, "{}, and {more} more", shown.join(", ")),
        }
    }
}

struct KeysVisitor;

impl<'de> Visitor<'de> for KeysVisitor {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keys = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<IgnoredAny>()?;
            keys.push(key);
        }
        Ok(keys)
    }
}

/// A stable id for a record that has none: the same record always gets the same id, however
/// its keys are ordered or spaced (the digest is of its canonical form, keys sorted).
pub(crate) fn content_id(json: &str) -> String {
    let canonical =
        serde_json::from_str::<serde_json::Value>(json).map(|v| v.to_string()).unwrap_or_default();
    let digest = Sha256::digest(canonical.as_bytes());
    format!("sha256:{}", hex::encode(&digest[..16]))
}

/// serde_json appends "at line L column C"; the record's origin already says where.
pub(crate) fn not_json(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = text.rfind(" at line ").map_or(text.as_str(), |at| &text[..at]);
    format!("not JSON: {text}")
}
