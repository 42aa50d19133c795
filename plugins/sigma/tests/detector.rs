//! The sigma plugin driven as the host drives it: rules written in Sigma's syntax, given
//! with `Harness::with_files`, and events shaped after CloudTrail's, Azure's and
//! Kubernetes' documented records. One test per modifier and condition form, per refusal,
//! and for what a finding and the declaration carry.

mod support;

use sigma::Sigma;
use support::file;
use trailhound_sdk::testing::{Harness, TestEvent};
use trailhound_sdk::{Detector, Severity};

/// A CloudTrail rule with this detection.
fn rule(detection: &str) -> String {
    format!(
        "title: Test rule\nid: 0e4a7d36-0000-4000-8000-000000000001\nstatus: test\ndescription: A rule under test.\n\
         logsource:\n    product: aws\n    service: cloudtrail\ndetection:\n{detection}\nlevel: high\n"
    )
}

fn harness(rules: &[String]) -> Harness<Sigma> {
    let files = rules.iter().enumerate().map(|(i, r)| file(&format!("rule{i}.yml"), r)).collect();
    Harness::with_files(serde_json::Value::Null, files).expect("rules load")
}

/// Whether the rule of `detection` fires on the event.
fn fires(detection: &str, event: TestEvent) -> bool {
    let mut harness = harness(&[rule(detection)]);
    let report = harness.detector().report().clone();
    assert_eq!(report.loaded(), 1, "{report}");
    !harness.events(&[event]).is_empty()
}

fn refusal(detection: &str) -> String {
    let harness = harness(&[rule(detection)]);
    let report = harness.detector().report();
    assert_eq!(report.loaded(), 0, "{report}");
    report.sources["aws/cloudtrail"].refused[0].reason.clone()
}

fn event(action: &str) -> TestEvent {
    TestEvent::new("iam.amazonaws.com", action)
}

/// Sets the model fields the CloudTrail normalizer keeps as the record wrote them, which the
/// plugin reads there rather than projecting `$.userAgent` and `$.sourceIPAddress`.
trait WithModel {
    fn agent(self, agent: &str) -> Self;
    fn source_ip(self, ip: &str) -> Self;
}

impl WithModel for TestEvent {
    fn agent(mut self, agent: &str) -> Self {
        self.event.user_agent = Some(agent.into());
        self
    }

    fn source_ip(mut self, ip: &str) -> Self {
        self.event.source_ip = Some(ip.into());
        self
    }
}

#[test]
fn plain_values_compare_whole_and_case_insensitively() {
    let detection = "    selection:\n        eventName: CreateAccessKey\n        userAgent: Boto3\n    condition: selection";
    assert!(fires(detection, event("CreateAccessKey").agent("Boto3")));
    assert!(fires(detection, event("CreateAccessKey").agent("boto3")));
    assert!(!fires(detection, event("CreateAccessKey").agent("Boto3/1.2")));
    assert!(!fires(detection, event("CreateAccessKeys").agent("Boto3")));
}

#[test]
fn contains_startswith_endswith() {
    let selection = |modifier: &str| {
        format!("    selection:\n        userAgent|{modifier}: Boto3\n    condition: selection")
    };
    let agent = |value: &str| event("ListUsers").agent(value);
    assert!(fires(&selection("contains"), agent("aws-cli Boto3/1.2")));
    assert!(!fires(&selection("contains"), agent("aws-cli")));
    assert!(fires(&selection("startswith"), agent("boto3/1.2")));
    assert!(!fires(&selection("startswith"), agent("x boto3")));
    assert!(fires(&selection("endswith"), agent("python BOTO3")));
    assert!(!fires(&selection("endswith"), agent("boto3 python")));
}

#[test]
fn value_lists_are_or_and_all_makes_them_and() {
    let any = "    selection:\n        userAgent|contains:\n            - sqlmap\n            - nikto\n    condition: selection";
    let all = "    selection:\n        userAgent|contains|all:\n            - sqlmap\n            - nikto\n    condition: selection";
    let agent = |value: &str| event("ListUsers").agent(value);
    assert!(fires(any, agent("nikto/2")));
    assert!(!fires(all, agent("nikto/2")));
    assert!(fires(all, agent("nikto sqlmap")));
}

#[test]
fn wildcards_in_plain_values_and_escapes() {
    let glob = "    selection:\n        userAgent: 'aws-cli/*Python/3.?'\n    condition: selection";
    let agent = |value: &str| event("ListUsers").agent(value);
    assert!(fires(glob, agent("aws-cli/2.0 Python/3.9")));
    assert!(!fires(glob, agent("aws-cli/2.0 Python/3.10")));
    let escaped = "    selection:\n        userAgent: 'star\\*'\n    condition: selection";
    assert!(fires(escaped, agent("star*")));
    assert!(!fires(escaped, agent("starry")));
    let any = "    selection:\n        userAgent: '*'\n    condition: selection";
    assert!(fires(any, agent("")));
    assert!(!fires(any, event("ListUsers")), "'*' needs the field present");
}

#[test]
fn regex_cidr_exists_null_and_fieldref() {
    let re =
        "    selection:\n        userIdentity.arn|re: '.+:assumed-role/aws:.+'\n    condition: selection";
    let arn = |value: &str| event("ListUsers").field("$.userIdentity.arn", value);
    assert!(fires(re, arn("arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1")));
    assert!(!fires(re, arn("arn:aws:sts::1:assumed-role/admin/x")));
    let re_cased = "    selection:\n        userIdentity.arn|re: 'ADMIN'\n    condition: selection";
    assert!(!fires(re_cased, arn("admin")), "re is case-sensitive");
    let re_i = "    selection:\n        userIdentity.arn|re|i: 'ADMIN'\n    condition: selection";
    assert!(fires(re_i, arn("admin")));

    let cidr = "    selection:\n        sourceIPAddress|cidr:\n            - 10.0.0.0/8\n            - 2001:db8::/32\n    condition: selection";
    let ip = |value: &str| event("ListUsers").source_ip(value);
    assert!(fires(cidr, ip("10.1.2.3")));
    assert!(fires(cidr, ip("2001:db8::5")));
    assert!(!fires(cidr, ip("192.0.2.1")));
    assert!(!fires(cidr, ip("AWS Internal")));

    let exists = "    selection:\n        errorCode|exists: true\n    condition: selection";
    let missing = "    selection:\n        errorCode|exists: false\n    condition: selection";
    let failed = event("ListUsers").error("AccessDenied");
    assert!(fires(exists, failed.clone()));
    assert!(!fires(exists, event("ListUsers")));
    assert!(fires(missing, event("ListUsers")));
    assert!(!fires(missing, failed));

    let null =
        "    selection:\n        eventName: ListUsers\n        errorCode: null\n    condition: selection";
    assert!(fires(null, event("ListUsers")));
    assert!(!fires(null, event("ListUsers").error("AccessDenied")));

    let fieldref =
        "    selection:\n        userIdentity.userName|fieldref: requestParameters.userName\n    condition: selection";
    let users = |actor: &str, target: &str| {
        event("UpdateLoginProfile")
            .field("$.userIdentity.userName", actor)
            .field("$.requestParameters.userName", target)
    };
    assert!(fires(fieldref, users("alice", "alice")));
    assert!(!fires(fieldref, users("alice", "bob")));
    assert!(!fires(fieldref, event("UpdateLoginProfile")));
}

#[test]
fn numbers_booleans_and_arrays() {
    let code = "    selection:\n        responseStatus.code: 403\n    condition: selection";
    assert!(fires(code, event("x").field("$.responseStatus.code", "403")));
    let flag = "    selection:\n        additionalEventData.MFAUsed: 'No'\n        responseElements.publiclyAccessible: true\n    condition: selection";
    let e = event("x")
        .field("$.additionalEventData.MFAUsed", "No")
        .field("$.responseElements.publiclyAccessible", "true");
    assert!(fires(flag, e));
    let list = "    selection:\n        requestParameters.layers|contains: 'arn:aws:lambda:'\n    condition: selection";
    assert!(fires(
        list,
        event("x").field("$.requestParameters.layers", r#"["x","arn:aws:lambda:us-east-1:1:layer:l:1"]"#)
    ));
}

#[test]
fn conditions_and_or_not_parentheses_and_of() {
    let detection = "    sel_a:\n        eventName: A\n    sel_b:\n        eventName: B\n    filter_x:\n        userAgent: x\n    filter_y:\n        userAgent: y\n";
    let with = |condition: &str| format!("{detection}    condition: {condition}");
    let agent = |action: &str, value: &str| event(action).agent(value);
    assert!(fires(&with("sel_a or sel_b"), event("B")));
    assert!(!fires(&with("sel_a and sel_b"), event("A")));
    assert!(fires(&with("sel_a and not filter_x"), agent("A", "z")));
    assert!(!fires(&with("sel_a and not filter_x"), agent("A", "x")));
    assert!(fires(&with("1 of sel_*"), event("B")));
    assert!(!fires(&with("all of sel_*"), event("B")));
    assert!(!fires(&with("sel_a and not 1 of filter_*"), agent("A", "y")));
    assert!(fires(&with("(sel_a or sel_b) and not (filter_x or filter_y)"), agent("B", "z")));
    assert!(fires(&with("1 of them"), agent("C", "x")));
    assert!(!fires(&with("all of them"), agent("A", "x")));
}

#[test]
fn lists_of_maps_are_or_and_keywords_search_the_raw_record() {
    let branches = "    selection:\n        - eventName: A\n        - userAgent: x\n    condition: selection";
    assert!(fires(branches, event("Z").agent("x")));
    assert!(!fires(branches, event("Z").agent("y")));
    let keywords =
        "    keywords:\n        - 'Microsoft.Compute/virtualMachines/write'\n    condition: keywords";
    let raw = r#"{"operationName":{"value":"MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE"}}"#;
    assert!(fires(keywords, event("Z").raw(raw)));
    assert!(!fires(keywords, event("Z").raw(r#"{"operationName":"other"}"#)));
}

#[test]
fn findings_carry_the_rules_metadata_and_the_event() {
    let text = "title: Access key created\nid: 9a2a7c7e-1111-4222-8333-444455556666\ndescription: An access key was created.\n\
        tags:\n    - attack.persistence\n    - attack.t1098.001\n    - attack.t1078\n\
        logsource:\n    product: aws\n    service: cloudtrail\ndetection:\n    selection:\n        eventName: CreateAccessKey\n    condition: selection\nlevel: critical\n";
    let mut plugin = harness(&[text.to_string()]);
    let findings = plugin.events(&[event("CreateAccessKey").id("evt-1")]);
    let finding = &findings[0];
    assert_eq!(finding.rule_id, "9a2a7c7e-1111-4222-8333-444455556666");
    assert_eq!(finding.title, "Access key created");
    assert_eq!(finding.summary, "An access key was created.");
    assert_eq!(finding.severity, Severity::Critical);
    assert_eq!(finding.techniques, ["T1098.001", "T1078"]);
    assert_eq!(finding.tags, ["attack.persistence"]);
    assert_eq!(finding.event_ids, ["evt-1"]);

    let untitled_id = text.replace("id: 9a2a7c7e-1111-4222-8333-444455556666\n", "");
    let mut plugin = harness(&[untitled_id]);
    assert_eq!(plugin.events(&[event("CreateAccessKey")])[0].rule_id, "Access key created");
}

#[test]
fn the_declaration_names_paths_sources_and_actions() {
    let cloudtrail = rule("    selection:\n        eventName:\n            - StopLogging\n            - DeleteTrail\n        userIdentity.arn|contains: admin\n    condition: selection");
    let info = harness(std::slice::from_ref(&cloudtrail)).detector().declared();
    assert_eq!(info.fields, ["$.userIdentity.arn"]);
    assert_eq!(info.sources, ["aws-cloudtrail"]);
    assert_eq!(info.actions, ["DeleteTrail", "StopLogging"]);
    assert!(!info.wants_raw);

    // A rule that can match any action: no action filter, every event of its source.
    let any_action = rule("    selection:\n        userAgent|contains: sqlmap\n    condition: selection");
    assert!(harness(&[cloudtrail, any_action]).detector().declared().actions.is_empty());
}

#[test]
fn rules_are_indexed_by_action_and_source() {
    let kubernetes = "title: Exec into pod\nlogsource:\n    product: kubernetes\n    service: audit\n\
        detection:\n    selection:\n        verb: create\n        objectRef.resource: pods\n        objectRef.subresource: exec\n    condition: selection\n";
    let activity = "title: VM written\nlogsource:\n    product: azure\n    service: activitylogs\n\
        detection:\n    selection:\n        operationName: MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE\n    condition: selection\n";
    let mut harness = harness(&[
        rule("    selection:\n        eventName: StopLogging\n    condition: selection"),
        kubernetes.into(),
        activity.into(),
    ]);
    let mut exec = TestEvent::new("k8s", "create pods/exec")
        .field("$.verb", "create")
        .field("$.objectRef.resource", "pods")
        .field("$.objectRef.subresource", "exec");
    exec.event.source = "k8s-audit".into();
    let mut vm = TestEvent::new("Microsoft.Compute", "Microsoft.Compute/virtualMachines/write");
    vm.event.source = "azure-activity".into();
    let mut vm_as_cloudtrail = vm.clone();
    vm_as_cloudtrail.event.source = "aws-cloudtrail".into();
    let titles: Vec<String> = harness
        .events(&[exec, vm, vm_as_cloudtrail, event("StopLogging")])
        .into_iter()
        .map(|f| f.title)
        .collect();
    assert_eq!(titles, ["Exec into pod", "VM written", "Test rule"]);
}

#[test]
fn entra_rules_run_on_their_own_log() {
    let sign_in = "title: Single factor sign-in\nlogsource:\n    product: azure\n    service: signinlogs\n\
        detection:\n    selection:\n        AuthenticationRequirement: singleFactorAuthentication\n    condition: selection\n";
    let mut harness = harness(&[sign_in.into()]);
    let mut record = TestEvent::new("signinlogs", "Sign-in activity")
        .field("$.properties.authenticationRequirement", "singleFactorAuthentication");
    record.event.source = "azure-audit".into();
    record.event.service = "signinlogs".into();
    let mut audit = record.clone();
    audit.event.service = "auditlogs".into();
    assert_eq!(harness.events(&[record, audit]).len(), 1);
}

#[test]
fn unsupported_modifiers_and_forms_are_refused_with_a_reason() {
    let reason =
        refusal("    selection:\n        CommandLine|windash|contains: -enc\n    condition: selection");
    assert!(reason.contains("modifier 'windash' is not supported"), "{reason}");
    let reason =
        refusal("    selection:\n        data|base64offset|contains: secret\n    condition: selection");
    assert!(reason.contains("'base64offset'"), "{reason}");
    let reason = refusal("    selection:\n        data|utf16le|contains: secret\n    condition: selection");
    assert!(reason.contains("'utf16le'"), "{reason}");
    let reason = refusal(
        "    selection:\n        eventName: A\n    condition: selection | count() by userIdentity.arn > 5",
    );
    assert!(reason.contains("aggregations"), "{reason}");
    let reason = refusal("    selection:\n        eventName: A\n    condition: selection and missing");
    assert!(reason.contains("'missing' is not a selection"), "{reason}");
    let reason =
        refusal("    selection:\n        userIdentity.arn|re: '(unclosed'\n    condition: selection");
    assert!(reason.contains("not a regular expression"), "{reason}");
    let reason =
        refusal("    selection:\n        sourceIPAddress|cidr: 10.0.0.0/99\n    condition: selection");
    assert!(reason.contains("prefix"), "{reason}");
}

#[test]
fn other_log_sources_are_refused_and_counted() {
    let windows = "title: Process\nlogsource:\n    product: windows\n    category: process_creation\n\
        detection:\n    selection:\n        Image|endswith: '\\cmd.exe'\n    condition: selection\n";
    let harness =
        harness(&[windows.into(), rule("    selection:\n        eventName: A\n    condition: selection")]);
    let report = harness.detector().report();
    assert_eq!(report.sources["windows/process_creation"].refused.len(), 1);
    assert!(report.sources["windows/process_creation"].refused[0]
        .reason
        .contains("not one trailhound reads"));
    assert_eq!(report.sources["aws/cloudtrail"].loaded, 1);
    assert!(report.summary().starts_with("1 Sigma rules loaded, 1 refused"), "{}", report.summary());
}

#[test]
fn files_are_yaml_streams_and_malformed_ones_are_positioned() {
    let two = format!(
        "{}---\n{}",
        rule("    selection:\n        eventName: A\n    condition: selection"),
        rule("    selection:\n        eventName: B\n    condition: selection")
    );
    let files = vec![
        file("rules/two.yml", &two),
        file("rules/README.md", "not a rule"),
        file("rules/bad.yaml", "title: Broken\ndetection:\n  selection: [unclosed\n"),
    ];
    let harness = Harness::<Sigma>::with_files(serde_json::Value::Null, files).unwrap();
    let report = harness.detector().report();
    assert_eq!(report.loaded(), 2);
    assert_eq!(report.unreadable.len(), 1);
    assert!(report.unreadable[0].what.starts_with("rules/bad.yaml:"), "{:?}", report.unreadable);
    let position: Vec<&str> = report.unreadable[0].what.split(':').collect();
    assert!(
        position.len() == 3 && position[1].parse::<usize>().is_ok() && position[2].parse::<usize>().is_ok()
    );
}
