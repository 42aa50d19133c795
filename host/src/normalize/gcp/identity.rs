//! `authenticationInfo` → [`Actor`]: the principal that called, the key it signed with, and
//! the principals it acted for when it was impersonated (`serviceAccountDelegationInfo`).

use super::shape::{AuthenticationInfo, Delegation};
use crate::event::Actor;
use crate::normalize::lenient::{owned, text};

const SERVICE_ACCOUNT_DOMAIN: &str = ".gserviceaccount.com";

pub fn actor(info: &AuthenticationInfo<'_>) -> Actor {
    let id = text(&info.principal_email).or_else(|| text(&info.principal_subject));
    let kind = match id {
        None => "Unknown",
        Some(id) if id.ends_with(SERVICE_ACCOUNT_DOMAIN) => "ServiceAccount",
        Some(_) => "User",
    };
    Actor {
        account: id.and_then(service_account_project).unwrap_or_default().to_string(),
        id: id.unwrap_or("unknown").to_string(),
        kind: kind.into(),
        access_key: owned(&info.service_account_key_name),
        delegation: info.delegation.0.iter().filter_map(delegate).collect(),
        ..Actor::default()
    }
}

/// The principal of one delegation entry.
fn delegate(entry: &Delegation<'_>) -> Option<String> {
    let claims = &entry.third_party.0.claims.0;
    text(&entry.first_party.0.principal_email)
        .or_else(|| text(&entry.principal_subject))
        .or_else(|| text(&claims.email))
        .or_else(|| text(&claims.sub))
        .map(str::to_string)
}

/// The project that owns a service account, from its email:
/// `NAME@PROJECT.iam.gserviceaccount.com` and `PROJECT@appspot.gserviceaccount.com` name it;
/// `NUMBER-compute@developer.gserviceaccount.com` and Google's service agents
/// (`service-NUMBER@gcp-sa-….iam.gserviceaccount.com`) name its number.
fn service_account_project(email: &str) -> Option<&str> {
    let (local, domain) = email.split_once('@')?;
    let domain = domain.strip_suffix(SERVICE_ACCOUNT_DOMAIN)?;
    let number = local.strip_prefix("service-").or_else(|| local.strip_suffix("-compute"));
    if let Some(number) = number.filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
        return Some(number);
    }
    match domain {
        "appspot" => Some(local),
        // Google's own service agents live in Google's projects, not the caller's.
        _ => domain
            .strip_suffix(".iam")
            .filter(|project| !project.is_empty() && !project.starts_with("gcp-sa-")),
    }
}

#[cfg(test)]
mod tests {
    use super::service_account_project;

    #[test]
    fn the_project_of_a_service_account() {
        assert_eq!(service_account_project("deployer@prod-1.iam.gserviceaccount.com"), Some("prod-1"));
        assert_eq!(service_account_project("prod-1@appspot.gserviceaccount.com"), Some("prod-1"));
        assert_eq!(service_account_project("123456-compute@developer.gserviceaccount.com"), Some("123456"));
        assert_eq!(
            service_account_project("service-123456@gcp-sa-pubsub.iam.gserviceaccount.com"),
            Some("123456")
        );
        assert_eq!(service_account_project("alice@example.com"), None);
    }
}
