//! Normalize: map a raw CloudTrail record onto the event model ([`trailhound_sdk::Event`]).
//!
//! A record must say what happened (`eventSource` and `eventName`); everything else CloudTrail
//! always writes but trimmed or exported copies may lack is filled from the next best source,
//! so that a detector always has an id, a time, an actor and an account:
//! - `eventID` missing: a stable id derived from the record's content (`sha256:<hex>`);
//! - `eventTime` missing: the time the record was read (a present but unreadable
//!   `eventTime` is an error: a wrong time would corrupt every time window downstream);
//! - `recipientAccountId` missing: the actor's account, else a resource's account;
//! - `userIdentity` missing: an actor of kind `Unknown` with id `unknown`.
//!
//! Keys written in lower case by exporters (`eventname`) are accepted too.

mod catalog;
mod identity;
mod lookup;
mod resources;
mod time;

use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};
use trailhound_sdk::Event;

use crate::record::{json_kind, Malformed, RawRecord, Record};
use lookup::Fields;

pub use catalog::{access_level, category};
pub use identity::arn_account;

/// Maps one raw record onto the event model.
///
/// # Errors
/// A [`Malformed`] naming the missing or mistyped field.
pub fn normalize(raw: RawRecord) -> Result<Record, Malformed> {
    match cloudtrail(&raw.value) {
        Ok(event) => Ok(Record { origin: raw.origin, event, raw: Arc::new(raw.value) }),
        Err(reason) => Err(Malformed { origin: raw.origin, reason }),
    }
}

/// The event for one CloudTrail record, or why there is none.
///
/// # Errors
/// The reason, naming the field.
pub fn cloudtrail(value: &Value) -> Result<Event, String> {
    if !value.is_object() {
        return Err(format!("expected a CloudTrail record (a JSON object), found {}", json_kind(value)));
    }
    let record = Fields::of_record(value, "eventName");
    let service = required_str(record, "eventSource")?;
    let action = required_str(record, "eventName")?;
    let time = match record.get("eventTime") {
        None => now_millis(),
        Some(t) => {
            time::parse_event_time(t).ok_or_else(|| format!("eventTime: cannot read {t} as a timestamp"))?
        }
    };
    let actor = identity::actor(record);
    let resources = resources::resources(record);
    let account = record
        .string("recipientAccountId")
        .or_else(|| Some(actor.account.clone()).filter(|a| !a.is_empty()))
        .or_else(|| resources.iter().find_map(|r| r.account.clone()))
        .unwrap_or_else(|| "unknown".into());
    let error_code = record.string("errorCode");
    let access_level = catalog::access_level(action);
    Ok(Event {
        id: record.string("eventID").unwrap_or_else(|| content_id(value)),
        time,
        provider: "aws".into(),
        source: "aws-cloudtrail".into(),
        category: catalog::category(service).into(),
        access_level: access_level.into(),
        success: error_code.is_none() && !console_login_failed(record),
        error_message: record.string("errorMessage"),
        error_code,
        read_only: record.bool("readOnly").unwrap_or(matches!(access_level, "List" | "Read")),
        management: record.bool("managementEvent").unwrap_or(true),
        region: record.string("awsRegion").unwrap_or_default(),
        source_ip: record.string("sourceIPAddress"),
        user_agent: record.string("userAgent"),
        service: service.to_string(),
        action: action.to_string(),
        account,
        actor,
        resources,
        fields: Vec::new(),
        raw: None,
    })
}

fn required_str<'a>(record: Fields<'a>, key: &str) -> Result<&'a str, String> {
    match record.get(key) {
        None => Err(format!("not a CloudTrail record: no {key}")),
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(other) => Err(format!("{key}: expected a non-empty string, found {}", json_kind(other))),
    }
}

/// A failed console sign-in carries no `errorCode`; the outcome is in `responseElements`.
fn console_login_failed(record: Fields<'_>) -> bool {
    record.object("responseElements").str("ConsoleLogin") == Some("Failure")
}

/// A stable id for a record that has none: the same record always gets the same id.
fn content_id(value: &Value) -> String {
    let digest = Sha256::digest(value.to_string().as_bytes());
    format!("sha256:{}", hex::encode(&digest[..16]))
}

fn now_millis() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    now.as_millis() as i64
}
