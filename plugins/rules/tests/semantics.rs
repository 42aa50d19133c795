//! Falco's comparison semantics, one test each, as Falco's documentation and its libsinsp
//! filter code state them: `regex` (RE2, anchored at both ends) matches the whole value; a
//! field the event lacks makes every comparison false, `!=` included (only `not` turns it
//! true); nothing is `in` an empty list; `icontains` ignores case and `contains` does not;
//! `glob` is `fnmatch`; ordering operators compare numbers as numbers. And rules of a source
//! no event has are skipped and reported, as Falco skips them.

mod support;

use support::harness;
use trailhound_sdk::host::{take_journal, HostCall, LogLevel};
use trailhound_sdk::testing::TestEvent;

/// Whether a rule with this condition fires on `event`.
fn fires(condition: &str, event: TestEvent) -> bool {
    let rules = format!(
        "- list: nobody\n  items: []\n- rule: r\n  condition: {condition}\n  output: o\n  priority: INFO\n"
    );
    let mut rules = harness(&rules).unwrap_or_else(|e| panic!("{condition}: {e}"));
    !rules.events(&[event]).is_empty()
}

fn put_bucket_acl() -> TestEvent {
    TestEvent::new("s3.amazonaws.com", "PutBucketAcl")
}

#[test]
fn regex_matches_the_whole_value() {
    assert!(fires("ct.name regex 'Put.*Acl'", put_bucket_acl()));
    assert!(!fires("ct.name regex Put", put_bucket_acl()));
    assert!(!fires("ct.name regex Acl", put_bucket_acl()));
    assert!(fires("ct.name regex '.*Bucket.*'", put_bucket_acl()));
}

#[test]
fn a_missing_field_makes_every_comparison_false() {
    // No error: `ct.error` is missing.
    let comparisons = [
        "= AccessDenied",
        "!= AccessDenied",
        "< 5",
        ">= 0",
        "contains Denied",
        "icontains denied",
        "startswith Access",
        "endswith Denied",
        "glob '*'",
        "iglob '*'",
        "regex '.*'",
        "in (AccessDenied)",
        "intersects (AccessDenied)",
        "pmatch (/)",
        "bcontains 41",
        "bstartswith 41",
        "= val(ct.name)",
    ];
    for comparison in comparisons {
        assert!(!fires(&format!("ct.error {comparison}"), put_bucket_acl()), "ct.error {comparison}");
    }
    assert!(!fires("ct.error exists", put_bucket_acl()));
    assert!(fires("not ct.error = AccessDenied", put_bucket_acl()), "only not makes it true");
    assert!(fires("not ct.error != AccessDenied", put_bucket_acl()));
    assert!(fires("ct.error != AccessDenied", put_bucket_acl().error("Throttling")));
    // A raw field missing from the record, and one compared with a missing field.
    assert!(!fires("$.requestParameters.bucketName != b", put_bucket_acl()));
    assert!(!fires("ct.name != val(ct.error)", put_bucket_acl()));
}

#[test]
fn nothing_is_in_an_empty_list() {
    assert!(!fires("ct.name in (nobody)", put_bucket_acl()));
    assert!(!fires("ct.name in ()", put_bucket_acl()));
    assert!(!fires("ct.name intersects (nobody)", put_bucket_acl()));
    assert!(fires("not ct.name in (nobody)", put_bucket_acl()));
    assert!(
        fires("ct.name in (nobody, PutBucketAcl)", put_bucket_acl()),
        "an empty list spliced in adds nothing"
    );
}

#[test]
fn icontains_ignores_case_and_contains_does_not() {
    let admin = || {
        let mut event = put_bucket_acl();
        event.event.actor.name = Some("Break-Glass-ADMIN".into());
        event
    };
    assert!(fires("ct.user icontains admin", admin()));
    assert!(fires("ct.user icontains glass-Admin", admin()));
    assert!(!fires("ct.user contains admin", admin()));
    assert!(fires("ct.user contains ADMIN", admin()));
}

#[test]
fn glob_is_fnmatch() {
    let event = put_bucket_acl;
    assert!(fires("ct.user.arn glob 'arn:aws:iam::*:user/*'", event()));
    assert!(fires("ct.user.arn glob 'arn:aws:iam::[0-9]*:user/tes?'", event()));
    assert!(!fires("ct.user.arn glob 'arn:aws:iam::[!1]*'", event()));
    assert!(!fires("ct.user.arn glob 'arn:aws:iam::*:user'", event()), "the whole value");
    assert!(fires("ct.user.arn glob '*/test'", event()), "a star crosses '/'");
    assert!(fires("ct.user.arn iglob '*USER/TEST'", event()));
    assert!(!fires("ct.user.arn glob '*USER/TEST'", event()));
}

#[test]
fn numbers_compare_as_numbers() {
    let count = |n: &str| put_bucket_acl().field("$.requestParameters.maxCount", n);
    assert!(fires("$.requestParameters.maxCount > 9", count("10")), "as text, '10' < '9'");
    assert!(fires("$.requestParameters.maxCount <= 10", count("10.0")));
    assert!(!fires("$.requestParameters.maxCount < 2", count("ten")), "text is not a number: false");
    // A numeric field's `=` compares numbers too; a text field's compares text.
    let download = |bytes: &str| {
        TestEvent::new("s3.amazonaws.com", "GetObject")
            .field("$.additionalEventData.bytesTransferredOut", bytes)
    };
    assert!(fires("s3.bytes = 2048", download("2048.0")));
    assert!(fires("s3.bytes != 2049", download("2048")));
    assert!(!fires("$.requestParameters.maxCount = 10", count("10.0")));
}

#[test]
fn bytes_operators_take_hex() {
    assert!(fires("ct.name bcontains 4275636b6574", put_bucket_acl()), "'Bucket'");
    assert!(fires("ct.name bstartswith 507574", put_bucket_acl()), "'Put'");
    assert!(!fires("ct.name bstartswith 427563", put_bucket_acl()));
    let error =
        harness("- rule: r\n  condition: ct.name bcontains Put\n  output: o\n  priority: INFO\n").err();
    assert_eq!(
        error.as_deref(),
        Some("rules.yaml:2:32: rule 'r': condition: 'Put' is not bytes written in hex")
    );
}

#[test]
fn pmatch_matches_paths_under_a_prefix() {
    let path = |p: &str| put_bucket_acl().field("$.requestParameters.key", p);
    assert!(fires("s3.key pmatch (/etc, /var/run)", path("/etc/shadow")));
    assert!(fires("s3.key pmatch (/etc, /var/run)", path("/var/run")));
    assert!(!fires("s3.key pmatch (/etc, /var/run)", path("/etcetera")));
}

#[test]
fn rules_of_unknown_sources_are_skipped_and_reported() {
    take_journal();
    let rules = harness(
        r#"
- rule: Shell In Container
  condition: evt.type = execve and proc.name = bash
  output: "%proc.name"
  priority: WARNING
  source: syscall

- rule: Trail Stopped
  condition: ct.name = StopLogging
  output: stopped
  priority: WARNING
  source: aws_cloudtrail
"#,
    )
    .unwrap();
    let skipped = "rules.yaml:6:11: rule 'Shell In Container': unknown source 'syscall', skipped";
    assert_eq!(rules.detector().skipped(), [skipped]);
    assert_eq!(rules.detector().rules().len(), 1);
    assert!(take_journal().contains(&HostCall::Log(LogLevel::Warn, skipped.to_string())));
}

#[test]
fn ct_user_names_the_actor_as_falco_does() {
    let rule = "- rule: r\n  condition: ct.name exists\n  output: '%ct.user'\n  priority: INFO\n";
    let summary = |kind: &str, name: Option<&str>, invoked_by: Option<&str>| {
        let mut event = put_bucket_acl();
        event.event.actor.kind = kind.into();
        event.event.actor.name = name.map(str::to_string);
        event.event.actor.invoked_by = invoked_by.map(str::to_string);
        harness(rule).unwrap().events(&[event]).remove(0).summary
    };
    assert_eq!(summary("IAMUser", Some("alice"), None), "alice");
    assert_eq!(summary("AssumedRole", Some("ci"), None), "ci", "the role, from the session issuer");
    assert_eq!(summary("AssumedRole", None, None), "AssumedRole");
    assert_eq!(summary("AWSService", None, Some("ec2.amazonaws.com")), "ec2.amazonaws.com");
    assert_eq!(summary("AWSAccount", None, None), "AWSAccount");
    assert_eq!(summary("Root", None, None), "<NA>");
}
