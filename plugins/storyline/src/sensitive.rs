//! How close a trail came to the resources the config calls sensitive: it *touched* one (an
//! event on it), *listed* its kind (a discovery call of the service that holds it), or acted
//! in the *same account* as one a pattern names.

use trailhound_sdk::Event;

/// The reaches, closest first; a trail keeps the closest it got to each resource.
pub const TOUCHED: &str = "touched";
pub const LISTED: &str = "listed";
pub const SAME_ACCOUNT: &str = "same account";

/// How close `reach` is: lower is closer.
pub fn rank(reach: &str) -> usize {
    [TOUCHED, LISTED, SAME_ACCOUNT].iter().position(|r| *r == reach).unwrap_or(usize::MAX)
}

/// `text` matches `pattern`, where `*` matches any run of characters (case-sensitive, as
/// ARNs and resource kinds are).
pub fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The AWS service a pattern names (`arn:aws:rds:*` and `AWS::RDS::*` → `rds`), whose
/// discovery calls list it.
fn service(pattern: &str) -> Option<String> {
    let service = match pattern.strip_prefix("arn:aws:") {
        Some(rest) => rest.split(':').next(),
        None => pattern.strip_prefix("AWS::").and_then(|rest| rest.split("::").next()),
    }?;
    (!service.is_empty() && !service.contains('*')).then(|| service.to_ascii_lowercase())
}

/// The account an ARN pattern names, when it names one.
fn account(pattern: &str) -> Option<&str> {
    let account = pattern.strip_prefix("arn:")?.split(':').nth(3)?;
    (!account.is_empty() && !account.contains('*')).then_some(account)
}

/// The sensitive resources `event` comes near, as (resource or pattern, reach).
pub fn near(event: &Event, patterns: &[String], discovery: bool) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for pattern in patterns {
        let touched = event.resources().find(|r| {
            let name = r.id().rsplit([':', '/']).next().unwrap_or_default();
            glob(pattern, r.id()) || glob(pattern, r.kind()) || glob(pattern, name)
        });
        if let Some(resource) = touched {
            out.push((resource.id().to_string(), TOUCHED));
            continue;
        }
        let endpoint = event.service().split('.').next().unwrap_or_default();
        if discovery && service(pattern).is_some_and(|s| s == endpoint) {
            out.push((pattern.clone(), LISTED));
        } else if account(pattern).is_some_and(|a| a == event.account()) {
            out.push((pattern.clone(), SAME_ACCOUNT));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_runs_of_characters() {
        assert!(glob("arn:aws:rds:*", "arn:aws:rds:us-east-1:1:snapshot:s"));
        assert!(glob("AWS::RDS::*", "AWS::RDS::DBSnapshot"));
        assert!(glob("crown-*-data", "crown-jewels-data"));
        assert!(glob("exact", "exact") && !glob("exact", "exactly"));
        assert!(!glob("arn:aws:rds:*", "arn:aws:s3:::b"));
        assert!(!glob("a*b*c", "acb"));
    }

    #[test]
    fn patterns_name_their_service_and_account() {
        assert_eq!(service("arn:aws:rds:*").as_deref(), Some("rds"));
        assert_eq!(service("AWS::RDS::DBSnapshot").as_deref(), Some("rds"));
        assert_eq!(service("crown-jewels"), None);
        assert_eq!(account("arn:aws:rds:us-east-1:111122223333:db:*"), Some("111122223333"));
        assert_eq!(account("arn:aws:rds:*"), None);
        assert_eq!([TOUCHED, LISTED, SAME_ACCOUNT].map(rank), [0, 1, 2]);
    }
}
