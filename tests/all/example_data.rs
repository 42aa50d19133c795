//! Tests: the bundled example data (`examples/data`) on every plane. Every record of every
//! provider normalizes as an event; each step of story 3 (one identity across GCP, Azure, the
//! cluster, its node and the VPC) is there as the event its plane makes of it (story 4's are in
//! [`crate::example_escape`]); every source has benign background; and the scan's summary counts the events per provider and per
//! source, as README command 1 shows them.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use trailhound::normalize::Normalized;
use trailhound::record::Record;
use trailhound::sources::{self, Item};
use trailhound_sdk::Severity;

use crate::support;

// The names of story 3, as the generator (`trailhound_synth::example`) writes them.
const CONTRACTOR: &str = "r.vance@acme.example";
const INTRUDER_IP: &str = "192.0.2.213";
const EXPORTER: &str = "analytics-exporter@acme-analytics-prod.iam.gserviceaccount.com";
const PUBLIC_BUCKET: &str = "projects/_/buckets/acme-analytics-exports";
const SUBSCRIPTION: &str = "5f3c9a12-7d4e-4b8a-9c61-2e8f0d3b7a45";
const GUEST: &str = "e7d41c09-2a8f-4b36-95e1-0c6b3f8a2d74";
const OWNER_ROLE: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const CLUSTER_USER: &str = "arn:aws:sts::738219460512:assumed-role/eks-platform-contractor/r.vance";
const ROGUE_POD: &str = "node-diag-7f4c2";
const NODE: &str = "ip-10-40-12-31.ec2.internal";
const NODE_IP: &str = "10.40.12.31";
const NODE_ENI: &str = "eni-0c2a7e19b4d83f651";

/// The sources the bundled data holds: every one the host reads but Entra ID's.
const SOURCES: [&str; 6] =
    ["aws-cloudtrail", "aws-vpcflow", "azure-activity", "falco", "gcp-audit", "k8s-audit"];

/// Every record of `examples/data`, normalized, in the order the host reads them.
pub fn records() -> Vec<Record> {
    let inputs = sources::expand(&[support::workspace().join("examples/data")]).unwrap().inputs;
    let mut out = Vec::new();
    for input in &inputs {
        sources::read(input, Default::default(), &mut |item| match item {
            Item::Record(raw) => match trailhound::normalize::normalize(raw, None) {
                Ok(Normalized::Event(record)) => out.push(record),
                Ok(Normalized::Skipped { origin, reason }) => panic!("{origin}: skipped: {reason}"),
                Err(bad) => panic!("{}: {}", bad.origin, bad.reason),
            },
            Item::Malformed(bad) => panic!("{}: {}", bad.origin, bad.reason),
        })
        .unwrap();
    }
    out
}

pub fn of<'r>(records: &'r [Record], source: &str) -> impl Iterator<Item = &'r Record> + 'r {
    let source = source.to_string();
    records.iter().filter(move |r| r.event.source == source)
}

/// The one record of `source` that `is` picks.
pub fn only<'r>(records: &'r [Record], source: &str, what: &str, is: impl Fn(&Record) -> bool) -> &'r Record {
    let found: Vec<&Record> = of(records, source).filter(|r| is(r)).collect();
    assert_eq!(found.len(), 1, "{what}: {:#?}", found.iter().map(|r| &r.event).collect::<Vec<_>>());
    found[0]
}

fn counts<'r>(keys: impl Iterator<Item = &'r str>) -> BTreeMap<&'r str, usize> {
    let mut counts = BTreeMap::new();
    for key in keys {
        *counts.entry(key).or_default() += 1;
    }
    counts
}

#[test]
fn every_record_of_every_plane_is_an_event() {
    let records = records();
    let by_source = counts(records.iter().map(|r| r.event.source.as_str()));
    eprintln!("examples/data events by source: {by_source:?}");
    assert_eq!(by_source.keys().copied().collect::<Vec<_>>(), SOURCES);
    for record in &records {
        let event = &record.event;
        assert!(event.time > 0 && !record.time_missing, "{}: no time", record.origin);
        assert!(!event.action.is_empty() && !event.actor.id.is_empty(), "{}: {event:?}", record.origin);
        assert!(event.actor.id != "unknown", "{}: nobody acted: {event:?}", record.origin);
    }
}

#[test]
fn gcp_a_service_account_is_impersonated_and_makes_a_bucket_public() {
    let records = records();
    let token = of(&records, "gcp-audit")
        .filter(|r| r.event.action == "GenerateAccessToken" && r.event.actor.id == CONTRACTOR)
        .filter(|r| r.json()["resource"]["labels"]["email_id"] == EXPORTER)
        .min_by_key(|r| r.event.time)
        .expect("a token for the exporter account");
    assert_eq!(token.event.service, "iamcredentials.googleapis.com");
    assert_eq!(token.event.source_ip.as_deref(), Some(INTRUDER_IP));
    let public = only(&records, "gcp-audit", "the bucket made public", |r| {
        r.event.action == "storage.setIamPermissions"
            && r.event.resources.iter().any(|x| x.id == PUBLIC_BUCKET)
    });
    let actor = &public.event.actor;
    assert_eq!((actor.id.as_str(), actor.kind.as_str()), (EXPORTER, "ServiceAccount"));
    assert_eq!(actor.delegation, [CONTRACTOR], "the delegation chain names who impersonated it");
    assert_eq!(public.event.source_ip.as_deref(), Some(INTRUDER_IP));
    assert!(public.event.success && public.event.time > token.event.time);
    let raw = public.json();
    let deltas = raw["protoPayload"]["serviceData"]["policyDelta"]["bindingDeltas"].as_array().unwrap();
    assert!(
        deltas.iter().any(|d| d["action"] == "ADD"
            && d["member"] == "allUsers"
            && d["role"] == "roles/storage.objectViewer"),
        "{deltas:?}"
    );
}

#[test]
fn azure_owner_is_granted_to_an_outside_principal() {
    let records = records();
    let is_assignment =
        |r: &Record| r.event.action.eq_ignore_ascii_case("Microsoft.Authorization/roleAssignments/write");
    let owner = only(&records, "azure-activity", "Owner granted", |r| {
        is_assignment(r) && r.json()["resultType"] == "Success" && r.raw.contains(OWNER_ROLE)
    });
    let event = &owner.event;
    assert_eq!((event.actor.id.as_str(), event.actor.kind.as_str()), (CONTRACTOR, "User"));
    // The storage export writes ids in upper case; Azure compares them without regard to case.
    assert!(event.account.eq_ignore_ascii_case(SUBSCRIPTION), "{}", event.account);
    assert_eq!(event.source_ip.as_deref(), Some(INTRUDER_IP));
    assert!(event.success);
    // The request's body, recorded when the operation started, names the role and the grantee.
    let started = of(&records, "azure-activity").find(|r| {
        is_assignment(r)
            && r.event.ids.correlation == event.ids.correlation
            && r.json()["resultType"] == "Start"
    });
    let body: Value = serde_json::from_str(
        started.expect("the start of the operation").json()["properties"]["requestbody"].as_str().unwrap(),
    )
    .unwrap();
    let properties = &body["Properties"];
    assert!(properties["RoleDefinitionId"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/roleDefinitions/{OWNER_ROLE}")));
    assert_eq!(
        (properties["PrincipalId"].as_str(), properties["Scope"].as_str()),
        (Some(GUEST), Some(&*format!("/subscriptions/{SUBSCRIPTION}")))
    );
    // Outside: the guest never calls anything in the subscription.
    assert!(of(&records, "azure-activity")
        .all(|r| r.event.actor.id != GUEST && !r.json()["identity"]["claims"].to_string().contains(GUEST)));
}

#[test]
fn kubernetes_a_privileged_pod_mounts_the_host_in_kube_system() {
    let records = records();
    let created = only(&records, "k8s-audit", "the pod created", |r| {
        r.event.action == "create pods" && r.event.actor.id == CLUSTER_USER
    });
    let process = created.event.process.as_deref().expect("a pod's process part");
    assert_eq!(
        (process.namespace.as_deref(), process.pod.as_deref()),
        (Some("kube-system"), Some(ROGUE_POD))
    );
    assert_eq!(process.privileged, Some(true));
    assert!(process.host_paths.iter().any(|p| p == "/"), "{:?}", process.host_paths);
    assert_eq!((process.host_pid, process.host_network), (Some(true), Some(true)));
    assert_eq!(created.event.source_ip.as_deref(), Some(INTRUDER_IP));
    assert_eq!(created.json()["requestObject"]["spec"]["nodeName"], NODE);
    let exec = only(&records, "k8s-audit", "the shell opened", |r| {
        r.event.action == "create pods/exec" && r.event.actor.id == CLUSTER_USER
    });
    assert!(exec.event.success && exec.event.time > created.event.time);
    assert!(exec.event.resources.iter().any(|x| x.id == format!("kube-system/{ROGUE_POD}")));
}

#[test]
fn falco_reports_the_shell_in_that_container() {
    let records = records();
    let shell = only(&records, "falco", "the shell", |r| r.event.action == "Terminal shell in container");
    let alert = shell.event.alert.as_deref().unwrap();
    assert_eq!(
        (alert.rule.as_str(), alert.severity, alert.reporter.as_str()),
        ("Terminal shell in container", Severity::Low, "falco")
    );
    let process = shell.event.process.as_deref().unwrap();
    assert_eq!((process.hostname.as_deref(), process.name.as_deref()), (Some(NODE), Some("sh")));
    assert_eq!(
        (process.namespace.as_deref(), process.pod.as_deref()),
        (Some("kube-system"), Some(ROGUE_POD))
    );
    let pod = only(&records, "k8s-audit", "the pod created", |r| {
        r.event.action == "create pods" && r.event.actor.id == CLUSTER_USER
    })
    .json();
    assert_eq!(
        process.container_name.as_ref(),
        pod["requestObject"]["spec"]["containers"][0]["name"].as_str().map(str::to_string).as_ref()
    );
    assert_eq!(shell.event.actor.id, format!("root@{NODE}"));
}

#[test]
fn flow_logs_show_the_node_calling_the_intruder_on_4444() {
    let records = records();
    let out: Vec<&Record> = of(&records, "aws-vpcflow")
        .filter(|r| r.event.network.as_deref().is_some_and(|n| n.dst_addr.as_deref() == Some(INTRUDER_IP)))
        .collect();
    assert!(!out.is_empty(), "no flow to port 4444");
    for flow in &out {
        let network = flow.event.network.as_deref().unwrap();
        assert_eq!((network.src_addr.as_deref(), network.dst_port), (Some(NODE_IP), Some(4444)));
        assert_eq!(
            (network.interface.as_deref(), network.allowed, network.protocol),
            (Some(NODE_ENI), Some(true), Some(6))
        );
        assert_eq!((flow.event.action.as_str(), flow.event.actor.id.as_str()), ("ACCEPT", NODE_ENI));
    }
    // The node's interface in the flow logs is the one whose address the pod shares.
    let shell = only(&records, "falco", "the shell", |r| r.event.action == "Terminal shell in container");
    assert!(
        out.iter().any(|f| (f.event.time - shell.event.time).abs() < 10 * 60 * 1000),
        "the call back follows the shell"
    );
}

/// Whether an event is part of story 3.
fn in_story(record: &Record) -> bool {
    let event = &record.event;
    let network = event.network.as_deref();
    let process = event.process.as_deref();
    [CONTRACTOR, CLUSTER_USER].contains(&event.actor.id.as_str())
        || event.actor.delegation.iter().any(|d| d == CONTRACTOR)
        || event.source_ip.as_deref() == Some(INTRUDER_IP)
        || network.is_some_and(|n| n.dst_addr.as_deref() == Some(INTRUDER_IP))
        || process.is_some_and(|p| p.pod.as_deref() == Some(ROGUE_POD))
}

/// Whether an event is part of no story of the other planes (3 and 4).
fn benign(record: &Record) -> bool {
    !in_story(record) && !crate::example_escape::in_story(record)
}

#[test]
fn every_source_has_benign_background() {
    let records = records();
    let story = counts(records.iter().filter(|r| in_story(r)).map(|r| r.event.source.as_str()));
    let background = counts(records.iter().filter(|r| benign(r)).map(|r| r.event.source.as_str()));
    eprintln!("story 3 events by source: {story:?}\nbackground by source: {background:?}");
    for source in SOURCES.into_iter().filter(|s| *s != "aws-cloudtrail") {
        assert!(story.get(source).is_some_and(|n| *n > 0), "no story event of {source}");
    }
    for source in SOURCES {
        let n = background.get(source).copied().unwrap_or_default();
        assert!(n >= if source == "falco" { 2 } else { 20 }, "{source}: only {n} background events");
    }
    // Benign flows are accepted and rejected, and benign grants exist beside the story's.
    let actions = counts(of(&records, "aws-vpcflow").filter(|r| benign(r)).map(|r| r.event.action.as_str()));
    assert!(actions.contains_key("ACCEPT") && actions.contains_key("REJECT"), "{actions:?}");
    for (source, action) in [
        ("gcp-audit", "storage.setIamPermissions"),
        ("gcp-audit", "GenerateAccessToken"),
        ("azure-activity", "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE"),
    ] {
        assert!(of(&records, source).any(|r| benign(r) && r.event.action == action), "no benign {action}");
    }
}

/// README command 1's summary: the events of every provider, and of every source.
#[test]
fn the_scan_summary_counts_events_per_provider_and_source() {
    let records = records();
    let output = Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .arg("scan")
        .arg(support::workspace().join("examples/data"))
        .arg("--plugin")
        .arg(support::component("minimal-detector"))
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("example-data-cache"))
        .output()
        .expect("trailhound runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("events read: {}   malformed: 0", records.len())), "{stderr}");
    assert!(!stderr.contains("skipped"), "{stderr}");
    let line = |counts: BTreeMap<&str, usize>| {
        counts.iter().map(|(k, n)| format!("{k}: {n}")).collect::<Vec<_>>().join("  ")
    };
    let providers = line(counts(records.iter().map(|r| r.event.provider.as_str())));
    assert!(
        stderr.contains(&format!("events by provider: {providers}\n")),
        "expected {providers}:\n{stderr}"
    );
    let sources = line(counts(records.iter().map(|r| r.event.source.as_str())));
    assert!(stderr.contains(&format!("events by source: {sources}\n")), "expected {sources}:\n{stderr}");
}
