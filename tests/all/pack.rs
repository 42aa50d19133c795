//! Tests: the bundled pack — `scan` with no `--plugin` runs it on the example data, `--rules`
//! loads a Falco rules file into its `rules` plugin (findings print with the rendered output
//! and carry the rule's name), and a config naming no plugin runs and validates it.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use trailhound::pack;

use crate::support;

/// The binary with the user's component cache, which the test build has filled: the pack
/// loads from it instead of compiling again.
fn trailhound(args: &[&str]) -> Output {
    for plugin in pack::PLUGINS {
        support::component(plugin);
    }
    Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(args)
        .current_dir(support::workspace())
        .env("CI", "true")
        .output()
        .expect("trailhound runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_lines(out: &Output) -> Vec<Value> {
    text(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

fn plugin_of(finding: &Value) -> &str {
    finding["metadata"]["product"]["feature"]["name"].as_str().unwrap_or_default()
}

#[test]
fn scan_with_no_plugin_runs_the_whole_pack_on_the_example_data() {
    let out = trailhound(&["scan", "examples/data", "--format", "json"]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("pack: {} ready", pack::PLUGINS.join(", "))), "{stderr}");
    let findings = json_lines(&out);
    for plugin in pack::PLUGINS {
        assert!(
            findings.iter().any(|f| plugin_of(f) == plugin),
            "no finding from the pack's {plugin} plugin on the example data"
        );
    }
    let rule = findings.iter().find(|f| plugin_of(f) == pack::RULES_PLUGIN).unwrap();
    assert_eq!(
        rule["finding_info"]["analytic"]["name"], rule["finding_info"]["analytic"]["uid"],
        "a shipped rule's finding is named by the rule"
    );
}

const FALCO_RULES: &str = r#"
- list: user_admin_actions
  items: [CreateUser, CreateLoginProfile]
- rule: Root creates a user
  desc: The root user created an IAM user.
  condition: ct.name in (user_admin_actions) and ct.user.identitytype = Root
  output: root created user %ct.request.username from %ct.srcip
  priority: WARNING
  source: aws_cloudtrail
  tags: [T1136.003]
"#;

fn root_creates_user(dir: &Path) -> std::path::PathBuf {
    let record = serde_json::json!({"Records": [{
        "eventVersion": "1.08", "eventID": "e-1", "eventTime": "2026-11-03T10:00:00Z",
        "eventSource": "iam.amazonaws.com", "eventName": "CreateUser", "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2.15.0",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "Root", "principalId": "111122223333",
                         "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"},
        "requestParameters": {"userName": "backdoor"}
    }]});
    let path = dir.join("trail.json");
    std::fs::write(&path, record.to_string()).unwrap();
    path
}

#[test]
fn rules_flag_loads_a_falco_rules_file_into_the_pack_and_prints_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let trail = root_creates_user(dir.path());
    let rules = dir.path().join("my_falco_rules.yaml");
    std::fs::write(&rules, FALCO_RULES).unwrap();
    let (trail, rules) = (trail.to_str().unwrap(), rules.to_str().unwrap());

    let out = trailhound(&["scan", trail, "--rules", rules]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let line =
        stdout.lines().find(|l| l.contains("Root creates a user")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains("root created user backdoor from 198.51.100.7"), "the rendered output: {line}");

    let out = trailhound(&["scan", trail, "--rules", rules, "--format", "json"]);
    let findings = json_lines(&out);
    let finding = findings
        .iter()
        .find(|f| f["finding_info"]["analytic"]["name"] == "Root creates a user")
        .unwrap_or_else(|| panic!("{findings:?}"));
    assert_eq!(finding["finding_info"]["desc"], "root created user backdoor from 198.51.100.7");
}

#[test]
fn rules_with_plugins_that_do_not_read_them_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let trail = root_creates_user(dir.path());
    let plugin = support::component("minimal-detector");
    let out = trailhound(&[
        "scan",
        trail.to_str().unwrap(),
        "--plugin",
        plugin.to_str().unwrap(),
        "--rules",
        "my_rules.yaml",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no plugin named \"rules\" is loaded"), "{stderr}");
    assert!(stderr.contains("--plugin replaces the bundled pack"), "{stderr}");
}

#[test]
fn a_config_naming_no_plugin_validates_the_pack_with_its_rule_files() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("trailhound.toml");
    let write = |rules: &str| {
        std::fs::write(dir.path().join("extra.yaml"), rules).unwrap();
        let toml = "[[sources]]\ntype = \"stdin\"\n\n[pack]\nrules = [\"extra.yaml\"]\n\n[[sinks]]\ntype = \"stdout\"\n";
        std::fs::write(&config, toml).unwrap();
    };
    write(FALCO_RULES);
    let out = trailhound(&["validate", config.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}{stdout}", text(&out.stderr));
    assert!(stdout.contains(&format!("{} plugin(s) loaded and configured", pack::PLUGINS.len())), "{stdout}");

    write("- rule: broken\n  desc: no priority\n  condition: ct.name = CreateUser\n  output: x\n");
    let out = trailhound(&["validate", config.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("extra.yaml:1:3: rule 'broken': missing 'priority'"),
        "named at its line: {stderr}"
    );
}

#[test]
fn sigma_flag_adds_the_sigma_plugin_with_sigmahq_rules_to_the_pack() {
    let Some(rules) = support::fixture("sigma/rules/cloud/aws") else { return };
    support::component(pack::SIGMA_PLUGIN);
    let out = trailhound(&["scan", "examples/data", "--sigma", rules.to_str().unwrap(), "--format", "json"]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let ready = stderr.lines().find(|l| l.contains(" ready in ")).unwrap_or_default();
    assert!(ready.contains(" sigma,"), "{stderr}");
    let findings = json_lines(&out);
    let sigma: Vec<&Value> = findings.iter().filter(|f| plugin_of(f) == pack::SIGMA_PLUGIN).collect();
    assert!(!sigma.is_empty(), "SigmaHQ's CloudTrail rules find something in the example stories");
    let titles: std::collections::BTreeSet<&str> =
        sigma.iter().filter_map(|f| f["finding_info"]["title"].as_str()).collect();
    eprintln!("sigma findings on the example data: {}: {titles:?}", sigma.len());
}
