//! The detector driven through the SDK harness: which trails fire, which do not, and that
//! state survives a reload and stays bounded. The harness runs no lineage stage: events of
//! actors that are not their own origin carry the lineage the host would have traced.

use serde_json::json;
use storyline::moves::ISSUED_CREDENTIALS;
use storyline::{report::RULE_ID, signals, Storyline};
use trailhound_sdk::model::Actor;
use trailhound_sdk::story::{Hop, REVISION, REVISION_OF};
use trailhound_sdk::testing::{Harness, TestEvent};
use trailhound_sdk::Severity;

const ACCT: &str = "111111111111";
const INSIDER: &str = "arn:aws:iam::111111111111:user/mallory";
const MIN: i64 = 60_000;

fn user(name: &str) -> Actor {
    Actor {
        id: format!("arn:aws:iam::{ACCT}:user/{name}"),
        kind: "IAMUser".into(),
        account: ACCT.into(),
        name: Some(name.into()),
        access_key: Some(format!("AKIA{}", name.to_uppercase())),
        ..Actor::default()
    }
}

fn session(account: &str, role: &str, name: &str, key: &str) -> Actor {
    Actor {
        id: format!("arn:aws:sts::{account}:assumed-role/{role}/{name}"),
        kind: "AssumedRole".into(),
        account: account.into(),
        name: Some(role.into()),
        access_key: Some(key.into()),
        session_name: Some(name.into()),
        session_issuer: Some(format!("arn:aws:iam::{account}:role/{role}")),
        ..Actor::default()
    }
}

fn ev(id: &str, minute: i64, actor: &Actor, service: &str, action: &str) -> TestEvent {
    let mut e = TestEvent::new(service, action).id(id).time(1_000 * MIN + minute * MIN).actor(actor.clone());
    e.event.management = true;
    e
}

fn assume(
    id: &str,
    minute: i64,
    caller: &Actor,
    role_arn: &str,
    issued_key: &str,
    session_arn: &str,
) -> TestEvent {
    ev(id, minute, caller, "sts.amazonaws.com", "AssumeRole")
        .field(signals::ROLE_ARN, role_arn)
        .field(signals::KEY, issued_key)
        .field(signals::SESSION_ARN, session_arn)
}

fn workstation() -> Actor {
    session(ACCT, "workstation-role", "i-0aaaabbbbcccc1111", "ASIAWORKSTATION")
}

fn bastion() -> Actor {
    session(ACCT, "bastion-role", "i-0ddddeeeeffff2222", "ASIABASTION")
}

fn dev() -> Actor {
    session(ACCT, "dev-admin", "botocore-session-1", "ASIADEV")
}

/// The insider's whole path: shell on an instance, recon with its role, bastion, unguarded
/// privileged AssumeRole, then escalation, persistence and exfiltration with the new session.
/// Each event carries the lineage the host traces for it: the workstation's role session is
/// one hop from the insider (the SSM session), the bastion's two (the SSH key pushed from the
/// workstation), the dev session three, with a key the bastion's session obtained.
fn insider_story() -> Vec<TestEvent> {
    let insider = user("mallory");
    let (ws, bastion, dev) = (workstation(), bastion(), dev());
    let on_ws = |e: TestEvent| e.lineage(INSIDER, 1, None);
    let on_bastion = |e: TestEvent| e.lineage(INSIDER, 2, None);
    let as_dev = |e: TestEvent| e.lineage(INSIDER, 3, Some(&bastion.id));
    vec![
        ev("start", 0, &insider, "ssm.amazonaws.com", "StartSession")
            .field(signals::SSM_TARGET, "i-0aaaabbbbcccc1111"),
        on_ws(ev("r1", 2, &ws, "sts.amazonaws.com", "GetCallerIdentity")),
        on_ws(ev("r2", 3, &ws, "iam.amazonaws.com", "ListUsers")),
        on_ws(ev("r3", 3, &ws, "iam.amazonaws.com", "ListRoles")),
        on_ws(ev("r4", 4, &ws, "s3.amazonaws.com", "ListBuckets")),
        on_ws(ev("r5", 5, &ws, "ec2.amazonaws.com", "DescribeInstances")),
        on_ws(
            ev("ssh", 10, &ws, "ec2-instance-connect.amazonaws.com", "SendSSHPublicKey")
                .field(signals::INSTANCE_ID, "i-0ddddeeeeffff2222"),
        ),
        on_bastion(ev("p1", 12, &bastion, "iam.amazonaws.com", "ListRolePolicies")),
        on_bastion(ev("p2", 13, &bastion, "iam.amazonaws.com", "GetRolePolicy")),
        on_bastion(assume(
            "assume-dev",
            15,
            &bastion,
            "arn:aws:iam::111111111111:role/dev-admin",
            "ASIADEV",
            &dev.id,
        )),
        as_dev(ev("policy", 18, &dev, "iam.amazonaws.com", "SetDefaultPolicyVersion")),
        as_dev(
            ev("key", 20, &dev, "iam.amazonaws.com", "CreateAccessKey")
                .field(signals::USER_NAME, "svc-deploy"),
        ),
        as_dev(
            ev("share", 25, &dev, "ec2.amazonaws.com", "ModifySnapshotAttribute")
                .field(signals::SNAPSHOT_ADD, r#"{"items":[{"userId":"999999999999"}]}"#),
        ),
    ]
}

#[test]
fn follows_the_insider_across_hops_and_reports_once() {
    let mut harness = Harness::<Storyline>::new();
    let findings = harness.events(&insider_story());
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.rule_id, RULE_ID);
    assert_eq!(f.actor.as_deref(), Some(INSIDER), "the finding is about the origin, not the last session");
    assert_eq!(f.severity, Severity::Critical, "escalation, persistence and exfiltration together");
    for id in ["start", "r1", "r5", "ssh", "p1", "assume-dev", "policy", "key", "share"] {
        assert!(f.event_ids.contains(&id.to_string()), "missing {id} in {:?}", f.event_ids);
    }
    assert_eq!(f.event_ids.first().map(String::as_str), Some("start"), "trail order");
    for t in [
        "T1021.007",
        "T1552.005",
        "T1021.004",
        "T1550.001",
        "T1087.004",
        "T1069.003",
        "T1078.004",
        "T1098.003",
        "T1098.001",
        "T1537",
    ] {
        assert!(f.techniques.contains(&t.to_string()), "missing {t} in {:?}", f.techniques);
    }
    let hops: Vec<&str> =
        f.evidence.iter().filter(|e| e.key.starts_with("hop.")).map(|e| e.value.as_str()).collect();
    assert_eq!(hops.len(), 5, "{hops:#?}");
    assert!(hops[0].starts_with("ssm:StartSession") && hops[0].contains("i-0aaaabbbbcccc1111"));
    assert!(hops[1].starts_with("instance role") && hops[1].contains("workstation-role"));
    assert!(hops[2].starts_with("ec2-instance-connect:SendSSHPublicKey"));
    assert!(hops[3].starts_with("instance role") && hops[3].contains("bastion-role"));
    assert!(hops[4].starts_with("sts:AssumeRole") && hops[4].contains("dev-admin/botocore-session-1"));

    assert_eq!((f.evidence_value(REVISION_OF), f.evidence_value(REVISION)), (Some(INSIDER), Some("1")));

    // More risk on an already reported trail reports it again: the next revision of the
    // same story, carrying the new step; nothing new, no report.
    let more = ev("later", 40, &dev(), "iam.amazonaws.com", "CreateAccessKey")
        .field(signals::USER_NAME, "another")
        .lineage(INSIDER, 3, Some(&bastion().id));
    let again = harness.events(&[more]);
    assert_eq!(again.len(), 1, "{again:#?}");
    let story = again[0].story_of().unwrap().unwrap();
    assert_eq!((story.key.as_str(), story.revision), (INSIDER, 2));
    assert_eq!(story.steps.last().map(|s| s.event_ids.clone()), Some(vec!["later".to_string()]));
    let routine =
        ev("read", 41, &dev(), "s3.amazonaws.com", "GetObject").lineage(INSIDER, 3, Some(&bastion().id));
    assert!(harness.events(&[routine]).is_empty(), "a routine call adds nothing to report");
}

#[test]
fn routine_work_stays_below_the_threshold() {
    let mut harness = Harness::<Storyline>::new();
    let auditor = session(ACCT, "secops-scanner", "nightly", "ASIASCAN");
    let audit = session("222222222222", "OrganizationAuditRole", "nightly", "ASIAAUDIT");
    let mut events = vec![assume(
        "a",
        0,
        &auditor,
        "arn:aws:iam::222222222222:role/OrganizationAuditRole",
        "ASIAAUDIT",
        &audit.id,
    )
    .field(signals::EXTERNAL_ID, "secops")];
    // A thorough audit: a burst, many regions, permission reads.
    for (i, (service, action, region)) in [
        ("iam.amazonaws.com", "ListUsers", "us-east-1"),
        ("iam.amazonaws.com", "ListRolePolicies", "us-east-1"),
        ("iam.amazonaws.com", "GetAccountAuthorizationDetails", "us-east-1"),
        ("ec2.amazonaws.com", "DescribeInstances", "eu-west-1"),
        ("ec2.amazonaws.com", "DescribeSnapshots", "us-west-2"),
        ("s3.amazonaws.com", "ListBuckets", "us-east-1"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut e = ev(&format!("d{i}"), 1 + i as i64, &audit, service, action).lineage(
            &auditor.id,
            1,
            Some(&auditor.id),
        );
        e.event.region = region.into();
        events.push(e);
    }
    // An engineer assumes an admin role with MFA: not unguarded.
    let frank = user("frank");
    let admin = session(ACCT, "dev-admin", "frank", "ASIAFRANK");
    events.push(
        assume("mfa", 30, &frank, "arn:aws:iam::111111111111:role/dev-admin", "ASIAFRANK", &admin.id)
            .field(signals::MFA_SERIAL, "arn:aws:iam::111111111111:mfa/frank"),
    );
    // A user rotating their own key.
    events.push(
        ev("own-key", 31, &frank, "iam.amazonaws.com", "CreateAccessKey").field(signals::USER_NAME, "frank"),
    );
    // A retry loop of denied cross-account assumes counts only max_repeats times.
    for i in 0..20 {
        events.push(
            ev(&format!("deny{i}"), 40 + i, &frank, "sts.amazonaws.com", "AssumeRole")
                .field(signals::ROLE_ARN, "arn:aws:iam::333333333333:role/Admin")
                .error("AccessDenied"),
        );
    }
    assert_eq!(harness.events(&events), vec![]);
    let trails = &harness.detector().state().trails;
    assert_eq!(
        trails[auditor.id.as_str()].risk,
        10 + 10 + 10 + 15,
        "burst, regions, permissions, cross-account"
    );
    let frank = &trails[frank.id.as_str()];
    let count = |signal: signals::Signal| frank.scored.iter().filter(|s| s.signal == signal).count();
    assert_eq!(
        count(signals::Signal::CrossAccountAssumeDenied),
        3,
        "three denied assumes count, the others do not"
    );
    assert_eq!(count(signals::Signal::FailedCalls), 3, "as do three runs of five denied calls");
    assert_eq!(count(signals::Signal::AccessKeyCreated), 1);
    assert!(frank.risk < 100, "{}", frank.risk);
}

#[test]
fn service_assumed_roles_are_not_hops() {
    let mut harness = Harness::<Storyline>::new();
    let lambda = Actor {
        id: "lambda.amazonaws.com".into(),
        kind: "AWSService".into(),
        invoked_by: Some("lambda.amazonaws.com".into()),
        ..Actor::default()
    };
    let fn_role = session(ACCT, "orders-fn", "orders-fn", "ASIAFN");
    harness.events(&[assume(
        "svc",
        0,
        &lambda,
        "arn:aws:iam::111111111111:role/orders-fn",
        "ASIAFN",
        &fn_role.id,
    )]);
    assert!(harness.detector().state().trails.is_empty());
    // The host links nothing to a service's assume: the role session is its own origin, and
    // its trail starts with no hop.
    harness.events(&[ev("x", 1, &fn_role, "iam.amazonaws.com", "ListRoles")]);
    assert!(harness.detector().state().trails[fn_role.id.as_str()].hops.is_empty());
}

#[test]
fn threshold_and_weights_are_configurable() {
    let config = json!({"threshold": 20, "weights": {"permission_discovery": 20}});
    let mut harness = Harness::<Storyline>::with_config(config).unwrap();
    let f =
        harness.events(&[ev("p", 0, &user("eve"), "iam.amazonaws.com", "GetAccountAuthorizationDetails")]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::High);
    assert_eq!(f[0].event_ids, vec!["p"]);
    assert!(Harness::<Storyline>::with_config(json!({"threshold": 0})).is_err());
    assert!(Harness::<Storyline>::with_config(json!({"wieghts": {}})).is_err());
}

#[test]
fn the_trail_survives_a_reload() {
    let story = insider_story();
    let (before, after) = story.split_at(9);
    let mut harness = Harness::<Storyline>::new();
    assert!(harness.events(before).is_empty());
    harness.reload().unwrap();
    let findings = harness.events(after);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].actor.as_deref(), Some(INSIDER));
    assert!(
        findings[0].event_ids.contains(&"start".to_string())
            && findings[0].event_ids.contains(&"share".to_string())
    );
}

#[test]
fn restore_refuses_foreign_bytes() {
    use trailhound_sdk::Detector;
    let mut detector = Storyline::default();
    assert!(detector.restore(b"not json").unwrap_err().contains("storyline snapshot"));
    assert!(detector.restore(br#"{"version":99,"trails":{}}"#).unwrap_err().contains("version 99"));
    assert!(detector.restore(&[]).is_ok());
}

#[test]
fn an_older_snapshot_starts_empty_and_says_so() {
    use trailhound_sdk::Detector;
    let mut harness = Harness::<Storyline>::new();
    harness.events(&insider_story()[..9]);
    let current: serde_json::Value = serde_json::from_slice(&harness.detector().snapshot()).unwrap();
    assert_eq!(current["version"], 3);
    // Version 2 kept trails of AWS hops only, without nodes, planes or revisions.
    let old = json!({"version": 2, "trails": {INSIDER: {"origin": INSIDER, "hops": []}}});
    let mut restored = Storyline::default();
    restored.restore(&harness.detector().snapshot()).unwrap();
    assert!(!restored.state().trails.is_empty());
    let err = restored.restore(old.to_string().as_bytes()).unwrap_err();
    assert!(err.contains("version 2") && err.contains("starting with no trails"), "{err}");
    assert!(restored.state().trails.is_empty());
}

#[test]
fn idle_trails_expire_and_memory_is_capped() {
    let story = insider_story();
    let mut harness = Harness::<Storyline>::new();
    harness.events(&story[..10]);
    assert!(!harness.detector().state().trails.is_empty());
    // A day and a half of silence: the trail is forgotten.
    harness.tick(1_000 * MIN + 36 * 60 * MIN);
    assert!(harness.detector().state().trails.is_empty());
    // The rest of the story alone, by the dev session, no longer reaches the threshold: the
    // host still traces it to the insider, but the risk gathered before is gone.
    let late: Vec<TestEvent> =
        story[10..].iter().cloned().map(|e| e.time(1_000 * MIN + 37 * 60 * MIN)).collect();
    assert!(harness.events(&late).is_empty());

    let mut small = Harness::<Storyline>::with_config(json!({"max_trails": 2})).unwrap();
    let users: Vec<TestEvent> = (0..5)
        .map(|i| ev(&format!("u{i}"), i, &user(&format!("u{i}")), "iam.amazonaws.com", "ListUsers"))
        .collect();
    small.events(&users);
    let mut trails: Vec<&String> = small.detector().state().trails.keys().collect();
    trails.sort();
    assert_eq!(
        trails,
        ["arn:aws:iam::111111111111:user/u3", "arn:aws:iam::111111111111:user/u4"],
        "the stalest go first"
    );
    assert!(Harness::<Storyline>::with_config(json!({"max_links": 1})).is_err(), "the host keeps the links");
}

#[test]
fn a_trail_that_begins_with_a_session_starts_from_the_identity_that_obtained_its_key() {
    // Only the dev session's part of the story is on the trail (the rest expired, or came
    // before the detector ran): the host still names the insider as its origin, and the
    // bastion session as the one that obtained the dev session's key.
    let mut harness = Harness::<Storyline>::with_config(json!({"threshold": 90})).unwrap();
    let findings = harness.events(&insider_story()[10..]);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.actor.as_deref(), Some(INSIDER));
    assert!(f.summary.starts_with(&format!("{INSIDER} moved {INSIDER} → {}", dev().id)), "{}", f.summary);
    let trail = &harness.detector().state().trails[INSIDER];
    assert_eq!(trail.origin_kind, "", "no event of the insider itself is on the trail");
    assert_eq!(
        trail.hops,
        [Hop {
            via: ISSUED_CREDENTIALS.into(),
            from: bastion().id,
            to: dev().id,
            event_id: "policy".into(),
            time: 1_000 * MIN + 18 * MIN,
        }]
    );
    let kinds: Vec<(&str, &str)> = trail.nodes.iter().map(|n| (n.id.as_str(), n.kind.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (INSIDER, "principal"),
            (dev().id.as_str(), "role-session"),
            (bastion().id.as_str(), "role-session")
        ]
    );
    assert!(f.techniques.contains(&"T1550.001".to_string()));
}

#[test]
fn a_snapshot_is_the_same_bytes_after_a_restore() {
    use trailhound_sdk::Detector;
    let mut harness = Harness::<Storyline>::new();
    harness.events(&insider_story()[..9]);
    let bytes = harness.detector().snapshot();
    let mut restored = Storyline::default();
    restored.restore(&bytes).unwrap();
    assert_eq!(restored.snapshot(), bytes, "snapshots are canonical: maps are written in key order");
    assert!(!harness.detector().state().trails.is_empty());
}

/// One strong signal on its own: an access key created for another user, worth
/// `weights.access_key_for_other_user` (25 by default, a quarter of the default threshold).
fn key_for_other_user() -> TestEvent {
    ev("key", 0, &user("eve"), "iam.amazonaws.com", "CreateAccessKey").field(signals::USER_NAME, "svc-deploy")
}

/// The event ids of each finding one fresh instance with `config` reports for `events`.
fn fired(config: serde_json::Value, events: &[TestEvent]) -> Vec<Vec<String>> {
    let mut harness =
        Harness::<Storyline>::with_config(config.clone()).unwrap_or_else(|e| panic!("{config} refused: {e}"));
    harness.events(events).into_iter().map(|f| f.event_ids).collect()
}

#[test]
fn changing_the_threshold_or_a_weight_changes_what_fires() {
    let none: Vec<Vec<String>> = Vec::new();
    let key = vec![vec!["key".to_string()]];
    let events = [key_for_other_user()];
    assert_eq!(fired(json!(null), &events), none, "25 is below the default threshold of 100");
    assert_eq!(fired(json!({"threshold": 25}), &events), key);
    assert_eq!(fired(json!({"threshold": 26}), &events), none);
    assert_eq!(fired(json!({"weights": {"access_key_for_other_user": 100}}), &events), key);
    assert_eq!(fired(json!({"threshold": 25, "weights": {"access_key_for_other_user": 24}}), &events), none);
}

/// The event ids of the first finding `config` reports when `events` come one per batch.
fn first_fired(config: serde_json::Value, events: &[TestEvent]) -> Option<Vec<String>> {
    let mut harness = Harness::<Storyline>::with_config(config).unwrap();
    events
        .iter()
        .find_map(|e| harness.events(std::slice::from_ref(e)).into_iter().next())
        .map(|f| f.event_ids)
}

#[test]
fn changing_max_repeats_changes_how_far_a_retry_loop_counts() {
    // Ten denied cross-account assumes, 10 risk each; the threshold is 30. Runs of failed
    // calls weigh nothing here, to count the assumes alone.
    let frank = user("frank");
    let denied: Vec<TestEvent> = (0..10)
        .map(|i| {
            ev(&format!("deny{i}"), i, &frank, "sts.amazonaws.com", "AssumeRole")
                .field(signals::ROLE_ARN, "arn:aws:iam::333333333333:role/Admin")
                .error("AccessDenied")
        })
        .collect();
    let ids = |n: usize| Some((0..n).map(|i| format!("deny{i}")).collect::<Vec<_>>());
    let config = |threshold: u32, repeats: Option<u32>| {
        let mut c = json!({"threshold": threshold, "weights": {"failed_calls": 0}});
        if let Some(n) = repeats {
            c["max_repeats"] = json!(n);
        }
        c
    };
    assert_eq!(first_fired(config(30, None), &denied), ids(3), "the default max_repeats is 3");
    assert_eq!(first_fired(config(30, Some(2)), &denied), None);
    assert_eq!(first_fired(config(30, Some(10)), &denied), ids(3));
    assert_eq!(first_fired(config(50, Some(10)), &denied), ids(5));
}

#[test]
fn changing_trusted_accounts_changes_whether_a_share_is_foreign() {
    let share = ev("share", 0, &user("eve"), "ec2.amazonaws.com", "ModifySnapshotAttribute")
        .field(signals::SNAPSHOT_ADD, r#"{"items":[{"userId":"999999999999"}]}"#);
    let events = [share];
    assert_eq!(fired(json!({"threshold": 35}), &events), vec![vec!["share".to_string()]]);
    assert_eq!(
        fired(json!({"threshold": 35, "trusted_accounts": ["999999999999"]}), &events),
        Vec::<Vec<String>>::new()
    );
}

#[test]
fn a_reload_keeps_the_config() {
    let mut harness = Harness::<Storyline>::with_config(json!({"threshold": 25})).unwrap();
    harness.reload().unwrap();
    let findings = harness.events(&[key_for_other_user()]);
    assert_eq!(findings.iter().map(|f| f.event_ids.clone()).collect::<Vec<_>>(), [vec!["key".to_string()]]);
}
