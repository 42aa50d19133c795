//! Azure role assignments (`Microsoft.Authorization/roleAssignments/write`) of the built-in
//! roles that give control of a scope: Owner, User Access Administrator, Role Based Access
//! Control Administrator and Contributor, known by their role definition ids, which are the
//! same in every tenant.
//!
//! The Activity Log writes an assignment twice: when it starts, with the request's body
//! (`properties.requestbody`, JSON text), and when it succeeds, with the response's
//! (`properties.responseBody`). The assignment is reported once, from the record of its
//! outcome, reading whichever body that record carries.
//!
//! A Global Administrator's `Microsoft.Authorization/elevateAccess/action` makes the caller
//! User Access Administrator of the root scope (`/`), every subscription of the tenant: it is
//! reported as that assignment.

use serde_json::Value;

// Keys in any case: requests write `Properties`, responses `properties`.
use crate::policy::get;
use trailhound_sdk::{Event, Finding, Severity};

pub const REQUEST_BODY: &str = "$.properties.requestbody";
pub const RESPONSE_BODY: &str = "$.properties.responseBody";
pub const RESULT_TYPE: &str = "$.resultType";
pub const STATUS: &str = "$.status.value";

pub const FIELDS: [&str; 4] = [REQUEST_BODY, RESPONSE_BODY, RESULT_TYPE, STATUS];

const ELEVATE_ACCESS: &str = "Microsoft.Authorization/elevateAccess/action";

/// As Azure writes the operations: storage exports in upper case, the API in mixed case.
pub const ACTIONS: [&str; 4] = [
    "Microsoft.Authorization/roleAssignments/write",
    "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE",
    ELEVATE_ACCESS,
    "MICROSOFT.AUTHORIZATION/ELEVATEACCESS/ACTION",
];

pub const RULE_PRIVILEGED_ROLE: &str = "azure.authorization.privileged-role-assigned";

/// A built-in role that controls its scope, with why.
struct Role {
    name: &'static str,
    /// The role definition's id, without hyphens, in lower case.
    id: &'static str,
    severity: Severity,
    why: &'static str,
}

/// What `elevateAccess` gives its caller on the root scope.
const USER_ACCESS_ADMINISTRATOR: Role = Role {
    name: "User Access Administrator",
    id: "18d7d88dd35e4fb5a5c37773c20a72d9",
    severity: Severity::Critical,
    why: "assigns any role on the scope, Owner included",
};

const ROLES: [Role; 4] = [
    Role {
        name: "Owner",
        id: "8e3af657a8ff443ca75c2fe8c4bcb635",
        severity: Severity::Critical,
        why: "full control of the scope, assigning roles included",
    },
    USER_ACCESS_ADMINISTRATOR,
    Role {
        name: "Role Based Access Control Administrator",
        id: "f58310d9a9f6439a9e8df62e7b41a168",
        severity: Severity::High,
        why: "assigns roles on the scope, as far as its condition allows",
    },
    Role {
        name: "Contributor",
        id: "b24988ac618042a0ab8820f7382dd24c",
        severity: Severity::High,
        why: "manages every resource of the scope, though not access to it",
    },
];

/// The finding of one Activity Log record, if it assigns one of [`ROLES`].
pub fn evaluate(event: &Event) -> Option<Finding> {
    let outcome = event.field(RESULT_TYPE).or(event.field(STATUS)).unwrap_or_default();
    if outcome.eq_ignore_ascii_case("Start") || outcome.eq_ignore_ascii_case("Started") {
        // The record of the outcome reports it.
        return None;
    }
    if event.action().eq_ignore_ascii_case(ELEVATE_ACCESS) {
        return Some(elevated(event));
    }
    let (path, text) =
        [RESPONSE_BODY, REQUEST_BODY].into_iter().find_map(|p| event.field(p).map(|t| (p, t)))?;
    let body = serde_json::from_str::<Value>(text)
        .map_err(|e| crate::unreadable(event, path, &format!("not JSON: {e}")))
        .ok()?;
    let properties = body.as_object().and_then(|b| get(b, "properties")).and_then(Value::as_object)?;
    let text_of = |key: &str| get(properties, key).and_then(Value::as_str);
    let definition = text_of("roleDefinitionId")?;
    let id: String =
        definition.rsplit('/').next().unwrap_or(definition).replace('-', "").to_ascii_lowercase();
    let role = ROLES.iter().find(|r| r.id == id)?;
    let assignment = Assignment {
        principal: text_of("principalId").unwrap_or("?"),
        kind: text_of("principalType").unwrap_or("unknown"),
        scope: text_of("scope").unwrap_or("its scope"),
    };
    let mut finding = assigned(event, role, &assignment).evidence("role_definition", definition);
    if let Some(condition) = text_of("condition") {
        finding = finding.evidence("condition", condition);
    }
    Some(finding)
}

/// Who received a role, and where.
struct Assignment<'a> {
    principal: &'a str,
    kind: &'a str,
    scope: &'a str,
}

fn assigned(event: &Event, role: &Role, to: &Assignment) -> Finding {
    let Assignment { principal, kind, scope } = *to;
    Finding::new(RULE_PRIVILEGED_ROLE, format!("{} assigned on {scope}", role.name), role.severity)
        .summary(format!(
            "{} made {kind} {principal} {} of {scope}: {}.",
            event.actor().id(),
            role.name,
            role.why
        ))
        .technique("T1098.003")
        .evidence("role", role.name)
        .evidence("principal", principal)
        .evidence("principal_type", kind)
        .evidence("scope", scope)
}

/// The caller made User Access Administrator of the root scope.
fn elevated(event: &Event) -> Finding {
    let actor = event.actor();
    let to = Assignment { principal: actor.id(), kind: actor.kind(), scope: "/" };
    assigned(event, &USER_ACCESS_ADMINISTRATOR, &to).evidence("operation", ELEVATE_ACCESS)
}
