//! AWS policy analysis driven through the SDK harness: each category fires on a request
//! written as CloudTrail records it (`requestParameters` of the IAM API call, the document as
//! the text IAM received), and the near misses stay quiet.

mod support;

use iam_risk::*;
use serde_json::json;
use trailhound_sdk::host::{take_journal, HostCall, LogLevel};
use trailhound_sdk::testing::{Harness, TestEvent};
use trailhound_sdk::Severity;

use support::{evidence, rules, run};

/// `PutRolePolicy` of `document` on the role `app`, as IAM's API reference names the
/// parameters (CloudTrail logs them in camel case).
fn put_role_policy(document: &str) -> TestEvent {
    TestEvent::new("iam.amazonaws.com", "PutRolePolicy")
        .id("put")
        .field(ROLE_NAME, "app")
        .field(POLICY_NAME, "inline")
        .field(POLICY_DOCUMENT, document)
}

fn allow(actions: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":{actions},"Resource":{resource}}}]}}"#
    )
}

/// The document URL-encoded, as the Query API's form encoding sends it.
fn url_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn pass_role_with_a_new_lambda_is_privilege_escalation() {
    let document = allow(r#"["iam:PassRole","lambda:CreateFunction","lambda:InvokeFunction"]"#, r#""*""#);
    let f = run(&[put_role_policy(&document)]);
    assert_eq!(rules(&f), [RULE_ESCALATION]);
    assert_eq!((f[0].severity, f[0].techniques.as_slice()), (Severity::High, &["T1098.003".to_string()][..]));
    assert_eq!(evidence(&f[0], "methods"), "PassExistingRoleToNewLambdaThenInvoke");
    assert_eq!(evidence(&f[0], "actions"), "iam:passrole, lambda:createfunction, lambda:invokefunction");
    assert!(f[0].title.contains("role app"), "{}", f[0].title);
    assert_eq!(f[0].event_ids, ["put"]);
    // The same document URL-encoded reads the same.
    assert_eq!(rules(&run(&[put_role_policy(&url_encoded(&document))])), [RULE_ESCALATION]);
}

#[test]
fn wildcards_are_full_admin_or_whole_services() {
    let create = TestEvent::new("iam.amazonaws.com", "CreatePolicy")
        .field(POLICY_NAME, "break-glass")
        .field(POLICY_DOCUMENT, &allow(r#""*""#, r#""*""#));
    let f = run(&[create]);
    assert_eq!(rules(&f), [RULE_FULL_ADMIN], "the other categories follow from it");
    assert_eq!(f[0].severity, Severity::Critical);
    assert!(f[0].title.contains("policy break-glass"));

    let f = run(&[put_role_policy(&allow(r#""iam:*""#, r#""*""#))]);
    assert_eq!(rules(&f), [RULE_SERVICE_WILDCARD, RULE_ESCALATION, RULE_EXPOSURE, RULE_CREDENTIALS]);
    assert_eq!((evidence(&f[0], "actions"), f[0].severity), ("iam:*", Severity::High));
    assert!(evidence(&f[1], "methods").contains("CreateAccessKey"));
    assert_eq!(evidence(&f[2], "actions"), "iam:updateassumerolepolicy");

    let f = run(&[put_role_policy(&allow(r#""ec2:Describe*""#, r#""*""#))]);
    assert_eq!(rules(&f), Vec::<&str>::new(), "a read-only wildcard");
}

#[test]
fn allow_with_not_action_is_named_and_expanded() {
    let document = r#"{"Statement":{"Sid":"EverythingButIam","Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}}"#;
    let event = TestEvent::new("iam.amazonaws.com", "PutGroupPolicy")
        .field(GROUP_NAME, "developers")
        .field(POLICY_DOCUMENT, document);
    let f = run(&[event]);
    assert_eq!(
        rules(&f),
        [RULE_NOT_ACTION, RULE_ESCALATION, RULE_EXPOSURE, RULE_EXFILTRATION, RULE_CREDENTIALS]
    );
    assert_eq!(evidence(&f[0], "statements"), "\"EverythingButIam\": NotAction iam:*, organizations:*");
    assert!(f[0].title.contains("group developers"));
    assert!(
        !evidence(&f[1], "actions").contains("iam:"),
        "iam:* is left out: {}",
        evidence(&f[1], "actions")
    );
}

#[test]
fn exposure_exfiltration_and_credentials_each_fire_alone() {
    let cases = [
        (r#""s3:PutBucketPolicy""#, RULE_EXPOSURE, Severity::High, "T1098"),
        (
            r#"["secretsmanager:GetSecretValue","ssm:GetParameters"]"#,
            RULE_EXFILTRATION,
            Severity::Medium,
            "T1530",
        ),
        (r#""ec2:GetPasswordData""#, RULE_CREDENTIALS, Severity::High, "T1098.001"),
    ];
    for (actions, rule, severity, technique) in cases {
        let f = run(&[put_role_policy(&allow(actions, r#""*""#))]);
        assert_eq!(rules(&f), [rule], "{actions}");
        assert_eq!((f[0].severity, f[0].techniques[0].as_str()), (severity, technique));
    }
    let f =
        run(&[put_role_policy(&allow(r#"["secretsmanager:GetSecretValue","ssm:GetParameters"]"#, r#""*""#))]);
    assert_eq!(evidence(&f[0], "actions"), "ssm:getparameters, secretsmanager:getsecretvalue");
}

#[test]
fn scoped_drafts_and_failed_policies_are_quiet() {
    let scoped = r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutBucketPolicy"],"Resource":["arn:aws:s3:::reports","arn:aws:s3:::reports/*"]},
        {"Effect":"Allow","Action":["iam:PassRole"],"Resource":"arn:aws:iam::111111111111:role/lambda-app"},
        {"Effect":"Allow","Action":["lambda:CreateFunction","lambda:InvokeFunction"],"Resource":"*"}]}"#;
    let draft = TestEvent::new("iam.amazonaws.com", "CreatePolicyVersion")
        .field(POLICY_ARN, "arn:aws:iam::111111111111:policy/ci")
        .field(POLICY_DOCUMENT, &allow(r#""*""#, r#""*""#))
        .field(SET_AS_DEFAULT, "false");
    let failed = put_role_policy(&allow(r#""*""#, r#""*""#)).error("AccessDenied");
    assert_eq!(run(&[put_role_policy(scoped), draft, failed]), vec![]);
}

#[test]
fn a_default_version_is_analysed_and_a_version_set_by_name_says_what_is_unknown() {
    let create = TestEvent::new("iam.amazonaws.com", "CreatePolicyVersion")
        .field(POLICY_ARN, "arn:aws:iam::111111111111:policy/ci")
        .field(POLICY_DOCUMENT, &allow(r#""*""#, r#""*""#))
        .field(SET_AS_DEFAULT, "true");
    assert_eq!(rules(&run(&[create])), [RULE_POLICY_VERSION, RULE_FULL_ADMIN]);
    let set = TestEvent::new("iam.amazonaws.com", "SetDefaultPolicyVersion")
        .field(POLICY_ARN, "arn:aws:iam::111111111111:policy/ci")
        .field(VERSION_ID, "v1");
    let f = run(&[set]);
    assert_eq!(rules(&f), [RULE_POLICY_VERSION]);
    assert!(f[0].summary.contains("document is not in the event"), "{}", f[0].summary);
}

fn attach(action: &str, target: (&str, &str), policy: &str) -> TestEvent {
    TestEvent::new("iam.amazonaws.com", action).field(target.0, target.1).field(POLICY_ARN, policy)
}

#[test]
fn admin_equivalent_managed_policies_attached_fire_with_why() {
    let f = run(&[
        attach("AttachRolePolicy", (ROLE_NAME, "app"), "arn:aws:iam::aws:policy/AdministratorAccess"),
        attach("AttachUserPolicy", (USER_NAME, "bob"), "arn:aws:iam::aws:policy/IAMFullAccess"),
        attach("AttachGroupPolicy", (GROUP_NAME, "ops"), "arn:aws:iam::aws:policy/PowerUserAccess"),
    ]);
    assert_eq!(rules(&f), [RULE_MANAGED_POLICY; 3]);
    assert_eq!(
        f.iter().map(|f| f.severity).collect::<Vec<_>>(),
        [Severity::Critical, Severity::Critical, Severity::High]
    );
    assert_eq!(f[0].title, "AdministratorAccess attached to role app");
    assert!(evidence(&f[1], "why").contains("iam:*"));
    assert!(f[2].title.contains("group ops"));
    // A read-only AWS policy, and a customer policy that borrows an AWS name, are not.
    let quiet = [
        attach("AttachRolePolicy", (ROLE_NAME, "app"), "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"),
        attach(
            "AttachRolePolicy",
            (ROLE_NAME, "app"),
            "arn:aws:iam::111111111111:policy/AdministratorAccess",
        ),
        attach("AttachRolePolicy", (ROLE_NAME, "app"), "not an arn"),
    ];
    assert_eq!(run(&quiet), vec![]);
}

fn trust(principal: &str, condition: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"{condition}}}]}}"#
    )
}

fn create_role(document: &str) -> TestEvent {
    TestEvent::new("iam.amazonaws.com", "CreateRole")
        .field(ROLE_NAME, "vendor-access")
        .field(ASSUME_ROLE_POLICY_DOCUMENT, document)
}

#[test]
fn trust_in_anyone_or_a_foreign_account_without_external_id_or_mfa_fires() {
    let f = run(&[create_role(&trust(r#"{"AWS":"*"}"#, ""))]);
    assert_eq!(rules(&f), [RULE_TRUST_ANYONE]);
    assert_eq!(
        (f[0].severity, f[0].techniques.as_slice()),
        (Severity::Critical, &["T1098".to_string(), "T1078.004".to_string()][..])
    );
    let update = TestEvent::new("iam.amazonaws.com", "UpdateAssumeRolePolicy")
        .field(ROLE_NAME, "vendor-access")
        .field(POLICY_DOCUMENT, &url_encoded(&trust(r#"{"AWS":"arn:aws:iam::999999999999:root"}"#, "")));
    let f = run(&[update]);
    assert_eq!(rules(&f), [RULE_TRUST_FOREIGN]);
    assert_eq!(evidence(&f[0], "principals"), "arn:aws:iam::999999999999:root");
    assert!(f[0].title.contains("role vendor-access"));
}

#[test]
fn guarded_own_trusted_and_service_trust_is_quiet() {
    let foreign = r#"{"AWS":"arn:aws:iam::999999999999:root"}"#;
    let quiet = [
        create_role(&trust(foreign, r#","Condition":{"StringEquals":{"sts:ExternalId":"acme-7731"}}"#)),
        create_role(&trust(foreign, r#","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#)),
        create_role(&trust(r#"{"AWS":"arn:aws:iam::111111111111:role/ci"}"#, "")),
        create_role(&trust(r#"{"Service":"ec2.amazonaws.com"}"#, "")),
    ];
    assert_eq!(run(&quiet), vec![]);
    let mut harness = Harness::<IamRisk>::with_config(json!({"trusted_accounts": ["999999999999"]})).unwrap();
    assert_eq!(harness.events(&[create_role(&trust(foreign, ""))]), vec![]);
}

#[test]
fn unreadable_documents_are_skipped_visibly_never_guessed() {
    take_journal();
    let huge = format!(
        r#"{{"Statement":[{}]}}"#,
        vec![r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#; 10_000].join(",")
    );
    let events = [
        put_role_policy("{\"Statement\": [").id("truncated"),
        put_role_policy("%7B%22Statement%ZZ").id("bad-escape"),
        put_role_policy(&huge).id("huge"),
        put_role_policy("\"a string\"").id("string"),
        create_role("not json at all").id("trust"),
    ];
    assert_eq!(run(&events), vec![]);
    let warnings: Vec<String> = take_journal()
        .into_iter()
        .filter_map(|call| match call {
            HostCall::Log(LogLevel::Warn, message) => Some(message),
            _ => None,
        })
        .collect();
    assert_eq!(warnings.len(), 5, "{warnings:#?}");
    assert!(
        warnings[0].starts_with(
            "PutRolePolicy truncated: requestParameters.policyDocument is unreadable, not analysed: not JSON"
        ),
        "{}",
        warnings[0]
    );
    assert!(warnings[1].contains("not URL-encoded"), "{}", warnings[1]);
    assert!(warnings[2].contains("more than IAM accepts"), "{}", warnings[2]);
    assert!(warnings[4].contains("requestParameters.assumeRolePolicyDocument"), "{}", warnings[4]);
}
