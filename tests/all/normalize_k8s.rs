//! Tests: Kubernetes audit normalization — pods and what they run, impersonation, denials,
//! anonymous and non-resource requests, EKS's IAM users, audit events delivered through
//! CloudWatch Logs, odd records, and the labeled events of the Panther `eks-audit` fixture.

use std::sync::Arc;

use serde_json::{json, Value};
use trailhound::decode::Limits;
use trailhound::event::{AccessLevel, Category, Event, OcsfClass, Plane};
use trailhound::normalize::{self, Normalized};
use trailhound::record::{Origin, RawRecord};
use trailhound::sources::{self, Input, Item};

fn normalized(record: &Value) -> Event {
    normalize::event(&record.to_string()).unwrap_or_else(|e| panic!("{record}: {e}"))
}

/// An audit event as the Kubernetes "Auditing" docs show one (`audit.k8s.io/v1` `Event`).
fn audit(verb: &str, object_ref: Value, user: Value) -> Value {
    json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "RequestResponse",
        "auditID": "5f4c1a8e-0d2b-4a6e-9f3c-2b7d9e1a6c40",
        "stage": "ResponseComplete",
        "requestURI": "/api/v1/namespaces/kube-system/pods",
        "verb": verb,
        "user": user,
        "sourceIPs": ["203.0.113.10"],
        "userAgent": "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819",
        "objectRef": object_ref,
        "responseStatus": {"metadata": {}, "code": 201},
        "requestReceivedTimestamp": "2024-05-01T10:00:00.123456Z",
        "stageTimestamp": "2024-05-01T10:00:00.200000Z",
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
    })
}

fn alice() -> Value {
    json!({"username": "alice@example.com", "uid": "u-1", "groups": ["system:authenticated"]})
}

#[test]
fn privileged_pod_with_a_host_path_in_kube_system() {
    let mut record = audit(
        "create",
        json!({"resource": "pods", "namespace": "kube-system", "name": "node-debugger", "apiVersion": "v1"}),
        alice(),
    );
    record["requestObject"] = json!({
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {"name": "node-debugger", "namespace": "kube-system"},
        "spec": {
            "hostPID": true, "hostNetwork": true,
            "containers": [{"name": "debug", "image": "busybox:1.36", "securityContext": {"privileged": true}}],
            "volumes": [{"name": "root", "hostPath": {"path": "/", "type": "Directory"}}]
        }
    });
    let event = normalized(&record);
    assert_eq!(event.source, "k8s-audit");
    assert_eq!(
        (event.plane, event.class, event.category),
        (Plane::Kubernetes, OcsfClass::ApiActivity, Category::Compute)
    );
    assert_eq!((event.provider.as_str(), event.service.as_str()), ("kubernetes", "k8s.io"));
    assert_eq!(event.action, "create pods");
    assert_eq!(event.access_level, Some(AccessLevel::Write));
    assert!(event.success && !event.read_only);
    assert_eq!(event.time, 1_714_557_600_123, "requestReceivedTimestamp");
    assert_eq!(event.id, "5f4c1a8e-0d2b-4a6e-9f3c-2b7d9e1a6c40");
    assert_eq!(event.ids.request.as_deref(), Some(event.id.as_str()));
    assert_eq!((event.actor.id.as_str(), event.actor.kind.as_str()), ("alice@example.com", "User"));
    assert_eq!(event.account, "unknown", "an audit event does not name its cluster");
    assert_eq!(event.source_ip.as_deref(), Some("203.0.113.10"));
    assert_eq!(event.resources[0].kind, "pods");
    assert_eq!(event.resources[0].id, "kube-system/node-debugger");
    let process = event.process.expect("a pod fills the process");
    assert_eq!(process.image.as_deref(), Some("busybox:1.36"));
    assert_eq!(process.privileged, Some(true));
    assert_eq!(process.namespace.as_deref(), Some("kube-system"));
    assert_eq!(process.pod.as_deref(), Some("node-debugger"));
    assert_eq!(process.host_paths, ["/"]);
    assert_eq!((process.host_pid, process.host_network), (Some(true), Some(true)));
}

#[test]
fn a_workload_template_fills_the_process_without_a_pod() {
    let mut record = audit(
        "create",
        json!({"resource": "daemonsets", "namespace": "default", "name": "agent", "apiGroup": "apps"}),
        alice(),
    );
    record["requestObject"] = json!({"kind": "DaemonSet", "spec": {"template": {"spec": {
        "containers": [{"name": "a", "image": "registry.example.com/agent:2"}]
    }}}});
    let event = normalized(&record);
    assert_eq!((event.action.as_str(), event.service.as_str()), ("create daemonsets", "apps"));
    let process = event.process.unwrap();
    assert_eq!(process.image.as_deref(), Some("registry.example.com/agent:2"));
    assert_eq!(process.privileged, Some(false));
    assert_eq!(process.pod, None);
}

#[test]
fn exec_into_a_pod_names_the_subresource_and_the_pod() {
    let record = audit(
        "create",
        json!({"resource": "pods", "subresource": "exec", "namespace": "prod", "name": "web-0"}),
        alice(),
    );
    let event = normalized(&record);
    assert_eq!(event.action, "create pods/exec");
    assert_eq!(event.process.unwrap().pod.as_deref(), Some("web-0"));
}

#[test]
fn an_impersonated_request_is_the_impersonated_user_acting_for_the_real_one() {
    let mut record = audit("get", json!({"resource": "secrets", "namespace": "prod", "name": "db"}), alice());
    record["impersonatedUser"] =
        json!({"username": "system:serviceaccount:kube-system:deployer", "groups": []});
    let actor = normalized(&record).actor;
    assert_eq!(actor.id, "system:serviceaccount:kube-system:deployer");
    assert_eq!(actor.kind, "ServiceAccount");
    assert_eq!(actor.name.as_deref(), Some("deployer"));
    assert_eq!(actor.delegation, ["alice@example.com"]);
}

#[test]
fn a_denied_request_fails_with_the_reason() {
    let mut record = audit("get", json!({"resource": "secrets", "namespace": "prod", "name": "db"}), alice());
    record["responseStatus"] = json!({"metadata": {}, "status": "Failure", "reason": "Forbidden", "code": 403,
        "message": "secrets \"db\" is forbidden: User \"alice@example.com\" cannot get resource \"secrets\""});
    record["annotations"]["authorization.k8s.io/decision"] = json!("forbid");
    let event = normalized(&record);
    assert!(!event.success);
    assert_eq!(event.error_code.as_deref(), Some("Forbidden"));
    assert!(event.error_message.unwrap().contains("cannot get resource"));
    assert_eq!((event.category, event.access_level), (Category::Security, Some(AccessLevel::Read)));
    assert!(event.read_only);

    // Without a reason the code is the error; without a response, the authorizer's decision.
    record["responseStatus"] = json!({"code": 403});
    assert_eq!(normalized(&record).error_code.as_deref(), Some("403"));
    record.as_object_mut().unwrap().remove("responseStatus");
    assert!(!normalized(&record).success);
}

#[test]
fn an_anonymous_non_resource_request() {
    let record = json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": "a-1",
        "stage": "ResponseComplete", "requestURI": "/version?timeout=32s", "verb": "get",
        "user": {"username": "system:anonymous", "groups": ["system:unauthenticated"]},
        "sourceIPs": ["198.51.100.23"], "userAgent": "curl/8.5.0",
        "responseStatus": {"metadata": {}, "code": 200},
        "requestReceivedTimestamp": "2024-05-01T10:00:00.000000Z"
    });
    let event = normalized(&record);
    assert_eq!((event.actor.id.as_str(), event.actor.kind.as_str()), ("system:anonymous", "Anonymous"));
    assert_eq!(event.action, "get /version");
    assert_eq!(event.category, Category::Management);
    assert!(event.resources.is_empty());
}

#[test]
fn rbac_writes_are_identity_and_permissions_management() {
    let record = audit(
        "create",
        json!({"resource": "clusterrolebindings", "name": "root", "apiGroup": "rbac.authorization.k8s.io"}),
        json!({"username": "system:node:ip-10-0-1-5.ec2.internal"}),
    );
    let event = normalized(&record);
    assert_eq!(
        (event.category, event.access_level),
        (Category::Identity, Some(AccessLevel::PermissionsManagement))
    );
    assert_eq!(event.service, "rbac.authorization.k8s.io");
    assert_eq!(event.resources[0].id, "root", "cluster-scoped: the name alone");
    assert_eq!(event.actor.kind, "Node");
}

#[test]
fn an_eks_user_carries_its_iam_principal() {
    let user = json!({
        "username": "arn:aws:sts::111122223333:assumed-role/Admin/alice",
        "uid": "aws-iam-authenticator:111122223333:AROAEXAMPLE",
        "groups": ["system:authenticated"],
        "extra": {
            "accessKeyId": ["ASIAEXAMPLE"],
            "arn": ["arn:aws:sts::111122223333:assumed-role/Admin/alice"],
            "canonicalArn": ["arn:aws:iam::111122223333:role/Admin"],
            "principalId": ["AROAEXAMPLE"],
            "sessionName": ["alice"]
        }
    });
    let actor = normalized(&audit("list", json!({"resource": "pods"}), user)).actor;
    assert_eq!(actor.account, "111122223333");
    assert_eq!(actor.access_key.as_deref(), Some("ASIAEXAMPLE"));
    assert_eq!(actor.session_name.as_deref(), Some("alice"));
    assert_eq!(actor.session_issuer.as_deref(), Some("arn:aws:iam::111122223333:role/Admin"));
}

#[test]
fn stages_of_one_request_keep_ids_of_their_own() {
    let mut record = audit("watch", json!({"resource": "pods"}), alice());
    let complete = normalized(&record).id;
    record["stage"] = json!("ResponseStarted");
    assert_eq!(normalized(&record).id, format!("{complete}:ResponseStarted"));
}

/// A CloudWatch Logs subscription payload as EKS control-plane logging delivers it: each log
/// event's message is one audit event as JSON text.
#[test]
fn eks_audit_events_through_a_cloudwatch_logs_subscription() {
    let first = audit("get", json!({"resource": "secrets", "namespace": "prod", "name": "db"}), alice());
    let mut second =
        audit("delete", json!({"resource": "pods", "namespace": "prod", "name": "web-0"}), alice());
    second.as_object_mut().unwrap().remove("requestReceivedTimestamp");
    second.as_object_mut().unwrap().remove("stageTimestamp");
    let payload = json!({
        "messageType": "DATA_MESSAGE",
        "owner": "111122223333",
        "logGroup": "/aws/eks/prod-east/cluster",
        "logStream": "kube-apiserver-audit-0123456789abcdef",
        "subscriptionFilters": ["to-firehose"],
        "logEvents": [
            {"id": "3800000000000000000000000000000000000000000000000000", "timestamp": 1_714_557_600_500_i64, "message": first.to_string()},
            {"id": "3800000000000000000000000000000000000000000000000001", "timestamp": 1_714_557_601_000_i64, "message": second.to_string()},
            {"id": "3800000000000000000000000000000000000000000000000002", "timestamp": 1_714_557_602_000_i64, "message": "time=\"2024-05-01T10:00:02Z\" level=info msg=\"access granted\""}
        ]
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("eks.json");
    // Firehose writes payloads back to back, without newlines.
    std::fs::write(&path, format!("{payload}{payload}")).unwrap();
    let mut items = Vec::new();
    sources::read(&Input::File(path), Limits::default(), &mut |item| items.push(item)).unwrap();
    assert_eq!(items.len(), 6, "every log event of both payloads is a record");
    let results: Vec<Normalized> = items
        .into_iter()
        .map(|item| match item {
            Item::Record(raw) => normalize::normalize(raw, None).unwrap_or_else(|m| panic!("{m}")),
            Item::Malformed(m) => panic!("{m}"),
        })
        .collect();
    let records: Vec<_> = results.into_iter().filter_map(Normalized::into_record).collect();
    assert_eq!(records.len(), 4, "the authenticator's text lines are skipped");
    assert_eq!(records[0].event.action, "get secrets");
    assert_eq!(records[0].event.time, 1_714_557_600_123, "the audit event's own time");
    assert_eq!(
        records[1].event.time, 1_714_557_601_000,
        "the log event's time, when the audit event has none"
    );
    assert!(!records[1].time_missing);
    assert_eq!(records[0].json()["verb"], "get", "the record kept is the audit event, not its wrapper");
}

#[test]
fn a_subscription_payload_whose_log_events_are_no_array_is_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("eks.json");
    std::fs::write(
        &path,
        r#"{"messageType":"DATA_MESSAGE","logGroup":"/aws/eks/c/cluster","logEvents":"none"}"#,
    )
    .unwrap();
    let mut items = Vec::new();
    sources::read(&Input::File(path), Limits::default(), &mut |item| items.push(item)).unwrap();
    assert!(
        matches!(items.as_slice(), [Item::Malformed(m)] if m.reason == "logEvents: expected an array"),
        "{items:?}"
    );
}

#[test]
fn exported_log_events_unwrap_and_name_their_cluster() {
    let inner = audit("list", json!({"resource": "secrets"}), alice()).to_string();
    let exported = json!({
        "@timestamp": "2024-05-01 10:00:00.500",
        "@logStream": "kube-apiserver-audit-0123456789abcdef",
        "@log": "111122223333:/aws/eks/prod-east/cluster",
        "@message": inner
    });
    let event = normalized(&exported);
    assert_eq!((event.action.as_str(), event.account.as_str()), ("list secrets", "prod-east"));
    assert_eq!(event.actor.account, "prod-east");
    let plain = json!({"timestamp": 1_714_557_600_000_i64, "message": inner});
    assert_eq!(normalized(&plain).action, "list secrets");
    let control = json!({"id": "", "timestamp": 1_432_826_855_000_i64,
        "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."});
    let raw = RawRecord { origin: Origin::whole(Arc::from("-")), text: Arc::from(control.to_string()) };
    assert!(matches!(normalize::normalize(raw, None), Ok(Normalized::Skipped { .. })));
    let forced = normalize::read(&plain.to_string(), Some(normalize::SourceType::K8sAudit)).unwrap();
    assert!(matches!(forced, normalize::Read::Event { .. }), "a forced source unwraps too");
}

#[test]
fn odd_and_partial_records() {
    // Trimmed: no user, no time, no verb.
    let event = normalized(&json!({"kind": "Event", "objectRef": {"resource": "pods", "name": "p"}}));
    assert_eq!((event.actor.id.as_str(), event.actor.kind.as_str()), ("unknown", "Unknown"));
    assert_eq!(event.action, "unknown pods");
    let read = normalize::read(
        &json!({"kind": "Event", "verb": "list", "user": {"username": "bob"}}).to_string(),
        None,
    );
    assert!(matches!(read, Ok(normalize::Read::Event { time_missing: true, .. })));
    // Objects that are strings, strings that are numbers, a lone source IP.
    let event = normalized(&json!({
        "verb": "get", "user": "alice", "objectRef": {"resource": "secrets", "name": 7},
        "sourceIPs": "192.0.2.1", "responseStatus": {"code": "500"}, "requestObject": null,
        "impersonatedUser": null, "annotations": []
    }));
    assert_eq!(event.actor.id, "unknown");
    assert_eq!(event.source_ip.as_deref(), Some("192.0.2.1"));
    assert!(!event.success);
    assert_eq!(event.resources[0].id, "*");
    let cases = [
        (
            json!({"kind": "Event", "verb": 7, "user": {}}),
            "verb: expected a non-empty string, found a number",
        ),
        (
            json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "sourceIPs": ["10.0.0.1"]}),
            "no verb, objectRef or requestURI",
        ),
        (
            json!({"verb": "get", "user": {}, "requestReceivedTimestamp": "soon"}),
            "requestReceivedTimestamp: cannot read",
        ),
    ];
    for (record, expected) in cases {
        let error = normalize::event(&record.to_string()).expect_err(expected);
        assert!(error.contains(expected), "{record}: {error:?} does not contain {expected:?}");
    }
}

/// Every Kubernetes audit event among Panther's labeled `eks-audit` test events is recognised
/// without being told and normalizes with actor and action, and time when it has one. The
/// file also holds GKE (`protoPayload`) and AKS (`category: kube-audit`) records, which are
/// the GCP and Azure readers' to read, and `{}` placeholders of rules that need no event.
#[test]
fn every_panther_eks_audit_event_normalizes() {
    let Some(path) = super::support::fixture("panther/eks-audit.jsonl") else { return };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (mut normalized, mut timed, mut others, mut refused) = (0, 0, 0, Vec::new());
    for (index, line) in text.lines().enumerate() {
        let row: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", index + 1));
        let record = &row["event"];
        let keys = record.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
        let of_another_reader = ["protoPayload", "category"].iter().any(|k| keys.iter().any(|key| key == k));
        if keys.is_empty() || of_another_reader {
            others += 1;
            continue;
        }
        let raw = RawRecord {
            origin: Origin::line(Arc::from("eks-audit.jsonl"), index as u64 + 1),
            text: Arc::from(record.to_string()),
        };
        match normalize::normalize(raw, None) {
            Ok(Normalized::Event(r)) => {
                assert_eq!(r.event.source, "k8s-audit", "line {}", index + 1);
                assert!(!r.event.actor.id.is_empty() && !r.event.action.is_empty(), "line {}", index + 1);
                normalized += 1;
                timed += usize::from(!r.time_missing);
            }
            Ok(Normalized::Skipped { reason, .. }) => panic!("line {}: skipped: {reason}", index + 1),
            Err(m) => refused.push(m.to_string()),
        }
    }
    for reason in &refused {
        eprintln!("panther eks-audit: not an event: {reason}");
    }
    eprintln!(
        "panther eks-audit: {normalized} normalized ({timed} with their own time, the rest given the \
         stream's), {} refused, {others} GKE/AKS/empty rows of other readers",
        refused.len()
    );
    assert!(normalized >= 180, "only {normalized} normalized");
    assert!(refused.len() <= 1, "{refused:?}");
}
