//! The bundled example data: every strong step of the insider's story is reported on its own,
//! and no background principal is.

use iam_risk::*;
use story_fixtures::{load_for, Story};
use trailhound_sdk::testing::Harness;

#[test]
fn reports_the_insiders_strong_signals_and_nothing_else() {
    let data = load_for::<IamRisk>();
    let mut harness = Harness::<IamRisk>::new();
    let findings = harness.batch(&story_fixtures::batch(&harness, &data));
    for f in &findings {
        let loaded = data.iter().find(|l| l.event.id == f.event_ids[0]).expect("known event id");
        assert_eq!(
            loaded.story(),
            Some(Story::Insider),
            "{} fired on background {}",
            f.rule_id,
            loaded.origin
        );
    }
    let count = |rule: &str| findings.iter().filter(|f| f.rule_id == rule).count();
    assert_eq!(count(RULE_UNGUARDED_ASSUME), 2, "dev admin, then prod admin");
    assert_eq!(count(RULE_POLICY_VERSION), 1);
    assert_eq!(count(RULE_ACCESS_KEY), 1);
    assert_eq!(count(RULE_SNAPSHOT_SHARED), 1);
    assert_eq!(count(RULE_CROSS_ACCOUNT_DENIED), 3);
    assert_eq!(findings.len(), 8, "{findings:#?}");
}
