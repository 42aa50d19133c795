//! What an AWS permissions policy grants, by risk category: full-admin and service
//! wildcards, `Allow` with `NotAction`/`NotResource`, and the catalogue's privilege
//! escalation, resource exposure, data exfiltration and credentials exposure.
//!
//! As Cloudsplaining does, only what a statement allows on every resource of a kind counts
//! (`Resource: *`, `arn:aws:iam::*:role/*`): a permission scoped to named resources is what
//! least privilege looks like. Wildcard actions (`iam:Create*`, `iam:*`, `*`) and `NotAction`
//! are expanded against the catalogue's actions; what an unconditional `Deny` on `*` takes
//! away is not granted.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::catalogue::{self, Method};
use crate::policy::{self, pattern, Statement};

/// What one policy document grants that is risky. Empty lists mean nothing of that kind.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Grants {
    /// Statements allowing `*` on every resource, by their `Sid` or position.
    pub full_admin: Vec<String>,
    /// Services granted whole (`iam:*`), on every resource.
    pub service_wildcards: Vec<String>,
    /// Allow statements written with `NotAction` or `NotResource`, described.
    pub not_elements: Vec<String>,
    pub escalation: Vec<&'static Method>,
    pub exposure: Vec<&'static str>,
    pub exfiltration: Vec<&'static str>,
    pub credentials: Vec<&'static str>,
}

/// The risky grants of a decoded permissions policy.
pub fn analyse(document: &Map<String, Value>) -> Grants {
    let statements = policy::statements(document);
    let mut grants = Grants::default();
    let mut allowed: BTreeSet<&'static str> = BTreeSet::new();
    let known = catalogue::known_actions();
    for (index, statement) in statements.iter().enumerate().filter(|(_, s)| s.allow) {
        let name = statement.sid.map_or_else(|| format!("statement {}", index + 1), |sid| format!("{sid:?}"));
        if let Some(described) = not_elements(statement) {
            grants.not_elements.push(format!("{name}: {described}"));
        }
        let everywhere = !statement.not_resources.is_empty()
            || statement.resources.iter().any(|r| policy::unconstrained(r));
        if !everywhere {
            continue;
        }
        if statement.actions.iter().any(|a| *a == "*" || *a == "*:*") {
            grants.full_admin.push(name.clone());
        }
        for action in &statement.actions {
            if let Some(service) =
                action.strip_suffix(":*").filter(|s| !s.is_empty() && !s.contains(['*', '?']))
            {
                let service = service.to_ascii_lowercase();
                if !grants.service_wildcards.contains(&service) {
                    grants.service_wildcards.push(service);
                }
            }
        }
        allowed.extend(known.iter().copied().filter(|action| grants_action(statement, action)));
    }
    if !grants.full_admin.is_empty() {
        // Every category follows from a full admin grant; it is reported as that alone.
        return grants;
    }
    allowed.retain(|action| !denied_everywhere(&statements, action));
    grants.escalation =
        catalogue::ESCALATION.iter().filter(|m| m.actions.iter().all(|a| allowed.contains(a))).collect();
    let pick = |list: &[&'static str]| list.iter().copied().filter(|a| allowed.contains(a)).collect();
    grants.exposure = pick(catalogue::RESOURCE_EXPOSURE);
    grants.exfiltration = pick(catalogue::DATA_EXFILTRATION);
    grants.credentials = pick(catalogue::CREDENTIALS_EXPOSURE);
    grants
}

/// Whether a statement names `action`: by one of its `Action` patterns, or by leaving it out
/// of its `NotAction`.
fn grants_action(statement: &Statement<'_>, action: &str) -> bool {
    statement.actions.iter().any(|p| pattern::matches(p, action))
        || (statement.has_not_action() && !statement.not_actions.iter().any(|p| pattern::matches(p, action)))
}

/// Whether an unconditional `Deny` on every resource takes `action` away.
fn denied_everywhere(statements: &[Statement<'_>], action: &str) -> bool {
    statements.iter().any(|s| {
        !s.allow
            && s.condition.is_none()
            && s.not_resources.is_empty()
            && s.resources.contains(&"*")
            && grants_action(s, action)
    })
}

/// `NotAction [...]` / `NotResource [...]` of an Allow statement, if it has either.
fn not_elements(statement: &Statement<'_>) -> Option<String> {
    let mut parts = Vec::new();
    if statement.has_not_action() {
        parts.push(format!("NotAction {}", statement.not_actions.join(", ")));
    }
    if !statement.not_resources.is_empty() {
        parts.push(format!("NotResource {}", statement.not_resources.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(json: &str) -> Grants {
        analyse(&policy::decode(json).unwrap())
    }

    fn names(methods: &[&Method]) -> Vec<&'static str> {
        methods.iter().map(|m| m.name).collect()
    }

    #[test]
    fn full_admin_is_reported_alone() {
        let g = grants(r#"{"Statement":[{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"}]}"#);
        assert_eq!(g.full_admin, ["\"All\""]);
        assert!(g.escalation.is_empty() && g.credentials.is_empty());
        let scoped =
            grants(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::logs/*"}}"#);
        assert_eq!(scoped, Grants::default());
    }

    #[test]
    fn combinations_make_a_method_only_when_complete() {
        let g = grants(
            r#"{"Statement":[{"Effect":"Allow","Action":["iam:PassRole","lambda:CreateFunction"],"Resource":"*"},
                {"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:*:*:function:*"}]}"#,
        );
        assert_eq!(names(&g.escalation), ["PassExistingRoleToNewLambdaThenInvoke"]);
        let partial = grants(
            r#"{"Statement":{"Effect":"Allow","Action":["iam:PassRole","lambda:CreateFunction"],"Resource":"*"}}"#,
        );
        assert!(partial.escalation.is_empty());
    }

    #[test]
    fn wildcards_expand_case_insensitively() {
        let g = grants(r#"{"Statement":{"Effect":"Allow","Action":"IAM:create*","Resource":"*"}}"#);
        assert_eq!(names(&g.escalation), ["CreateAccessKey", "CreateLoginProfile", "CreateNewPolicyVersion"]);
        assert_eq!(
            g.credentials,
            ["iam:createaccesskey", "iam:createloginprofile", "iam:createservicespecificcredential"]
        );
        let service = grants(r#"{"Statement":{"Effect":"Allow","Action":["s3:*"],"Resource":"*"}}"#);
        assert_eq!(service.service_wildcards, ["s3"]);
        assert!(service.exposure.contains(&"s3:putbucketpolicy") && service.exfiltration == ["s3:getobject"]);
    }

    #[test]
    fn not_action_allows_the_rest_and_is_named() {
        let g = grants(
            r#"{"Statement":{"Sid":"AllButIam","Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#,
        );
        assert_eq!(g.not_elements, ["\"AllButIam\": NotAction iam:*"]);
        assert!(!names(&g.escalation).contains(&"CreateEC2WithExistingIP"), "no iam:PassRole");
        assert!(names(&g.escalation).contains(&"EditExistingLambdaFunctionWithRole"));
        assert!(!g.credentials.contains(&"iam:createaccesskey") && g.credentials.contains(&"sts:assumerole"));
        let not_resource = grants(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::secret/*"}}"#,
        );
        assert_eq!(not_resource.not_elements, ["statement 1: NotResource arn:aws:s3:::secret/*"]);
        assert_eq!(not_resource.exfiltration, ["s3:getobject"]);
    }

    #[test]
    fn an_unconditional_deny_takes_away() {
        let g = grants(
            r#"{"Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"},
                {"Effect":"Deny","Action":["iam:Create*","iam:Put*","iam:Attach*","iam:Update*","iam:Set*","iam:Add*"],"Resource":"*"}]}"#,
        );
        assert!(g.escalation.is_empty(), "{:?}", names(&g.escalation));
        assert_eq!(g.service_wildcards, ["iam"], "the grant is still written");
    }

    #[test]
    fn scoped_permissions_are_quiet() {
        let g = grants(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],
                "Resource":["arn:aws:s3:::acme-data-lake","arn:aws:s3:::acme-data-lake/*"]},
                {"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111111111111:role/app"},
                {"Effect":"Deny","NotAction":"iam:*","NotResource":"*"}]}"#,
        );
        assert_eq!(g, Grants::default());
    }
}
