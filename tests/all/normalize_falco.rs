//! Tests: Falco alerts (`json_output: true`, as Falco's "Outputs" docs show them) — a shell
//! in a container, a reverse shell, file and plugin alerts, priorities, odd records.

use serde_json::{json, Value};
use trailhound::event::{Event, OcsfClass, Plane};
use trailhound::normalize;
use trailhound_sdk::Severity;

fn normalized(record: &Value) -> Event {
    normalize::event(&record.to_string()).unwrap_or_else(|e| panic!("{record}: {e}"))
}

fn terminal_shell() -> Value {
    json!({
        "hostname": "node-1",
        "output": "10:44:11.355339010: Notice A shell was spawned in a container with an attached terminal \
                   (evt_type=execve user=root user_uid=0 user_loginuid=-1 process=bash proc_exepath=/usr/bin/bash \
                   parent=runc command=bash terminal=34816 exe_flags=EXE_WRITABLE container_id=4f8b2c1a5d3e \
                   container_image=docker.io/library/nginx container_image_tag=1.25 container_name=nginx \
                   k8s_ns=default k8s_pod_name=nginx-7c5ddbdf54-x2lqk)",
        "priority": "Notice",
        "rule": "Terminal shell in container",
        "source": "syscall",
        "tags": ["T1059", "container", "maturity_stable", "mitre_execution", "shell"],
        "time": "2024-05-01T10:44:11.355339010Z",
        "output_fields": {
            "container.id": "4f8b2c1a5d3e",
            "container.image.repository": "docker.io/library/nginx",
            "container.image.tag": "1.25",
            "container.name": "nginx",
            "container.privileged": false,
            "evt.time": 1_714_560_251_355_339_010_i64,
            "evt.type": "execve",
            "k8s.ns.name": "default",
            "k8s.pod.name": "nginx-7c5ddbdf54-x2lqk",
            "proc.cmdline": "bash",
            "proc.exepath": "/usr/bin/bash",
            "proc.name": "bash",
            "proc.pid": 48213,
            "proc.pname": "runc",
            "proc.tty": 34816,
            "user.loginuid": -1,
            "user.name": "root",
            "user.uid": 0
        }
    })
}

#[test]
fn a_terminal_shell_in_a_container() {
    let event = normalized(&terminal_shell());
    assert_eq!((event.source.as_str(), event.provider.as_str()), ("falco", "host"));
    assert_eq!((event.plane, event.class), (Plane::Host, OcsfClass::ProcessActivity));
    assert_eq!(event.action, "Terminal shell in container");
    assert_eq!(event.time, 1_714_560_251_355, "nanoseconds of `time` cut to milliseconds");
    assert_eq!((event.actor.id.as_str(), event.actor.kind.as_str()), ("root@node-1", "HostUser"));
    assert_eq!(event.account, "unknown");
    assert!(event.id.starts_with("sha256:"));
    let alert = event.alert.expect("an alert");
    assert_eq!(
        (alert.rule.as_str(), alert.severity, alert.reporter.as_str()),
        ("Terminal shell in container", Severity::Low, "falco")
    );
    assert!(alert.tags.iter().any(|t| t == "mitre_execution"));
    let process = event.process.expect("a process");
    assert_eq!(process.name.as_deref(), Some("bash"));
    assert_eq!(process.exe.as_deref(), Some("/usr/bin/bash"));
    assert_eq!((process.pid, process.parent.as_deref()), (Some(48213), Some("runc")));
    assert_eq!(process.user.as_deref(), Some("root"));
    assert_eq!(process.hostname.as_deref(), Some("node-1"));
    assert_eq!(process.image.as_deref(), Some("docker.io/library/nginx:1.25"));
    assert_eq!((process.container_id.as_deref(), process.privileged), (Some("4f8b2c1a5d3e"), Some(false)));
    assert_eq!(
        (process.pod.as_deref(), process.namespace.as_deref()),
        (Some("nginx-7c5ddbdf54-x2lqk"), Some("default"))
    );
}

#[test]
fn a_reverse_shell_names_its_connection() {
    let record = json!({
        "hostname": "node-2",
        "output": "Redirect stdout/stdin to network connection (gparent=bash ggparent=runc fd.name=172.17.0.4:41512->203.0.113.9:4444 evt.type=dup2 user=www-data process=sh command=sh -i)",
        "priority": "Critical",
        "rule": "Redirect STDOUT/STDIN to Network Connection in Container",
        "source": "syscall",
        "tags": ["T1059", "container", "mitre_execution", "network", "process"],
        "time": "2024-05-01T11:02:03.000000001Z",
        "output_fields": {
            "container.id": "9a1b2c3d4e5f", "container.image.repository": "registry.example.com/shop/web",
            "container.name": "web", "evt.type": "dup2", "fd.cip": "172.17.0.4", "fd.cport": 41512,
            "fd.l4proto": "tcp", "fd.name": "172.17.0.4:41512->203.0.113.9:4444", "fd.sip": "203.0.113.9",
            "fd.sport": 4444, "proc.cmdline": "sh -i", "proc.name": "sh", "proc.pname": "bash", "user.name": "www-data"
        }
    });
    let event = normalized(&record);
    assert_eq!(event.class, OcsfClass::ProcessActivity);
    assert_eq!(event.alert.as_ref().unwrap().severity, Severity::Critical);
    let network = event.network.expect("the connection");
    assert_eq!((network.dst_addr.as_deref(), network.dst_port), (Some("203.0.113.9"), Some(4444)));
    assert_eq!(
        (network.src_addr.as_deref(), network.src_port, network.protocol),
        (Some("172.17.0.4"), Some(41512), Some(6))
    );
    let process = event.process.unwrap();
    assert_eq!(process.image.as_deref(), Some("registry.example.com/shop/web"), "no tag, no colon");
    assert_eq!(process.file.as_deref(), Some("172.17.0.4:41512->203.0.113.9:4444"));
}

#[test]
fn a_file_alert_and_the_event_time_in_nanoseconds() {
    let record = json!({
        "output": "File below a known binary directory opened for writing (file=/bin/hack)",
        "priority": "Error", "rule": "Write below binary dir",
        "output_fields": {"evt.time": 1_507_591_916_746_609_046_i64, "fd.name": "/bin/hack"}
    });
    let event = normalized(&record);
    assert_eq!(event.class, OcsfClass::FileSystemActivity);
    assert_eq!(event.time, 1_507_591_916_746);
    assert_eq!(event.alert.unwrap().severity, Severity::High);
    assert_eq!((event.actor.id.as_str(), event.actor.kind.as_str()), ("unknown", "Unknown"));
}

#[test]
fn alerts_of_falco_plugins_are_host_plane_findings_about_their_principal() {
    let k8s = json!({
        "output": "Attach/Exec to pod (user=system:serviceaccount:ci:builder pod=web-0 resource=pods ns=prod action=exec command=sh)",
        "priority": "Notice", "rule": "Attach/Exec Pod", "source": "k8s_audit", "tags": ["k8s"],
        "time": "2024-05-01T12:00:00.000000000Z",
        "output_fields": {"ka.user.name": "system:serviceaccount:ci:builder", "ka.target.name": "web-0",
            "ka.target.namespace": "prod", "ka.target.resource": "pods", "ka.uri.param[command]": "sh"}
    });
    let event = normalized(&k8s);
    assert_eq!((event.plane, event.class), (Plane::Host, OcsfClass::DetectionFinding));
    assert_eq!(
        (event.actor.id.as_str(), event.actor.kind.as_str()),
        ("system:serviceaccount:ci:builder", "ServiceAccount")
    );
    assert_eq!(
        (event.service.as_str(), event.alert.unwrap().rule.as_str()),
        ("k8s_audit", "Attach/Exec Pod")
    );
    assert!(event.process.is_none());

    let cloudtrail = json!({
        "output": "Detected console login without MFA (user=alice)",
        "priority": "Warning", "rule": "Console Login Without MFA", "source": "aws_cloudtrail",
        "time": "2024-05-01T12:00:00Z",
        "output_fields": {"ct.user": "alice", "ct.user.arn": "arn:aws:iam::111122223333:user/alice",
            "ct.user.accountid": "111122223333", "ct.user.identitytype": "IAMUser", "ct.region": "us-east-1",
            "ct.srcip": "198.51.100.7"}
    });
    let event = normalized(&cloudtrail);
    assert_eq!(event.actor.id, "arn:aws:iam::111122223333:user/alice");
    assert_eq!((event.actor.kind.as_str(), event.account.as_str()), ("IAMUser", "111122223333"));
    assert_eq!((event.region.as_str(), event.source_ip.as_deref()), ("us-east-1", Some("198.51.100.7")));
    assert_eq!(event.alert.unwrap().severity, Severity::Medium);
}

#[test]
fn priorities_map_onto_severities() {
    let cases = [
        ("Emergency", Severity::Critical),
        ("ALERT", Severity::Critical),
        ("Critical", Severity::Critical),
        ("Error", Severity::High),
        ("Warning", Severity::Medium),
        ("Notice", Severity::Low),
        ("Informational", Severity::Info),
        ("Debug", Severity::Info),
    ];
    for (priority, severity) in cases {
        let mut record = terminal_shell();
        record["priority"] = json!(priority);
        assert_eq!(normalized(&record).alert.unwrap().severity, severity, "{priority}");
    }
}

#[test]
fn odd_and_partial_records() {
    // No output_fields, no time: an alert all the same.
    let read = normalize::read(&json!({"rule": "R", "priority": "Notice", "output": "x"}).to_string(), None)
        .unwrap();
    let normalize::Read::Event { event, time_missing } = read else { panic!("not an event") };
    assert!(time_missing && event.process.is_none());
    assert_eq!(event.class, OcsfClass::DetectionFinding);
    // `<NA>` and null are absent; numbers as text and text as numbers; tags not a list.
    let mut record = terminal_shell();
    record["output_fields"]["k8s.pod.name"] = json!("<NA>");
    record["output_fields"]["container.image.tag"] = Value::Null;
    record["output_fields"]["proc.pid"] = json!("48213");
    record["output_fields"]["user.name"] = json!(0);
    record["tags"] = json!("shell");
    record["hostname"] = json!(["node-1"]);
    let event = normalized(&record);
    let process = event.process.unwrap();
    assert_eq!((process.pod, process.pid), (None, Some(48213)));
    assert_eq!(process.image.as_deref(), Some("docker.io/library/nginx"));
    assert_eq!(event.actor.id, "0", "a user written as a number, on no known host");
    assert_eq!(event.alert.unwrap().tags, ["shell"]);
    let cases = [
        (
            json!({"rule": 5, "priority": "Notice", "output": "x"}),
            "rule: expected a non-empty string, found a number",
        ),
        (
            json!({"rule": "R", "priority": "Notice", "output": "x", "time": "yesterday"}),
            "time: cannot read \"yesterday\"",
        ),
        (
            json!({"rule": "R", "priority": "Notice", "output_fields": {"evt.time": "soon"}}),
            "output_fields.evt.time: cannot read",
        ),
    ];
    for (record, expected) in cases {
        let error = normalize::event(&record.to_string()).expect_err(expected);
        assert!(error.contains(expected), "{record}: {error:?} does not contain {expected:?}");
    }
}
