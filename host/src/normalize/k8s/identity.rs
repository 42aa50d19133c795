//! `user` and `impersonatedUser` → [`Actor`]: the Kubernetes user name is the principal, its
//! kind follows from the name's reserved prefixes, and on EKS the IAM principal the
//! authenticator mapped to it (`user.extra`) gives the AWS account, access key and session,
//! so one actor can be followed from IAM into the cluster.

use super::shape::{Audit, UserInfo};
use crate::event::Actor;
use crate::normalize::arn_account;
use crate::normalize::lenient::{owned, text};

/// The actor of an audit event: the impersonated user when there is one, acting for the
/// user that authenticated (`delegation`).
pub fn actor(audit: &Audit<'_>) -> Actor {
    let user = &audit.user.0;
    let impersonated = &audit.impersonated_user.0;
    match text(&impersonated.username) {
        Some(_) => {
            let mut actor = of(impersonated);
            actor.delegation = owned(&user.username).into_iter().collect();
            actor
        }
        None => of(user),
    }
}

fn of(user: &UserInfo<'_>) -> Actor {
    let Some(username) = text(&user.username) else {
        return Actor { id: "unknown".into(), kind: "Unknown".into(), ..Actor::default() };
    };
    let extra = &user.extra.0;
    let arn = extra.arn.first();
    let name = match username.strip_prefix(SERVICE_ACCOUNT) {
        Some(namespaced) => namespaced.split_once(':').map_or(namespaced, |(_, name)| name),
        None => username.strip_prefix(NODE).unwrap_or(username),
    };
    Actor {
        id: username.to_string(),
        kind: principal_kind(username).into(),
        account: arn.and_then(arn_account).unwrap_or_default().to_string(),
        name: Some(name.to_string()),
        access_key: extra.access_key_id.first().map(str::to_string),
        session_name: extra.session_name.first().map(str::to_string),
        session_issuer: extra.canonical_arn.first().map(str::to_string),
        ..Actor::default()
    }
}

const SERVICE_ACCOUNT: &str = "system:serviceaccount:";
const NODE: &str = "system:node:";

/// The kind of a Kubernetes user name: `ServiceAccount` (`system:serviceaccount:NS:NAME`),
/// `Node` (`system:node:NAME`), `Anonymous` (`system:anonymous`), else `User`.
pub fn principal_kind(username: &str) -> &'static str {
    if username.starts_with(SERVICE_ACCOUNT) {
        "ServiceAccount"
    } else if username.starts_with(NODE) {
        "Node"
    } else if username == "system:anonymous" {
        "Anonymous"
    } else {
        "User"
    }
}

#[cfg(test)]
mod tests {
    use super::principal_kind;

    #[test]
    fn kinds_by_reserved_prefix() {
        assert_eq!(principal_kind("system:serviceaccount:kube-system:coredns"), "ServiceAccount");
        assert_eq!(principal_kind("system:node:ip-10-0-0-1.ec2.internal"), "Node");
        assert_eq!(principal_kind("system:anonymous"), "Anonymous");
        assert_eq!(principal_kind("alice@example.com"), "User");
        assert_eq!(principal_kind("kubernetes-admin"), "User");
    }
}
