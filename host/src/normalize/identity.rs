//! `userIdentity` → [`Actor`], for every identity type CloudTrail writes: Root, IAMUser,
//! AssumedRole, FederatedUser, AWSService, AWSAccount, IdentityCenterUser, SAMLUser,
//! WebIdentityUser and Unknown (and records without a `userIdentity` at all).

use trailhound_sdk::Actor;

use super::lookup::Fields;

/// The actor of a record. `record` is the whole record (for `additionalEventData.MFAUsed` and
/// the recipient account, used when the identity names no account).
pub fn actor(record: Fields<'_>) -> Actor {
    let identity = record.object("userIdentity");
    let context = identity.object("sessionContext");
    let issuer = context.object("sessionIssuer");
    let kind = identity.string("type").unwrap_or_else(|| "Unknown".into());
    let arn = identity.str("arn");
    let invoked_by = identity.string("invokedBy");

    let id = arn
        .or_else(|| identity.str("principalId"))
        .or(invoked_by.as_deref())
        .or_else(|| identity.object("onBehalfOf").str("userId"))
        .or_else(|| identity.str("userName"))
        .map(str::to_string)
        .or_else(|| {
            identity.str("accountId").map(|a| format!("arn:aws:iam::{a}:root")).filter(|_| kind == "Root")
        })
        .unwrap_or_else(|| "unknown".into());

    let account = identity
        .string("accountId")
        .or_else(|| arn.and_then(arn_account).map(str::to_string))
        .or_else(|| record.string("recipientAccountId"))
        .unwrap_or_default();

    let name = identity
        .string("userName")
        .or_else(|| issuer.string("userName"))
        .or_else(|| (kind == "Root").then(|| "root".to_string()))
        .or_else(|| invoked_by.clone());

    Actor {
        session_name: session_name(&kind, arn, identity.str("principalId")),
        session_issuer: issuer.string("arn"),
        source_identity: context.string("sourceIdentity").or_else(|| identity.string("sourceIdentity")),
        mfa: mfa(record, context),
        access_key: identity.string("accessKeyId"),
        invoked_by,
        id,
        kind,
        account,
        name,
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

fn mfa(record: Fields<'_>, context: Fields<'_>) -> bool {
    context.object("attributes").bool("mfaAuthenticated").unwrap_or(false)
        || record.object("additionalEventData").str("MFAUsed").is_some_and(|v| v.eq_ignore_ascii_case("yes"))
}

/// The account field of an ARN (`arn:partition:service:region:ACCOUNT:resource`).
pub fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}
