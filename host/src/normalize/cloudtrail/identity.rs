//! `userIdentity` → [`Actor`], for every identity type CloudTrail writes: Root, IAMUser,
//! AssumedRole, FederatedUser, AWSService, AWSAccount, IdentityCenterUser, SAMLUser,
//! WebIdentityUser and Unknown (and records without a `userIdentity` at all).

pub use trailhound_sdk::aws::arn_account;

use super::shape::CloudTrail;
use crate::event::Actor;
use crate::normalize::lenient::{owned, text};

/// The actor of a record. `record` is the whole record (for `additionalEventData.MFAUsed` and
/// the recipient account, used when the identity names no account).
pub fn actor(record: &CloudTrail<'_>) -> Actor {
    let identity = &record.user_identity.0;
    let context = &identity.session_context.0;
    let issuer = &context.session_issuer.0;
    let kind = owned(&identity.kind).unwrap_or_else(|| "Unknown".into());
    let arn = text(&identity.arn);
    let invoked_by = owned(&identity.invoked_by);

    let id = arn
        .or_else(|| text(&identity.principal_id))
        .or(invoked_by.as_deref())
        .or_else(|| text(&identity.on_behalf_of.0.user_id))
        .or_else(|| text(&identity.user_name))
        .map(str::to_string)
        .or_else(|| {
            text(&identity.account_id).map(|a| format!("arn:aws:iam::{a}:root")).filter(|_| kind == "Root")
        })
        .unwrap_or_else(|| "unknown".into());

    let account = owned(&identity.account_id)
        .or_else(|| arn.and_then(arn_account).map(str::to_string))
        .or_else(|| owned(&record.recipient_account_id))
        .unwrap_or_default();

    let name = owned(&identity.user_name)
        .or_else(|| owned(&issuer.user_name))
        .or_else(|| (kind == "Root").then(|| "root".to_string()))
        .or_else(|| invoked_by.clone());

    let mfa = context.attributes.0.mfa_authenticated.as_ref().and_then(|v| v.bool()).unwrap_or(false)
        || text(&record.additional_event_data.0.mfa_used).is_some_and(|v| v.eq_ignore_ascii_case("yes"));

    Actor {
        session_name: session_name(&kind, arn, text(&identity.principal_id)),
        session_issuer: owned(&issuer.arn),
        source_identity: owned(&context.source_identity).or_else(|| owned(&identity.source_identity)),
        mfa,
        access_key: owned(&identity.access_key_id),
        invoked_by,
        id,
        kind,
        account,
        name,
        delegation: Vec::new(),
    }
}

/// The session part of an assumed-role or federated-user identity:
/// `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION` → `SESSION`; without an ARN, the part of a
/// role principal id (`AROA...:SESSION`) after the colon.
fn session_name(kind: &str, arn: Option<&str>, principal_id: Option<&str>) -> Option<String> {
    let from_arn = arn.and_then(|arn| {
        let resource = arn.splitn(6, ':').nth(5)?;
        let rest =
            resource.strip_prefix("assumed-role/").or_else(|| resource.strip_prefix("federated-user/"))?;
        Some(rest.rsplit('/').next().unwrap_or(rest).to_string())
    });
    from_arn.or_else(|| {
        let session = (kind == "AssumedRole").then_some(principal_id?.split_once(':')?.1)?;
        Some(session.to_string())
    })
}
