//! Tests: story 4 of the bundled example data (`examples/data`), a vulnerable container that
//! escapes to its node, as each plane records it: Falco's alerts on the orders node in the
//! order the attack makes them, the reverse shell in the VPC flow logs, the node role's key
//! used by the node through the VPC endpoints and by the attacker from outside, the discovery
//! across regions, the privileged assume, and the snapshot its key shares.

use std::collections::BTreeSet;

use trailhound::record::Record;
use trailhound_sdk::Severity;

use crate::example_data::{of, only, records};

// The names of story 4, as the generator (`trailhound_synth::example`) writes them.
const ORDERS_NODE: &str = "ip-10-40-7-188.ec2.internal";
const ORDERS_NODE_IP: &str = "10.40.7.188";
const ORDERS_NODE_ENI: &str = "eni-07b3d9e2a1c4f5086";
const ORDERS_INSTANCE: &str = "i-05e9c1d4a7b3f2608";
const NODE_SESSION: &str = "arn:aws:sts::738219460512:assumed-role/eks-node-role/i-05e9c1d4a7b3f2608";
const ORDERS_POD: &str = "orders-api-6d8f9b7c5-x2kqp";
const ATTACKER_IP: &str = "198.51.100.94";
const DBA_ROLE: &str = "arn:aws:iam::738219460512:role/prod-dba-admin";
const DBA_SESSION: &str = "orders-db-migrate";
const SNAPSHOT: &str = "orders-prod-2026-11-03-export";
const FOREIGN: &str = "903481726654";

/// Whether an event is part of story 4.
pub fn in_story(record: &Record) -> bool {
    let event = &record.event;
    let network = event.network.as_deref();
    let falco_on_the_pod = event.source == "falco"
        && event.process.as_deref().is_some_and(|p| p.pod.as_deref() == Some(ORDERS_POD));
    event.source_ip.as_deref() == Some(ATTACKER_IP)
        || event.actor.session_name.as_deref() == Some(DBA_SESSION)
        || network
            .is_some_and(|n| [&n.src_addr, &n.dst_addr].iter().any(|a| a.as_deref() == Some(ATTACKER_IP)))
        || falco_on_the_pod
}

/// The node role's CloudTrail records, the node's own and the attacker's.
fn node_role(records: &[Record]) -> Vec<&Record> {
    of(records, "aws-cloudtrail").filter(|r| r.event.actor.id == NODE_SESSION).collect()
}

#[test]
fn falco_reports_the_shell_the_escape_and_the_metadata_read_in_order() {
    let records = records();
    let mut alerts: Vec<&Record> = of(&records, "falco").filter(|r| in_story(r)).collect();
    alerts.sort_by_key(|r| r.event.time);
    let rules: Vec<&str> = alerts.iter().map(|r| r.event.action.as_str()).collect();
    assert_eq!(
        rules,
        [
            "Redirect STDOUT/STDIN to Network Connection in Container",
            "Mount Launched in Privileged Container",
            "Detect release_agent File Container Escapes",
            "Contact EC2 Instance Metadata Service From Container",
            "Contact EC2 Instance Metadata Service From Container",
        ]
    );
    for alert in &alerts {
        let process = alert.event.process.as_deref().unwrap();
        assert_eq!(
            (process.hostname.as_deref(), process.namespace.as_deref(), process.user.as_deref()),
            (Some(ORDERS_NODE), Some("orders"), Some("root"))
        );
        assert_eq!(alert.event.actor.id, format!("root@{ORDERS_NODE}"));
    }
    let severities: Vec<Severity> =
        alerts.iter().map(|r| r.event.alert.as_deref().unwrap().severity).collect();
    assert_eq!(
        severities,
        [Severity::Low, Severity::Medium, Severity::Critical, Severity::Low, Severity::Low]
    );
    let techniques: BTreeSet<&str> = alerts
        .iter()
        .flat_map(|r| r.event.alert.as_deref().unwrap().tags.iter().map(String::as_str))
        .filter(|t| t.starts_with('T'))
        .collect();
    assert_eq!(techniques, BTreeSet::from(["T1059", "T1552.005", "T1611"]));
    let shell = alerts[0].event.network.as_deref().expect("the shell's connection");
    assert_eq!(shell.dst_addr.as_deref(), Some(ATTACKER_IP));
    let escape = alerts[2].event.process.as_deref().unwrap();
    assert_eq!(escape.file.as_deref(), Some("/tmp/cgrp/release_agent"));
    let read = alerts[4].event.process.as_deref().unwrap().cmdline.clone().unwrap();
    assert!(read.ends_with("/latest/meta-data/iam/security-credentials/eks-node-role"), "{read}");
}

#[test]
fn flow_logs_carry_the_reverse_shell_from_the_orders_node() {
    let records = records();
    let shell: Vec<&Record> = of(&records, "aws-vpcflow").filter(|r| in_story(r)).collect();
    let out: Vec<&&Record> = shell
        .iter()
        .filter(|r| r.event.network.as_deref().is_some_and(|n| n.dst_addr.as_deref() == Some(ATTACKER_IP)))
        .collect();
    assert!(out.len() >= 5 && shell.len() == 2 * out.len(), "every window has its reply: {}", shell.len());
    for flow in &out {
        let network = flow.event.network.as_deref().unwrap();
        assert_eq!(
            (network.src_addr.as_deref(), network.dst_port, network.interface.as_deref(), network.allowed),
            (Some(ORDERS_NODE_IP), Some(4444), Some(ORDERS_NODE_ENI), Some(true))
        );
    }
    let redirect = only(&records, "falco", "the reverse shell", |r| {
        r.event.action == "Redirect STDOUT/STDIN to Network Connection in Container"
    });
    let first = out.iter().map(|r| r.event.time).min().unwrap();
    assert!((first - redirect.event.time).abs() <= 60_000, "the flow starts with the shell");
}

#[test]
fn the_node_role_key_is_used_by_the_node_and_by_the_attacker() {
    let records = records();
    let calls = node_role(&records);
    let (outside, inside): (Vec<&Record>, Vec<&Record>) =
        calls.iter().partition(|r| r.event.source_ip.as_deref() == Some(ATTACKER_IP));
    assert!(inside.len() >= 24, "the node calls all day: {}", inside.len());
    for call in &inside {
        assert_eq!(call.event.source_ip.as_deref(), Some(ORDERS_NODE_IP), "{}", call.origin);
        assert!(call.json()["vpcEndpointId"].as_str().is_some_and(|v| v.starts_with("vpce-")));
        assert_eq!(call.event.actor.session_name.as_deref(), Some(ORDERS_INSTANCE));
    }
    let stolen: BTreeSet<&str> = outside.iter().filter_map(|r| r.event.actor.access_key.as_deref()).collect();
    assert_eq!(stolen.len(), 1, "one key is stolen: {stolen:?}");
    let key = stolen.first().copied();
    let first_theft = outside.iter().map(|r| r.event.time).min().unwrap();
    let agents: BTreeSet<&str> = calls
        .iter()
        .filter(|r| r.event.actor.access_key.as_deref() == key)
        .filter_map(|r| r.event.user_agent.as_deref().map(|ua| ua.split(' ').next().unwrap_or(ua)))
        .collect();
    assert!(agents.iter().any(|a| a.starts_with("aws-cli/")), "{agents:?}");
    assert!(agents.iter().any(|a| a.starts_with("aws-sdk-go")), "{agents:?}");
    assert!(
        inside.iter().any(|r| r.event.actor.access_key.as_deref() == key && r.event.time < first_theft),
        "the node used the key before it was stolen"
    );
    let keys: BTreeSet<&str> = inside.iter().filter_map(|r| r.event.actor.access_key.as_deref()).collect();
    assert!(keys.len() > 1, "the node's credentials are renewed through the day");
}

#[test]
fn the_stolen_key_runs_discovery_across_regions_within_minutes() {
    let records = records();
    let outside: Vec<&Record> = node_role(&records)
        .into_iter()
        .filter(|r| r.event.source_ip.as_deref() == Some(ATTACKER_IP) && r.event.action != "AssumeRole")
        .collect();
    let actions: BTreeSet<&str> = outside.iter().map(|r| r.event.action.as_str()).collect();
    assert_eq!(
        actions,
        BTreeSet::from([
            "DescribeDBInstances",
            "DescribeDBSnapshots",
            "DescribeInstances",
            "GetCallerIdentity",
            "ListBuckets"
        ])
    );
    let regions: BTreeSet<&str> = outside.iter().map(|r| r.event.region.as_str()).collect();
    assert!(regions.len() >= 7, "{regions:?}");
    let times: Vec<i64> = outside.iter().map(|r| r.event.time).collect();
    let span = times.iter().max().unwrap() - times.iter().min().unwrap();
    assert!(span <= 10 * 60_000, "within minutes: {span} ms");
    assert!(outside.iter().all(|r| r.event.read_only), "discovery only reads");
    assert!(outside.iter().any(|r| !r.event.success), "what the node role may not see is denied");
}

#[test]
fn a_privileged_role_is_assumed_and_its_key_shares_the_orders_snapshot() {
    let records = records();
    let assume = only(&records, "aws-cloudtrail", "the privileged assume", |r| {
        r.event.action == "AssumeRole" && r.json()["requestParameters"]["roleArn"] == DBA_ROLE
    });
    assert_eq!(assume.event.actor.id, NODE_SESSION);
    assert_eq!(assume.event.source_ip.as_deref(), Some(ATTACKER_IP));
    let request = &assume.json()["requestParameters"];
    assert!(request["serialNumber"].is_null() && request["externalId"].is_null(), "{request}");
    assert_eq!(request["roleSessionName"], DBA_SESSION);
    let key = assume.json()["responseElements"]["credentials"]["accessKeyId"].as_str().unwrap().to_string();
    let dba: Vec<&Record> = of(&records, "aws-cloudtrail")
        .filter(|r| r.event.actor.access_key.as_deref() == Some(&*key))
        .collect();
    assert!(dba.len() >= 5, "the new key's calls: {}", dba.len());
    for call in &dba {
        assert_eq!(call.event.actor.session_name.as_deref(), Some(DBA_SESSION));
        assert_eq!(call.event.source_ip.as_deref(), Some(ATTACKER_IP));
        assert!(call.event.time > assume.event.time);
    }
    let created =
        dba.iter().find(|r| r.event.action == "CreateDBSnapshot").expect("the orders database snapshotted");
    assert_eq!(created.json()["requestParameters"]["dBInstanceIdentifier"], "orders-prod");
    assert_eq!(created.json()["requestParameters"]["dBSnapshotIdentifier"], SNAPSHOT);
    let shared =
        dba.iter().find(|r| r.event.action == "ModifyDBSnapshotAttribute").expect("the snapshot shared");
    let request = &shared.json()["requestParameters"];
    assert_eq!(
        (request["attributeName"].as_str(), request["dBSnapshotIdentifier"].as_str()),
        (Some("restore"), Some(SNAPSHOT))
    );
    assert_eq!(request["valuesToAdd"], serde_json::json!([FOREIGN]));
    assert!(shared.event.success && shared.event.time > created.event.time);
}
