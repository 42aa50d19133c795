//! Azure Activity Log records (and resource logs of the same common schema) → events.
//!
//! A record must name its operation (`operationName`, as a string or as
//! `{value, localizedValue}`); the rest is filled from the next best source:
//! - the time: `time`, else `eventTimestamp`; none: marked so, and given the stream's time;
//! - the account: the subscription of `resourceId`, else `subscriptionId`, else `tenantId`;
//! - the service: the resource provider (`Microsoft.Storage`) of the operation, else of the
//!   resource;
//! - the id: `eventDataId`, else `id`, else a stable id derived from the record's content.
//!
//! A call failed when its `resultType` or `status` says `Failure`/`Failed`, or when a
//! resource log's HTTP `statusCode` is 400 or more; the error code is the one in
//! `properties.statusMessage` when the record carries it, else `resultSignature`.

mod identity;
mod shape;

use super::super::lenient::{owned, scalar_text, text, FoldedKeys, Loose};
use super::super::{content_id, not_json, time, verbs, Read, SourceType};
use super::{arm, described, family, without_port, Family};
use crate::event::{Event, OcsfClass, Plane, ProviderIds, Resource};
use shape::{Activity, StatusMessage};

/// The event of one Activity Log record given as JSON text, or why there is none.
pub fn read(json: &str) -> Result<Read, String> {
    let FoldedKeys(record): shape::Record = serde_json::from_str(json).map_err(|e| not_json(&e))?;
    let action = match &record.operation_name.0 {
        None => return Err("not an Azure Activity Log record: no operationName".into()),
        Some(value) => value.str().ok_or_else(|| {
            format!(
                "operationName: expected a non-empty string or {{\"value\": ...}}, found {}",
                value.kind()
            )
        })?,
    };
    let resource_id = text(&record.resource_id);
    let properties = &record.properties.0;
    let family = family(record.category.text(), resource_id, Some(action), properties.initiated_by.is_some());
    if family != Family::Activity {
        return Err(format!("not an Azure Activity Log record: it is {}", described(family)));
    }
    let time = time::with_fallbacks(&record.time, "time", &[&record.event_timestamp])?;
    let category_name = record.category.text().unwrap_or_default();
    let provider = record
        .resource_provider_name
        .text()
        .or_else(|| arm::operation_provider(action))
        .or_else(|| resource_id.and_then(arm::resource_provider))
        // Storage accounts' resource logs name bare operations (`GetBlob`).
        .or_else(|| category_name.starts_with("Storage").then_some("Microsoft.Storage"))
        .map(arm::canonical)
        .unwrap_or_default();
    let account = resource_id
        .and_then(arm::subscription)
        .or_else(|| text(&record.subscription_id))
        .or_else(|| text(&record.tenant_id))
        .unwrap_or("unknown")
        .to_string();
    let (success, error_code, error_message) = outcome(&record);
    let verb = action.rsplit('/').next().unwrap_or(action);
    let event = Event {
        id: [&record.event_data_id, &record.id]
            .into_iter()
            .find_map(owned)
            .unwrap_or_else(|| content_id(json)),
        time: time.unwrap_or_default(),
        provider: "azure".into(),
        source: SourceType::AzureActivity.name().into(),
        plane: Plane::Cloud,
        class: OcsfClass::ApiActivity,
        category: arm::category(provider),
        service: provider.to_string(),
        action: action.to_string(),
        success,
        error_code,
        error_message,
        read_only: verbs::reads_only(verb),
        // Control-plane operations are named `Provider/type/verb`; resource logs of data reads
        // and writes (a storage account's `GetBlob`, a key vault's `SecretGet`) by bare names.
        management: arm::operation_provider(action).is_some(),
        region: owned(&record.location).unwrap_or_default(),
        actor: identity::actor(&record),
        source_ip: text(&record.caller_ip_address)
            .or_else(|| text(&record.http_request.0.client_ip_address))
            .or_else(|| record.claims.get(&super::values::IP_ADDRESS))
            .map(|address| without_port(address).to_string()),
        user_agent: owned(&properties.user_agent_header),
        resources: resources(resource_id, text(&properties.entity)),
        ids: ProviderIds {
            request: [&properties.service_request_id, &record.operation_id, &properties.client_request_id]
                .into_iter()
                .find_map(owned),
            correlation: owned(&record.correlation_id),
        },
        account,
        ..Event::default()
    };
    Ok(Read::Event { event, time_missing: time.is_none() })
}

/// Whether the call succeeded; its error code and message when not.
fn outcome(record: &Activity<'_>) -> (bool, Option<String>, Option<String>) {
    let result = text(&record.result_type).or_else(|| record.status.text());
    let failed_result =
        result.is_some_and(|r| r.eq_ignore_ascii_case("Failure") || r.eq_ignore_ascii_case("Failed"));
    let http_status = match &record.status_code {
        Some(Loose::Number(n)) => Some(*n),
        Some(Loose::Str(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let failed_request = http_status.is_some_and(|status| status >= 400.0);
    if !failed_result && !failed_request {
        return (true, None, None);
    }
    let properties = &record.properties.0;
    let status_message =
        text(&properties.status_message).and_then(|m| serde_json::from_str::<StatusMessage>(m).ok());
    let error = status_message.as_ref().map(|m| &m.error.0);
    let code = error
        .and_then(|e| owned(&e.code))
        .or_else(|| scalar_text(&record.result_signature))
        .or_else(|| record.sub_status.text().map(str::to_string))
        .or_else(|| owned(&record.status_text))
        .or_else(|| scalar_text(&properties.status_code))
        .or_else(|| scalar_text(&record.status_code));
    let message = error
        .and_then(|e| owned(&e.message))
        .or_else(|| owned(&record.result_description))
        .or_else(|| owned(&properties.status_message));
    (false, code, message)
}

/// The resource the call was on, and the one a policy event is about when it is another.
fn resources(resource_id: Option<&str>, entity: Option<&str>) -> Vec<Resource> {
    let mut out: Vec<Resource> = Vec::new();
    for id in [resource_id, entity].into_iter().flatten() {
        if out.iter().all(|r| !r.id.eq_ignore_ascii_case(id)) {
            let account = arm::subscription(id).map(str::to_string);
            out.push(Resource { kind: arm::resource_kind(id), id: id.to_string(), account });
        }
    }
    out
}
