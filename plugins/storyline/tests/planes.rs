//! Trails across planes, through the SDK harness: a container escape on a node, the node's
//! instance role, a privileged role and RDS snapshots as one story; impersonation on GCP and
//! in Kubernetes; each behavior's weight; other plugins' findings without double counting;
//! risk fading over stream time; and a restore that reports what an uninterrupted run does.
//! Records follow the shapes the providers document (Falco's `json_output` alerts and its
//! default rules, CloudTrail's AssumeRole / RDS / EC2 records, GCP audit logs' delegation
//! info, Kubernetes impersonation); the lineage is what the host would trace.

use serde_json::json;
use storyline::alerts::{FINDING_EVENTS, FINDING_TITLE};
use storyline::moves;
use storyline::signals::{self, Signal};
use storyline::{report::RULE_ID, Storyline};
use trailhound_sdk::model::{AccessLevel, Actor, Alert, Plane, Process, Resource};
use trailhound_sdk::testing::{Harness, TestEvent};
use trailhound_sdk::{Finding, Severity};

const ACCT: &str = "111111111111";
const MIN: i64 = 60_000;
const T0: i64 = 1_800_000 * MIN;
const INSTANCE: &str = "i-0123456789abcdef0";
const NODE: &str = "ip-10-0-1-23.ec2.internal";
const CONTAINER: &str = "3ad7b26ded6d";

fn origin() -> String {
    format!("instance:{INSTANCE}")
}

fn falco(
    id: &str,
    minute: i64,
    rule: &str,
    priority: Severity,
    tags: &[&str],
    in_container: bool,
) -> TestEvent {
    let mut e = TestEvent::new("syscall", rule)
        .id(id)
        .time(T0 + minute * MIN)
        .actor(Actor {
            id: format!("root@{NODE}"),
            kind: "HostUser".into(),
            name: Some("root".into()),
            ..Actor::default()
        })
        .lineage(&origin(), 1, None);
    e.event.source = "falco".into();
    e.event.provider = "host".into();
    e.event.plane = Plane::Host;
    e.event.process = Some(Box::new(Process {
        hostname: Some(NODE.into()),
        name: Some("bash".into()),
        container_id: Some(if in_container { CONTAINER } else { "host" }.into()),
        container_name: in_container.then(|| "shop-frontend".into()),
        image: in_container.then(|| "docker.io/acme/frontend".into()),
        ..Process::default()
    }));
    e.event.alert = Some(Box::new(Alert {
        rule: rule.into(),
        severity: priority,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        reporter: "falco".into(),
    }));
    e
}

fn session(role: &str, name: &str) -> Actor {
    Actor {
        id: format!("arn:aws:sts::{ACCT}:assumed-role/{role}/{name}"),
        kind: "AssumedRole".into(),
        account: ACCT.into(),
        name: Some(role.into()),
        access_key: Some(format!("ASIA{}", role.to_uppercase())),
        session_name: Some(name.into()),
        session_issuer: Some(format!("arn:aws:iam::{ACCT}:role/{role}")),
        ..Actor::default()
    }
}

fn node_role() -> Actor {
    session("shop-node-role", INSTANCE)
}

fn db_admin() -> Actor {
    session("db-admin", "botocore-session-1")
}

fn cloud(id: &str, minute: i64, actor: &Actor, service: &str, action: &str) -> TestEvent {
    let mut e = TestEvent::new(service, action).id(id).time(T0 + minute * MIN).actor(actor.clone());
    e.event.management = true;
    e
}

fn in_region(mut e: TestEvent, region: &str) -> TestEvent {
    e.event.region = region.into();
    e
}

fn on(mut e: TestEvent, kind: &str, id: &str) -> TestEvent {
    e.event.resources.push(Resource { kind: kind.into(), id: id.into(), account: Some(ACCT.into()) });
    e
}

const SNAPSHOT: &str = "arn:aws:rds:us-east-1:111111111111:snapshot:orders-exfil";

/// A shell in the frontend container, a release_agent escape to its node (Falco's default
/// rules, with their tags), the node's instance role mapping the account across regions, a
/// privileged role assumed without MFA, an RDS snapshot created and shared out.
fn escape_story() -> Vec<TestEvent> {
    let role = node_role();
    let admin = db_admin();
    let as_node = |e: TestEvent| e.lineage(&origin(), 1, None);
    let as_admin = |e: TestEvent| e.lineage(&origin(), 2, Some(&role.id));
    let shell_tags = ["container", "shell", "mitre_execution", "T1059"];
    let escape_tags = ["container", "mitre_privilege_escalation", "T1611"];
    vec![
        falco("shell", 0, "Terminal shell in container", Severity::Low, &shell_tags, true),
        falco(
            "escape",
            2,
            "Detect release_agent File Container Escapes",
            Severity::Critical,
            &escape_tags,
            true,
        ),
        as_node(cloud("who", 5, &role, "sts.amazonaws.com", "GetCallerIdentity")),
        as_node(in_region(cloud("d1", 6, &role, "ec2.amazonaws.com", "DescribeInstances"), "us-east-1")),
        as_node(in_region(cloud("d2", 6, &role, "ec2.amazonaws.com", "DescribeInstances"), "eu-west-1")),
        as_node(in_region(cloud("d3", 7, &role, "ec2.amazonaws.com", "DescribeInstances"), "ap-south-1")),
        as_node(cloud("d4", 7, &role, "iam.amazonaws.com", "ListRoles")),
        as_node(cloud("d5", 8, &role, "rds.amazonaws.com", "DescribeDBInstances")),
        as_node(cloud("d6", 8, &role, "s3.amazonaws.com", "ListBuckets")),
        as_node(
            cloud("assume", 10, &role, "sts.amazonaws.com", "AssumeRole")
                .field(signals::ROLE_ARN, &format!("arn:aws:iam::{ACCT}:role/db-admin"))
                .field(signals::KEY, "ASIADB-ADMIN")
                .field(signals::SESSION_ARN, &admin.id),
        ),
        as_admin(on(
            cloud("snap", 12, &admin, "rds.amazonaws.com", "CreateDBSnapshot"),
            "AWS::RDS::DBSnapshot",
            SNAPSHOT,
        )),
        as_admin(on(
            cloud("share", 14, &admin, "rds.amazonaws.com", "ModifyDBSnapshotAttribute")
                .field(signals::DB_SNAPSHOT_ADD, r#"["999999999999"]"#),
            "AWS::RDS::DBSnapshot",
            SNAPSHOT,
        )),
    ]
}

#[test]
fn a_container_escape_then_the_instance_role_then_a_privileged_role_is_one_story() {
    let mut harness = Harness::<Storyline>::new();
    let findings = harness.events(&escape_story());
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!((f.rule_id.as_str(), f.actor.as_deref()), (RULE_ID, Some(origin().as_str())));
    let story = f.story_of().unwrap().unwrap();
    assert_eq!((story.key.as_str(), story.revision), (origin().as_str(), 1));
    let hops: Vec<(&str, &str, &str)> =
        story.hops.iter().map(|h| (h.via.as_str(), h.from.as_str(), h.to.as_str())).collect();
    let container = format!("container:{CONTAINER}");
    let host = format!("host:{NODE}");
    let origin = origin();
    assert_eq!(
        hops,
        [
            (moves::ON_INSTANCE, host.as_str(), origin.as_str()),
            (moves::CONTAINER_ESCAPE, container.as_str(), host.as_str()),
            (moves::INSTANCE_ROLE, origin.as_str(), node_role().id.as_str()),
            ("sts:AssumeRole", node_role().id.as_str(), db_admin().id.as_str()),
        ]
    );
    let nodes: Vec<(&str, &str, &str)> =
        story.nodes.iter().map(|n| (n.id.as_str(), n.kind.as_str(), n.plane.as_str())).collect();
    assert_eq!(
        nodes,
        [
            (origin.as_str(), "instance", "cloud"),
            (container.as_str(), "container", "host"),
            (host.as_str(), "host", "host"),
            (node_role().id.as_str(), "role-session", "cloud"),
            (db_admin().id.as_str(), "role-session", "cloud"),
        ]
    );
    assert!(story
        .nodes
        .iter()
        .filter(|n| n.plane == "cloud")
        .all(|n| n.account == ACCT || n.account.is_empty()));
    let steps: Vec<(&str, u32)> = story.steps.iter().map(|s| (s.label.as_str(), s.weight)).collect();
    assert_eq!(
        steps,
        [
            ("shell: Terminal shell in container", 20),
            ("container escape: Detect release_agent File Container Escapes", 40),
            ("discovery across regions", 10),
            ("reconnaissance burst", 10),
            ("privileged role assumed without MFA or external id", 15),
            ("snapshot created", 5),
            ("snapshot shared with a foreign account", 35),
        ]
    );
    assert_eq!(story.steps[1].severity, Severity::Critical, "the alert's priority");
    assert_eq!(story.steps[1].node, container, "where it happened");
    assert_eq!(story.resources, [SNAPSHOT]);
    let sensitive: Vec<(&str, &str, &str)> = story
        .sensitive
        .iter()
        .map(|p| (p.resource.as_str(), p.reach.as_str(), p.event_id.as_str()))
        .collect();
    assert_eq!(
        sensitive,
        [("AWS::RDS::*", "listed", "d5"), ("arn:aws:rds:*", "listed", "d5"), (SNAPSHOT, "touched", "snap")],
        "RDS was listed first, then the snapshot touched"
    );
    assert!(story.risk >= 100 && story.threshold == 100, "{}", story.risk);
    for t in ["T1611", "T1059", "T1059.004", "T1552.005", "T1580", "T1078.004", "T1578.001", "T1537"] {
        assert!(f.techniques.iter().any(|x| x == t), "missing {t} in {:?}", f.techniques);
    }
    assert!(f.tags.iter().any(|t| t == "host") && f.tags.iter().any(|t| t == "cloud"), "{:?}", f.tags);
}

#[test]
fn a_restore_between_every_batch_reports_what_an_uninterrupted_run_does() {
    let story = escape_story();
    let mut straight = Harness::<Storyline>::new();
    let mut interrupted = Harness::<Storyline>::new();
    let (mut expected, mut got): (Vec<Finding>, Vec<Finding>) = (Vec::new(), Vec::new());
    for (i, event) in story.iter().enumerate() {
        expected.extend(straight.events(std::slice::from_ref(event)));
        got.extend(interrupted.events(std::slice::from_ref(event)));
        interrupted.reload().unwrap();
        let now = T0 + i as i64 * MIN;
        expected.extend(straight.tick(now));
        got.extend(interrupted.tick(now));
    }
    assert!(expected.len() >= 2, "a first report and its revisions: {expected:#?}");
    assert_eq!(got, expected);
}

#[test]
fn impersonation_on_gcp_and_in_kubernetes_is_a_hop() {
    let contractor = "r.vance@acme.example";
    let deployer = "deployer@shop-prod.iam.gserviceaccount.com";
    let mut key = TestEvent::new("iam.googleapis.com", "google.iam.admin.v1.CreateServiceAccountKey")
        .id("gcp-key")
        .time(T0)
        .actor(Actor {
            id: deployer.into(),
            kind: "ServiceAccount".into(),
            account: "shop-prod".into(),
            delegation: vec![contractor.into()],
            ..Actor::default()
        })
        .lineage(contractor, 1, None);
    key.event.source = "gcp-audit".into();
    key.event.provider = "gcp".into();
    key.event.account = "shop-prod".into();
    let mut exec = TestEvent::new("k8s", "create pods/exec")
        .id("exec")
        .time(T0 + MIN)
        .actor(Actor {
            id: "system:serviceaccount:shop:deployer".into(),
            kind: "ServiceAccount".into(),
            account: "shop-cluster".into(),
            delegation: vec![contractor.into()],
            ..Actor::default()
        })
        .lineage(contractor, 1, None);
    exec.event.source = "k8s-audit".into();
    exec.event.provider = "kubernetes".into();
    exec.event.plane = Plane::Kubernetes;
    exec.event.account = "shop-cluster".into();
    let mut harness = Harness::<Storyline>::with_config(json!({"threshold": 30})).unwrap();
    let findings = harness.events(&[key, exec]);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let story = findings[0].story_of().unwrap().unwrap();
    let hops: Vec<(&str, &str, &str)> =
        story.hops.iter().map(|h| (h.via.as_str(), h.from.as_str(), h.to.as_str())).collect();
    assert_eq!(
        hops,
        [
            ("impersonation", contractor, deployer),
            ("k8s:impersonate", contractor, "system:serviceaccount:shop:deployer"),
        ]
    );
    let planes: Vec<(&str, &str, &str)> =
        story.nodes.iter().map(|n| (n.kind.as_str(), n.plane.as_str(), n.account.as_str())).collect();
    assert_eq!(
        planes,
        [
            ("principal", "cloud", ""),
            ("service-account", "cloud", "shop-prod"),
            ("service-account", "kubernetes", "shop-cluster"),
        ]
    );
    let steps: Vec<(&str, u32)> = story.steps.iter().map(|s| (s.label.as_str(), s.weight)).collect();
    assert_eq!(steps, [("access key created", 10), ("shell", 20)]);
}

fn user(name: &str) -> Actor {
    Actor {
        id: format!("arn:aws:iam::{ACCT}:user/{name}"),
        kind: "IAMUser".into(),
        account: ACCT.into(),
        name: Some(name.into()),
        ..Actor::default()
    }
}

fn signals_of(events: &[TestEvent]) -> Vec<(Signal, u32)> {
    let mut harness = Harness::<Storyline>::with_config(json!({"threshold": 10_000})).unwrap();
    harness.events(events);
    let trails = &harness.detector().state().trails;
    let mut out: Vec<(Signal, u32)> =
        trails.values().flat_map(|t| t.scored.iter().map(|s| (s.signal, s.weight))).collect();
    out.sort();
    out
}

fn with_level(mut e: TestEvent, level: AccessLevel) -> TestEvent {
    e.event.access_level = Some(level);
    e
}

#[test]
fn each_behavior_weighs_what_the_config_says() {
    let eve = user("eve");
    let iam =
        |id: &str, action: &str, level| with_level(cloud(id, 0, &eve, "iam.amazonaws.com", action), level);
    assert_eq!(
        signals_of(&[iam("put", "PutRolePolicy", AccessLevel::PermissionsManagement)]),
        [(Signal::IamChange, 10)]
    );
    assert_eq!(signals_of(&[iam("tag", "TagRole", AccessLevel::Tagging)]), []);
    assert_eq!(
        signals_of(&[iam("v", "CreatePolicyVersion", AccessLevel::PermissionsManagement)]),
        [(Signal::PolicyVersionCreated, 10)],
        "the stronger behavior, not both"
    );
    assert_eq!(
        signals_of(&[cloud("own", 0, &eve, "iam.amazonaws.com", "CreateAccessKey")]),
        [(Signal::AccessKeyCreated, 10)]
    );
    assert_eq!(
        signals_of(&[
            cloud("ebs", 0, &eve, "ec2.amazonaws.com", "CreateSnapshot"),
            cloud("rds", 1, &eve, "rds.amazonaws.com", "CreateDBClusterSnapshot"),
        ]),
        [(Signal::SnapshotCreated, 5), (Signal::SnapshotCreated, 5)]
    );
    let denied: Vec<TestEvent> = (0..5)
        .map(|i| {
            cloud(&format!("x{i}"), i, &eve, "s3.amazonaws.com", "PutBucketPolicy").error("AccessDenied")
        })
        .collect();
    assert_eq!(signals_of(&denied), [(Signal::FailedCalls, 10)]);
    assert_eq!(signals_of(&denied[..4]), [], "four are below failed_calls_min");
    let imds =
        falco("imds", 0, "Contact EC2 Instance Metadata Service From Container", Severity::Low, &[], true);
    assert_eq!(signals_of(&[imds]), [(Signal::MetadataCredentials, 15)]);
}

/// A finding of `reporter` offered back on the finding plane, proven by `events`.
fn offered(id: &str, minute: i64, rule: &str, severity: Severity, events: &[&str]) -> TestEvent {
    TestEvent::finding("iam-risk", rule, severity)
        .id(id)
        .time(T0 + minute * MIN)
        .actor(user("eve"))
        .field(FINDING_EVENTS, &serde_json::to_string(events).unwrap())
        .field(FINDING_TITLE, &format!("{rule} title"))
}

#[test]
fn findings_of_other_plugins_add_risk_once() {
    let eve = user("eve");
    let mut harness = Harness::<Storyline>::with_config(json!({"threshold": 50})).unwrap();
    let policy = cloud("policy", 0, &eve, "iam.amazonaws.com", "SetDefaultPolicyVersion");
    assert!(harness.events(&[policy]).is_empty(), "30 is below 50");
    // iam-risk reports the same event: the trail already weighs it.
    let same = offered("f1", 0, "aws.iam.policy-version-changed", Severity::High, &["policy"]);
    assert!(harness.events(&[same]).is_empty());
    // A critical finding about an event the trail has not seen adds its severity's weight.
    let new = offered("f2", 1, "aws.iam.admin-policy-attached", Severity::Critical, &["attach"]);
    let findings = harness.events(&[new]);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let story = findings[0].story_of().unwrap().unwrap();
    let steps: Vec<(&str, u32, Option<&str>)> =
        story.steps.iter().map(|s| (s.label.as_str(), s.weight, s.reporter.as_deref())).collect();
    assert_eq!(
        steps,
        [
            ("IAM policy default version changed", 30, None),
            ("aws.iam.policy-version-changed title", 0, Some("iam-risk")),
            ("aws.iam.admin-policy-attached title", 30, Some("iam-risk")),
        ]
    );
    assert_eq!(story.steps[2].plane, "finding");
    assert_eq!(story.steps[2].rule.as_deref(), Some("aws.iam.admin-policy-attached"));
    assert_eq!(findings[0].event_ids, ["policy"], "the finding's own events are not claimed as proof");
    assert!(
        harness.events(&[offered("f3", 2, "aws.iam.x", Severity::Info, &["other"])]).is_empty(),
        "info weighs 0"
    );
}

#[test]
fn a_rule_firing_again_on_the_trail_adds_its_events_not_its_weight() {
    let mut harness = Harness::<Storyline>::with_config(json!({"threshold": 1000})).unwrap();
    for (i, id) in ["a", "b", "c"].iter().enumerate() {
        // One proving event is projected as its id alone, not as an array.
        let again = offered(
            &format!("f{i}"),
            i as i64,
            "aws.ec2.instance-credentials-used-outside",
            Severity::Low,
            &[],
        )
        .field(FINDING_EVENTS, id);
        harness.events(&[again]);
    }
    let trail = &harness.detector().state().trails[user("eve").id.as_str()];
    let steps: Vec<(u32, &[String])> =
        trail.scored.iter().map(|s| (s.weight, s.event_ids.as_slice())).collect();
    assert_eq!(steps, [(5, &["a".to_string(), "b".into(), "c".into()][..])]);
    assert_eq!(trail.risk, 5);
}

#[test]
fn risk_fades_with_the_half_life_of_stream_time() {
    let eve = user("eve");
    let key = |id: &str, minute: i64| {
        cloud(id, minute, &eve, "iam.amazonaws.com", "CreateAccessKey").field(signals::USER_NAME, "svc")
    };
    let config = json!({"threshold": 50, "half_life_minutes": 60});
    let risk = |events: &[TestEvent]| {
        let mut harness = Harness::<Storyline>::with_config(config.clone()).unwrap();
        let findings: usize = events.iter().map(|e| harness.events(std::slice::from_ref(e)).len()).sum();
        (harness.detector().state().trails[eve.id.as_str()].risk, findings)
    };
    assert_eq!(risk(&[key("a", 0), key("b", 0)]), (50, 1), "together they cross");
    assert_eq!(risk(&[key("a", 0), key("b", 60)]), (13 + 25, 0), "an hour apart, the first counts half");
    assert_eq!(risk(&[key("a", 0), key("b", 120), key("c", 120)]), (6 + 25 + 25, 1));
    assert_eq!(
        risk(&[key("a", 0), key("b", 60)]),
        risk(&[key("a", 0), key("b", 60)]),
        "replays score the same"
    );
    assert!(Harness::<Storyline>::with_config(json!({"half_life_minutes": 0})).is_err());
}

#[test]
fn a_batch_with_several_new_steps_is_one_revision() {
    let mut harness = Harness::<Storyline>::with_config(json!({"threshold": 20})).unwrap();
    let eve = user("eve");
    let key = |id: &str, minute: i64| {
        cloud(id, minute, &eve, "iam.amazonaws.com", "CreateAccessKey").field(signals::USER_NAME, "svc")
    };
    assert_eq!(harness.events(&[key("a", 0)]).len(), 1);
    let again = harness.events(&[key("b", 1), key("c", 2)]);
    assert_eq!(again.len(), 1, "{again:#?}");
    let story = again[0].story_of().unwrap().unwrap();
    assert_eq!(story.revision, 2);
    assert_eq!(story.steps.iter().map(|s| s.event_ids[0].as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
    assert!(harness.events(&[key("d", 3)]).is_empty(), "max_repeats reached: nothing new");
}
