//! Who a role's trust policy lets assume it: any principal (`*`, or `NotPrincipal`), or
//! principals of an account other than the role's own and the trusted ones, allowed
//! `sts:AssumeRole` without a condition that asks for an external id or MFA.
//!
//! Service and federated principals are left out: a service assumes the role for a resource
//! of the account, and a federated principal is an identity provider the account set up.

use serde_json::{Map, Value};

use crate::policy::{self, pattern, Statement};

/// Condition keys that keep a `*` principal to known principals (the organization, an
/// account, a principal ARN): such a statement does not trust anyone at all.
const PRINCIPAL_RESTRICTING_KEYS: [&str; 4] =
    ["aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn"];

/// The unguarded trust of one policy.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Trust {
    /// Statements trusting any principal, by `Sid` or position.
    pub anyone: Vec<String>,
    /// Principals of foreign accounts, as written.
    pub foreign: Vec<String>,
}

/// The unguarded trust a decoded trust policy grants, for a role of `account`.
pub fn analyse(document: &Map<String, Value>, account: &str, trusted_accounts: &[String]) -> Trust {
    let mut trust = Trust::default();
    for (index, statement) in policy::statements(document).iter().enumerate() {
        if !statement.allow || !allows_assume_role(statement) || guarded(statement.condition) {
            continue;
        }
        let name = statement.sid.map_or_else(|| format!("statement {}", index + 1), |sid| format!("{sid:?}"));
        let restricted = statement.condition.is_some_and(|c| {
            c.values()
                .filter_map(Value::as_object)
                .flat_map(|keys| keys.keys())
                .any(|k| PRINCIPAL_RESTRICTING_KEYS.iter().any(|r| k.eq_ignore_ascii_case(r)))
        });
        for principal in aws_principals(statement) {
            if principal == "*" {
                if !restricted && !trust.anyone.contains(&name) {
                    trust.anyone.push(name.clone());
                }
                continue;
            }
            let owner = principal_account(principal);
            let foreign = owner.is_some_and(|a| a != account && !trusted_accounts.iter().any(|t| t == a));
            if foreign && !trust.foreign.iter().any(|p| p == principal) {
                trust.foreign.push(principal.to_string());
            }
        }
    }
    trust
}

fn allows_assume_role(statement: &Statement<'_>) -> bool {
    let assume = "sts:assumerole";
    statement.actions.iter().any(|p| pattern::matches(p, assume))
        || (statement.has_not_action() && !statement.not_actions.iter().any(|p| pattern::matches(p, assume)))
}

/// The AWS principals a statement trusts: `*` for `"Principal": "*"`, `{"AWS": "*"}` and any
/// `NotPrincipal` (every principal but some).
fn aws_principals<'a>(statement: &Statement<'a>) -> Vec<&'a str> {
    if statement.not_principal.is_some() {
        return vec!["*"];
    }
    match statement.principal {
        Some(Value::String(s)) if s == "*" => vec!["*"],
        Some(Value::Object(principal)) => policy::strings(policy::get(principal, "AWS")),
        _ => Vec::new(),
    }
}

/// The account of an AWS principal: a bare account id or the account field of its ARN.
fn principal_account(principal: &str) -> Option<&str> {
    let account =
        if principal.starts_with("arn:") { trailhound_sdk::aws::arn_account(principal)? } else { principal };
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// Whether a statement's condition asks for an external id or for MFA.
fn guarded(condition: Option<&Map<String, Value>>) -> bool {
    let Some(condition) = condition else { return false };
    condition.iter().any(|(operator, keys)| {
        let null_check = operator.to_ascii_lowercase().starts_with("null");
        keys.as_object().into_iter().flatten().any(|(key, value)| {
            let key = key.to_ascii_lowercase();
            let says = |wanted: &str| values(value).iter().any(|v| v.eq_ignore_ascii_case(wanted));
            match key.as_str() {
                // `Null: {sts:ExternalId: false}` asks for one; `true` asks for none.
                "sts:externalid" => !null_check || says("false"),
                "aws:multifactorauthpresent" => {
                    if null_check {
                        says("false")
                    } else {
                        says("true")
                    }
                }
                "aws:multifactorauthage" => !null_check || says("false"),
                _ => false,
            }
        })
    })
}

/// A condition value as text: a string, a boolean, a number, or a list of them.
fn values(value: &Value) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match value {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "111111111111";

    fn trust(json: &str) -> Trust {
        analyse(&policy::decode(json).unwrap(), OWN, &["333333333333".to_string()])
    }

    fn statement(principal: &str, condition: &str) -> String {
        format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"{condition}}}]}}"#
        )
    }

    #[test]
    fn anyone_and_foreign_accounts_are_found() {
        assert_eq!(trust(&statement(r#""*""#, "")).anyone, ["statement 1"]);
        assert_eq!(trust(&statement(r#"{"AWS":"*"}"#, "")).anyone, ["statement 1"]);
        let foreign = trust(&statement(
            r#"{"AWS":["arn:aws:iam::222222222222:root","111111111111","arn:aws:iam::333333333333:role/x","999999999999"]}"#,
            "",
        ));
        assert_eq!(foreign.foreign, ["arn:aws:iam::222222222222:root", "999999999999"]);
        assert!(foreign.anyone.is_empty());
    }

    #[test]
    fn external_id_mfa_and_principal_conditions_guard() {
        let external = r#","Condition":{"StringEquals":{"sts:ExternalId":"k-42"}}"#;
        let mfa = r#","Condition":{"Bool":{"aws:MultiFactorAuthPresent":true}}"#;
        let org = r#","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}"#;
        for condition in [external, mfa] {
            assert_eq!(trust(&statement(r#"{"AWS":"222222222222"}"#, condition)), Trust::default());
            assert_eq!(trust(&statement(r#""*""#, condition)), Trust::default());
        }
        assert_eq!(trust(&statement(r#""*""#, org)), Trust::default());
        let no_mfa = r#","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}"#;
        assert_eq!(trust(&statement(r#"{"AWS":"222222222222"}"#, no_mfa)).foreign, ["222222222222"]);
    }

    #[test]
    fn services_federation_and_other_actions_are_not_trust_in_accounts() {
        assert_eq!(trust(&statement(r#"{"Service":"lambda.amazonaws.com"}"#, "")), Trust::default());
        let federated = r#"{"Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity"}}"#;
        assert_eq!(trust(federated), Trust::default());
        let deny = r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}}"#;
        assert_eq!(trust(deny), Trust::default());
        let wildcard = r#"{"Statement":{"Sid":"Any","Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:*"}}"#;
        assert_eq!(trust(wildcard).anyone, ["\"Any\""]);
    }
}
