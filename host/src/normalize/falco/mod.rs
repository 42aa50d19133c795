//! Falco alerts, as Falco writes them with `json_output: true` (to stdout, a file, a program
//! or HTTP; Falcosidekick forwards the same shape): a rule fired on a host or in a container.
//!
//! The event is the alert (`alert`: rule, severity from the priority, tags, reporter
//! `falco`) and, from `output_fields`, the process, file, container and pod it concerns
//! (`process`) and the connection when the rule names one (`network`). The action is the
//! rule's name. The class follows what the fields describe: a process (`proc.*`), else a file
//! (`fd.name` a path), else the finding itself. The actor is the user the process ran as, on
//! its host (`root@node-1`, kind `HostUser`); alerts of Falco's Kubernetes audit and
//! CloudTrail plugins name the Kubernetes user or the AWS principal instead. The time is
//! `time` (RFC 3339, nanoseconds), else `evt.time` (nanoseconds since the epoch); the id is
//! derived from the record's content.

mod shape;

use trailhound_sdk::Severity;

use super::lenient::{owned, text, Loose};
use super::{content_id, k8s, not_json, required_str, time, Read, TopKeys};
use crate::event::{Actor, Alert, Category, Event, Network, OcsfClass, Plane, Process};
use shape::Fields;

/// Whether a record's top-level keys are a Falco alert's.
pub fn recognizes(keys: &TopKeys) -> bool {
    keys.has("rule") && keys.has("priority") && (keys.has("output") || keys.has("output_fields"))
}

/// The event of one Falco alert given as JSON text, or why there is none.
pub fn read(json: &str) -> Result<Read, String> {
    let alert: shape::Alert = serde_json::from_str(json).map_err(|e| not_json(&e))?;
    let rule = required_str(&alert.rule, "rule", "Falco")?;
    let fields = &alert.output_fields.0;
    let time = match time::optional(&alert.time, "time")? {
        Some(t) => Some(t),
        None => event_time(fields)?,
    };
    let hostname = owned(&alert.hostname).or_else(|| fields.text("evt.hostname"));
    let process = process(fields, hostname.clone());
    let class = if fields.has_class("proc.") {
        OcsfClass::ProcessActivity
    } else if process.file.as_deref().is_some_and(|f| f.starts_with('/')) {
        OcsfClass::FileSystemActivity
    } else {
        OcsfClass::DetectionFinding
    };
    let actor = actor(fields, hostname.as_deref());
    let account = fields.text("ct.user.accountid").unwrap_or_else(|| "unknown".into());
    let event = Event {
        id: content_id(json),
        time: time.unwrap_or_default(),
        provider: "host".into(),
        source: super::SourceType::Falco.name().into(),
        plane: Plane::Host,
        class,
        category: Category::Compute,
        service: owned(&alert.source).unwrap_or_else(|| "syscall".into()),
        action: rule.to_string(),
        success: true,
        region: fields.text("ct.region").unwrap_or_default(),
        account,
        actor,
        source_ip: fields.text("ct.srcip").or_else(|| fields.text("ka.sourceips")),
        user_agent: fields.text("ct.useragent").or_else(|| fields.text("ka.useragent")),
        network: network(fields).map(Box::new),
        process: (process != Process::default()).then(|| Box::new(process)),
        alert: Some(Box::new(Alert {
            rule: rule.to_string(),
            severity: severity(text(&alert.priority)),
            tags: alert.tags.0.iter().filter_map(|t| t.str().map(str::to_string)).collect(),
            reporter: "falco".into(),
        })),
        ..Event::default()
    };
    Ok(Read::Event { event, time_missing: time.is_none() })
}

/// `evt.time`: nanoseconds since the epoch.
fn event_time(fields: &Fields<'_>) -> Result<Option<i64>, String> {
    let Some(value) = fields.get("evt.time") else { return Ok(None) };
    match value.number() {
        Some(ns) => time::optional(&Some(Loose::Number((ns / 1e6).trunc())), "output_fields.evt.time"),
        None => time::optional(&Some(value.clone()), "output_fields.evt.time"),
    }
}

/// Falco's priorities, most severe first: emergency, alert and critical are critical; error
/// high; warning medium; notice low; informational and debug informational.
fn severity(priority: Option<&str>) -> Severity {
    match priority.map(str::to_ascii_lowercase).as_deref() {
        Some("emergency" | "alert" | "critical") => Severity::Critical,
        Some("error") => Severity::High,
        Some("warning") => Severity::Medium,
        Some("notice") => Severity::Low,
        _ => Severity::Info,
    }
}

fn process(fields: &Fields<'_>, hostname: Option<String>) -> Process {
    let image =
        fields.text("container.image.repository").map(|repo| match fields.text("container.image.tag") {
            Some(tag) => format!("{repo}:{tag}"),
            None => repo,
        });
    Process {
        hostname,
        name: fields.text("proc.name"),
        exe: fields.text("proc.exepath").or_else(|| fields.text("proc.exe")),
        cmdline: fields.text("proc.cmdline"),
        pid: fields.get("proc.pid").and_then(Loose::number).map(|n| n as i64),
        parent: fields.text("proc.pname"),
        user: fields.text("user.name"),
        file: fields.text("fd.name"),
        container_id: fields.text("container.id"),
        container_name: fields.text("container.name"),
        image,
        privileged: fields.get("container.privileged").and_then(Loose::bool),
        pod: fields.text("k8s.pod.name"),
        namespace: fields.text("k8s.ns.name"),
        // Falco's fields say nothing of a pod's spec (host mounts, shared namespaces).
        ..Process::default()
    }
}

/// The connection a rule names (`fd.cip`/`fd.cport` the client, `fd.sip`/`fd.sport` the
/// server), when it names one.
fn network(fields: &Fields<'_>) -> Option<Network> {
    let (client, server) = (fields.text("fd.cip"), fields.text("fd.sip"));
    if client.is_none() && server.is_none() {
        return None;
    }
    let port = |key| fields.get(key).and_then(Loose::number).and_then(|p| u16::try_from(p as i64).ok());
    let protocol = fields.text("fd.l4proto").and_then(|p| match p.as_str() {
        "tcp" => Some(6),
        "udp" => Some(17),
        "icmp" => Some(1),
        _ => None,
    });
    Some(Network {
        src_addr: client,
        src_port: port("fd.cport"),
        dst_addr: server,
        dst_port: port("fd.sport"),
        protocol,
        ..Network::default()
    })
}

/// Who the alert is about: the process's user on its host; for alerts of Falco's plugins,
/// the Kubernetes user (`ka.user.name`) or AWS principal (`ct.user.arn`, `ct.user`).
fn actor(fields: &Fields<'_>, hostname: Option<&str>) -> Actor {
    if let Some(user) = fields.text("user.name") {
        let id = match hostname {
            Some(host) => format!("{user}@{host}"),
            None => user.clone(),
        };
        return Actor { id, kind: "HostUser".into(), name: Some(user), ..Actor::default() };
    }
    if let Some(user) = fields.text("ka.user.name") {
        return Actor {
            kind: k8s::principal_kind(&user).into(),
            id: user.clone(),
            name: Some(user),
            ..Actor::default()
        };
    }
    if let Some(id) = fields.text("ct.user.arn").or_else(|| fields.text("ct.user")) {
        return Actor {
            id,
            kind: fields.text("ct.user.identitytype").unwrap_or_else(|| "Unknown".into()),
            account: fields.text("ct.user.accountid").unwrap_or_default(),
            name: fields.text("ct.user"),
            ..Actor::default()
        };
    }
    Actor { id: "unknown".into(), kind: "Unknown".into(), ..Actor::default() }
}
