//! Tests: the shipped rule set (`pack/rules/`) against its declarative cases
//! (`pack/cases/`), run by `trailhound plugin test` through the built `rules` component. Every
//! case must pass, and every rule must have a case that fires it and a near miss: a case of
//! the rule's own action that must not fire it. The bundled example data's stories come out of
//! the pack, and its technique rules stay quiet on the data's background.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml_ng::Value;
use trailhound::normalize::{self, Read};
use trailhound::plugin_cases::{self, Suite};

use crate::support;

/// One rule of the pack, as far as these checks need it.
pub struct PackRule {
    pub name: String,
    pub file: String,
    /// The actions its condition names at its top level; `None` when any action can match.
    pub actions: Option<BTreeSet<String>>,
    pub tags: Vec<String>,
    pub output: String,
}

pub fn pack_dir() -> PathBuf {
    support::workspace().join("pack")
}

/// The rules files of the pack, sorted: the order the plugin is given them.
pub fn rule_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(pack_dir().join("rules"))
        .expect("pack/rules exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Every rule of the pack, with the lists of every file resolved into its actions.
pub fn pack_rules() -> Vec<PackRule> {
    let mut lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut items: Vec<(String, serde_yaml_ng::Mapping)> = Vec::new();
    for path in rule_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let values: Vec<Value> =
            serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for value in values {
            let map = value.as_mapping().cloned().unwrap_or_default();
            if let Some(list) = map.get("list").and_then(Value::as_str) {
                let entries = map.get("items").and_then(Value::as_sequence).cloned().unwrap_or_default();
                lists.insert(list.to_string(), entries.iter().filter_map(scalar).collect());
            } else if map.contains_key("rule") {
                items.push((file_name(&path), map));
            }
        }
    }
    items
        .into_iter()
        .map(|(file, map)| {
            let text = |key: &str| map.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
            let tags = map.get("tags").and_then(Value::as_sequence).cloned().unwrap_or_default();
            PackRule {
                name: text("rule"),
                actions: top_level_actions(&text("condition"), &lists),
                tags: tags.iter().filter_map(scalar).collect(),
                output: text("output"),
                file,
            }
        })
        .collect()
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The actions of a condition that starts with `action = X` or `action in (...)` (the pack's
/// convention, which also lets the plugin declare them); list names are expanded.
fn top_level_actions(condition: &str, lists: &BTreeMap<String, Vec<String>>) -> Option<BTreeSet<String>> {
    let rest = condition.trim_start().strip_prefix("action")?.trim_start();
    let unquote = |s: &str| s.trim().trim_matches('"').to_string();
    if let Some(rest) = rest.strip_prefix('=') {
        let rest = rest.trim_start();
        let value = match rest.strip_prefix('"') {
            Some(quoted) => quoted.split('"').next().unwrap_or_default().to_string(),
            None => rest.split_whitespace().next().unwrap_or_default().to_string(),
        };
        return Some(BTreeSet::from([value]));
    }
    let inside = rest.strip_prefix("in")?.trim_start().strip_prefix('(')?;
    let inside = &inside[..inside.find(')')?];
    let mut actions = BTreeSet::new();
    for item in inside.split(',').map(unquote).filter(|s| !s.is_empty()) {
        match lists.get(&item) {
            Some(entries) => actions.extend(entries.iter().cloned()),
            None => {
                actions.insert(item);
            }
        }
    }
    Some(actions)
}

/// The action each record of a case normalizes to.
fn case_actions(case: &plugin_cases::Case) -> Vec<String> {
    case.events
        .iter()
        .map(|value| match normalize::read(&value.to_string(), None) {
            Ok(Read::Event { event, .. }) => event.action,
            Ok(Read::Skip(reason)) => {
                panic!("case {:?}: a record that is skipped ({reason}): {value}", case.name)
            }
            Err(reason) => {
                panic!("case {:?}: a record that does not normalize ({reason}): {value}", case.name)
            }
        })
        .collect()
}

fn suites() -> Vec<(PathBuf, Suite)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(pack_dir().join("cases"))
        .expect("pack/cases exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let suite = plugin_cases::parse(&text).unwrap_or_else(|e| panic!("{}:{e}", path.display()));
            (path, suite)
        })
        .collect()
}

#[test]
fn every_pack_case_passes_through_the_rules_component() {
    let rules = support::component("rules");
    let files: Vec<PathBuf> = suites().into_iter().map(|(path, _)| path).collect();
    assert!(!files.is_empty(), "pack/cases holds the suites");
    let output = Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(["plugin", "test", "--plugins-dir"])
        .arg(rules.parent().unwrap())
        .args(&files)
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("pack-rules-cache"))
        .output()
        .expect("trailhound runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let failures: Vec<&str> =
        stdout.lines().filter(|l| !l.starts_with("ok ") && !l.contains(" passed, ")).collect();
    eprintln!("{}", stdout.lines().last().unwrap_or_default());
    assert!(
        output.status.success() && failures.is_empty(),
        "failing pack cases:\n{}\n{}",
        failures.join("\n"),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_rule_has_a_firing_case_and_a_near_miss() {
    let rules = pack_rules();
    let suites = suites();
    let all_files: Vec<PathBuf> =
        rule_files().iter().map(|f| Path::new("../rules").join(file_name(f))).collect();

    let mut fired: BTreeSet<&str> = BTreeSet::new();
    let mut missed: BTreeSet<&str> = BTreeSet::new();
    for (path, suite) in &suites {
        assert_eq!(suite.plugin, "rules", "{}", path.display());
        assert_eq!(suite.files, all_files, "{} must give the plugin the whole pack", path.display());
        for case in &suite.cases {
            let actions = case_actions(case);
            let expected: BTreeSet<&str> = case.expect.iter().map(|e| e.rule_id.as_str()).collect();
            for rule in &rules {
                if expected.contains(rule.name.as_str()) {
                    fired.insert(&rule.name);
                } else if rule.actions.as_ref().is_none_or(|own| actions.iter().any(|a| own.contains(a))) {
                    missed.insert(&rule.name);
                }
            }
        }
    }

    let mut per_file: BTreeMap<&str, usize> = BTreeMap::new();
    for rule in &rules {
        *per_file.entry(&rule.file).or_default() += 1;
    }
    for (file, count) in &per_file {
        eprintln!("pack/rules/{file}: {count} rules");
        let cases = pack_dir().join("cases").join(file);
        assert!(cases.exists(), "pack/rules/{file} has no pack/cases/{file}");
    }
    eprintln!("{} rules in {} files", rules.len(), per_file.len());

    let names: BTreeSet<&str> = rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names.len(), rules.len(), "rule names are unique");
    let unfired: Vec<&str> = names.iter().copied().filter(|n| !fired.contains(n)).collect();
    let unmissed: Vec<&str> = names.iter().copied().filter(|n| !missed.contains(n)).collect();
    assert!(unfired.is_empty(), "rules no case fires: {unfired:?}");
    assert!(unmissed.is_empty(), "rules without a near miss of their own action: {unmissed:?}");
}

/// Each finding names its technique: a technique id and its tactic in the tags, the id in the
/// rendered output too, and every rule names the actions it matches unless it cannot.
#[test]
fn every_rule_names_its_technique() {
    /// Rules that must see every action: who made a call, or how it failed, is the signal.
    const ANY_ACTION: [&str; 3] = [
        "aws.cis.unauthorized-api-call",
        "aws.cis.root-account-used",
        "aws.ec2.instance-credentials-used-outside",
    ];
    for rule in pack_rules() {
        let technique = rule
            .tags
            .iter()
            .find(|t| t.len() >= 5 && t.starts_with('T') && t[1..5].bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or_else(|| panic!("{}: no technique id in its tags {:?}", rule.name, rule.tags));
        assert!(rule.tags.iter().any(|t| t.starts_with("mitre_")), "{}: no mitre_ tactic tag", rule.name);
        assert!(
            rule.output.contains(technique.as_str()),
            "{}: the output does not name {technique}",
            rule.name
        );
        assert_eq!(
            rule.actions.is_none(),
            ANY_ACTION.contains(&rule.name.as_str()),
            "{}: the condition must start with its actions",
            rule.name
        );
    }
}

/// The bundled example data through the pack: every story step the pack has a rule for is
/// reported, and the rules of techniques (not the CIS monitoring controls, which report
/// every change by design) stay quiet on the background.
#[test]
fn the_pack_reports_the_example_data_stories() {
    use std::sync::Arc;
    use trailhound::engine::{Engine, EngineSettings, PluginSpec};
    use trailhound::sources::{self, Item};

    let mut spec = PluginSpec::new("rules", support::component("rules"), serde_json::Value::Null);
    spec.files = rule_files();
    let settings = EngineSettings {
        workers: 1,
        cache_dir: Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-cache"),
        ..EngineSettings::default()
    };
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut engine = Engine::start(settings, vec![spec], tx).expect("the engine starts with the pack");
    let inputs = sources::expand(&[support::workspace().join("examples/data")]).unwrap().inputs;
    for input in &inputs {
        sources::read(input, Default::default(), &mut |item| {
            if let Item::Record(raw) = item {
                let normalized =
                    trailhound::enrich::normalized(raw, None).expect("the example data is clean");
                if let Some(record) = normalized.into_record() {
                    engine.submit(record).expect("submit");
                }
            }
        })
        .unwrap();
    }
    engine.finish().expect("finish");
    let mut by_rule: BTreeMap<String, BTreeSet<Arc<str>>> = BTreeMap::new();
    for detection in rx.into_iter() {
        let actor = detection.related.first().map_or("?", |e| e.actor.as_str());
        by_rule.entry(detection.finding.rule_id.clone()).or_default().insert(Arc::from(actor));
    }
    for (rule, actors) in &by_rule {
        eprintln!("{rule}: {}", actors.iter().map(|a| a.as_ref()).collect::<Vec<_>>().join(", "));
    }

    const INSIDER: [&str; 4] =
        ["m.hollis", "/i-0a4f19c2d7e3b5816", "/botocore-session-1793784262", "/botocore-session-1793786118"];
    // Story 2's exposer; story 3's contractor, and the service account it impersonated; story
    // 4's node role session (its key stolen) and the privileged role's session it opened.
    const STORIES: [&str; 5] =
        ["user/k.brennan", "r.vance", "analytics-exporter@", "/i-05e9c1d4a7b3f2608", "/orders-db-migrate"];
    let in_a_story = |actor: &str| INSIDER.iter().chain(STORIES.iter()).any(|who| actor.contains(who));
    for (rule, who) in [
        ("aws.ssm.session-started", "m.hollis"),
        ("aws.ec2-instance-connect.ssh-key-sent", "/i-0a4f19c2d7e3b5816"),
        ("aws.iam.access-key-created-for-user", "/botocore-session-1793784262"),
        ("aws.ec2.ebs-snapshot-shared", "/botocore-session-1793784262"),
        ("aws.cis.unauthorized-api-call", "/botocore-session-1793786118"),
        ("aws.cis.console-login-without-mfa", "user/k.brennan"),
        ("aws.s3.bucket-made-public", "user/k.brennan"),
        ("aws.s3.public-access-block-removed", "user/k.brennan"),
        ("aws.s3.bucket-encryption-deleted", "user/k.brennan"),
        ("gcp.iam.service-account-token-minted-by-person", "r.vance"),
        ("gcp.storage.bucket-made-public", "analytics-exporter@"),
        ("azure.authorization.privileged-role-assigned", "r.vance"),
        ("k8s.pod.privileged-created", "r.vance"),
        ("k8s.pod.host-namespace-shared", "r.vance"),
        ("k8s.pod.sensitive-host-path-mounted", "r.vance"),
        ("k8s.pod.exec", "r.vance"),
        ("aws.ec2.instance-credentials-used-outside", "/i-05e9c1d4a7b3f2608"),
        ("aws.cis.unauthorized-api-call", "/i-05e9c1d4a7b3f2608"),
        ("aws.rds.snapshot-shared", "/orders-db-migrate"),
    ] {
        let actors =
            by_rule.get(rule).unwrap_or_else(|| panic!("{rule} reported nothing on the example data"));
        assert!(actors.iter().any(|a| a.contains(who)), "{rule} did not report {who}: {actors:?}");
    }
    for (rule, actors) in &by_rule {
        // Monitoring of every change; sessions people open every day; and instance credentials
        // used from a public address, which an instance's own public address also is: a signal
        // to check against the instance until a baseline knows its addresses.
        let signals = ["aws.ssm.session-started", "aws.ec2.instance-credentials-used-outside"];
        if rule.starts_with("aws.cis.")
            || rule.starts_with("aws.ec2-instance-connect.")
            || signals.contains(&rule.as_str())
        {
            continue;
        }
        let background: Vec<&Arc<str>> = actors.iter().filter(|a| !in_a_story(a)).collect();
        assert!(background.is_empty(), "{rule} reported background activity: {background:?}");
    }
}
