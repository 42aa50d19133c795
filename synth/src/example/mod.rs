//! The bundled example day (`examples/data/`): one synthetic day (2026-11-03, UTC) of the
//! fictional company Acme, on every plane trailhound reads: AWS CloudTrail from three
//! accounts, GCP Cloud Audit Logs of its analytics project, the Azure Activity Log of its
//! production subscription, the Kubernetes audit log of its production EKS cluster, Falco's
//! alerts from that cluster's nodes, and the production VPC's flow logs. Four attack stories
//! hide in benign background activity on every plane:
//!
//! 1. [`insider`]: an insider who hops from an EC2 instance through a bastion and a chain of
//!    role assumptions to privilege escalation, persistence, snapshot sharing and failed
//!    cross-account assumes;
//! 2. [`bucket`]: a bucket made public whose encryption is then removed;
//! 3. a contractor's identity used from an intruder's address across the other planes: a GCP
//!    service account impersonated to make a bucket public ([`gcp`]), Owner of the Azure
//!    subscription granted to an outside guest ([`azure`]), a privileged pod with the host's
//!    `/` mounted in `kube-system` ([`kubernetes`]), the shell opened in it that Falco reports
//!    ([`falco`]), and the node's connection back to the intruder on port 4444 ([`flows`]);
//! 4. a container of the orders service escapes to its node: Falco reports the reverse shell,
//!    the escape and the read of the instance metadata service ([`falco`]), the flow logs show
//!    the shell's connection ([`flows`]), and the node role's key runs discovery across
//!    regions from outside, assumes a privileged role and shares a database snapshot with a
//!    foreign account ([`escape`], which also writes the node's own calls through the day);
//!
//! and the [`background`] of CloudTrail the detectors must stay quiet on (each module of
//! story 3 writes its own plane's background too). [`principals`] renders who signs each
//! CloudTrail call; [`day`] turns calls into CloudTrail records; [`layout`] writes every log as
//! its provider delivers it, and [`readme`] the README that tells the stories. Fixed seeds
//! make every run write the same bytes.

mod azure;
mod background;
mod bucket;
mod day;
mod escape;
mod falco;
mod flows;
mod gcp;
mod insider;
mod kubernetes;
mod layout;
mod principals;
mod readme;

use std::path::Path;

pub use layout::{write, ExampleSummary, Planes};

/// Acme's shared dev / tools account.
const DEV: &str = "418295730164";
/// Acme production.
const PROD: &str = "738219460512";
/// Acme marketing: its trail is written as JSON lines.
const MARKETING: &str = "562014837795";
/// Not Acme's: where the insider shares a snapshot.
const FOREIGN_SNAPSHOT_TARGET: &str = "903481726654";
/// Other corporate accounts the insider probes.
const EXTERNAL_CORPORATE: [&str; 3] = ["215876403921", "664120987345", "381726504918"];
/// A monitoring vendor's account, trusted with an external id.
const VENDOR: &str = "464622532012";

// Story 1: the insider and the path they take. `tests/story-fixtures` names the same.
const INSIDER: &str = "m.hollis";
const WORKSTATION: &str = "i-0a4f19c2d7e3b5816";
const WORKSTATION_ROLE: &str = "analytics-workstation-role";
const BASTION: &str = "i-07d2e8b1c9f4a6035";
const BASTION_ROLE: &str = "bastion-host-role";
const DEV_ROLE: &str = "dev-platform-admin";
const PROD_ROLE: &str = "prod-ops-admin";
const DEV_SESSION: &str = "botocore-session-1793784262";
const PROD_SESSION: &str = "botocore-session-1793786118";
const ESCALATED_POLICY: &str = "ci-deploy-permissions";
const KEY_TARGET_USER: &str = "svc-terraform";
const SHARED_SNAPSHOT: &str = "snap-0c71e9a4b2d58f306";

// Story 2: the exposed bucket.
const EXPOSER: &str = "k.brennan";
const EXPOSED_BUCKET: &str = "acme-campaign-assets-2026";

// Story 3: one identity across the other planes.
/// The contractor whose identity is used: the same address in Google Workspace and Entra ID.
const CONTRACTOR: &str = "r.vance@acme.example";
/// Where the identity is used from, on every plane; the node's connection goes back to it.
const INTRUDER_IP: &str = "192.0.2.213";
/// The port both stories' intruders listen on for the shells that call back (Metasploit's
/// default).
const LISTENER_PORT: u16 = 4444;
/// The production EKS cluster (in the production account) and the namespace of its add-ons.
const CLUSTER: &str = "acme-prod-eks";
const SYSTEM_NAMESPACE: &str = "kube-system";
/// The pod the intruder creates there.
const ROGUE_POD: &str = "node-diag-7f4c2";

// Story 4: a container of the orders service escapes to its node.
/// The role of the cluster's nodes (their instance profile's role).
const NODE_ROLE: &str = "eks-node-role";
/// The orders service's pod on the orders node, whose web app is the way in.
const ORDERS_POD: &str = "orders-api-6d8f9b7c5-x2kqp";
/// The attacker's machine: the shell calls back to it, and it calls AWS with the stolen key.
const ATTACKER_IP: &str = "198.51.100.94";
/// The privileged production role the node role may still assume (the orders service's schema
/// migrations ran from the nodes before they moved to IRSA), and the session name the attacker
/// gives it, the migrations' own.
const DBA_ROLE: &str = "prod-dba-admin";
const DBA_SESSION: &str = "orders-db-migrate";
/// The orders database, and the snapshot of it the attacker shares.
const ORDERS_DB: &str = "orders-prod";
const EXPORTED_SNAPSHOT: &str = "orders-prod-2026-11-03-export";

/// A node of the production cluster: its name (also its hostname), address, network
/// interface and EC2 instance.
struct Node {
    name: &'static str,
    ip: &'static str,
    eni: &'static str,
    instance: &'static str,
}

/// The node the intruder's pod runs on.
const NODE: Node = Node {
    name: "ip-10-40-12-31.ec2.internal",
    ip: "10.40.12.31",
    eni: "eni-0c2a7e19b4d83f651",
    instance: "i-0b7f3a29c4e815d60",
};
/// The node the orders service runs on.
const ORDERS_NODE: Node = Node {
    name: "ip-10-40-7-188.ec2.internal",
    ip: "10.40.7.188",
    eni: "eni-07b3d9e2a1c4f5086",
    instance: "i-05e9c1d4a7b3f2608",
};

/// Writes the example day into `out` (replacing what is there).
///
/// # Errors
/// A file or folder cannot be written.
pub fn write_example(out: &Path) -> std::io::Result<ExampleSummary> {
    let mut day = day::Day::new();
    let roles = principals::Roles::new(&mut day);
    insider::story(&mut day, &roles);
    bucket::story(&mut day);
    background::activity(&mut day, &roles);
    let mut story_4 = day::Day::story_4();
    escape::story(&mut story_4);
    day.records.append(&mut story_4.records);
    let mut other = day::Day::other_planes();
    let planes = Planes {
        gcp: gcp::entries(&mut other),
        azure: azure::records(&mut other),
        kubernetes: kubernetes::events(&mut other),
        falco: falco::alerts(&mut other, &mut story_4),
        flows: flows::records(&mut other, &mut story_4),
    };
    write(day, &planes, out)
}
