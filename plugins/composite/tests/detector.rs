//! The detector driven through the SDK harness, with findings offered back as the host offers
//! them (events of the finding plane) and Falco alerts as the host normalizes them. The
//! harness runs no lineage stage: events carry the lineage the host would have traced (a
//! Falco host it cannot map to an instance is `host:NAME`; an instance-profile session's
//! origin is `instance:i-…`, one hop; a session its keys assumed, two).

use composite::observe::{RELATED_EVENTS, TITLE};
use composite::report::{self, RULE_ID};
use composite::Composite;
use serde_json::json;
use trailhound_sdk::model::{Actor, Alert, Plane, Process};
use trailhound_sdk::story::{Story, StoryKind};
use trailhound_sdk::testing::{Harness, TestEvent};
use trailhound_sdk::{Finding, Severity};

const ACCOUNT: &str = "738219460512";
const NODE: &str = "ip-10-40-7-188.ec2.internal";
const NODE_ADDRESS: &str = "10.40.7.188";
const INSTANCE: &str = "i-0f1e2d3c4b5a69788";
const HOST_KEY: &str = "host:ip-10-40-7-188.ec2.internal";
const MIN: i64 = 60_000;
/// 2026-11-03T09:00:00Z.
const T0: i64 = 1_793_696_400_000;

/// A Falco alert from the node, as the host normalizes Falco's `json_output`: a host-plane
/// event whose actor is the process's user on the host.
fn falco(id: &str, minute: i64, rule: &str, severity: Severity, tags: &[&str]) -> TestEvent {
    let mut e = TestEvent::new("syscall", rule).id(id).time(T0 + minute * MIN);
    e.event.source = "falco".into();
    e.event.provider = "host".into();
    e.event.plane = Plane::Host;
    e.event.actor = Actor {
        id: format!("root@{NODE}"),
        kind: "HostUser".into(),
        name: Some("root".into()),
        ..Actor::default()
    };
    e.event.process = Some(Box::new(Process {
        hostname: Some(NODE.into()),
        container_id: Some("9c72cc4a4835".into()),
        image: Some("418295730164.dkr.ecr.us-east-1.amazonaws.com/orders-worker:sha-4e1b7c2".into()),
        pod: Some("orders-worker-5b7c9d4f8-m4t9z".into()),
        ..Process::default()
    }));
    e.event.alert = Some(Box::new(Alert {
        rule: rule.into(),
        severity,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        reporter: "falco".into(),
    }));
    e.lineage(&format!("host:{NODE}"), 0, None)
}

fn session(role: &str, name: &str, key: &str) -> Actor {
    Actor {
        id: format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{name}"),
        kind: "AssumedRole".into(),
        account: ACCOUNT.into(),
        name: Some(role.into()),
        access_key: Some(key.into()),
        session_name: Some(name.into()),
        session_issuer: Some(format!("arn:aws:iam::{ACCOUNT}:role/{role}")),
        ..Actor::default()
    }
}

/// The node's instance-profile session.
fn node_role() -> Actor {
    session("eks-node-role", INSTANCE, "ASIANODEROLEKEY00001")
}

/// The privileged session the node role's keys assumed.
fn db_admin() -> Actor {
    session("db-admin", "botocore-session-1793697", "ASIADBADMINKEY000001")
}

/// A finding of `reporter` offered back: its actor and lineage are its latest proving
/// event's, its proving events come as the projected `related_events` uids.
#[allow(clippy::too_many_arguments)]
fn finding(
    reporter: &str,
    rule: &str,
    severity: Severity,
    minute: i64,
    actor: Actor,
    hops: u32,
    title: &str,
    tags: &[&str],
    events: &[&str],
) -> TestEvent {
    // A session two hops from the instance was assumed with the node role's keys.
    let issued_by = (hops == 2).then(|| node_role().id);
    let mut e = TestEvent::finding(reporter, rule, severity)
        .id(&format!("uid-{reporter}-{rule}-{minute}"))
        .time(T0 + minute * MIN)
        .actor(actor)
        .lineage(&format!("instance:{INSTANCE}"), hops, issued_by.as_deref())
        .field(TITLE, title)
        .field(RELATED_EVENTS, &serde_json::to_string(events).unwrap());
    e.event.source_ip = Some(NODE_ADDRESS.into());
    e.event.account = ACCOUNT.into();
    if let Some(alert) = e.event.alert.as_mut() {
        alert.tags = tags.iter().map(|t| t.to_string()).collect();
    }
    e
}

/// The issue's story, in the batches the host would offer it: the node's Falco alerts, then
/// (findings of other plugins) discovery with the node role across regions, a privileged
/// role assumed with its keys, and database snapshots created and shared by that role.
fn story() -> Vec<Vec<TestEvent>> {
    vec![
        vec![
            falco(
                "falco-escape",
                0,
                "Detect release_agent File Container Escapes",
                Severity::High,
                &["container", "mitre_privilege_escalation", "T1611"],
            ),
            falco(
                "falco-shell",
                1,
                "Redirect STDOUT/STDIN to Network Connection in Container",
                Severity::Medium,
                &["container", "mitre_execution", "T1059"],
            ),
            falco(
                "falco-imds",
                2,
                "Contact EC2 Instance Metadata Service From Container",
                Severity::Low,
                &["container", "mitre_discovery", "T1552.005"],
            ),
        ],
        vec![finding(
            "baseline",
            "baseline.multi-region-discovery",
            Severity::Medium,
            10,
            node_role(),
            1,
            "Discovery calls in 9 regions within 10 minutes",
            &["mitre_discovery", "T1580"],
            &["ct-describe-1", "ct-describe-2", "ct-describe-3"],
        )],
        vec![finding(
            "rules",
            "aws.sts.privileged-role-assumed",
            Severity::Medium,
            20,
            node_role(),
            1,
            "Privileged role db-admin assumed without MFA",
            &["T1078.004"],
            &["ct-assume-1"],
        )],
        vec![
            finding(
                "rules",
                "aws.rds.snapshot-created",
                Severity::Low,
                30,
                db_admin(),
                2,
                "RDS snapshot orders-db-export created",
                &["T1578.001"],
                &["ct-snapshot-1"],
            ),
            finding(
                "rules",
                "aws.rds.snapshot-shared",
                Severity::High,
                31,
                db_admin(),
                2,
                "RDS snapshot orders-db-export shared with 903481726654",
                &["mitre_exfiltration", "T1537"],
                &["ct-share-1"],
            ),
        ],
    ]
}

fn story_of(finding: &Finding) -> Story {
    finding.story_of().expect("a story").expect("a story that parses")
}

#[test]
fn the_issue_chain_yields_one_composite_whose_revisions_grow() {
    let mut harness = Harness::<Composite>::new();
    let per_batch: Vec<Vec<Finding>> = story().iter().map(|batch| harness.events(batch)).collect();
    assert!(per_batch[0].is_empty(), "Falco alone is one reporter: {:?}", per_batch[0]);
    assert!(per_batch[1..].iter().all(|f| f.len() == 1), "one revision per later batch: {per_batch:?}");
    let reported: Vec<&Finding> = per_batch.iter().flatten().collect();
    assert!(reported.iter().all(|f| f.rule_id == RULE_ID && f.actor.as_deref() == Some(HOST_KEY)));
    let revisions: Vec<(String, u32)> =
        reported.iter().map(|f| story_of(f)).map(|s| (s.key, s.revision)).collect();
    assert_eq!(revisions, [(HOST_KEY.into(), 1), (HOST_KEY.into(), 2), (HOST_KEY.into(), 3)]);
    let severities: Vec<Severity> = reported.iter().map(|f| f.severity).collect();
    assert_eq!(
        severities,
        [Severity::High, Severity::High, Severity::Critical],
        "the scenario raises the last"
    );

    let last = reported[2];
    assert!(
        last.title.starts_with("Container escape to database snapshot exfiltration on host"),
        "{}",
        last.title
    );
    assert!(last.tags.contains(&"scenario:container-escape-to-snapshot-exfiltration".to_string()));
    assert_eq!(
        last.event_ids,
        ["falco-escape", "falco-shell", "falco-imds", "ct-describe-1", "ct-describe-2", "ct-describe-3"]
            .into_iter()
            .chain(["ct-assume-1", "ct-snapshot-1", "ct-share-1"])
            .collect::<Vec<_>>()
    );
    for technique in ["T1611", "T1059", "T1552.005", "T1580", "T1078.004", "T1578.001", "T1537"] {
        assert!(last.techniques.iter().any(|t| t == technique), "{technique} in {:?}", last.techniques);
    }
    assert_eq!(last.evidence_value("reporters"), Some("falco, baseline, rules"));
    assert_eq!(last.evidence_value("planes"), Some("host, cloud"));
    let tactics = last.evidence_value("tactics").unwrap();
    for tactic in ["privilege-escalation", "execution", "discovery", "exfiltration", "credential-access"] {
        assert!(tactics.contains(tactic), "{tactic} in {tactics}");
    }

    let story = story_of(last);
    assert_eq!(story.kind, StoryKind::Composite);
    assert_eq!(story.nodes[0].id, HOST_KEY, "the entity first");
    let node_role = node_role().id;
    let kinds: Vec<(&str, &str, &str)> =
        story.nodes.iter().map(|n| (n.id.as_str(), n.kind.as_str(), n.plane.as_str())).collect();
    for expected in [
        (HOST_KEY, "host", "host"),
        (node_role.as_str(), "principal", "cloud"),
        ("instance:i-0f1e2d3c4b5a69788", "instance", "cloud"),
        ("key:ASIANODEROLEKEY00001", "access-key", "cloud"),
        (db_admin().id.as_str(), "principal", "cloud"),
        ("key:ASIADBADMINKEY000001", "access-key", "cloud"),
    ] {
        assert!(kinds.contains(&expected), "{expected:?} among {kinds:?}");
    }
    let hops: Vec<(&str, &str, &str)> =
        story.hops.iter().map(|h| (h.from.as_str(), h.to.as_str(), h.via.as_str())).collect();
    assert!(hops.contains(&(HOST_KEY, node_role.as_str(), "calls from the host's address")), "{hops:?}");
    assert!(
        hops.contains(&("instance:i-0f1e2d3c4b5a69788", node_role.as_str(), "instance role")),
        "{hops:?}"
    );
    assert!(hops.contains(&(node_role.as_str(), db_admin().id.as_str(), "issued credentials")), "{hops:?}");
    let steps: Vec<(&str, Option<&str>)> =
        story.steps.iter().map(|s| (s.label.as_str(), s.reporter.as_deref())).collect();
    assert_eq!(steps.len(), 7, "{steps:?}");
    assert_eq!(steps[0], ("Detect release_agent File Container Escapes", Some("falco")));
    assert_eq!(steps[3], ("Discovery calls in 9 regions within 10 minutes", Some("baseline")));
    assert_eq!(steps[6], ("RDS snapshot orders-db-export shared with 903481726654", Some("rules")));
    assert!(story.steps.windows(2).all(|w| w[0].time <= w[1].time), "steps in time order");
    assert_eq!(story.steps[0].node, HOST_KEY);
    assert_eq!(story.steps[3].node, node_role);
}

#[test]
fn the_whole_chain_in_one_batch_is_one_finding() {
    let mut harness = Harness::<Composite>::new();
    let all: Vec<TestEvent> = story().into_iter().flatten().collect();
    let findings = harness.events(&all);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(story_of(&findings[0]).revision, 1);
    assert_eq!(findings[0].severity, Severity::Critical);
    assert_eq!(harness.detector().state().chains.len(), 1);
}

#[test]
fn without_the_scenario_the_severity_is_the_chains_peak() {
    let mut harness = Harness::<Composite>::with_config(json!({"scenarios": []})).unwrap();
    let all: Vec<TestEvent> = story().into_iter().flatten().collect();
    let findings = harness.events(&all);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].severity, Severity::High);
    assert!(findings[0].evidence_value("scenario").is_none());
    assert!(
        findings[0].title.starts_with("7 findings from falco, baseline and rules on host"),
        "{}",
        findings[0].title
    );
}

/// A finding about one IAM user of its own, calling from a public address.
fn lone(reporter: &str, rule: &str, severity: Severity, minute: i64, user: &str) -> TestEvent {
    let actor = Actor {
        id: format!("arn:aws:iam::111122223333:user/{user}"),
        kind: "IAMUser".into(),
        account: "111122223333".into(),
        access_key: Some(format!("AKIA{}", user.to_uppercase())),
        ..Actor::default()
    };
    let mut e = TestEvent::finding(reporter, rule, severity)
        .id(&format!("uid-{rule}-{user}"))
        .time(T0 + minute * MIN)
        .actor(actor)
        .field(TITLE, rule)
        .field(RELATED_EVENTS, &format!("ct-{rule}-{user}"));
    e.event.source_ip = Some("203.0.113.7".into());
    e
}

#[test]
fn unrelated_findings_on_different_entities_do_not_correlate() {
    let mut harness = Harness::<Composite>::new();
    let findings = harness.events(&[
        lone("rules", "aws.iam.access-key-created-for-user", Severity::High, 0, "alice"),
        lone("iam-risk", "iam.privilege-escalation", Severity::High, 1, "bob"),
        lone("s3-exposure", "s3.bucket-public", Severity::High, 2, "carol"),
        lone("rules", "aws.cloudtrail.stopped", Severity::High, 3, "dave"),
    ]);
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(harness.detector().state().chains.len(), 4);

    // The same three on one user do.
    let findings = harness.events(&[
        lone("rules", "aws.iam.access-key-created-for-user", Severity::High, 4, "erin"),
        lone("iam-risk", "iam.privilege-escalation", Severity::High, 5, "erin"),
        lone("s3-exposure", "s3.bucket-public", Severity::High, 6, "erin"),
    ]);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].actor.as_deref(), Some("arn:aws:iam::111122223333:user/erin"));
}

#[test]
fn the_thresholds_hold() {
    let mut harness = Harness::<Composite>::new();
    // Three findings, one reporter on one plane.
    let one_reporter = harness.events(&[
        lone("rules", "a", Severity::High, 0, "alice"),
        lone("rules", "b", Severity::High, 1, "alice"),
        lone("rules", "c", Severity::High, 2, "alice"),
    ]);
    assert!(one_reporter.is_empty());
    // Three findings from two reporters, none above low.
    let mild = harness.events(&[
        lone("rules", "a", Severity::Low, 0, "bob"),
        lone("iam-risk", "b", Severity::Low, 1, "bob"),
        lone("rules", "c", Severity::Low, 2, "bob"),
    ]);
    assert!(mild.is_empty());
    // One rule firing again and again is one finding.
    let repeated: Vec<TestEvent> = (0..20)
        .map(|i| lone("rules", "a", Severity::High, i, "carol").id(&format!("repeat-{i}")))
        .chain([lone("iam-risk", "b", Severity::High, 21, "carol")])
        .collect();
    assert!(harness.events(&repeated).is_empty());
    let carol = harness.detector().state().chain_of("arn:aws:iam::111122223333:user/carol").unwrap();
    assert_eq!(carol.steps.len(), 2);
    // Informational findings are not correlated at all.
    let info = harness.events(&[
        lone("rules", "a", Severity::Info, 0, "dave"),
        lone("iam-risk", "b", Severity::High, 1, "dave"),
        lone("rules", "c", Severity::Info, 2, "dave"),
    ]);
    assert!(info.is_empty());
}

#[test]
fn the_window_closes() {
    let mut harness = Harness::<Composite>::with_config(json!({"window_minutes": 30})).unwrap();
    assert!(harness
        .events(&[
            lone("rules", "a", Severity::High, 0, "alice"),
            lone("iam-risk", "b", Severity::High, 1, "alice")
        ])
        .is_empty());
    harness.tick(T0 + 40 * MIN);
    assert!(harness.detector().state().chains.is_empty(), "an unreported chain goes with its last finding");
    assert!(harness.events(&[lone("s3-exposure", "c", Severity::High, 42, "alice")]).is_empty());

    // Without a tick, stream time from the events closes it too.
    let findings = harness.events(&[
        lone("rules", "a", Severity::High, 100, "bob"),
        lone("iam-risk", "b", Severity::High, 101, "bob"),
        lone("s3-exposure", "c", Severity::High, 150, "bob"),
    ]);
    assert!(findings.is_empty(), "{findings:?}");
    // An alert from before the window is left out.
    assert!(harness.events(&[lone("rules", "late", Severity::High, 0, "carol")]).is_empty());
    assert!(harness.detector().state().chain_of("arn:aws:iam::111122223333:user/carol").is_none());
}

#[test]
fn a_reported_entity_is_updated_after_its_window_not_raised_again() {
    let mut harness = Harness::<Composite>::with_config(json!({"window_minutes": 30})).unwrap();
    let first = harness.events(&[
        lone("rules", "a", Severity::High, 0, "alice"),
        lone("iam-risk", "b", Severity::High, 1, "alice"),
        lone("s3-exposure", "c", Severity::High, 2, "alice"),
    ]);
    assert_eq!(first.len(), 1);
    harness.tick(T0 + 120 * MIN);
    let chain = harness.detector().state().chain_of("arn:aws:iam::111122223333:user/alice").unwrap();
    assert!(chain.steps.is_empty() && chain.revision == 1, "kept for the TTL, its findings gone");
    let later = harness.events(&[
        lone("rules", "d", Severity::High, 121, "alice"),
        lone("iam-risk", "e", Severity::High, 122, "alice"),
        lone("s3-exposure", "f", Severity::High, 123, "alice"),
    ]);
    assert_eq!(later.len(), 1);
    assert_eq!(story_of(&later[0]).revision, 2);
    assert_eq!(story_of(&later[0]).key, story_of(&first[0]).key);
    harness.tick(T0 + 123 * MIN + 25 * 60 * MIN);
    assert!(harness.detector().state().chains.is_empty(), "forgotten after the TTL");
}

#[test]
fn own_findings_are_ignored() {
    let mut harness = Harness::<Composite>::new();
    let mut own = lone("composite", RULE_ID, Severity::Critical, 0, "alice");
    own.event.service = "composite".into();
    let mut relabelled = lone("other", "composite.correlated-findings", Severity::Critical, 1, "bob");
    relabelled.event.service = "other".into();
    assert!(harness.events(&[own, relabelled]).is_empty());
    assert!(harness.detector().state().chains.is_empty());
}

#[test]
fn a_service_account_and_the_cloud_role_it_federates_to_are_one_chain() {
    let mut harness = Harness::<Composite>::new();
    let sa = "system:serviceaccount:orders:worker";
    let mut k8s = TestEvent::finding("rules", "k8s.secret-read", Severity::Medium)
        .time(T0)
        .actor(Actor { id: sa.into(), kind: "ServiceAccount".into(), ..Actor::default() })
        .field(RELATED_EVENTS, "k8s-1");
    k8s.event.account = "acme-prod-eks".into();
    let web = session("orders-irsa", "botocore-session-1", "ASIAIRSA");
    let cloud = |rule: &str, reporter: &str, minute: i64| {
        TestEvent::finding(reporter, rule, Severity::High)
            .time(T0 + minute * MIN)
            .actor(web.clone())
            .lineage(sa, 1, None)
            .field(RELATED_EVENTS, &format!("ct-{rule}"))
    };
    let findings = harness.events(&[
        k8s,
        cloud("aws.s3.bulk-read", "baseline", 5),
        cloud("aws.kms.decrypt", "rules", 6),
    ]);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let story = story_of(&findings[0]);
    assert_eq!(story.key, sa);
    assert_eq!(story.nodes[0].plane, "kubernetes");
    assert!(
        story.hops.iter().any(|h| h.from == sa && h.to == web.id && h.via == "role chain"),
        "{:?}",
        story.hops
    );
    assert_eq!(findings[0].evidence_value("planes"), Some("kubernetes, cloud"));
}

#[test]
fn memory_stays_bounded_under_many_entities() {
    let mut harness = Harness::<Composite>::with_config(json!({"max_chains": 100})).unwrap();
    for batch in 0..50 {
        let events: Vec<TestEvent> = (0..200)
            .map(|i| {
                let n = batch * 200 + i;
                lone("rules", "a", Severity::High, n / 100, &format!("user{n}")).id(&format!("f{n}"))
            })
            .collect();
        assert!(harness.events(&events).is_empty());
        let state = harness.detector().state();
        assert!(state.chains.len() <= 100, "{} chains", state.chains.len());
        // Each chain indexes its principal, its key and nothing else here.
        assert!(state.indexed() <= 2 * state.chains.len(), "{} indexed", state.indexed());
    }
    let state = harness.detector().state();
    assert!(state.chain_of("arn:aws:iam::111122223333:user/user9999").is_some(), "the newest is kept");
    assert!(state.chain_of("arn:aws:iam::111122223333:user/user0").is_none(), "the stalest went");
}

#[test]
fn snapshot_and_restore_give_the_same_findings_as_one_run() {
    let batches = story();
    let mut straight = Harness::<Composite>::new();
    let expected: Vec<Finding> = batches.iter().flat_map(|b| straight.events(b)).collect();

    let mut reloaded = Harness::<Composite>::new();
    let mut got = Vec::new();
    for batch in &batches {
        got.extend(reloaded.events(batch));
        reloaded.reload().expect("restores its own snapshot");
    }
    assert_eq!(got, expected);
    assert_eq!(reloaded.detector().state(), straight.detector().state());
}

#[test]
fn an_unreadable_snapshot_is_refused_with_a_reason() {
    use trailhound_sdk::Detector;
    let mut detector = Composite::default();
    let error = detector.restore(b"not json").unwrap_err();
    assert!(error.contains("composite snapshot cannot be read"), "{error}");
    let error = detector.restore(br#"{"version": 99, "now": 0, "next_id": 0, "chains": {}}"#).unwrap_err();
    assert!(error.contains("version 99") && error.contains("reads version 1"), "{error}");
    assert!(detector.restore(b"").is_ok(), "no snapshot: start empty");
}

#[test]
fn a_long_chain_of_long_names_stays_within_the_finding_budget() {
    let mut harness =
        Harness::<Composite>::with_config(json!({"min_findings": 1, "min_reporters": 1})).unwrap();
    let long = "x".repeat(400);
    let mut last = Vec::new();
    for n in 0..40 {
        let ids: Vec<String> = (0..20).map(|i| format!("{n}-{i}-{long}")).collect();
        let mut actor = node_role();
        actor.access_key = Some(format!("{n}{long}"));
        let tags: Vec<String> = (0..30).map(|i| format!("T{:04}", 1000 + i)).collect();
        let mut e = TestEvent::finding(&format!("{n}{long}"), &format!("{n}{long}"), Severity::High)
            .time(T0 + n * MIN)
            .actor(actor)
            .lineage(&format!("arn:aws:iam::1:user/{n}{long}"), 1, None)
            .field(TITLE, &long)
            .field(RELATED_EVENTS, &serde_json::to_string(&ids).unwrap());
        e.event.alert.as_mut().unwrap().tags = tags;
        e.event.source_ip = Some(NODE_ADDRESS.into());
        last = harness.events(&[e]);
    }
    assert_eq!(last.len(), 1);
    assert!(report::text_bytes(&last[0]) <= 48 << 10, "{} bytes", report::text_bytes(&last[0]));
    assert!(!story_of(&last[0]).steps.is_empty());
}
