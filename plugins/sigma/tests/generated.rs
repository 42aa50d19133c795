//! Every loaded fixture rule fires on an event built from its own detection, and does not
//! when one field its matching selections test is changed.

mod support;

use sigma::compile::Rule;
use sigma::Sigma;
use support::generate::{candidates, Assignment};
use trailhound_sdk::testing::Harness;
use trailhound_sdk::Detector;

fn fires(harness: &mut Harness<Sigma>, rule: &Rule, assignment: &Assignment, paths: &[String]) -> bool {
    harness.events(&[assignment.event(rule, paths)]).iter().any(|f| f.rule_id == rule.id)
}

#[test]
fn every_loaded_rule_matches_its_own_detection_and_misses_a_changed_field() {
    let Some(files) = support::fixture_rules() else { return };
    let mut harness = Harness::<Sigma>::with_files(serde_json::Value::Null, files).unwrap();
    let paths = harness.detector().declared().fields;
    let rules = harness.detector().rules().to_vec();
    let mut failures = Vec::new();
    let mut near_misses = 0;
    for rule in &rules {
        let Some(hit) = candidates(rule).into_iter().find(|a| fires(&mut harness, rule, a, &paths)) else {
            failures.push(format!("{}: no generated event matched", rule.title));
            continue;
        };
        for which in 0..hit.tested.len() {
            let changed = hit.near_miss(which).expect("a tested field");
            if fires(&mut harness, rule, &changed, &paths) {
                failures
                    .push(format!("{}: still fires with {} changed", rule.title, hit.tested[which].1.name));
            }
            near_misses += 1;
        }
        assert!(!hit.tested.is_empty() || hit.keywords.is_empty(), "{}: nothing tested", rule.title);
    }
    println!(
        "{} rules matched their own detection; {near_misses} near misses checked",
        rules.len() - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
