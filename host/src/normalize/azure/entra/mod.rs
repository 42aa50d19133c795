//! Entra ID (Azure AD) sign-in and audit records → events of the identity category, with the
//! service `signinlogs` or `auditlogs` (the names Sigma's Azure log sources select by).
//!
//! - Sign-ins: the actor is the user (`userPrincipalName`, else `userId`) or, in service
//!   principal and managed identity sign-ins, the principal (`servicePrincipalId`); a sign-in
//!   failed when `status.errorCode` (else `resultType`) is a code other than 0, which becomes
//!   the error code, with `status.failureReason` as the message.
//! - Audits: the actor is who `initiatedBy` names (a user, else an application), the action
//!   `activityDisplayName`, the resources `targetResources`; `result` says the outcome.
//!
//! The time is `time`, else the resource's own (`createdDateTime`, `activityDateTime`); the
//! account is the tenant; the id is the resource's `id`, else one derived from the content.

mod shape;

use super::super::lenient::{owned, scalar_text, text, FoldedKeys, Loose};
use super::super::{content_id, not_json, time, verbs, Read, SourceType};
use super::{arm, described, family, Family};
use crate::event::{Actor, Category, Event, OcsfClass, Plane, ProviderIds, Resource};
use shape::{Envelope, Properties};

/// The event of one Entra ID record given as JSON text, or why there is none.
pub fn read(json: &str) -> Result<Read, String> {
    let FoldedKeys(record): shape::Record = serde_json::from_str(json).map_err(|e| not_json(&e))?;
    let properties = &record.properties.0;
    let operation = text(&record.operation_name);
    let family = family(
        text(&record.category),
        text(&record.resource_id),
        operation,
        properties.initiated_by.is_some(),
    );
    let own_time = match family {
        Family::SignIn => &properties.created_date_time,
        Family::DirectoryAudit => &properties.activity_date_time,
        other => return Err(format!("not an Entra ID record: it is {}", described(other))),
    };
    let time = time::with_fallbacks(&record.time, "time", &[own_time])?;
    let mut event = Event {
        id: owned(&properties.id).unwrap_or_else(|| content_id(json)),
        time: time.unwrap_or_default(),
        provider: "azure".into(),
        source: SourceType::AzureAudit.name().into(),
        plane: Plane::Cloud,
        class: OcsfClass::ApiActivity,
        category: Category::Identity,
        account: text(&record.tenant_id)
            .or_else(|| text(&record.resource_id).and_then(arm::tenant))
            .unwrap_or("unknown")
            .to_string(),
        user_agent: owned(&properties.user_agent),
        ids: ProviderIds {
            request: owned(&properties.original_request_id),
            correlation: owned(&record.correlation_id).or_else(|| owned(&properties.correlation_id)),
        },
        ..Event::default()
    };
    if family == Family::SignIn {
        sign_in(&record, &mut event);
    } else {
        audit(&record, &mut event)?;
    }
    Ok(Read::Event { event, time_missing: time.is_none() })
}

fn sign_in(record: &Envelope<'_>, event: &mut Event) {
    let properties = &record.properties.0;
    let category = text(&record.category).unwrap_or_default().to_ascii_lowercase();
    let principal_kind = if category.starts_with("managedidentity") {
        Some("ManagedIdentity")
    } else if category.starts_with("serviceprincipal") || properties.user_principal_name.is_none() {
        text(&properties.service_principal_id).map(|_| "ServicePrincipal")
    } else {
        None
    };
    let tenant = owned(&properties.home_tenant_id).unwrap_or_else(|| event.account.clone());
    event.actor = match principal_kind {
        Some(kind) => Actor {
            id: text(&properties.service_principal_id)
                .or_else(|| text(&properties.app_id))
                .unwrap_or("unknown")
                .into(),
            kind: kind.into(),
            name: owned(&properties.service_principal_name),
            account: tenant,
            ..Actor::default()
        },
        None => {
            let id = text(&properties.user_principal_name).or_else(|| text(&properties.user_id));
            Actor {
                kind: if id.is_some() { "User" } else { "Unknown" }.into(),
                id: id.unwrap_or("unknown").into(),
                name: owned(&properties.user_display_name).or_else(|| owned(&record.identity)),
                account: tenant,
                ..Actor::default()
            }
        }
    };
    let status = &properties.status.0;
    let failure = failure_code(status.error_code.as_ref().or(record.result_type.as_ref()));
    event.success = failure.is_none();
    if let Some(code) = failure {
        event.error_code = code;
        event.error_message = owned(&status.failure_reason).or_else(|| owned(&record.result_description));
    }
    event.service = "signinlogs".into();
    event.action = text(&record.operation_name).unwrap_or("Sign-in activity").to_string();
    event.source_ip = owned(&properties.ip_address).or_else(|| owned(&record.caller_ip_address));
    event.region = owned(&record.location)
        .or_else(|| owned(&properties.location.0.country_or_region))
        .unwrap_or_default();
    event.resources = owned(&properties.app_id)
        .map(|id| Resource { kind: "Application".into(), id, account: None })
        .into_iter()
        .collect();
}

/// A sign-in's failure: `Some` with its code (when it has one) if it failed, `None` if it
/// succeeded. Codes are numbers (`50053`), also written as text; some exports write
/// `Success`/`Failure` instead.
fn failure_code(code: Option<&Loose<'_>>) -> Option<Option<String>> {
    match code? {
        Loose::Number(n) if *n == 0.0 => None,
        number @ Loose::Number(_) => Some(Some(number.to_string())),
        Loose::Str(text) => {
            let text = text.trim();
            if text.bytes().all(|b| b.is_ascii_digit()) {
                (!text.trim_start_matches('0').is_empty()).then(|| Some(text.to_string()))
            } else {
                is_failure(text).then_some(None)
            }
        }
        _ => None,
    }
}

fn is_failure(result: &str) -> bool {
    ["failure", "failed", "timeout"].iter().any(|word| result.eq_ignore_ascii_case(word))
}

fn audit(record: &Envelope<'_>, event: &mut Event) -> Result<(), String> {
    let properties = &record.properties.0;
    let action = text(&properties.activity_display_name)
        .or_else(|| text(&record.operation_name))
        .ok_or("not an Entra ID audit record: no properties.activityDisplayName or operationName")?;
    event.actor = initiator(record, &event.account);
    let result = text(&properties.result).or_else(|| text(&record.result));
    event.success = !result.is_some_and(is_failure);
    if !event.success {
        event.error_code = result.map(str::to_string);
        event.error_message = owned(&properties.result_reason).or_else(|| owned(&record.result_description));
    }
    event.service = "auditlogs".into();
    event.action = action.to_string();
    event.read_only = action.split_whitespace().next().is_some_and(verbs::reads_only);
    event.management = true;
    let user = properties.initiated_by.as_ref().map(|by| &by.0.user.0);
    event.source_ip = user
        .and_then(|user| owned(&user.ip_address))
        .or_else(|| owned(&record.caller_ip_address))
        .or_else(|| owned(&properties.ip_address));
    event.resources = targets(properties);
    Ok(())
}

/// Who `initiatedBy` names: a user, else an application, else the envelope's `identity`.
fn initiator(record: &Envelope<'_>, tenant: &str) -> Actor {
    let properties = &record.properties.0;
    let by = properties.initiated_by.as_ref().map(|by| &by.0);
    let user = by.map(|by| &by.user.0);
    let app = by.map(|by| &by.app.0);
    let user_id = user.and_then(|u| text(&u.user_principal_name).or_else(|| text(&u.id)));
    let app_id = app.and_then(|a| {
        text(&a.app_id).or_else(|| text(&a.service_principal_id)).or_else(|| text(&a.display_name))
    });
    let (id, kind, name) = match (user_id, app_id) {
        (Some(id), _) => (id, "User", user.and_then(|u| owned(&u.display_name))),
        (None, Some(id)) => (id, "ServicePrincipal", app.and_then(|a| owned(&a.display_name))),
        (None, None) => match text(&record.identity) {
            Some(name) => (name, "Unknown", Some(name.to_string())),
            None => ("unknown", "Unknown", None),
        },
    };
    Actor { id: id.into(), kind: kind.into(), name, account: tenant.into(), ..Actor::default() }
}

fn targets(properties: &Properties<'_>) -> Vec<Resource> {
    properties
        .target_resources
        .0
        .iter()
        .filter_map(|target| {
            let id = scalar_text(&target.id)
                .or_else(|| owned(&target.user_principal_name))
                .or_else(|| owned(&target.display_name))?;
            Some(Resource { kind: owned(&target.kind).unwrap_or_default(), id, account: None })
        })
        .collect()
}
