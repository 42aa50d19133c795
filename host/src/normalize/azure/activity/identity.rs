//! Who made an Activity Log call: `caller` (a user's UPN, or a service principal's id), the
//! claims of the token it called with (`claims`, or `identity.claims` in the storage export),
//! the role assignment that authorized it, or for a storage request the key, SAS or OAuth
//! principal it was signed with.

use super::shape::Activity;
use crate::event::Actor;
use crate::normalize::azure::values::{self, Claims};
use crate::normalize::lenient::{owned, text};

pub fn actor(record: &Activity<'_>) -> Actor {
    let identity = &record.identity.0;
    let claims = first_with_claims(&record.claims, &identity.claims);
    let evidence = &identity.authorization.0.evidence.0;
    let requester = &identity.requester.0;
    let app_id = claims.get(&values::APP_ID);
    let id = text(&record.caller)
        .or_else(|| claims.get(&values::UPN))
        .or_else(|| claims.get(&values::OBJECT_ID))
        .or(app_id)
        .or_else(|| text(&evidence.principal_id))
        .or_else(|| text(&requester.upn))
        .or_else(|| text(&requester.object_id))
        .or_else(|| text(&requester.app_id))
        .or_else(|| claims.get(&values::EMAIL))
        .or_else(|| claims.get(&values::NAME));
    let kind = match claims.get(&values::IDENTITY_TYPE) {
        Some(t) if t.eq_ignore_ascii_case("app") => Some("ServicePrincipal"),
        Some(t) if t.eq_ignore_ascii_case("user") => Some("User"),
        _ => None,
    };
    let kind = kind
        .or_else(|| text(&evidence.principal_type))
        .or_else(|| text(&identity.kind))
        .map(str::to_string)
        .unwrap_or_else(|| guessed_kind(id, app_id));
    let mfa = claims
        .get(&values::AUTH_METHODS)
        .is_some_and(|methods| methods.split(',').any(|m| m.trim() == "mfa"));
    Actor {
        id: id.unwrap_or("unknown").to_string(),
        kind,
        account: claims
            .get(&values::TENANT_ID)
            .or_else(|| text(&requester.tenant_id))
            .or_else(|| text(&record.tenant_id))
            .unwrap_or_default()
            .to_string(),
        name: claims.get(&values::NAME).map(str::to_string),
        access_key: owned(&identity.token_hash),
        mfa,
        ..Actor::default()
    }
}

/// The claims of the call: the REST form's `claims`, else the storage export's.
fn first_with_claims<'c, 'a>(top: &'c Claims<'a>, nested: &'c Claims<'a>) -> &'c Claims<'a> {
    if top.is_empty() {
        nested
    } else {
        top
    }
}

/// A kind for an actor the record does not type: a UPN names a user; a caller that is an
/// application's id, or a bare object id, is a service principal.
fn guessed_kind(id: Option<&str>, app_id: Option<&str>) -> String {
    match id {
        None => "Unknown",
        Some(id) if id.contains('@') => "User",
        Some(id) if Some(id) == app_id || is_guid(id) => "ServicePrincipal",
        Some(_) => "Unknown",
    }
    .into()
}

fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}
