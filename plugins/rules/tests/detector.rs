//! The rules plugin driven as the host drives it: rule files in Falco's syntax given with
//! `Harness::with_files`, events shaped after CloudTrail's documented records.

use rules::Rules;
use trailhound_sdk::model::Actor;
use trailhound_sdk::testing::{Harness, TestEvent};
use trailhound_sdk::{File, Severity};

const RULES: &str = r#"
- required_engine_version: 10

- required_plugin_versions:
  - name: cloudtrail
    version: 0.2.3

- list: trail_changes
  items: [StopLogging, DeleteTrail]

- list: bucket_exposures
  items: [PutBucketAcl, DeletePublicAccessBlock]

- macro: from_console
  condition: ct.useragent = "AWS Internal" or ct.useragent startswith console

- macro: interactive
  condition: (from_console or ct.user.identitytype = IAMUser)

- rule: CloudTrail Logging Disabled
  desc: Detect the CloudTrail trail being stopped or deleted.
  condition: ct.name in (trail_changes) and not ct.error exists
  output: CloudTrail logging stopped (user=%ct.user arn=%ct.user.arn ip=%ct.srcip trail=%jevt.value[/requestParameters/name])
  priority: CRITICAL
  tags: [cloud, aws, cloudtrail]
  source: aws_cloudtrail
  exceptions:
    - name: known_trail
      fields: ["jevt.value[/requestParameters/name]", ct.user.arn]
      comps: [=, startswith]
      values:
        - [sandbox-trail, "arn:aws:iam::111111111111:role/"]

- rule: Bucket Exposed
  desc: A bucket's ACL or public access block was changed.
  condition: ct.name in (bucket_exposures, PutBucketPolicy) and interactive
  output: Bucket %s3.bucket exposed by %ct.user.arn in %ct.region
  priority: WARNING
  tags: [aws, s3]
  source: aws_cloudtrail

- rule: Bucket Exposed
  override:
    condition: append
    exceptions: append
  condition: and s3.bucket != public-website
  exceptions:
    - name: trusted_buckets
      fields: s3.bucket
      values: [cdn-assets, docs-site]

- rule: Root Console Login
  desc: The root user logged in.
  condition: ct.name = ConsoleLogin and ct.user.identitytype = Root
  output: Root login from %ct.srcip
  priority: NOTICE
  enabled: false
"#;

fn file(path: &str, contents: &str) -> File {
    File { path: path.into(), contents: contents.as_bytes().to_vec() }
}

fn harness(contents: &str) -> Result<Harness<Rules>, String> {
    Harness::with_files(serde_json::Value::Null, vec![file("aws.yaml", contents)])
}

/// `StopLogging` as CloudTrail records it for an IAM user: `requestParameters.name` names the trail.
fn stop_logging(trail: &str) -> TestEvent {
    let mut event =
        TestEvent::new("cloudtrail.amazonaws.com", "StopLogging").field("$.requestParameters.name", trail);
    event.event.source_ip = Some("203.0.113.7".into());
    event
}

fn assumed_role() -> Actor {
    Actor {
        id: "arn:aws:iam::111111111111:role/deployer".into(),
        kind: "AssumedRole".into(),
        account: "111111111111".into(),
        ..Actor::default()
    }
}

fn put_bucket_acl(bucket: &str) -> TestEvent {
    TestEvent::new("s3.amazonaws.com", "PutBucketAcl").field("$.requestParameters.bucketName", bucket)
}

#[test]
fn a_falco_rule_with_lists_fires_with_its_rendered_output() {
    let mut rules = harness(RULES).unwrap();
    let findings = rules.events(&[stop_logging("main-trail")]);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let finding = &findings[0];
    assert_eq!(finding.rule_id, "CloudTrail Logging Disabled");
    assert_eq!(finding.title, "CloudTrail Logging Disabled");
    assert_eq!(finding.severity, Severity::Critical);
    assert_eq!(
        finding.summary,
        "CloudTrail logging stopped (user=test arn=arn:aws:iam::111111111111:user/test ip=203.0.113.7 trail=main-trail)"
    );
    assert_eq!(finding.tags, vec!["cloud", "aws", "cloudtrail"]);
    assert_eq!(finding.event_ids, vec!["test-StopLogging"]);
}

#[test]
fn version_requirements_are_accepted_and_reported() {
    let rules = harness(RULES).unwrap();
    assert_eq!(rules.detector().requirements(), ["engine 10", "plugin cloudtrail 0.2.3"]);
}

#[test]
fn the_model_access_level_is_a_field() {
    let rule = "- rule: Writes\n  condition: access_level = Write and action = PutBucketAcl\n  output: '%access_level'\n  priority: INFO\n";
    let mut rules = harness(rule).unwrap();
    let mut write = put_bucket_acl("b");
    write.event.access_level = Some(trailhound_sdk::AccessLevel::Write);
    let findings = rules.events(&[write, put_bucket_acl("b")]);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].summary, "Write");
}

#[test]
fn near_misses_do_not_fire() {
    let mut rules = harness(RULES).unwrap();
    let failed = stop_logging("main-trail").error("AccessDenied");
    let other_action = TestEvent::new("cloudtrail.amazonaws.com", "StartLogging");
    assert!(rules.events(&[failed, other_action]).is_empty());
}

#[test]
fn an_exception_matching_every_field_suppresses_the_rule() {
    let mut rules = harness(RULES).unwrap();
    let excepted = stop_logging("sandbox-trail").actor(assumed_role());
    assert!(rules.events(&[excepted]).is_empty());
    // One field of the tuple matching is not enough.
    assert_eq!(rules.events(&[stop_logging("sandbox-trail")]).len(), 1);
}

#[test]
fn macros_expand_and_an_override_appends_condition_and_exceptions() {
    let mut rules = harness(RULES).unwrap();
    let findings = rules.events(&[put_bucket_acl("payroll")]);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(
        findings[0].summary,
        "Bucket payroll exposed by arn:aws:iam::111111111111:user/test in us-east-1"
    );
    assert_eq!(findings[0].severity, Severity::Medium);
    // The appended condition and the appended exception each exclude a bucket.
    assert!(rules.events(&[put_bucket_acl("public-website"), put_bucket_acl("docs-site")]).is_empty());
    // Not interactive: an assumed role without a console user agent.
    assert!(rules.events(&[put_bucket_acl("payroll").actor(assumed_role())]).is_empty());
}

#[test]
fn a_disabled_rule_never_fires() {
    let mut rules = harness(RULES).unwrap();
    let mut login = TestEvent::new("signin.amazonaws.com", "ConsoleLogin");
    login.event.actor.kind = "Root".into();
    assert!(rules.events(&[login.clone()]).is_empty());
    assert!(rules.detector().rules().iter().all(|r| r.name != "Root Console Login"));
    // A later item naming only the rule and `enabled` turns it back on.
    let enable = "- rule: Root Console Login\n  enabled: true\n";
    let mut rules = Harness::<Rules>::with_files(
        serde_json::Value::Null,
        vec![file("aws.yaml", RULES), file("local.yaml", enable)],
    )
    .unwrap();
    let findings = rules.events(&[login]);
    assert_eq!(findings.len(), 1);
    assert_eq!((findings[0].severity, findings[0].summary.as_str()), (Severity::Low, "Root login from <NA>"));
}

#[test]
fn the_older_append_form_appends_to_a_rule_condition() {
    let more =
        "- rule: CloudTrail Logging Disabled\n  condition: and ct.region != eu-west-1\n  append: true\n";
    let mut rules = Harness::<Rules>::with_files(
        serde_json::Value::Null,
        vec![file("aws.yaml", RULES), file("local.yaml", more)],
    )
    .unwrap();
    let mut elsewhere = stop_logging("main-trail");
    elsewhere.event.region = "eu-west-1".into();
    assert!(rules.events(&[elsewhere]).is_empty());
    assert_eq!(rules.events(&[stop_logging("main-trail")]).len(), 1);
}

#[test]
fn every_comparison_operator_works_in_a_rule() {
    let rule = r#"
- rule: Operators
  condition: >
    ct.name regex "Put(Bucket|Object)Acl"
    and ct.user.arn glob "arn:aws:iam::*:user/*"
    and ct.src endswith ".amazonaws.com"
    and ct.user icontains TEST
    and ct.user.identitytype != Root
    and $.requestParameters.grants intersects (READ, FULL_CONTROL)
    and $.requestParameters.count >= 2
    and $.requestParameters.count < 10
    and not ct.name contains Policy
  output: "%ct.name"
  priority: DEBUG
"#;
    let mut rules = harness(rule).unwrap();
    let event = |count: &str| {
        put_bucket_acl("b")
            .field("$.requestParameters.grants", r#"["WRITE","READ"]"#)
            .field("$.requestParameters.count", count)
    };
    let findings = rules.events(&[event("2")]);
    assert_eq!(findings.len(), 1);
    assert_eq!((findings[0].severity, findings[0].summary.as_str()), (Severity::Info, "PutBucketAcl"));
    assert!(rules
        .events(&[event("10"), event("1"), put_bucket_acl("b").field("$.requestParameters.count", "3")])
        .is_empty());
}

#[test]
fn declares_the_raw_fields_and_actions_its_rules_read() {
    let rules = harness(RULES).unwrap();
    let info = trailhound_sdk::Detector::declared(rules.detector());
    assert_eq!(info.fields, vec!["$.requestParameters.bucketName", "$.requestParameters.name"]);
    assert_eq!(
        info.actions,
        vec!["DeletePublicAccessBlock", "DeleteTrail", "PutBucketAcl", "PutBucketPolicy", "StopLogging"]
    );
    assert_eq!(info.sources, vec!["aws-cloudtrail"]);
}

#[test]
fn a_later_file_appends_to_an_earlier_list_with_the_older_append_form() {
    let more = "- list: trail_changes\n  items: [UpdateTrail]\n  append: true\n";
    let mut rules = Harness::<Rules>::with_files(
        serde_json::Value::Null,
        vec![file("aws.yaml", RULES), file("local.yaml", more)],
    )
    .unwrap();
    let update = TestEvent::new("cloudtrail.amazonaws.com", "UpdateTrail");
    assert_eq!(rules.events(&[update]).len(), 1);
}

fn error_of(contents: &str) -> String {
    match harness(contents) {
        Ok(_) => panic!("loaded: {contents}"),
        Err(e) => e,
    }
}

#[test]
fn errors_name_file_line_and_column() {
    assert_eq!(
        error_of("- rule: r\n  desc: d\n  condition: ct.name = X and ct.bogus = 1\n  output: o\n  priority: INFO\n"),
        "aws.yaml:3:30: rule 'r': condition: unknown field 'ct.bogus'"
    );
    assert_eq!(
        error_of("- rule: r\n  condition: >\n    ct.name = X\n    and no_such_macro\n  priority: INFO\n"),
        "aws.yaml:4:9: rule 'r': condition: unknown macro 'no_such_macro'"
    );
    assert_eq!(
        error_of("- rule: r\n  condition: ct.name equals X\n  priority: INFO\n"),
        "aws.yaml:2:22: rule 'r': condition: unknown operator 'equals' after 'ct.name'"
    );
    assert!(
        error_of("- rule: r\n  condition: [unclosed\n").starts_with("aws.yaml:3:1: "),
        "{}",
        error_of("- rule: r\n  condition: [unclosed\n")
    );
    assert_eq!(
        error_of("- rule: r\n  condition: ct.name = X\n  priority: LOUD\n"),
        "aws.yaml:3:3: rule 'r': priority: unknown priority 'LOUD' (one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL, DEBUG)"
    );
    assert_eq!(
        error_of("- rule: r\n  condition: ct.name = X\n  output: by %ct.who\n  priority: INFO\n"),
        "aws.yaml:3:14: rule 'r': output: unknown field 'ct.who'"
    );
}

#[test]
fn errors_of_fields_operators_and_outputs_name_their_position() {
    let rule =
        |condition: &str| format!("- rule: r\n  condition: {condition}\n  output: o\n  priority: INFO\n");
    assert_eq!(
        error_of(&rule("ct.name regex val(ct.user)")),
        "aws.yaml:2:32: rule 'r': condition: val(field) cannot be compared with regex, pmatch, in or intersects"
    );
    assert_eq!(
        error_of(&rule("ct.name = val(ct.nope)")),
        "aws.yaml:2:28: rule 'r': condition: unknown field 'ct.nope'"
    );
    assert_eq!(
        error_of(&rule("ct.name in (A, val(ct.user))")),
        "aws.yaml:2:33: rule 'r': condition: val(field) is not a list: in, intersects and pmatch take values"
    );
    assert_eq!(
        error_of(&rule("s3.bytes = lots")),
        "aws.yaml:2:25: rule 'r': condition: 'lots' is not a number"
    );
    assert_eq!(
        error_of(&rule("jevt.value[eventName] exists")),
        "aws.yaml:2:14: rule 'r': condition: field 'jevt.value[eventName]': 'eventName' is not a JSON pointer (it starts with '/')"
    );
    assert_eq!(
        error_of("- rule: r\n  condition: ct.name = X\n  output: by %(ct.user\n  priority: INFO\n"),
        "aws.yaml:3:14: rule 'r': output: unterminated '%('"
    );
    assert_eq!(
        error_of("- rule: r\n  condition: ct.name = X\n  output: by %(ka.uri.param)\n  priority: INFO\n"),
        "aws.yaml:3:14: rule 'r': output: field 'ka.uri.param' needs an argument: ka.uri.param[...]"
    );
    let exception = "- rule: r\n  condition: ka.verb = create\n  output: o\n  priority: INFO\n  exceptions:\n    - name: trusted\n      fields: [ka.verb, ka.req.pod.containers.image]\n      comps: [=, =]\n      values: [[create, nginx]]\n";
    assert_eq!(
        error_of(exception),
        "aws.yaml:7:25: rule 'r': exceptions: trusted: 'ka.req.pod.containers.image' is a list field: it is compared with in, intersects or exists only (or pick one item with [N])"
    );
}

#[test]
fn the_raw_record_and_the_event_time_as_falco_names_them() {
    let rule = "- rule: r\n  condition: jevt.rawtime > 0 and jevt.obj contains '\"eventName\"'\n  output: at %jevt.rawtime\n  priority: INFO\n";
    let mut rules = harness(rule).unwrap();
    let info = trailhound_sdk::Detector::declared(rules.detector());
    assert!(info.wants_raw, "jevt.obj needs the raw record");
    let event = put_bucket_acl("b").time(1_764_583_200_123).raw(r#"{"eventName":"PutBucketAcl"}"#);
    let findings = rules.events(&[event]);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].summary, "at 1764583200123000000");
}

#[test]
fn files_other_than_yaml_are_ignored() {
    let files = vec![file("rules/aws.yaml", RULES), file("rules/README.md", "# not rules: [unclosed")];
    let rules = Harness::<Rules>::with_files(serde_json::Value::Null, files).unwrap();
    assert_eq!(rules.detector().rules().len(), 2);
}

#[test]
fn a_macro_that_uses_itself_is_an_error() {
    let error = error_of("- macro: a\n  condition: b\n- macro: b\n  condition: not a\n- rule: r\n  condition: a\n  priority: INFO\n");
    assert_eq!(error, "aws.yaml:4:18: macro 'b': condition: macro 'a' uses itself (a -> b -> a)");
}

#[test]
fn an_override_of_an_undefined_rule_is_an_error() {
    let error = error_of("- rule: r\n  condition: and x\n  override:\n    condition: append\n");
    assert_eq!(error, "aws.yaml:1:3: rule 'r': appends to or overrides a rule not defined before");
}
