//! GCP `SetIamPolicy` bindings and Azure role assignments driven through the SDK harness,
//! with the values the host projects from records of the shapes GCP's audit logs
//! (`protoPayload.serviceData.policyDelta.bindingDeltas`, `google.iam.v1.logging.AuditData`)
//! and Azure's Activity Log (`properties.requestbody` / `responseBody`, JSON text) document.

mod support;

use iam_risk::*;
use serde_json::json;
use trailhound_sdk::host::{take_journal, HostCall, LogLevel};
use trailhound_sdk::model::{Actor, Resource};
use trailhound_sdk::testing::{Harness, TestEvent};
use trailhound_sdk::Severity;

use support::{evidence, rules, run};

/// A GCP audit entry of `method` by alice, on the project `acme-prod`.
fn gcp(method: &str) -> TestEvent {
    let mut e = TestEvent::new("cloudresourcemanager.googleapis.com", method).id("gcp");
    e.event.provider = "gcp".into();
    e.event.source = "gcp-audit".into();
    e.event.account = "acme-prod".into();
    e.event.actor = Actor {
        id: "alice@acme.example".into(),
        kind: "User".into(),
        account: "acme-prod".into(),
        ..Actor::default()
    };
    e.event.resources = vec![Resource {
        kind: "project".into(),
        id: "projects/acme-prod".into(),
        account: Some("acme-prod".into()),
    }];
    e
}

/// `SetIamPolicy` adding each (role, member).
fn grant(bindings: &[(&str, &str)]) -> TestEvent {
    let deltas: Vec<_> = bindings
        .iter()
        .map(|(role, member)| json!({"action": "ADD", "role": role, "member": member}))
        .collect();
    gcp("SetIamPolicy").field(BINDING_DELTAS, &serde_json::to_string(&deltas).unwrap())
}

#[test]
fn primitive_admin_and_impersonation_roles_are_each_one_finding() {
    let f = run(&[grant(&[
        ("roles/owner", "user:mallory@acme.example"),
        ("roles/editor", "serviceAccount:ci@acme-prod.iam.gserviceaccount.com"),
        ("roles/resourcemanager.projectIamAdmin", "user:mallory@acme.example"),
        ("roles/iam.serviceAccountTokenCreator", "user:mallory@acme.example"),
        ("roles/viewer", "user:bob@acme.example"),
    ])]);
    assert_eq!(rules(&f), [RULE_PRIMITIVE, RULE_IAM_ADMIN, RULE_IMPERSONATION]);
    assert_eq!(f[0].severity, Severity::Critical, "owner");
    assert_eq!(
        evidence(&f[0], "granted"),
        "roles/owner to user:mallory@acme.example, roles/editor to serviceAccount:ci@acme-prod.iam.gserviceaccount.com"
    );
    assert!(f[0].title.contains("projects/acme-prod"));
    assert!(evidence(&f[1], "why").contains("grants any role"));
    assert_eq!((f[2].severity, f[2].techniques.as_slice()), (Severity::High, &["T1098.003".to_string()][..]));
    assert!(f.iter().all(|f| f.tags.contains(&"gcp".to_string())));
}

#[test]
fn public_members_fire_from_the_delta_or_the_policy_set() {
    let storage = |e: TestEvent| {
        let mut e = e;
        e.event.action = "storage.setIamPermissions".into();
        e
    };
    let f = run(&[storage(grant(&[("roles/storage.objectViewer", "allUsers")]))]);
    assert_eq!(rules(&f), [RULE_PUBLIC]);
    assert_eq!((f[0].severity, f[0].techniques[0].as_str()), (Severity::High, "T1098"));
    let f = run(&[grant(&[("roles/editor", "allAuthenticatedUsers")])]);
    assert_eq!(rules(&f), [RULE_PRIMITIVE, RULE_PUBLIC]);
    assert_eq!(f[1].severity, Severity::Critical, "a privileged role for everyone");
    // A trimmed entry without its delta: the policy set is read for public members only.
    let policy = r#"[{"role":"roles/owner","members":["user:alice@acme.example"]},{"role":"roles/storage.objectViewer","members":["allUsers"]}]"#;
    let f = run(&[storage(gcp("SetIamPolicy")).field(REQUEST_BINDINGS, policy)]);
    assert_eq!(rules(&f), [RULE_PUBLIC]);
    assert!(f[0].summary.contains("no delta"), "{}", f[0].summary);
}

#[test]
fn members_outside_the_trusted_domains_fire_only_when_domains_are_configured() {
    let event = grant(&[
        ("roles/storage.objectViewer", "user:someone@gmail.com"),
        ("roles/storage.objectViewer", "group:eng@acme.example"),
        ("roles/storage.objectViewer", "serviceAccount:x@other.iam.gserviceaccount.com"),
    ]);
    let mut harness = Harness::<IamRisk>::with_config(json!({"trusted_domains": ["acme.example"]})).unwrap();
    let f = harness.events(std::slice::from_ref(&event));
    assert_eq!(rules(&f), [RULE_OUTSIDE_DOMAIN]);
    assert_eq!(evidence(&f[0], "granted"), "roles/storage.objectViewer to user:someone@gmail.com");
    assert_eq!(run(&[event]), vec![], "no domain configured: none is outside");
}

#[test]
fn in_domain_grants_removals_reads_and_failures_are_quiet() {
    let in_domain = grant(&[("roles/storage.objectViewer", "user:bob@acme.example")]);
    let removal = gcp("SetIamPolicy").field(
        BINDING_DELTAS,
        r#"[{"action":"REMOVE","role":"roles/owner","member":"user:mallory@acme.example"}]"#,
    );
    let read = gcp("GetIamPolicy")
        .field(BINDING_DELTAS, r#"[{"action":"ADD","role":"roles/owner","member":"allUsers"}]"#);
    let failed = grant(&[("roles/owner", "allUsers")]).error("PERMISSION_DENIED");
    let mut harness = Harness::<IamRisk>::with_config(json!({"trusted_domains": ["acme.example"]})).unwrap();
    assert_eq!(harness.events(&[in_domain, removal, read, failed]), vec![]);
}

/// An Activity Log record of a role assignment, its outcome and the body it carries.
fn assignment(result: &str, body_path: &str, role_definition: &str) -> TestEvent {
    let body = json!({
        "id": "/subscriptions/5f3c9a12-0000-4000-8000-000000000001/providers/Microsoft.Authorization/roleAssignments/a1",
        "properties": {
            "roleDefinitionId": format!("/subscriptions/5f3c9a12-0000-4000-8000-000000000001/providers/Microsoft.Authorization/roleDefinitions/{role_definition}"),
            "principalId": "e7d41c09-0000-4000-8000-000000000002",
            "principalType": "User",
            "scope": "/subscriptions/5f3c9a12-0000-4000-8000-000000000001",
        }
    });
    let mut e = TestEvent::new("Microsoft.Authorization", "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE")
        .id(result)
        .field(RESULT_TYPE, result)
        .field(body_path, &body.to_string());
    e.event.provider = "azure".into();
    e.event.source = "azure-activity".into();
    e.event.actor = Actor { id: "admin@acme.example".into(), kind: "User".into(), ..Actor::default() };
    e
}

const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const USER_ACCESS_ADMINISTRATOR: &str = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";
const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

#[test]
fn owner_access_admin_and_contributor_assignments_fire_once_from_their_outcome() {
    let f = run(&[
        assignment("Start", REQUEST_BODY, OWNER),
        assignment("Success", RESPONSE_BODY, OWNER),
        assignment("Success", RESPONSE_BODY, USER_ACCESS_ADMINISTRATOR),
        assignment("Success", REQUEST_BODY, &CONTRIBUTOR.to_uppercase()),
    ]);
    assert_eq!(rules(&f), [RULE_PRIVILEGED_ROLE; 3]);
    assert_eq!(
        f.iter().map(|f| f.severity).collect::<Vec<_>>(),
        [Severity::Critical, Severity::Critical, Severity::High]
    );
    assert_eq!(f[0].event_ids, ["Success"], "the started record is not reported");
    assert_eq!(f[0].title, "Owner assigned on /subscriptions/5f3c9a12-0000-4000-8000-000000000001");
    assert_eq!(
        (evidence(&f[0], "principal"), evidence(&f[0], "principal_type")),
        ("e7d41c09-0000-4000-8000-000000000002", "User")
    );
    assert_eq!(evidence(&f[2], "role"), "Contributor");
    assert_eq!(f[0].techniques, ["T1098.003"]);
}

#[test]
fn elevating_access_is_user_access_administrator_of_the_root_scope() {
    let elevate = |result: &str| {
        let mut e = TestEvent::new("Microsoft.Authorization", "Microsoft.Authorization/elevateAccess/action")
            .id(result)
            .field(RESULT_TYPE, result);
        e.event.source = "azure-activity".into();
        e.event.actor = Actor { id: "admin@acme.example".into(), kind: "User".into(), ..Actor::default() };
        e
    };
    let f = run(&[elevate("Start"), elevate("Success")]);
    assert_eq!(rules(&f), [RULE_PRIVILEGED_ROLE]);
    assert_eq!(
        (f[0].severity, f[0].title.as_str()),
        (Severity::Critical, "User Access Administrator assigned on /")
    );
    assert_eq!(evidence(&f[0], "principal"), "admin@acme.example");
}

#[test]
fn reader_failed_and_unreadable_assignments_are_quiet() {
    take_journal();
    let quiet = [
        assignment("Success", RESPONSE_BODY, READER),
        assignment("Failure", RESPONSE_BODY, OWNER).error("AuthorizationFailed"),
        TestEvent::new("Microsoft.Authorization", "Microsoft.Authorization/roleAssignments/write")
            .id("no-body"),
    ];
    assert_eq!(run(&quiet), vec![]);
    // A body that is not JSON is logged and skipped.
    let mut bad = TestEvent::new("Microsoft.Authorization", "Microsoft.Authorization/roleAssignments/write")
        .id("bad")
        .field(RESPONSE_BODY, "{\"properties\": ");
    bad.event.source = "azure-activity".into();
    assert_eq!(run(&[bad]), vec![]);
    let warned = take_journal().into_iter().any(|c| {
        matches!(c, HostCall::Log(LogLevel::Warn, m) if m.contains("bad: properties.responseBody is unreadable"))
    });
    assert!(warned);
}
