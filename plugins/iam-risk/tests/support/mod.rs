//! What the policy tests share: the plugin run through the SDK harness, and readers of what
//! its findings say.

use iam_risk::IamRisk;
use trailhound_sdk::testing::{Harness, TestEvent};
use trailhound_sdk::Finding;

pub fn run(events: &[TestEvent]) -> Vec<Finding> {
    Harness::<IamRisk>::new().events(events)
}

pub fn rules(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule_id.as_str()).collect()
}

pub fn evidence<'a>(finding: &'a Finding, key: &str) -> &'a str {
    finding.evidence.iter().find(|e| e.key == key).map_or("", |e| e.value.as_str())
}
