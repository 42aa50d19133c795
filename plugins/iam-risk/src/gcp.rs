//! GCP `SetIamPolicy`, of any service: the bindings it adds, from the audit log's
//! `serviceData.policyDelta.bindingDeltas` (`action: ADD`), reported by category: primitive
//! roles, IAM-admin roles, service-account impersonation roles, public members (`allUsers`,
//! `allAuthenticatedUsers`) and members outside the configured domains.
//!
//! An entry without the delta (trimmed copies) is read from the policy the request set, for
//! public members only: there, which members are new is not known.

use serde::Deserialize;
use trailhound_sdk::{Event, Finding, Severity};

use crate::Config;

pub const BINDING_DELTAS: &str = "$.protoPayload.serviceData.policyDelta.bindingDeltas";
pub const REQUEST_BINDINGS: &str = "$.protoPayload.request.policy.bindings";

pub const FIELDS: [&str; 2] = [BINDING_DELTAS, REQUEST_BINDINGS];

/// The host sends only the actions a plugin names, compared exactly, so these are the
/// `methodName`s services write for setting an IAM policy (and the permission a trimmed
/// entry is named by); [`sets_iam_policy`] accepts any other that ends so.
pub const ACTIONS: [&str; 22] = [
    "SetIamPolicy",
    "google.iam.v1.IAMPolicy.SetIamPolicy",
    "google.iam.admin.v1.SetIAMPolicy",
    "google.iam.admin.v1.IAM.SetIamPolicy",
    "google.cloud.resourcemanager.v3.Projects.SetIamPolicy",
    "google.cloud.resourcemanager.v3.Folders.SetIamPolicy",
    "google.cloud.resourcemanager.v3.Organizations.SetIamPolicy",
    "google.cloud.secretmanager.v1.SecretManagerService.SetIamPolicy",
    "google.cloud.functions.v1.CloudFunctionsService.SetIamPolicy",
    "google.cloud.functions.v2.FunctionService.SetIamPolicy",
    "google.cloud.run.v1.Services.SetIamPolicy",
    "google.cloud.run.v2.Services.SetIamPolicy",
    "google.cloud.kms.v1.KeyManagementService.SetIamPolicy",
    "google.devtools.artifactregistry.v1.ArtifactRegistry.SetIamPolicy",
    "google.cloud.bigquery.v2.TableService.SetIamPolicy",
    "google.pubsub.v1.Publisher.SetIamPolicy",
    "storage.setIamPermissions",
    "storage.buckets.setIamPolicy",
    "resourcemanager.projects.setIamPolicy",
    "iam.serviceAccounts.setIamPolicy",
    "run.services.setIamPolicy",
    "cloudfunctions.functions.setIamPolicy",
];

pub const RULE_PRIMITIVE: &str = "gcp.iam.primitive-role-granted";
pub const RULE_IAM_ADMIN: &str = "gcp.iam.iam-admin-role-granted";
pub const RULE_IMPERSONATION: &str = "gcp.iam.impersonation-role-granted";
pub const RULE_PUBLIC: &str = "gcp.iam.public-member-granted";
pub const RULE_OUTSIDE_DOMAIN: &str = "gcp.iam.outside-domain-member-granted";

/// A role worth reporting whoever receives it, with why.
struct Role {
    name: &'static str,
    rule: &'static str,
    why: &'static str,
}

const ROLES: [Role; 15] = [
    Role { name: "roles/owner", rule: RULE_PRIMITIVE, why: "full control, IAM policy included" },
    Role {
        name: "roles/editor",
        rule: RULE_PRIMITIVE,
        why: "changes almost every resource and acts as the project's service accounts",
    },
    Role {
        name: "roles/resourcemanager.projectIamAdmin",
        rule: RULE_IAM_ADMIN,
        why: "sets the project's IAM policy: grants any role, owner included",
    },
    Role {
        name: "roles/resourcemanager.folderIamAdmin",
        rule: RULE_IAM_ADMIN,
        why: "sets a folder's IAM policy, inherited by its projects",
    },
    Role {
        name: "roles/resourcemanager.folderAdmin",
        rule: RULE_IAM_ADMIN,
        why: "administers folders, their IAM policies included",
    },
    Role {
        name: "roles/resourcemanager.organizationAdmin",
        rule: RULE_IAM_ADMIN,
        why: "sets the organization's IAM policy, inherited everywhere",
    },
    Role {
        name: "roles/iam.securityAdmin",
        rule: RULE_IAM_ADMIN,
        why: "sets the IAM policy of the project and most of its resources",
    },
    Role {
        name: "roles/iam.roleAdmin",
        rule: RULE_IAM_ADMIN,
        why: "defines custom roles with any permission",
    },
    Role {
        name: "roles/iam.organizationRoleAdmin",
        rule: RULE_IAM_ADMIN,
        why: "defines the organization's custom roles",
    },
    Role {
        name: "roles/iam.serviceAccountAdmin",
        rule: RULE_IAM_ADMIN,
        why: "sets service accounts' IAM policies, so can grant itself their use",
    },
    Role {
        name: "roles/iam.serviceAccountTokenCreator",
        rule: RULE_IMPERSONATION,
        why: "mints access and ID tokens as the service accounts",
    },
    Role {
        name: "roles/iam.serviceAccountKeyAdmin",
        rule: RULE_IMPERSONATION,
        why: "creates long-lived keys for the service accounts",
    },
    Role {
        name: "roles/iam.serviceAccountUser",
        rule: RULE_IMPERSONATION,
        why: "runs workloads as the service accounts",
    },
    Role {
        name: "roles/iam.workloadIdentityUser",
        rule: RULE_IMPERSONATION,
        why: "impersonates the service accounts from workload identities",
    },
    Role {
        name: "roles/iam.serviceAccountOpenIdTokenCreator",
        rule: RULE_IMPERSONATION,
        why: "mints OpenID Connect tokens as the service accounts",
    },
];

/// Members that stand for everyone, signed in or not.
const PUBLIC_MEMBERS: [&str; 2] = ["allUsers", "allAuthenticatedUsers"];

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    action: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    member: String,
}

#[derive(Deserialize)]
struct Binding {
    #[serde(default)]
    role: String,
    #[serde(default)]
    members: Vec<String>,
}

/// One grant of a role to a member.
#[derive(Debug)]
struct Grant {
    role: String,
    member: String,
}

impl Grant {
    fn text(&self) -> String {
        format!("{} to {}", self.role, self.member)
    }
}

/// Whether a method (any service's) sets an IAM policy.
pub fn sets_iam_policy(method: &str) -> bool {
    let last = method.rsplit('.').next().unwrap_or(method);
    last.eq_ignore_ascii_case("SetIamPolicy") || last.eq_ignore_ascii_case("setIamPermissions")
}

/// The findings of one successful GCP audit entry.
pub fn evaluate(event: &Event, config: &Config) -> Vec<Finding> {
    if !sets_iam_policy(event.action()) {
        return Vec::new();
    }
    let read = match event.field(BINDING_DELTAS) {
        Some(text) => added(text).map(|grants| (grants, true)),
        None => match event.field(REQUEST_BINDINGS) {
            Some(text) => public_in_policy(text).map(|grants| (grants, false)),
            None => return Vec::new(),
        },
    };
    let (grants, from_delta) = match read {
        Ok(read) => read,
        Err((path, reason)) => {
            crate::unreadable(event, path, &reason);
            return Vec::new();
        }
    };
    if grants.is_empty() {
        return Vec::new();
    }
    let resource = event.resources().next().map(|r| r.id()).unwrap_or_else(|| event.account());
    let actor = event.actor().id();
    let mut out = Vec::new();
    for rule in [RULE_PRIMITIVE, RULE_IAM_ADMIN, RULE_IMPERSONATION] {
        let matched: Vec<(&Grant, &Role)> = grants
            .iter()
            .filter_map(|g| ROLES.iter().find(|r| r.rule == rule && r.name == g.role).map(|r| (g, r)))
            .collect();
        if matched.is_empty() {
            continue;
        }
        let owner = matched.iter().any(|(g, _)| g.role == "roles/owner");
        let listed: Vec<String> = matched.iter().map(|(g, _)| g.text()).collect();
        let why: Vec<String> = matched.iter().map(|(_, r)| format!("{}: {}", r.name, r.why)).collect();
        out.push(
            Finding::new(
                rule,
                format!("{} granted on {resource}", title(rule)),
                if owner { Severity::Critical } else { Severity::High },
            )
            .summary(format!("{actor} granted {} on {resource}.", listed.join(", ")))
            .technique("T1098.003")
            .evidence("granted", listed.join(", "))
            .evidence("why", why.join("; ")),
        );
    }
    let public: Vec<&Grant> = grants.iter().filter(|g| PUBLIC_MEMBERS.contains(&g.member.as_str())).collect();
    if !public.is_empty() {
        let listed: Vec<String> = public.iter().map(|g| g.text()).collect();
        let privileged = public.iter().any(|g| ROLES.iter().any(|r| r.name == g.role));
        let source = if from_delta { "added" } else { "in the policy set (the entry has no delta)" };
        out.push(
            Finding::new(
                RULE_PUBLIC,
                format!("{resource} opened to the public"),
                if privileged { Severity::Critical } else { Severity::High },
            )
            .summary(format!(
                "{actor} set an IAM policy on {resource} with public members {source}: {}.",
                listed.join(", ")
            ))
            .technique("T1098")
            .evidence("granted", listed.join(", ")),
        );
    }
    let outside: Vec<&Grant> =
        grants.iter().filter(|g| from_delta && outside_domains(&g.member, &config.trusted_domains)).collect();
    if !outside.is_empty() {
        let listed: Vec<String> = outside.iter().map(|g| g.text()).collect();
        out.push(
            Finding::new(
                RULE_OUTSIDE_DOMAIN,
                format!("Role on {resource} granted outside the trusted domains"),
                Severity::High,
            )
            .summary(format!(
                "{actor} granted {} on {resource}, to members of none of the domains {}.",
                listed.join(", "),
                config.trusted_domains.join(", ")
            ))
            .technique("T1098.003")
            .evidence("granted", listed.join(", ")),
        );
    }
    out
}

fn title(rule: &str) -> &'static str {
    match rule {
        RULE_PRIMITIVE => "Primitive role",
        RULE_IAM_ADMIN => "IAM admin role",
        _ => "Service account impersonation role",
    }
}

/// What could not be read: the field's path and why.
type Unreadable = (&'static str, String);

/// The grants a delta list adds.
fn added(text: &str) -> Result<Vec<Grant>, Unreadable> {
    let deltas: Vec<Delta> = serde_json::from_str(text)
        .map_err(|e| (BINDING_DELTAS, format!("not a list of binding deltas: {e}")))?;
    Ok(deltas
        .into_iter()
        .filter(|d| d.action.eq_ignore_ascii_case("ADD") && !d.member.is_empty())
        .map(|d| Grant { role: d.role, member: d.member })
        .collect())
}

/// The public grants of a whole policy's bindings.
fn public_in_policy(text: &str) -> Result<Vec<Grant>, Unreadable> {
    let bindings: Vec<Binding> =
        serde_json::from_str(text).map_err(|e| (REQUEST_BINDINGS, format!("not a list of bindings: {e}")))?;
    Ok(bindings
        .into_iter()
        .flat_map(|b| {
            let role = b.role;
            b.members
                .into_iter()
                .filter(|m| PUBLIC_MEMBERS.contains(&m.as_str()))
                .map(move |member| Grant { role: role.clone(), member })
        })
        .collect())
}

/// Whether a member is a person, group or domain of none of `trusted` (nor their
/// subdomains). Service accounts, public members and federated principals are judged by the
/// other rules; with no trusted domain configured, no member is outside.
fn outside_domains(member: &str, trusted: &[String]) -> bool {
    if trusted.is_empty() {
        return false;
    }
    let Some((kind, identity)) = member.split_once(':') else { return false };
    let domain = match kind {
        "user" | "group" => identity.rsplit_once('@').map(|(_, d)| d),
        "domain" => Some(identity),
        _ => None,
    };
    // An identity's `?uid=` suffix marks a deleted one; it is not a domain.
    let Some(domain) = domain.map(|d| d.split('?').next().unwrap_or(d)) else { return false };
    // Bytes, not characters: a domain is ASCII, and a hostile one must not split a character.
    let domain = domain.as_bytes();
    !trusted.iter().map(|t| t.as_bytes()).any(|t| {
        domain.eq_ignore_ascii_case(t)
            || domain.len() > t.len()
                && domain[domain.len() - t.len()..].eq_ignore_ascii_case(t)
                && domain[domain.len() - t.len() - 1] == b'.'
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_iam_policy_methods_of_any_service() {
        for m in ACTIONS {
            assert!(sets_iam_policy(m), "{m}");
        }
        assert!(sets_iam_policy("google.cloud.spanner.admin.database.v1.DatabaseAdmin.SetIamPolicy"));
        assert!(!sets_iam_policy("GetIamPolicy") && !sets_iam_policy("storage.getIamPermissions"));
    }

    #[test]
    fn domains_and_subdomains() {
        let trusted = ["acme.example".to_string()];
        assert!(!outside_domains("user:a@acme.example", &trusted));
        assert!(!outside_domains("group:eng@eu.ACME.example", &trusted));
        assert!(outside_domains("user:a@notacme.example", &trusted));
        assert!(outside_domains("domain:gmail.com", &trusted));
        assert!(!outside_domains("serviceAccount:x@p.iam.gserviceaccount.com", &trusted));
        assert!(!outside_domains("user:a@gmail.com", &[]));
        assert!(!outside_domains("deleted:user:a@acme.example?uid=1", &trusted));
        // A domain with characters of several bytes is compared without splitting one.
        assert!(outside_domains("user:a@\u{fc}", &["xample".to_string()]));
        assert!(outside_domains("user:a@\u{fc}\u{fc}acme.example", &["\u{fc}acme.example".to_string()]));
    }

    #[test]
    fn deltas_and_policies_that_are_not_lists_say_so() {
        assert!(added("{\"action\":\"ADD\"}").unwrap_err().1.starts_with("not a list of binding deltas"));
        assert_eq!(added("not json").unwrap_err().0, BINDING_DELTAS);
        assert_eq!(public_in_policy("[{\"role\":7}]").unwrap_err().0, REQUEST_BINDINGS);
        let deltas = r#"[{"action":"REMOVE","role":"roles/owner","member":"user:a@b.c"},{"action":"ADD","role":"roles/owner","member":"user:a@b.c"}]"#;
        assert_eq!(added(deltas).unwrap().len(), 1);
    }
}
