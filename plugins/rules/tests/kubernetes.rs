//! Rules in Falco's syntax over Kubernetes audit events, with the `ka.*` and `k8s.*` fields
//! of Falco's Kubernetes audit plugin. The events are shaped after the `audit.k8s.io/v1`
//! `Event` the Kubernetes documentation describes (auditing, and the Pod, Role and
//! RoleBinding API references).

mod support;

use serde_json::{json, Value};
use support::{harness, projected};
use trailhound_sdk::model::{Actor, Process};
use trailhound_sdk::testing::TestEvent;

const RULES: &str = include_str!("rules/k8s_audit.yaml");

/// An audit event at the `ResponseComplete` stage, as the API server logs it.
fn audit(verb: &str, resource: &str, subresource: Option<&str>, name: &str, extra: Value) -> Value {
    let mut object_ref =
        json!({"resource": resource, "namespace": "payments", "name": name, "apiVersion": "v1"});
    if let Some(sub) = subresource {
        object_ref["subresource"] = json!(sub);
    }
    let mut event = json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "RequestResponse",
        "auditID": "4f0e8b3c-6f5a-4d4b-9a0e-2a3b4c5d6e7f",
        "stage": "ResponseComplete",
        "requestURI": format!("/api/v1/namespaces/payments/{resource}"),
        "verb": verb,
        "user": {"username": "dev@example.com", "groups": ["developers", "system:authenticated"]},
        "sourceIPs": ["198.51.100.20"],
        "userAgent": "kubectl/v1.30.0 (linux/amd64) kubernetes/abcdef0",
        "objectRef": object_ref,
        "responseStatus": {"metadata": {}, "code": 201},
        "responseObject": {"kind": "Pod", "metadata": {"name": name, "namespace": "payments"}},
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
    });
    if let (Value::Object(event), Value::Object(extra)) = (&mut event, extra) {
        event.extend(extra);
    }
    event
}

fn pod(spec: Value) -> Value {
    audit(
        "create",
        "pods",
        None,
        "web",
        json!({"requestObject": {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "web"}, "spec": spec}}),
    )
}

fn container(name: &str, image: &str, privileged: bool) -> Value {
    json!({"name": name, "image": image, "securityContext": {"privileged": privileged}})
}

/// The model event the host would make of an audit event (what the rules read beyond raw
/// fields: the source, and the pod for `k8s.ns.name`).
fn model(record: &Value) -> TestEvent {
    let mut event = TestEvent::new("k8s.io", "create pods");
    event.event.provider = "kubernetes".into();
    event.event.source = "k8s-audit".into();
    event.event.actor = Actor { id: "dev@example.com".into(), kind: "User".into(), ..Actor::default() };
    event.event.process = Some(Box::new(Process {
        namespace: record["objectRef"]["namespace"].as_str().map(str::to_string),
        pod: record["objectRef"]["name"].as_str().map(str::to_string),
        ..Process::default()
    }));
    event
}

fn fire(record: &Value) -> Vec<trailhound_sdk::Finding> {
    let mut rules = harness(RULES).unwrap();
    let event = projected(&rules, model(record), record);
    rules.events(&[event])
}

fn fired(record: &Value) -> Vec<String> {
    fire(record).into_iter().map(|f| f.rule_id).collect()
}

#[test]
fn a_privileged_container_fires_with_list_fields_rendered() {
    let record = pod(json!({"containers": [
        container("app", "registry.example.com/payments/api:1.4", false),
        container("debug", "busybox:1.36", true)
    ]}));
    let findings = fire(&record);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let finding = &findings[0];
    assert_eq!(finding.rule_id, "Privileged Container Created");
    assert_eq!(
        finding.summary,
        "Privileged pod payments/web by dev@example.com (images=(registry.example.com/payments/api:1.4,busybox:1.36) first=registry.example.com/payments/api:1.4 ns=payments)"
    );
    assert_eq!(finding.techniques, vec!["T1610"]);
    assert_eq!(finding.tags, vec!["k8s", "mitre_privilege_escalation"]);
}

#[test]
fn in_on_a_list_field_needs_every_item_in_the_list() {
    let trusted = |image: &str| container("c", image, true);
    // Every container's repository trusted: excepted.
    let all = pod(
        json!({"containers": [trusted("registry.example.com/platform/agent:2"), trusted("registry.example.com/platform/proxy@sha256:00")]}),
    );
    assert!(fired(&all).is_empty());
    // One untrusted among them: fires, as Falco's `in` on a list field asks all of them.
    let one = pod(
        json!({"containers": [trusted("registry.example.com/platform/agent:2"), trusted("evil.example/miner:latest")]}),
    );
    assert_eq!(fired(&one), vec!["Privileged Container Created"]);
    // A privileged init container counts too.
    let init = pod(
        json!({"containers": [container("app", "nginx", false)], "initContainers": [trusted("evil.example/miner")]}),
    );
    assert_eq!(fired(&init), vec!["Privileged Container Created"]);
    // No container privileged.
    assert!(fired(&pod(json!({"containers": [container("app", "nginx", false)]}))).is_empty());
}

#[test]
fn an_exception_over_a_list_field_uses_intersects() {
    let mut record = pod(json!({"containers": [container("debug", "busybox", true)]}));
    record["objectRef"]["namespace"] = json!("kube-system");
    assert_eq!(fired(&record), vec!["Privileged Container Created"], "the user is not in system:masters");
    record["user"]["groups"] = json!(["system:masters", "system:authenticated"]);
    assert!(fired(&record).is_empty());
}

#[test]
fn host_namespaces_and_host_paths() {
    let record = pod(json!({
        "hostPID": true,
        "containers": [container("app", "nginx", false)],
        "volumes": [{"name": "root", "hostPath": {"path": "/"}}, {"name": "cache", "emptyDir": {}}, {"name": "logs", "hostPath": {"path": "/var/log"}}]
    }));
    let findings = fire(&record);
    let summaries: Vec<_> = findings.iter().map(|f| (f.rule_id.as_str(), f.summary.as_str())).collect();
    assert_eq!(
        summaries,
        vec![
            ("Host Namespace Shared", "web shares the host's namespaces (volumes=(/,/var/log))"),
            ("Sensitive Host Path Mounted", "web mounts (/,/var/log)"),
        ]
    );
    let quiet = pod(
        json!({"hostNetwork": false, "containers": [container("app", "nginx", false)], "volumes": [{"name": "logs", "hostPath": {"path": "/var/log"}}]}),
    );
    assert!(fired(&quiet).is_empty());
}

#[test]
fn exec_reads_the_query_parameter_of_the_uri() {
    let mut record = audit("create", "pods", Some("exec"), "web", json!({}));
    record["requestURI"] = json!(
        "/api/v1/namespaces/payments/pods/web/exec?command=sh&command=-c&container=app&stdin=true&tty=true"
    );
    let findings = fire(&record);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].summary, "dev@example.com ran sh in payments/web from (198.51.100.20)");
    assert_eq!(findings[0].techniques, vec!["T1609"]);
    record["requestURI"] = json!("/api/v1/namespaces/payments/pods/web/exec?command=ls&container=app");
    assert!(fired(&record).is_empty());
}

#[test]
fn role_rules_are_flattened_across_rules() {
    let role = |rules: Value| {
        audit(
            "create",
            "clusterroles",
            None,
            "ops",
            json!({"requestObject": {"kind": "ClusterRole", "metadata": {"name": "ops"}, "rules": rules}}),
        )
    };
    let wide = role(json!([
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["*"]}
    ]));
    let findings = fire(&wide);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].summary, "ops grants (get,list,*) on (pods,deployments)");
    assert!(fired(&role(json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]))).is_empty());
}

#[test]
fn binding_subjects_by_kind() {
    let binding = |subjects: Value| {
        audit(
            "create",
            "clusterrolebindings",
            None,
            "open",
            json!({"requestObject": {
                "kind": "ClusterRoleBinding", "metadata": {"name": "open"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                "subjects": subjects
            }}),
        )
    };
    let open = binding(json!([
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:unauthenticated"},
        {"kind": "ServiceAccount", "name": "default", "namespace": "payments"}
    ]));
    let findings = fire(&open);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].summary, "cluster-admin bound to <NA> (system:unauthenticated)");
    assert!(fired(&binding(json!([{"kind": "ServiceAccount", "name": "default", "namespace": "payments"}])))
        .is_empty());
}

#[test]
fn rules_for_kubernetes_see_only_kubernetes_events() {
    let record = pod(json!({"containers": [container("debug", "busybox", true)]}));
    let mut rules = harness(RULES).unwrap();
    let mut event = projected(&rules, model(&record), &record);
    event.event.source = "aws-cloudtrail".into();
    assert!(rules.events(&[event]).is_empty());
    let info = trailhound_sdk::Detector::declared(rules.detector());
    assert_eq!(info.sources, vec!["k8s-audit"]);
    assert!(info.fields.contains(&"$.requestObject.spec.containers".to_string()), "{:?}", info.fields);
    assert!(info.actions.is_empty(), "no rule names a model action");
}

#[test]
fn a_list_field_compared_with_equals_is_a_load_error() {
    let error = |condition: &str| {
        harness(&format!(
            "- rule: r\n  condition: {condition}\n  output: o\n  priority: INFO\n  source: k8s_audit\n"
        ))
        .err()
        .unwrap()
    };
    assert_eq!(
        error("ka.verb = create and ka.req.pod.containers.image = nginx"),
        "rules.yaml:2:35: rule 'r': condition: 'ka.req.pod.containers.image' is a list field: it is compared with in, intersects or exists only (or pick one item with [N])"
    );
    assert!(harness(
        "- rule: r\n  condition: ka.req.pod.containers.image[0] = nginx\n  output: o\n  priority: INFO\n"
    )
    .is_ok());
    assert_eq!(
        error("ka.req.pod.containers.image[x] exists"),
        "rules.yaml:2:14: rule 'r': condition: field 'ka.req.pod.containers.image' takes an index [N], found '[x]'"
    );
    assert_eq!(
        error("ka.uri.param exists"),
        "rules.yaml:2:14: rule 'r': condition: field 'ka.uri.param' needs an argument: ka.uri.param[...]"
    );
}
