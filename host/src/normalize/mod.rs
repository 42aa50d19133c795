//! Normalize: map a raw CloudTrail record onto the event model ([`trailhound_sdk::Event`]).
//!
//! A record must say what happened (`eventSource` and `eventName`); everything else CloudTrail
//! always writes but trimmed or exported copies may lack is filled from the next best source,
//! so that a detector always has an id, a time, an actor and an account:
//! - `eventID` missing: a stable id derived from the record's content (`sha256:<hex>`);
//! - `eventTime` missing or `null`: marked so ([`Record::time_missing`]), and given the
//!   stream's time by the engine (a present but unreadable `eventTime`, or a number that is no
//!   time between years 1 and 9999, is an error: a wrong time would corrupt every time window
//!   downstream);
//! - `recipientAccountId` missing: the actor's account, else a resource's account;
//! - `userIdentity` missing: an actor of kind `Unknown` with id `unknown`.
//!
//! The record is read from its JSON text into [`shape`], which borrows what it needs and
//! skips the rest. Keys written in lower case by exporters (`eventname`) are accepted too.

mod catalog;
mod fold;
mod identity;
mod resources;
mod shape;
mod time;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use trailhound_sdk::Event;

use crate::record::{json_kind, Malformed, RawRecord, Record};
use shape::{owned, text, CloudTrail, Loose};

pub use catalog::{access_level, category};
pub use identity::arn_account;

/// Maps one raw record onto the event model.
///
/// # Errors
/// A [`Malformed`] naming the missing or mistyped field, or saying why the text is not JSON.
pub fn normalize(raw: RawRecord) -> Result<Record, Malformed> {
    match read(&raw.text) {
        Ok((event, time_missing)) => Ok(Record { origin: raw.origin, event, raw: raw.text, time_missing }),
        Err(reason) => Err(Malformed { origin: raw.origin, reason }),
    }
}

/// The event for one CloudTrail record given as JSON text, or why there is none. A record
/// without a time gets the wall clock's.
///
/// # Errors
/// The reason, naming the field.
pub fn cloudtrail(json: &str) -> Result<Event, String> {
    read(json).map(|(event, _)| event)
}

/// The event, and whether the record had no time.
fn read(json: &str) -> Result<(Event, bool), String> {
    if !json.trim_start().starts_with('{') {
        return Err(match serde_json::from_str::<serde_json::Value>(json) {
            Ok(value) => format!("expected a CloudTrail record (a JSON object), found {}", json_kind(&value)),
            Err(e) => not_json(&e),
        });
    }
    let record: CloudTrail = serde_json::from_str(json).map_err(|e| not_json(&e))?;
    if record.event_name.is_none() {
        if let Some(value) = fold::unfolded(json) {
            let record = CloudTrail::deserialize(&value).map_err(|e| not_json(&e))?;
            return event(&record, json);
        }
    }
    event(&record, json)
}

fn event(record: &CloudTrail<'_>, json: &str) -> Result<(Event, bool), String> {
    let service = required_str(&record.event_source, "eventSource")?;
    let action = required_str(&record.event_name, "eventName")?;
    let time = match &record.event_time {
        None => None,
        Some(t) => Some(
            time::parse_event_time(t).ok_or_else(|| format!("eventTime: cannot read {t} as a timestamp"))?,
        ),
    };
    let actor = identity::actor(record);
    let resources = resources::resources(record);
    let account = owned(&record.recipient_account_id)
        .or_else(|| Some(actor.account.clone()).filter(|a| !a.is_empty()))
        .or_else(|| resources.iter().find_map(|r| r.account.clone()))
        .unwrap_or_else(|| "unknown".into());
    let error_code = owned(&record.error_code);
    let access_level = catalog::access_level(action);
    let event = Event {
        id: owned(&record.event_id).unwrap_or_else(|| content_id(json)),
        time: time.unwrap_or_else(now_millis),
        provider: "aws".into(),
        source: "aws-cloudtrail".into(),
        category: catalog::category(service).into(),
        access_level: access_level.into(),
        success: error_code.is_none() && !console_login_failed(record),
        error_message: owned(&record.error_message),
        error_code,
        read_only: flag(&record.read_only).unwrap_or(matches!(access_level, "List" | "Read")),
        management: flag(&record.management_event).unwrap_or(true),
        region: owned(&record.aws_region).unwrap_or_default(),
        source_ip: owned(&record.source_ip_address),
        user_agent: owned(&record.user_agent),
        service: service.to_string(),
        action: action.to_string(),
        account,
        actor,
        resources,
        fields: Vec::new(),
        raw: None,
    };
    Ok((event, time.is_none()))
}

fn required_str<'a>(field: &'a Option<Loose<'_>>, key: &str) -> Result<&'a str, String> {
    match field {
        None => Err(format!("not a CloudTrail record: no {key}")),
        Some(value) => {
            value.str().ok_or_else(|| format!("{key}: expected a non-empty string, found {}", value.kind()))
        }
    }
}

fn flag(field: &Option<Loose<'_>>) -> Option<bool> {
    field.as_ref()?.bool()
}

/// A failed console sign-in carries no `errorCode`; the outcome is in `responseElements`.
fn console_login_failed(record: &CloudTrail<'_>) -> bool {
    text(&record.response_elements.0.console_login) == Some("Failure")
}

/// A stable id for a record that has none: the same record always gets the same id, however
/// its keys are ordered or spaced (the digest is of its canonical form, keys sorted).
fn content_id(json: &str) -> String {
    let canonical =
        serde_json::from_str::<serde_json::Value>(json).map(|v| v.to_string()).unwrap_or_default();
    let digest = Sha256::digest(canonical.as_bytes());
    format!("sha256:{}", hex::encode(&digest[..16]))
}

/// serde_json appends "at line L column C"; the record's origin already says where.
fn not_json(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = text.rfind(" at line ").map_or(text.as_str(), |at| &text[..at]);
    format!("not JSON: {text}")
}

fn now_millis() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    now.as_millis() as i64
}
