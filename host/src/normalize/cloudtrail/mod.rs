//! AWS CloudTrail: a management, data or network-activity event record, as delivered to S3
//! (`{"Records":[...]}`), exported as JSON lines, or read from CloudTrail Lake.
//!
//! A record must say what happened (`eventSource` and `eventName`); everything else CloudTrail
//! always writes but trimmed or exported copies may lack is filled from the next best source,
//! so that a detector always has an id, a time, an actor and an account:
//! - `eventID` missing: a stable id derived from the record's content (`sha256:<hex>`);
//! - `eventTime` missing or `null`: marked so, and given the stream's time by the engine;
//! - `recipientAccountId` missing: the actor's account, else a resource's account;
//! - `userIdentity` missing: an actor of kind `Unknown` with id `unknown`.
//!
//! CloudTrail Insights events (statistical summaries of a call rate, not calls) and the
//! digest files CloudTrail writes beside its logs are recognised and skipped with a reason.
//! Keys written in lower case by exporters (`eventname`) are accepted too ([`fold`]).

mod catalog;
mod fold;
mod identity;
mod resources;
mod shape;

use serde::Deserialize;

use super::lenient::{owned, text, Loose};
use super::{content_id, not_json, required_str, time, Read};
use crate::event::{AccessLevel, Event, OcsfClass, Plane, ProviderIds};
use shape::CloudTrail;

pub use catalog::category;
pub use identity::arn_account;

/// Whether a record's top-level keys are CloudTrail's.
pub fn recognizes(keys: &super::TopKeys) -> bool {
    (keys.has("eventSource") && keys.has("eventName"))
        || keys.has("digestStartTime")
        || (keys.has_folded("eventsource") && keys.has_folded("eventname"))
}

/// Whether a record that no source recognises has keys of a CloudTrail record, so that its
/// error should say which required key it lacks.
pub fn resembles(keys: &super::TopKeys) -> bool {
    ["eventSource", "eventName", "eventTime", "eventID", "userIdentity"].iter().any(|k| keys.has_folded(k))
}

/// The event of one CloudTrail record given as JSON text, or why there is none.
pub fn read(json: &str) -> Result<Read, String> {
    let record: CloudTrail = serde_json::from_str(json).map_err(|e| not_json(&e))?;
    if record.event_name.is_none() {
        if record.digest_start_time.is_some() {
            return Ok(Read::Skip("a CloudTrail digest file (log-file hashes, not an event)"));
        }
        if let Some(value) = fold::unfolded(json) {
            let record = CloudTrail::deserialize(&value).map_err(|e| not_json(&e))?;
            return event(&record, json);
        }
    }
    event(&record, json)
}

fn event(record: &CloudTrail<'_>, json: &str) -> Result<Read, String> {
    if text(&record.event_category) == Some("Insight") || record.insight_details.is_some() {
        return Ok(Read::Skip("a CloudTrail Insights event (a summary of a call rate, not a call)"));
    }
    let service = required_str(&record.event_source, "eventSource", "CloudTrail")?;
    let action = required_str(&record.event_name, "eventName", "CloudTrail")?;
    let time = time::optional(&record.event_time, "eventTime")?;
    let actor = identity::actor(record);
    let resources = resources::resources(record);
    let account = owned(&record.recipient_account_id)
        .or_else(|| Some(actor.account.clone()).filter(|a| !a.is_empty()))
        .or_else(|| resources.iter().find_map(|r| r.account.clone()))
        .unwrap_or_else(|| "unknown".into());
    let error_code = owned(&record.error_code);
    let event = Event {
        id: owned(&record.event_id).unwrap_or_else(|| content_id(json)),
        time: time.unwrap_or_default(),
        provider: "aws".into(),
        source: super::SourceType::AwsCloudTrail.name().into(),
        plane: Plane::Cloud,
        class: OcsfClass::ApiActivity,
        category: catalog::category(service),
        success: error_code.is_none() && !console_login_failed(record),
        error_message: owned(&record.error_message),
        error_code,
        // A record without `readOnly` (trimmed or exported) is read-only when its action's
        // access level is; the level itself is enrichment's to fill.
        read_only: flag(&record.read_only).unwrap_or_else(|| {
            crate::enrich::lookup("aws", service, action).access_level.is_some_and(AccessLevel::is_read_only)
        }),
        management: flag(&record.management_event).unwrap_or(true),
        region: owned(&record.aws_region).unwrap_or_default(),
        source_ip: owned(&record.source_ip_address),
        user_agent: owned(&record.user_agent),
        service: service.to_string(),
        action: action.to_string(),
        account,
        actor,
        resources,
        ids: ProviderIds { request: owned(&record.request_id), correlation: owned(&record.shared_event_id) },
        ..Event::default()
    };
    Ok(Read::Event { event, time_missing: time.is_none() })
}

fn flag(field: &Option<Loose<'_>>) -> Option<bool> {
    field.as_ref()?.bool()
}

/// A failed console sign-in carries no `errorCode`; the outcome is in `responseElements`.
fn console_login_failed(record: &CloudTrail<'_>) -> bool {
    text(&record.response_elements.0.console_login) == Some("Failure")
}
