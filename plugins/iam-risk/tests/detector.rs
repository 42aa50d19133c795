//! Each rule driven through the SDK harness, firing and staying quiet.

use iam_risk::*;
use serde_json::json;
use trailhound_sdk::model::Actor;
use trailhound_sdk::testing::{Harness, TestEvent};
use trailhound_sdk::Severity;

fn role_session(account: &str, role: &str) -> Actor {
    Actor {
        id: format!("arn:aws:sts::{account}:assumed-role/{role}/s"),
        kind: "AssumedRole".into(),
        account: account.into(),
        name: Some(role.into()),
        session_name: Some("s".into()),
        ..Actor::default()
    }
}

fn run(events: &[TestEvent]) -> Vec<trailhound_sdk::Finding> {
    Harness::<IamRisk>::new().events(events)
}

fn assume(role: &str) -> TestEvent {
    TestEvent::new("sts.amazonaws.com", "AssumeRole")
        .id("a")
        .actor(role_session("111111111111", "bastion"))
        .field(ROLE_ARN, role)
}

#[test]
fn unguarded_privileged_assume_fires_and_guarded_ones_do_not() {
    let f = run(&[assume("arn:aws:iam::111111111111:role/dev-platform-admin")]);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].rule_id.as_str(), f[0].severity), (RULE_UNGUARDED_ASSUME, Severity::Medium));
    assert_eq!(f[0].techniques, ["T1078.004", "T1548.005"]);
    assert_eq!(f[0].event_ids, ["a"]);
    let with_mfa =
        assume("arn:aws:iam::111111111111:role/dev-platform-admin").field(MFA_SERIAL, "arn:aws:iam::1:mfa/x");
    let with_external_id = assume("arn:aws:iam::111111111111:role/VendorAdmin").field(EXTERNAL_ID, "abc");
    let not_privileged = assume("arn:aws:iam::111111111111:role/readonly");
    let mut lambda = assume("arn:aws:iam::111111111111:role/fn-admin");
    lambda.event.actor =
        Actor { id: "lambda.amazonaws.com".into(), kind: "AWSService".into(), ..Actor::default() };
    assert_eq!(run(&[with_mfa, with_external_id, not_privileged, lambda]), vec![]);
}

#[test]
fn denied_cross_account_assume_fires_but_not_same_account_or_other_errors() {
    let f =
        run(&[assume("arn:aws:iam::222222222222:role/OrganizationAccountAccessRole").error("AccessDenied")]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule_id, RULE_CROSS_ACCOUNT_DENIED);
    assert_eq!(f[0].techniques, ["T1078.004"]);
    let same_account = assume("arn:aws:iam::111111111111:role/x").error("AccessDenied");
    let throttled = assume("arn:aws:iam::222222222222:role/x").error("Throttling");
    assert_eq!(run(&[same_account, throttled]), vec![]);
}

#[test]
fn policy_default_version_changes_fire() {
    let set = TestEvent::new("iam.amazonaws.com", "SetDefaultPolicyVersion")
        .field(POLICY_ARN, "arn:aws:iam::1:policy/ci")
        .field(VERSION_ID, "v1");
    let create_default =
        TestEvent::new("iam.amazonaws.com", "CreatePolicyVersion").field(SET_AS_DEFAULT, "true");
    let f = run(&[set, create_default]);
    assert_eq!(
        f.iter().map(|f| f.rule_id.as_str()).collect::<Vec<_>>(),
        [RULE_POLICY_VERSION, RULE_POLICY_VERSION]
    );
    assert!(f[0].title.contains("arn:aws:iam::1:policy/ci") && f[0].title.contains("v1"));
    assert_eq!(f[0].techniques, ["T1098.003"]);
    let draft = TestEvent::new("iam.amazonaws.com", "CreatePolicyVersion").field(SET_AS_DEFAULT, "false");
    let failed = TestEvent::new("iam.amazonaws.com", "SetDefaultPolicyVersion").error("AccessDenied");
    assert_eq!(run(&[draft, failed]), vec![]);
}

#[test]
fn access_keys_for_others_fire_but_rotation_does_not() {
    let mut by_role =
        TestEvent::new("iam.amazonaws.com", "CreateAccessKey").field(USER_NAME, "svc-terraform");
    by_role.event.actor = role_session("111111111111", "dev-admin");
    let f = run(&[by_role]);
    assert_eq!(
        (f[0].rule_id.as_str(), f[0].techniques.as_slice()),
        (RULE_ACCESS_KEY, &["T1098.001".to_string()][..])
    );
    // TestEvent's actor is the IAM user "test".
    let own = TestEvent::new("iam.amazonaws.com", "CreateAccessKey").field(USER_NAME, "test");
    let implicit_own = TestEvent::new("iam.amazonaws.com", "CreateAccessKey");
    let other_user = TestEvent::new("iam.amazonaws.com", "CreateAccessKey").field(USER_NAME, "bob");
    let f = run(&[own, implicit_own, other_user]);
    assert_eq!(f.len(), 1);
    assert!(f[0].title.contains("bob"));
}

#[test]
fn snapshots_shared_outside_fire() {
    let share = |add: &str| {
        TestEvent::new("ec2.amazonaws.com", "ModifySnapshotAttribute")
            .field(SNAPSHOT_ADD, add)
            .field(SNAPSHOT_ID, "snap-1")
    };
    let f = run(&[share(r#"{"items":[{"userId":"999999999999"}]}"#)]);
    assert_eq!((f[0].rule_id.as_str(), f[0].severity), (RULE_SNAPSHOT_SHARED, Severity::High));
    assert_eq!(f[0].techniques, ["T1537"]);
    let f = run(&[share(r#"{"items":[{"group":"all"}]}"#)]);
    assert_eq!(f[0].severity, Severity::Critical);
    let rds = TestEvent::new("rds.amazonaws.com", "ModifyDBSnapshotAttribute")
        .field(DB_SNAPSHOT_ADD, r#"["999999999999"]"#);
    assert_eq!(run(&[rds]).len(), 1);
    // Own account, a trusted one, and removals stay quiet.
    let own = share(r#"{"items":[{"userId":"111111111111"}]}"#);
    let trusted = share(r#"{"items":[{"userId":"222222222222"}]}"#);
    let removal = TestEvent::new("ec2.amazonaws.com", "ModifySnapshotAttribute");
    let mut harness = Harness::<IamRisk>::with_config(json!({"trusted_accounts": ["222222222222"]})).unwrap();
    assert_eq!(harness.events(&[own, trusted, removal]), vec![]);
}

#[test]
fn config_ignores_automation_and_refuses_typos() {
    let mut harness =
        Harness::<IamRisk>::with_config(json!({"ignore_actors": ["arn:aws:iam::111111111111:user/"]}))
            .unwrap();
    assert_eq!(harness.events(&[TestEvent::new("iam.amazonaws.com", "SetDefaultPolicyVersion")]), vec![]);
    assert!(Harness::<IamRisk>::with_config(json!({"ignore_actor": []})).is_err());
}

#[test]
fn stateless_reload_changes_nothing() {
    let mut harness = Harness::<IamRisk>::new();
    harness.reload().unwrap();
    assert_eq!(harness.events(&[assume("arn:aws:iam::111111111111:role/Admin")]).len(), 1);
}

/// The rule ids one fresh instance with `config` reports for `events`.
fn rules_with(config: serde_json::Value, events: &[TestEvent]) -> Vec<String> {
    let mut harness =
        Harness::<IamRisk>::with_config(config.clone()).unwrap_or_else(|e| panic!("{config} refused: {e}"));
    harness.events(events).into_iter().map(|f| f.rule_id).collect()
}

#[test]
fn changing_each_config_key_changes_what_fires() {
    let none: Vec<String> = Vec::new();

    // privileged_role_patterns replaces the default patterns.
    let deployer = [assume("arn:aws:iam::111111111111:role/deployer")];
    let admin = [assume("arn:aws:iam::111111111111:role/dev-platform-admin")];
    assert_eq!(rules_with(json!(null), &deployer), none);
    assert_eq!(
        rules_with(json!({"privileged_role_patterns": ["Deploy"]}), &deployer),
        [RULE_UNGUARDED_ASSUME]
    );
    assert_eq!(rules_with(json!(null), &admin), [RULE_UNGUARDED_ASSUME]);
    assert_eq!(rules_with(json!({"privileged_role_patterns": ["deploy"]}), &admin), none);

    // trusted_accounts: a share with a trusted account is not a share outside.
    let share = [TestEvent::new("ec2.amazonaws.com", "ModifySnapshotAttribute")
        .field(SNAPSHOT_ADD, r#"{"items":[{"userId":"222222222222"}]}"#)
        .field(SNAPSHOT_ID, "snap-1")];
    assert_eq!(rules_with(json!(null), &share), [RULE_SNAPSHOT_SHARED]);
    assert_eq!(rules_with(json!({"trusted_accounts": ["222222222222"]}), &share), none);
    assert_eq!(rules_with(json!({"trusted_accounts": ["333333333333"]}), &share), [RULE_SNAPSHOT_SHARED]);

    // ignore_actors: an actor id or ARN prefix.
    let set = [TestEvent::new("iam.amazonaws.com", "SetDefaultPolicyVersion")];
    assert_eq!(rules_with(json!(null), &set), [RULE_POLICY_VERSION]);
    assert_eq!(rules_with(json!({"ignore_actors": ["arn:aws:iam::111111111111:user/test"]}), &set), none);
    assert_eq!(
        rules_with(json!({"ignore_actors": ["arn:aws:iam::111111111111:user/other"]}), &set),
        [RULE_POLICY_VERSION]
    );
}
