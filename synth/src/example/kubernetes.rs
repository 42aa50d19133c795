//! The Kubernetes audit log of Acme's production EKS cluster: `audit.k8s.io/v1` `Event`s, one
//! per line, as the API server's log backend writes them (EKS users are IAM role sessions,
//! named by their ARN, with the session in `user.extra`).
//!
//! Story 3, step 3 (19:19–19:22): the contractor's cluster session, from the intruder's
//! address, lists the pods of `kube-system` and the nodes, creates a pod there pinned to one
//! node — privileged, on the host's network and process namespace, with the host's `/` mounted
//! (`requestObject` holds the manifest) — and opens a shell in it (`create pods/exec`). Around
//! it, the cluster's benign day: controllers, kubelets and add-ons getting, listing, watching
//! and updating what they own, an engineer's `kubectl` reads, and CI rolling out a deployment.

use serde_json::{json, Value};

use super::day::{at, ts_fraction, Day, UPPER_ALNUM};
use super::{Node, INTRUDER_IP, NODE, NODE_ROLE, ORDERS_NODE, ORDERS_POD, PROD, ROGUE_POD, SYSTEM_NAMESPACE};

/// The image of the pod the intruder creates, and its one container.
pub const ROGUE_IMAGE: &str = "docker.io/library/alpine:3.20";
pub const ROGUE_CONTAINER: &str = "diag";
/// The contractor's cluster identity: a session of the role their access entry maps.
pub const CONTRACTOR_ROLE: &str = "eks-platform-contractor";
pub const CONTRACTOR_SESSION: &str = "r.vance";

const VERSION: &str = "v1.31.2-eks-7f9249a";
/// The API server's own address for its control-plane clients.
const CONTROL_PLANE_IP: &str = "172.16.51.204";
const KUBECTL_UA: &str = "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46";
const ORDERS: &str = "orders";

/// Who sends a request, and from where.
struct User {
    info: Value,
    ip: String,
    ua: String,
    /// Why the authorizer allowed it.
    reason: String,
}

/// A service account of a namespace, allowed by the cluster role binding `binding` (of the
/// cluster role of the same name).
fn service_account(day: &mut Day, namespace: &str, name: &str, binding: &str, ip: &str, ua: &str) -> User {
    let username = format!("system:serviceaccount:{namespace}:{name}");
    let groups = [
        "system:serviceaccounts".to_string(),
        format!("system:serviceaccounts:{namespace}"),
        "system:authenticated".into(),
    ];
    let info = json!({ "username": username, "uid": day.uuid(), "groups": groups });
    let reason = format!(
        "RBAC: allowed by ClusterRoleBinding \"{binding}\" of ClusterRole \"{binding}\" to ServiceAccount \"{name}/{namespace}\""
    );
    User { info, ip: ip.into(), ua: ua.into(), reason }
}

/// A kube-controller-manager controller, through its own service account.
fn controller(day: &mut Day, name: &str) -> User {
    let ua = format!("kube-controller-manager/{VERSION} (linux/amd64) kubernetes/7f9249a/system:serviceaccount:kube-system:{name}");
    service_account(day, SYSTEM_NAMESPACE, name, &format!("system:controller:{name}"), CONTROL_PLANE_IP, &ua)
}

/// The kubelet of `node`, authenticated with its instance role.
fn kubelet(day: &mut Day, node: &Node) -> User {
    let (extra, role_id) = iam_extra(day, NODE_ROLE, node.instance);
    let info = json!({ "username": format!("system:node:{}", node.name), "uid": format!("aws-iam-authenticator:{PROD}:{role_id}"),
                       "groups": ["system:bootstrappers", "system:nodes", "system:authenticated"], "extra": extra });
    let reason = "RBAC: allowed by ClusterRoleBinding \"system:node\" of ClusterRole \"system:node\" to Group \"system:nodes\"".into();
    User {
        info,
        ip: node.ip.into(),
        ua: format!("kubelet/{VERSION} (linux/amd64) kubernetes/7f9249a"),
        reason,
    }
}

/// What EKS's authenticator adds for an IAM principal (the session, its role and its key),
/// and the role's id.
fn iam_extra(day: &mut Day, role: &str, session: &str) -> (Value, String) {
    let role_id = day.rid("AROA", 17, UPPER_ALNUM);
    let extra = json!({
        "accessKeyId": [day.key("ASIA")],
        "arn": [format!("arn:aws:sts::{PROD}:assumed-role/{role}/{session}")],
        "canonicalArn": [format!("arn:aws:iam::{PROD}:role/{role}")],
        "principalId": [format!("{role_id}:{session}")],
        "sessionName": [session],
        "sigs.k8s.io/aws-iam-authenticator/principalId": [role_id]
    });
    (extra, role_id)
}

/// A person or pipeline through an access entry: the IAM role session is the user name.
fn access_entry(day: &mut Day, role: &str, session: &str, ip: &str, policy: &str) -> User {
    let username = format!("arn:aws:sts::{PROD}:assumed-role/{role}/{session}");
    let (extra, role_id) = iam_extra(day, role, session);
    let uid = format!("aws-iam-authenticator:{PROD}:{role_id}");
    let reason = format!(
        "EKS Access Policy: allowed by ClusterRoleBinding \"{username}\" of ClusterRole \"arn:aws:eks::aws:cluster-access-policy/{policy}\" to User \"{username}\""
    );
    let info =
        json!({ "username": username, "uid": uid, "groups": ["system:authenticated"], "extra": extra });
    User { info, ip: ip.into(), ua: KUBECTL_UA.into(), reason }
}

/// One request, built up and then [`Request::emit`]ted as its `ResponseComplete` event.
struct Request<'u> {
    who: &'u User,
    time: i64,
    verb: &'static str,
    uri: String,
    object: Value,
    code: u16,
    request_object: Option<Value>,
}

impl<'u> Request<'u> {
    /// `verb` on `resource` (`pods`, `pods/exec`, `deployments.apps`) in `namespace`, `name`
    /// unless the request is on the collection; the URI is the one the API path names.
    fn new(
        who: &'u User,
        time: i64,
        verb: &'static str,
        resource: &str,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Self {
        let (resource, subresource) = match resource.split_once('/') {
            Some((resource, sub)) => (resource, Some(sub)),
            None => (resource, None),
        };
        let (plural, group) = match resource.split_once('.') {
            Some((plural, group)) => (plural, Some(group)),
            None => (resource, None),
        };
        let mut uri = match group {
            Some(group) => format!("/apis/{group}/v1"),
            None => "/api/v1".to_string(),
        };
        if let Some(namespace) = namespace {
            uri.push_str(&format!("/namespaces/{namespace}"));
        }
        uri.push_str(&format!("/{plural}"));
        // A create is sent to the collection; the new object's name is in its body.
        let named = if verb == "create" && subresource.is_none() { None } else { name };
        for part in [named, subresource].into_iter().flatten() {
            uri.push_str(&format!("/{part}"));
        }
        let mut object = json!({ "resource": plural, "apiVersion": "v1" });
        if let Some(group) = group {
            object["apiGroup"] = group.into();
        }
        for (key, value) in [("namespace", namespace), ("name", name), ("subresource", subresource)] {
            if let Some(value) = value {
                object[key] = value.into();
            }
        }
        let code = match verb {
            "create" => 201,
            _ => 200,
        };
        Request { who, time, verb, uri, object, code, request_object: None }
    }

    /// The URI's query string.
    fn query(mut self, query: &str) -> Self {
        self.uri.push('?');
        self.uri.push_str(query);
        self
    }

    fn code(mut self, code: u16) -> Self {
        self.code = code;
        self
    }

    fn request_object(mut self, manifest: Value) -> Self {
        self.request_object = Some(manifest);
        self
    }

    fn emit(self, day: &mut Day, out: &mut Vec<Value>) {
        const MICROS: i64 = 1_000_000;
        let received = self.time * MICROS + day.below(MICROS);
        // Watches stay open until their timeout, minutes later; other requests take milliseconds.
        let took =
            if self.verb == "watch" { (300 + day.below(160)) * MICROS } else { 8_000 + day.below(40_000) };
        let at = |micros: i64| ts_fraction(micros / MICROS, (micros % MICROS * 1000) as u32, 6);
        let mut event = json!({
            "kind": "Event",
            "apiVersion": "audit.k8s.io/v1",
            "level": if self.request_object.is_some() { "RequestResponse" } else { "Metadata" },
            "auditID": day.uuid(),
            "stage": "ResponseComplete",
            "requestURI": self.uri,
            "verb": self.verb,
            "user": self.who.info,
            "sourceIPs": [self.who.ip],
            "userAgent": self.who.ua,
            "objectRef": self.object,
            "responseStatus": { "metadata": {}, "code": self.code },
            "requestReceivedTimestamp": at(received),
            "stageTimestamp": at(received + took),
            "annotations": { "authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": self.who.reason }
        });
        if let Some(manifest) = self.request_object {
            event["requestObject"] = manifest;
        }
        out.push(event);
    }
}

/// The cluster's audit events of the day, in time order.
pub fn events(day: &mut Day) -> Vec<Value> {
    let mut out = Vec::new();
    story(day, &mut out);
    control_plane(day, &mut out);
    nodes(day, &mut out);
    people(day, &mut out);
    out.sort_by(|a, b| a["requestReceivedTimestamp"].as_str().cmp(&b["requestReceivedTimestamp"].as_str()));
    out
}

/// The manifest of the intruder's pod: privileged, in the host's namespaces, the host's `/`
/// mounted at `/host`, pinned to the story's node and tolerating any taint.
fn rogue_pod() -> Value {
    json!({
        "kind": "Pod", "apiVersion": "v1",
        "metadata": { "name": ROGUE_POD, "namespace": SYSTEM_NAMESPACE, "creationTimestamp": null,
                      "labels": { "app": "node-diag" } },
        "spec": {
            "volumes": [{ "name": "host-root", "hostPath": { "path": "/", "type": "" } }],
            "containers": [{
                "name": ROGUE_CONTAINER, "image": ROGUE_IMAGE, "command": ["sleep", "86400"], "resources": {},
                "volumeMounts": [{ "name": "host-root", "mountPath": "/host" }],
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent", "securityContext": { "privileged": true },
                "stdin": true, "tty": true
            }],
            "restartPolicy": "Never", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
            "nodeName": NODE.name, "hostNetwork": true, "hostPID": true, "securityContext": {},
            "schedulerName": "default-scheduler", "tolerations": [{ "operator": "Exists" }],
            "enableServiceLinks": true
        },
        "status": {}
    })
}

/// Story 3, step 3: the privileged pod with the host's `/` in `kube-system`, and a shell in it.
fn story(day: &mut Day, out: &mut Vec<Value>) {
    let intruder =
        access_entry(day, CONTRACTOR_ROLE, CONTRACTOR_SESSION, INTRUDER_IP, "AmazonEKSClusterAdminPolicy");
    let ns = Some(SYSTEM_NAMESPACE);
    Request::new(&intruder, at(19, 19, 58), "list", "pods", ns, None).query("limit=500").emit(day, out);
    Request::new(&intruder, at(19, 20, 31), "list", "nodes", None, None).query("limit=500").emit(day, out);
    Request::new(&intruder, at(19, 21, 40), "create", "pods", ns, Some(ROGUE_POD))
        .query("fieldManager=kubectl-create&fieldValidation=Strict")
        .request_object(rogue_pod())
        .emit(day, out);
    let node = kubelet(day, &NODE);
    Request::new(&node, at(19, 21, 41), "get", "pods", ns, Some(ROGUE_POD)).emit(day, out);
    Request::new(&node, at(19, 21, 46), "patch", "pods/status", ns, Some(ROGUE_POD)).emit(day, out);
    Request::new(&intruder, at(19, 21, 52), "get", "pods", ns, Some(ROGUE_POD)).emit(day, out);
    Request::new(&intruder, at(19, 22, 5), "create", "pods/exec", ns, Some(ROGUE_POD))
        .query(&format!("command=sh&container={ROGUE_CONTAINER}&stdin=true&stdout=true&tty=true"))
        .code(101)
        .emit(day, out);
}

/// Controllers keep the orders deployment's replica sets current; CoreDNS watches endpoints.
fn control_plane(day: &mut Day, out: &mut Vec<Value>) {
    let replicas = controller(day, "replicaset-controller");
    for hour in 0..24 {
        let t = at(hour, day.below(60), day.below(60));
        Request::new(
            &replicas,
            t,
            "update",
            "replicasets.apps/status",
            Some(ORDERS),
            Some("orders-api-6d8f9b7c5"),
        )
        .emit(day, out);
    }
    let coredns = service_account(
        day,
        SYSTEM_NAMESPACE,
        "coredns",
        "system:coredns",
        "10.40.7.23",
        "coredns/v1.11.3-eksbuild.1 (linux/amd64)",
    );
    for hour in (0..24).step_by(2) {
        let t = at(hour, day.below(60), day.below(60));
        Request::new(&coredns, t, "watch", "endpointslices.discovery.k8s.io", None, None)
            .query("allowWatchBookmarks=true&resourceVersion=48213377&timeout=7m41s&timeoutSeconds=461&watch=true")
            .emit(day, out);
    }
}

/// Each node's kubelet reports its status; its network agent reads its node.
fn nodes(day: &mut Day, out: &mut Vec<Value>) {
    for node in [&NODE, &ORDERS_NODE] {
        let kubelet = kubelet(day, node);
        for hour in (0..24).step_by(2) {
            let t = at(hour, day.below(60), day.below(60));
            Request::new(&kubelet, t, "patch", "nodes/status", None, Some(node.name)).emit(day, out);
        }
        let agent = service_account(
            day,
            SYSTEM_NAMESPACE,
            "aws-node",
            "aws-node",
            node.ip,
            "aws-node/v1.19.0-eksbuild.1 (linux/amd64)",
        );
        for hour in (0..24).step_by(3) {
            let t = at(hour, day.below(60), day.below(60));
            Request::new(&agent, t, "get", "nodes", None, Some(node.name)).emit(day, out);
        }
    }
}

/// An engineer's `kubectl` reads in the orders namespace, and CI rolling out orders-api.
fn people(day: &mut Day, out: &mut Vec<Value>) {
    let engineer =
        access_entry(day, "eks-platform-admin", "l.tanaka", "203.0.113.121", "AmazonEKSViewPolicy");
    let ns = Some(ORDERS);
    for t in day.spread((10, 5), (16, 10), 15) {
        let (verb, resource, name) = day.pick(&[
            ("list", "pods", None),
            ("list", "deployments.apps", None),
            ("get", "deployments.apps", Some("orders-api")),
            ("get", "pods/log", Some(ORDERS_POD)),
        ]);
        Request::new(&engineer, t, verb, resource, ns, name).emit(day, out);
    }
    let ci =
        access_entry(day, "prod-deployer", "codepipeline-orders", "198.51.100.61", "AmazonEKSEditPolicy");
    let deployments = controller(day, "deployment-controller");
    for t in day.spread((10, 0), (17, 0), 3) {
        Request::new(&ci, t, "patch", "deployments.apps", ns, Some("orders-api"))
            .query("fieldManager=kubectl-set")
            .emit(day, out);
        Request::new(&deployments, t + 1, "update", "deployments.apps/status", ns, Some("orders-api"))
            .emit(day, out);
    }
}
