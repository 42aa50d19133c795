//! Falco's alerts from the production cluster's nodes, as Falco writes them with
//! `json_output: true` (one alert a line; Falco reports only what its rules match, so there is
//! no other background than benign matches).
//!
//! Story 3, step 4 (19:22): on the story's node, Falco's stable rule `Terminal shell in
//! container` fires for the shell opened in the intruder's pod. Around it, the day's benign
//! matches: `Contact K8S API Server From Container` for the orders worker, whose leader
//! election talks to the API server from an image the rule does not know.

use serde_json::{json, Map, Value};

use super::day::{at, ts_fraction, Day, LOWER_HEX};
use super::kubernetes::{ROGUE_CONTAINER, ROGUE_IMAGE};
use super::{Node, DEV, NODE, ORDERS_NODE, ROGUE_POD, SYSTEM_NAMESPACE};

pub const SHELL_RULE: &str = "Terminal shell in container";
const API_RULE: &str = "Contact K8S API Server From Container";
/// The cluster's `kubernetes` service, as a pod reaches it.
const API_SERVICE: &str = "172.20.0.1";

/// One alert: the rule, its priority and tags, the message it prints, and the fields the
/// message names (each with the label the message shows it under).
struct Alert<'a> {
    node: &'a Node,
    time: i64,
    rule: &'static str,
    priority: &'static str,
    tags: &'static [&'static str],
    message: &'static str,
    fields: Vec<Field>,
}

/// A field of the output: its label in the message, its name, its value.
type Field = (&'static str, &'static str, Value);

impl Alert<'_> {
    fn emit(self, day: &mut Day, out: &mut Vec<Value>) {
        let nanos = day.nanos();
        let time = ts_fraction(self.time, nanos, 9);
        let mut fields = Map::new();
        fields.insert("evt.time".into(), json!(self.time * 1_000_000_000 + i64::from(nanos)));
        let mut text = String::new();
        for (label, key, value) in self.fields {
            let shown = value.as_str().map_or_else(|| value.to_string(), str::to_string);
            text.push_str(&format!(" {label}={shown}"));
            fields.insert(key.into(), value);
        }
        out.push(json!({
            "hostname": self.node.name,
            "output": format!("{}: {} {} |{text}", &time[11..time.len() - 1], self.priority, self.message),
            "output_fields": fields,
            "priority": self.priority,
            "rule": self.rule,
            "source": "syscall",
            "tags": self.tags,
            "time": time,
        }));
    }
}

/// The fields Falco's `%container.info` adds for a container of a pod.
fn container(id: &str, image: &str, name: &str, namespace: &str, pod: &str) -> Vec<Field> {
    let (repository, tag) = image.rsplit_once(':').unwrap_or((image, "latest"));
    vec![
        ("container_id", "container.id", id.into()),
        ("container_name", "container.name", name.into()),
        ("container_image_repository", "container.image.repository", repository.into()),
        ("container_image_tag", "container.image.tag", tag.into()),
        ("k8s_pod_name", "k8s.pod.name", pod.into()),
        ("k8s_ns_name", "k8s.ns.name", namespace.into()),
    ]
}

/// The nodes' alerts of the day, in time order.
pub fn alerts(day: &mut Day) -> Vec<Value> {
    let mut out = Vec::new();
    story(day, &mut out);
    api_contacts(day, &mut out);
    out.sort_by(|a, b| a["time"].as_str().cmp(&b["time"].as_str()));
    out
}

/// Story 3, step 4: the shell `kubectl exec` opened in the intruder's pod.
fn story(day: &mut Day, out: &mut Vec<Value>) {
    let mut fields = vec![
        ("evt_type", "evt.type", json!("execve")),
        ("user", "user.name", json!("root")),
        ("user_uid", "user.uid", json!(0)),
        ("user_loginuid", "user.loginuid", json!(-1)),
        ("process", "proc.name", json!("sh")),
        ("proc_exepath", "proc.exepath", json!("/bin/busybox")),
        ("parent", "proc.pname", json!("runc")),
        ("command", "proc.cmdline", json!("sh")),
        ("terminal", "proc.tty", json!(34816)),
        ("exe_flags", "evt.arg.flags", json!("EXE_WRITABLE|EXE_LOWER_LAYER")),
    ];
    let id = day.rid("", 12, LOWER_HEX);
    fields.extend(container(&id, ROGUE_IMAGE, ROGUE_CONTAINER, SYSTEM_NAMESPACE, ROGUE_POD));
    Alert {
        node: &NODE,
        time: at(19, 22, 6),
        rule: SHELL_RULE,
        priority: "Notice",
        tags: &["T1059", "container", "maturity_stable", "mitre_execution", "shell"],
        message: "A shell was spawned in a container with an attached terminal",
        fields,
    }
    .emit(day, out);
}

/// The orders worker's leader election, seen as a container contacting the API server.
fn api_contacts(day: &mut Day, out: &mut Vec<Value>) {
    let image = format!("{DEV}.dkr.ecr.us-east-1.amazonaws.com/orders-worker:sha-4e1b7c2");
    // Each pod: its name, its container's id, its address.
    let pods: Vec<(&str, String, String)> =
        ["orders-worker-5b7c9d4f8-m4t9z", "orders-worker-5b7c9d4f8-q8w2n"]
            .into_iter()
            .map(|pod| (pod, day.rid("", 12, LOWER_HEX), format!("10.40.7.{}", 30 + day.below(200))))
            .collect();
    for (t, (pod, id, pod_ip)) in day.spread((6, 0), (22, 0), 3).into_iter().zip(pods.iter().cycle()) {
        let port = 32768 + day.below(28000);
        let mut fields = vec![
            ("connection", "fd.name", json!(format!("{pod_ip}:{port}->{API_SERVICE}:443"))),
            ("lport", "fd.lport", json!(port)),
            ("rport", "fd.rport", json!(443)),
            ("fd_type", "fd.type", json!("ipv4")),
            ("fd_proto", "fd.l4proto", json!("tcp")),
            ("evt_type", "evt.type", json!("connect")),
            ("user", "user.name", json!("root")),
            ("user_uid", "user.uid", json!(0)),
            ("user_loginuid", "user.loginuid", json!(-1)),
            ("process", "proc.name", json!("orders-worker")),
            ("proc_exepath", "proc.exepath", json!("/app/orders-worker")),
            ("parent", "proc.pname", json!("tini")),
            ("command", "proc.cmdline", json!("orders-worker --leader-elect")),
            ("terminal", "proc.tty", json!(0)),
        ];
        fields.extend(container(id, &image, "worker", "orders", pod));
        Alert {
            node: &ORDERS_NODE,
            time: t,
            rule: API_RULE,
            priority: "Notice",
            tags: &["T1565", "container", "k8s", "maturity_stable", "mitre_discovery", "network"],
            message: "Unexpected connection to K8s API Server from container",
            fields,
        }
        .emit(day, out);
    }
}
