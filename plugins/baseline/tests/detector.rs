//! The detector driven through the SDK harness: each flag fires on a crafted sequence (written
//! from how CloudTrail records the calls) and stays quiet on steady behavior; memory stays
//! within its cap; a reload keeps what was learned.

use baseline::report::{
    FIRST_PERMISSIONS_MANAGEMENT, FIRST_WRITE, NEW_NETWORK, NEW_REGION, SESSION_AGENTS, SWEEP,
};
use baseline::Baseline;
use serde_json::json;
use trailhound_sdk::model::Actor;
use trailhound_sdk::testing::{Harness, TestEvent};
use trailhound_sdk::{AccessLevel, Finding, Severity};

const ACCT: &str = "111111111111";
const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const T0: i64 = 1_780_000_000_000;
const CLI: &str = "aws-cli/2.22.35 md/awscrt#0.23.4 ua/2.0 os/linux#6.11.10-amd64";
const BOTO: &str = "Boto3/1.34.10 md/Botocore#1.34.10 ua/2.0 os/linux#5.10";
const CNI: &str = "aws-sdk-go-v2/1.30.3 ua/2.1 os/linux lang/go#1.22.5 amazon-vpc-cni-k8s/version/v1.19.0";
const ECR: &str = "aws-sdk-go/1.55.5 (go1.22.8; linux; amd64)";

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

fn session(role: &str, name: &str, key: &str) -> Actor {
    Actor {
        id: format!("arn:aws:sts::{ACCT}:assumed-role/{role}/{name}"),
        kind: "AssumedRole".into(),
        account: ACCT.into(),
        name: Some(role.into()),
        access_key: Some(key.into()),
        session_name: Some(name.into()),
        session_issuer: Some(format!("arn:aws:iam::{ACCT}:role/{role}")),
        ..Actor::default()
    }
}

/// One call: `level` as the host's enrichment would set it.
#[allow(clippy::too_many_arguments)]
fn call(
    actor: &Actor,
    t: i64,
    service: &str,
    action: &str,
    level: AccessLevel,
    region: &str,
    ip: &str,
    ua: &str,
) -> TestEvent {
    let mut e = TestEvent::new(service, action)
        .id(&format!("{action}-{t}-{region}-{ip}"))
        .time(t)
        .actor(actor.clone());
    e.event.access_level = Some(level);
    e.event.region = region.into();
    e.event.source_ip = Some(ip.into());
    e.event.user_agent = Some(ua.into());
    e
}

fn harness(config: serde_json::Value) -> Harness<Baseline> {
    Harness::with_config(config).expect("config accepted")
}

fn rules(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule_id.as_str()).collect()
}

/// Runs events one batch each, ticking after each, as a stream would.
fn run(h: &mut Harness<Baseline>, events: &[TestEvent]) -> Vec<Finding> {
    let mut out = Vec::new();
    for e in events {
        out.extend(h.events(std::slice::from_ref(e)));
        out.extend(h.tick(e.event.time));
    }
    out
}

const REGIONS: [&str; 8] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
];

#[test]
fn discovery_swept_across_regions_is_one_finding_per_sweep() {
    let node = session("eks-node-role", "i-05e9c1d4a7b3f2608", "ASIANODE0000001");
    let mut h = harness(json!(null));
    let sweep: Vec<TestEvent> = REGIONS
        .iter()
        .enumerate()
        .map(|(i, r)| {
            call(
                &node,
                T0 + i as i64 * 38_000,
                "ec2.amazonaws.com",
                "DescribeInstances",
                AccessLevel::List,
                r,
                "198.51.100.94",
                CLI,
            )
        })
        .collect();
    let found = run(&mut h, &sweep);
    let sweeps: Vec<&Finding> = found.iter().filter(|f| f.rule_id == SWEEP).collect();
    assert_eq!(sweeps.len(), 1, "{found:#?}");
    let f = sweeps[0];
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.event_ids.len(), 5, "the five regions that made it a sweep");
    assert_eq!(f.evidence_value("regions"), Some("us-east-1,us-east-2,us-west-1,us-west-2,eu-west-1"));
    assert_eq!(f.evidence_value("principal"), Some("arn:aws:iam::111111111111:role/eks-node-role"));
    assert!(f.techniques.contains(&"T1580".to_string()));
    // Past the window, sweeping the same regions again is what it did before; other regions
    // are another sweep.
    let again = |t: i64, regions: &[&str]| -> Vec<TestEvent> {
        regions
            .iter()
            .enumerate()
            .map(|(i, r)| {
                call(
                    &node,
                    t + i as i64 * 1000,
                    "ec2.amazonaws.com",
                    "DescribeVpcs",
                    AccessLevel::List,
                    r,
                    "198.51.100.94",
                    CLI,
                )
            })
            .collect()
    };
    assert_eq!(run(&mut h, &again(T0 + HOUR, &REGIONS[..5])), []);
    let others = ["sa-east-1", "ca-central-1", "eu-north-1", "ap-south-1", "me-south-1"];
    assert_eq!(rules(&run(&mut h, &again(T0 + 2 * HOUR, &others))), [SWEEP]);
}

#[test]
fn discovery_in_a_few_regions_or_spread_over_hours_is_quiet() {
    let ops = user("ops");
    let mut h = harness(json!(null));
    let mut steady = Vec::new();
    for hour in 0..24 {
        for (i, r) in ["us-east-1", "eu-west-1"].iter().enumerate() {
            steady.push(call(
                &ops,
                T0 + hour * HOUR + i as i64 * MIN,
                "ec2.amazonaws.com",
                "DescribeInstances",
                AccessLevel::List,
                r,
                "203.0.113.10",
                BOTO,
            ));
        }
        // One region each hour: eight regions in a day is not a sweep.
        steady.push(call(
            &ops,
            T0 + hour * HOUR + 30 * MIN,
            "ec2.amazonaws.com",
            "DescribeVolumes",
            AccessLevel::List,
            REGIONS[hour as usize % 8],
            "203.0.113.10",
            BOTO,
        ));
    }
    assert_eq!(run(&mut h, &steady), []);
}

#[test]
fn an_established_scanner_sweeping_its_usual_regions_is_quiet() {
    let scanner = user("inventory");
    let mut h = harness(json!({"learning_hours": 2}));
    let sweep_at = |t: i64| -> Vec<TestEvent> {
        REGIONS
            .iter()
            .enumerate()
            .map(|(i, r)| {
                call(
                    &scanner,
                    t + i as i64 * 1000,
                    "ec2.amazonaws.com",
                    "DescribeInstances",
                    AccessLevel::List,
                    r,
                    "203.0.113.20",
                    BOTO,
                )
            })
            .collect()
    };
    // Its first sweep, while it learns, is reported: nothing says yet that it always sweeps.
    assert_eq!(rules(&run(&mut h, &sweep_at(T0))), [SWEEP]);
    let later: Vec<Finding> = (1..24).flat_map(|hour| run(&mut h, &sweep_at(T0 + hour * HOUR))).collect();
    assert_eq!(rules(&later), [] as [&str; 0], "{later:#?}");
}

#[test]
fn a_session_token_used_by_another_tool_from_the_internet_is_high() {
    let node = session("eks-node-role", "i-05e9c1d4a7b3f2608", "ASIANODE0000001");
    let mut h = harness(json!(null));
    // The node's own agents share the instance-profile session, through VPC endpoints.
    let mut day = Vec::new();
    for hour in 0..6 {
        day.push(call(
            &node,
            T0 + hour * HOUR,
            "ec2.amazonaws.com",
            "DescribeNetworkInterfaces",
            AccessLevel::List,
            "us-east-1",
            "10.40.7.188",
            CNI,
        ));
        day.push(call(
            &node,
            T0 + hour * HOUR + MIN,
            "ecr.amazonaws.com",
            "GetAuthorizationToken",
            AccessLevel::Read,
            "us-east-1",
            "10.40.7.188",
            ECR,
        ));
    }
    assert_eq!(run(&mut h, &day), []);
    let stolen = call(
        &node,
        T0 + 6 * HOUR,
        "sts.amazonaws.com",
        "GetCallerIdentity",
        AccessLevel::Read,
        "us-east-1",
        "198.51.100.94",
        CLI,
    );
    let found = run(&mut h, &[stolen]);
    assert_eq!(rules(&found), [SESSION_AGENTS], "{found:#?}");
    assert_eq!(found[0].severity, Severity::High);
    assert_eq!(found[0].evidence_value("network"), Some("198.51.100.0/24"));
    assert_eq!(found[0].evidence_value("access_key"), Some("ASIANODE0000001"));
    // Once: the attacker's next calls from there are not news again.
    let next = call(
        &node,
        T0 + 6 * HOUR + MIN,
        "s3.amazonaws.com",
        "ListBuckets",
        AccessLevel::List,
        "us-east-1",
        "198.51.100.94",
        CLI,
    );
    assert_eq!(run(&mut h, &[next]), []);
}

#[test]
fn a_session_on_the_internet_with_one_tool_moving_range_is_a_new_network() {
    let app = session("app", "worker-1", "ASIAAPP00000001");
    let mut h = harness(json!(null));
    let mut calls = Vec::new();
    for i in 0..10 {
        // The NAT gateway's addresses in one /24: steady.
        calls.push(call(
            &app,
            T0 + i * MIN,
            "s3.amazonaws.com",
            "GetObject",
            AccessLevel::Read,
            "us-east-1",
            &format!("203.0.113.{}", 10 + i),
            BOTO,
        ));
    }
    assert_eq!(run(&mut h, &calls), []);
    let moved = call(
        &app,
        T0 + HOUR,
        "s3.amazonaws.com",
        "GetObject",
        AccessLevel::Read,
        "us-east-1",
        "192.0.2.50",
        BOTO,
    );
    let found = run(&mut h, &[moved]);
    assert_eq!(rules(&found), [NEW_NETWORK]);
    assert_eq!((found[0].severity, found[0].evidence_value("range_new")), (Severity::Medium, Some("yes")));
}

#[test]
fn a_long_term_key_on_a_new_network_after_learning() {
    let dev = user("dev");
    let mut h = harness(json!({"learning_hours": 1}));
    let learn: Vec<TestEvent> = (0..12)
        .map(|i| {
            call(
                &dev,
                T0 + i * 10 * MIN,
                "s3.amazonaws.com",
                "ListBuckets",
                AccessLevel::List,
                "us-east-1",
                "203.0.113.5",
                CLI,
            )
        })
        .collect();
    assert_eq!(run(&mut h, &learn), []);
    let at = |t: i64, ip: &str| {
        call(&dev, T0 + t, "s3.amazonaws.com", "ListBuckets", AccessLevel::List, "us-east-1", ip, CLI)
    };
    let found = run(&mut h, &[at(3 * HOUR, "203.0.113.77"), at(3 * HOUR + MIN, "10.1.2.3")]);
    assert_eq!(found, [], "the same /24, and a trusted private address, are not new");
    let found = run(&mut h, &[at(4 * HOUR, "198.51.100.7")]);
    assert_eq!((rules(&found), found[0].severity), (vec![NEW_NETWORK], Severity::Medium));
    let found = run(&mut h, &[at(5 * HOUR, "203.0.200.1")]);
    assert_eq!(
        (rules(&found), found[0].severity),
        (vec![NEW_NETWORK], Severity::Low),
        "a new /24 in a known /16"
    );
    assert_eq!(run(&mut h, &[at(6 * HOUR, "198.51.100.8")]), [], "learned once reported");
}

#[test]
fn first_write_and_first_permissions_management_after_learning() {
    let auditor = user("auditor");
    let mut h = harness(json!({"learning_hours": 1}));
    let mut learn = Vec::new();
    for i in 0..12 {
        learn.push(call(
            &auditor,
            T0 + i * 10 * MIN,
            "iam.amazonaws.com",
            "ListRoles",
            AccessLevel::List,
            "us-east-1",
            "203.0.113.5",
            CLI,
        ));
        learn.push(call(
            &auditor,
            T0 + i * 10 * MIN + 1,
            "s3.amazonaws.com",
            "GetBucketPolicy",
            AccessLevel::Read,
            "us-east-1",
            "203.0.113.5",
            CLI,
        ));
    }
    assert_eq!(run(&mut h, &learn), []);
    let at = |t: i64, service: &str, action: &str, level| {
        call(&auditor, T0 + t, service, action, level, "us-east-1", "203.0.113.5", CLI)
    };
    let found = run(&mut h, &[at(3 * HOUR, "ec2.amazonaws.com", "RunInstances", AccessLevel::Write)]);
    assert_eq!((rules(&found), found[0].severity), (vec![FIRST_WRITE], Severity::Low));
    assert_eq!(found[0].evidence_value("service_new"), Some("yes"));
    let found = run(
        &mut h,
        &[at(3 * HOUR + MIN, "iam.amazonaws.com", "CreatePolicyVersion", AccessLevel::PermissionsManagement)],
    );
    assert_eq!((rules(&found), found[0].severity), (vec![FIRST_PERMISSIONS_MANAGEMENT], Severity::Medium));
    assert_eq!(found[0].techniques, ["T1098"]);
    let again = [
        at(4 * HOUR, "ec2.amazonaws.com", "TerminateInstances", AccessLevel::Write),
        at(4 * HOUR + 1, "iam.amazonaws.com", "AttachRolePolicy", AccessLevel::PermissionsManagement),
    ];
    assert_eq!(run(&mut h, &again), [], "once per level");
}

#[test]
fn writes_while_learning_are_the_baseline() {
    let builder = user("ci");
    let mut h = harness(json!({"learning_hours": 1}));
    let mut calls = Vec::new();
    for i in 0..24 {
        calls.push(call(
            &builder,
            T0 + i * 10 * MIN,
            "lambda.amazonaws.com",
            "UpdateFunctionCode",
            AccessLevel::Write,
            "us-east-1",
            "203.0.113.5",
            CLI,
        ));
        calls.push(call(
            &builder,
            T0 + i * 10 * MIN + 1,
            "iam.amazonaws.com",
            "PassRole",
            AccessLevel::PermissionsManagement,
            "us-east-1",
            "203.0.113.5",
            CLI,
        ));
    }
    assert_eq!(run(&mut h, &calls), []);
}

#[test]
fn a_new_region_is_reported_once_and_not_for_discovery() {
    let dev = user("dev");
    let mut h = harness(json!({"learning_hours": 1}));
    let learn: Vec<TestEvent> = (0..12)
        .map(|i| {
            call(
                &dev,
                T0 + i * 10 * MIN,
                "s3.amazonaws.com",
                "GetObject",
                AccessLevel::Read,
                "us-east-1",
                "203.0.113.5",
                CLI,
            )
        })
        .collect();
    assert_eq!(run(&mut h, &learn), []);
    let at = |t: i64, action: &str, level, region: &str| {
        call(&dev, T0 + t, "ec2.amazonaws.com", action, level, region, "203.0.113.5", CLI)
    };
    assert_eq!(run(&mut h, &[at(3 * HOUR, "DescribeInstances", AccessLevel::List, "ap-south-1")]), []);
    let found = run(&mut h, &[at(3 * HOUR + MIN, "GetConsoleOutput", AccessLevel::Read, "ap-south-1")]);
    assert_eq!((rules(&found), found[0].evidence_value("region")), (vec![NEW_REGION], Some("ap-south-1")));
    let found = run(&mut h, &[at(3 * HOUR + 2 * MIN, "RunInstances", AccessLevel::Write, "ap-south-1")]);
    assert_eq!(rules(&found), [FIRST_WRITE], "the region is known now; the write is new");
    assert_eq!(run(&mut h, &[at(4 * HOUR, "GetConsoleOutput", AccessLevel::Read, "ap-south-1")]), []);
}

#[test]
fn calls_aws_makes_for_a_principal_are_not_its_behavior() {
    let dev = user("dev");
    let mut h = harness(json!({"learning_hours": 1}));
    let learn =
        call(&dev, T0, "s3.amazonaws.com", "GetObject", AccessLevel::Read, "us-east-1", "203.0.113.5", CLI);
    assert_eq!(run(&mut h, &[learn]), []);
    let mut by_service = call(
        &dev,
        T0 + 3 * HOUR,
        "kms.amazonaws.com",
        "Decrypt",
        AccessLevel::Write,
        "eu-west-1",
        "s3.amazonaws.com",
        "AWS Internal",
    );
    by_service.event.actor.invoked_by = Some("s3.amazonaws.com".into());
    assert_eq!(run(&mut h, &[by_service]), []);
    assert!(h.detector().state().principal("arn:aws:iam::111111111111:user/dev").unwrap().regions.len() == 1);
}

#[test]
fn memory_stays_within_the_cap_with_many_principals() {
    let mut h = harness(json!({"max_profiles": 1000}));
    let events: Vec<TestEvent> = (0..20_000)
        .map(|i| {
            call(
                &user(&format!("u{i}")),
                T0 + i,
                "s3.amazonaws.com",
                "ListBuckets",
                AccessLevel::List,
                "us-east-1",
                "203.0.113.5",
                CLI,
            )
        })
        .collect();
    for chunk in events.chunks(512) {
        h.events(chunk);
    }
    let state = h.detector().state();
    let (principals, keys) = state.len();
    assert!(principals <= 1000 && keys <= 1000, "{principals} principals, {keys} keys");
    assert!(state.evicted >= 38_000, "{} evicted", state.evicted);
    // The most recent stay.
    assert!(state.principal("arn:aws:iam::111111111111:user/u19999").is_some());
    assert!(state.principal("arn:aws:iam::111111111111:user/u0").is_none());
}

#[test]
fn idle_profiles_expire_session_keys_sooner() {
    let dev = user("dev");
    let node = session("eks-node-role", "i-1", "ASIANODE0000002");
    let mut h = harness(json!({"idle_days": 2}));
    run(
        &mut h,
        &[
            call(
                &dev,
                T0,
                "s3.amazonaws.com",
                "ListBuckets",
                AccessLevel::List,
                "us-east-1",
                "203.0.113.5",
                CLI,
            ),
            call(
                &node,
                T0,
                "ec2.amazonaws.com",
                "DescribeInstances",
                AccessLevel::List,
                "us-east-1",
                "10.40.7.188",
                CNI,
            ),
        ],
    );
    h.tick(T0 + 37 * HOUR);
    let state = h.detector().state();
    assert!(state.key("ASIANODE0000002").is_none() && state.key("AKIADEV").is_some());
    h.tick(T0 + 49 * HOUR);
    assert_eq!(h.detector().state().len(), (0, 0));
}

#[test]
fn a_reload_keeps_what_was_learned() {
    let dev = user("dev");
    let sequence: Vec<TestEvent> = (0..12)
        .map(|i| {
            call(
                &dev,
                T0 + i * 10 * MIN,
                "s3.amazonaws.com",
                "ListBuckets",
                AccessLevel::List,
                "us-east-1",
                "203.0.113.5",
                CLI,
            )
        })
        .chain([
            call(
                &dev,
                T0 + 3 * HOUR,
                "ec2.amazonaws.com",
                "RunInstances",
                AccessLevel::Write,
                "eu-west-1",
                "198.51.100.7",
                CLI,
            ),
            call(
                &dev,
                T0 + 3 * HOUR + 1,
                "ec2.amazonaws.com",
                "RunInstances",
                AccessLevel::Write,
                "eu-west-1",
                "198.51.100.7",
                CLI,
            ),
        ])
        .collect();
    let config = json!({"learning_hours": 1});
    let straight = run(&mut harness(config.clone()), &sequence);
    assert_eq!(rules(&straight), [NEW_NETWORK, FIRST_WRITE, NEW_REGION]);
    let mut h = harness(config);
    let mut reloaded = run(&mut h, &sequence[..12]);
    h.reload().unwrap();
    reloaded.extend(run(&mut h, &sequence[12..]));
    assert_eq!(reloaded, straight);
    assert!(Harness::<Baseline>::new().detector().state().len() == (0, 0));
}

#[test]
fn a_snapshot_of_another_version_is_refused_with_a_reason() {
    let err = baseline::state::State::from_snapshot(
        br#"{"version":99,"now":0,"expired_at":0,"evicted":0,"principals":[],"keys":[]}"#,
    )
    .unwrap_err();
    assert!(err.contains("version 99"), "{err}");
    assert!(baseline::state::State::from_snapshot(b"not json").unwrap_err().contains("cannot be read"));
}
