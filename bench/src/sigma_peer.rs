//! The native Sigma peer: SigmaHQ YAML rules evaluated by a crates.io Sigma engine on the same
//! CloudTrail records the pipeline sees, so trailhound's own Sigma plugin has a yardstick.
//!
//! Engine choice: `rsigma-eval` + `rsigma-parser` (0.23) over `sigma-rust` (0.7). Both parse all
//! 57 SigmaHQ `cloud/aws` rules and both resolve dotted paths such as `userIdentity.type` and
//! `requestParameters.attribute` in nested JSON. rsigma has shipped 26 releases since February 2026
//! (0.26.0 in November) with a documented API, while sigma-rust's last release, 0.7.0, dates from
//! November 2025. On the 537 Panther events rsigma also matched 4 SSM `SendCommand` and
//! `DeleteFlowLogs` records that sigma-rust missed: those rules test `errorCode: null`, which in
//! Sigma matches an absent field, and sigma-rust treats an absent field as no match. rsigma reads a
//! `serde_json::Value` in place (`JsonEvent::borrow`), while sigma-rust needs each record cloned
//! into its own event map. On that data rsigma ran about 200K events/s and sigma-rust 47K. 0.23 is
//! the newest release that builds with rustc 1.95.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rsigma_eval::event::JsonEvent;
use rsigma_eval::Engine;
use rsigma_parser::{parse_sigma_yaml, SigmaRule};

/// All loadable detection rules of one directory, compiled into one engine.
pub struct SigmaPeer {
    engine: Engine,
}

/// What [`SigmaPeer::load`] compiled, and every file or document it left out and why.
pub struct LoadReport {
    /// Detection rules compiled into the engine.
    pub loaded: usize,
    /// A file (or one document of it) the engine did not take, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
}

impl SigmaPeer {
    /// Loads every *.yml under `dir` (recursively, sorted); a rule the engine cannot parse is
    /// skipped and reported, never fatal.
    ///
    /// # Errors
    /// When `dir` (or a directory below it) cannot be listed.
    pub fn load(dir: &Path) -> anyhow::Result<(SigmaPeer, LoadReport)> {
        let mut files = Vec::new();
        collect_yml(dir, &mut files)?;
        files.sort();

        let mut skipped = Vec::new();
        let mut parsed: Vec<(PathBuf, SigmaRule)> = Vec::new();
        for path in files {
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) => {
                    skipped.push((path, format!("cannot read: {e}")));
                    continue;
                }
            };
            let collection = match parse_sigma_yaml(&text) {
                Ok(collection) => collection,
                Err(e) => {
                    skipped.push((path, format!("parse error: {e}")));
                    continue;
                }
            };
            // A multi-document file with one bad document keeps its good rules: the parser
            // reports the bad document separately.
            for error in &collection.errors {
                skipped.push((path.clone(), format!("parse error: {error}")));
            }
            // The peer is stateless per record, like the detectors it is compared with, so
            // correlation and filter documents have nothing to run against.
            if !collection.correlations.is_empty() || !collection.filters.is_empty() {
                skipped.push((
                    path.clone(),
                    format!(
                        "{} correlation and {} filter document(s) not evaluated: the peer runs detection rules only",
                        collection.correlations.len(),
                        collection.filters.len()
                    ),
                ));
            }
            if collection.rules.is_empty() && collection.errors.is_empty() {
                skipped.push((path.clone(), "no detection rule in the file".to_owned()));
            }
            parsed.extend(collection.rules.into_iter().map(|rule| (path.clone(), rule)));
        }

        let mut engine = Engine::new();
        // One batch so the engine builds its indexes once, not once per rule.
        let errors = engine.add_rules(parsed.iter().map(|(_, rule)| rule));
        let loaded = parsed.len() - errors.len();
        for (index, error) in errors {
            let (path, rule) = &parsed[index];
            skipped.push((path.clone(), format!("rule {:?} does not compile: {error}", rule.title)));
        }
        skipped.sort_by(|a, b| a.0.cmp(&b.0));
        Ok((SigmaPeer { engine }, LoadReport { loaded, skipped }))
    }

    /// Evaluates all rules on one CloudTrail record; returns how many rules matched.
    ///
    /// The engine reads the `serde_json::Value` in place, so there is no per-record
    /// conversion; the cost measured is rule evaluation plus the result the engine builds for
    /// each match (title, tags and matched fields, cloned).
    pub fn matches(&self, record: &serde_json::Value) -> usize {
        self.engine.evaluate(&JsonEvent::borrow(record)).len()
    }
}

/// Every `*.yml` file under `dir`, at any depth.
fn collect_yml(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list Sigma rule directory {}", dir.display()))?;
    for entry in entries {
        let path =
            entry.with_context(|| format!("cannot list Sigma rule directory {}", dir.display()))?.path();
        if path.is_dir() {
            collect_yml(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// The fixtures folder, when its Sigma rules are there.
    fn fixtures() -> Option<PathBuf> {
        let sigma = crate::fixture::fixture("sigma")?;
        Some(sigma.parent().expect("sigma is inside the fixtures folder").to_path_buf())
    }

    fn load(root: &Path) -> (SigmaPeer, LoadReport) {
        let (peer, report) =
            SigmaPeer::load(&root.join("sigma/rules/cloud/aws")).expect("rule directory lists");
        println!("sigma peer: {} rules loaded, {} skipped", report.loaded, report.skipped.len());
        for (path, reason) in &report.skipped {
            println!("  skipped {}: {reason}", path.display());
        }
        (peer, report)
    }

    /// A management-event record as CloudTrail writes it, made by an IAM user with the CLI.
    fn record(source: &str, name: &str, request: Value) -> Value {
        json!({
            "eventVersion": "1.08",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": "AIDAEXAMPLEPRINCIPAL",
                "arn": "arn:aws:iam::123456789012:user/alice",
                "accountId": "123456789012",
                "accessKeyId": "AKIAEXAMPLEKEY",
                "userName": "alice"
            },
            "eventTime": "2024-05-01T12:00:00Z",
            "eventSource": source,
            "eventName": name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "198.51.100.7",
            "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
            "requestParameters": request,
            "responseElements": null,
            "requestID": "0b7c1f4e-1111-2222-3333-444455556666",
            "eventID": "6f0d2a3c-7777-8888-9999-aaaabbbbcccc",
            "readOnly": false,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": "123456789012",
            "eventCategory": "Management"
        })
    }

    #[test]
    fn sigma_peer_skips_and_reports_rules_it_cannot_take() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("nested")).expect("nested dir");
        let good = "title: Stop logging\nlogsource:\n    product: aws\ndetection:\n    selection:\n        \
                    eventName: StopLogging\n    condition: selection\n";
        std::fs::write(dir.path().join("nested/good.yml"), good).expect("write");
        std::fs::write(dir.path().join("broken_yaml.yml"), "title: [unclosed\n").expect("write");
        let unknown_selection = good.replace("condition: selection", "condition: selection and other");
        std::fs::write(dir.path().join("unknown_selection.yml"), unknown_selection).expect("write");
        std::fs::write(dir.path().join("notes.txt"), "not a rule").expect("write");

        let (peer, report) = SigmaPeer::load(dir.path()).expect("a bad rule is never fatal");
        for (path, reason) in &report.skipped {
            println!("skipped {}: {reason}", path.display());
        }
        assert_eq!(report.loaded, 1);
        let skipped: Vec<_> = report.skipped.iter().map(|(p, _)| p.file_name().unwrap().to_owned()).collect();
        assert_eq!(skipped, ["broken_yaml.yml", "unknown_selection.yml"], "{:?}", report.skipped);
        assert_eq!(peer.matches(&json!({"eventName": "StopLogging"})), 1);
        assert_eq!(peer.matches(&json!({"eventName": "StartLogging"})), 0);

        assert!(SigmaPeer::load(&dir.path().join("absent")).is_err(), "a missing directory is an error");
    }

    #[test]
    fn sigma_rules_load_and_target_their_events() {
        let Some(root) = fixtures() else { return };
        let (peer, report) = load(&root);
        let total = report.loaded + report.skipped.len();
        assert!(report.loaded * 10 >= total * 9, "most rules must load: {} of {total}", report.loaded);

        // aws_cloudtrail_disable_logging.yml: eventSource cloudtrail.amazonaws.com + StopLogging.
        let stop = record(
            "cloudtrail.amazonaws.com",
            "StopLogging",
            json!({"name": "arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail"}),
        );
        assert!(peer.matches(&stop) >= 1, "StopLogging must match the disable-logging rule");

        let mut benign = record("sts.amazonaws.com", "GetCallerIdentity", Value::Null);
        benign["readOnly"] = json!(true);
        assert_eq!(peer.matches(&benign), 0, "a plain GetCallerIdentity matches no rule");
    }

    #[test]
    fn sigma_peer_resolves_nested_cloudtrail_fields() {
        let Some(root) = fixtures() else { return };
        let (peer, _) = load(&root);

        // aws_root_account_usage.yml selects on `userIdentity.type: Root`.
        let mut root_call = record("sts.amazonaws.com", "GetCallerIdentity", Value::Null);
        root_call["userIdentity"]["type"] = json!("Root");
        assert!(peer.matches(&root_call) >= 1, "userIdentity.type must be read from the nested object");

        // aws_ec2_startup_script_change.yml selects on `requestParameters.attribute: userData`.
        let user_data = record(
            "ec2.amazonaws.com",
            "ModifyInstanceAttribute",
            json!({"instanceId": "i-0abc", "attribute": "userData"}),
        );
        let instance_type = record(
            "ec2.amazonaws.com",
            "ModifyInstanceAttribute",
            json!({"instanceId": "i-0abc", "attribute": "instanceType"}),
        );
        assert!(peer.matches(&user_data) >= 1, "requestParameters.attribute must be read");
        assert_eq!(peer.matches(&instance_type), 0, "another attribute must not match");
    }

    #[test]
    fn sigma_peer_on_panther_labeled_events() {
        let Some(root) = fixtures() else { return };
        let path = root.join("panther/aws-cloudtrail.jsonl");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("SKIPPED: {} is absent", path.display());
            return;
        };
        let (peer, _) = load(&root);
        let (mut rows, mut matched, mut expected, mut expected_matched) = (0, 0, 0, 0);
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let row: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), n + 1));
            let hit = peer.matches(&row["event"]) > 0;
            let positive = row["expected"] == json!(true);
            rows += 1;
            matched += usize::from(hit);
            expected += usize::from(positive);
            expected_matched += usize::from(hit && positive);
        }
        println!(
            "panther: {matched} of {rows} rows match a Sigma rule; {expected_matched} of the {expected} rows Panther labels as detections"
        );
        assert!(matched > 0, "no Panther CloudTrail row matched any Sigma rule");
    }
}
