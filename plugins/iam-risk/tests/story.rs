//! The bundled example data: every strong step of the insider's story, and the contractor's
//! grants on GCP and Azure, and story 4's privileged assume and snapshot share, are reported on
//! their own, and no background principal is.

use iam_risk::*;
use story_fixtures::{load_for, Story};
use trailhound_sdk::testing::Harness;
use trailhound_sdk::Severity;

#[test]
fn reports_the_stories_strong_signals_and_nothing_else() {
    let data = load_for::<IamRisk>();
    let mut harness = Harness::<IamRisk>::new();
    let findings = harness.batch(&story_fixtures::batch(&harness, &data));
    // The stories a rule fired in, one per finding.
    let stories = |rule: &str| -> Vec<Option<Story>> {
        let fired: Vec<_> = findings.iter().filter(|f| f.rule_id == rule).collect();
        assert!(!fired.is_empty(), "{rule} did not fire");
        fired
            .iter()
            .map(|f| data.iter().find(|l| l.event.id == f.event_ids[0]).expect("known event id").story())
            .collect()
    };
    let story = |rule: &str| stories(rule)[0];
    for f in &findings {
        let loaded = data.iter().find(|l| l.event.id == f.event_ids[0]).expect("known event id");
        assert!(loaded.story().is_some(), "{} fired on background {}", f.rule_id, loaded.origin);
    }
    let count = |rule: &str| findings.iter().filter(|f| f.rule_id == rule).count();
    // The insider's dev admin and prod admin, then story 4's database admin.
    assert_eq!(
        stories(RULE_UNGUARDED_ASSUME),
        [Some(Story::Insider), Some(Story::Insider), Some(Story::Escape)]
    );
    assert_eq!(count(RULE_POLICY_VERSION), 1);
    assert_eq!(count(RULE_ACCESS_KEY), 1);
    assert_eq!(stories(RULE_SNAPSHOT_SHARED), [Some(Story::Insider), Some(Story::Escape)]);
    assert_eq!(count(RULE_CROSS_ACCOUNT_DENIED), 3);
    for rule in [RULE_POLICY_VERSION, RULE_ACCESS_KEY] {
        assert_eq!(story(rule), Some(Story::Insider), "{rule}");
    }

    // Story 3: allUsers made a viewer of the exports bucket, a guest made Owner.
    assert_eq!((count(RULE_PUBLIC), story(RULE_PUBLIC)), (1, Some(Story::Contractor)));
    let public = findings.iter().find(|f| f.rule_id == RULE_PUBLIC).unwrap();
    assert!(public.title.contains("acme-analytics-exports"), "{}", public.title);
    assert_eq!(public.severity, Severity::High, "a viewer role, not a privileged one");
    assert_eq!((count(RULE_PRIVILEGED_ROLE), story(RULE_PRIVILEGED_ROLE)), (1, Some(Story::Contractor)));
    let owner = findings.iter().find(|f| f.rule_id == RULE_PRIVILEGED_ROLE).unwrap();
    assert_eq!(owner.severity, Severity::Critical);
    assert!(owner
        .evidence
        .iter()
        .any(|e| e.key == "principal" && e.value == "e7d41c09-2a8f-4b36-95e1-0c6b3f8a2d74"));
    assert_eq!(findings.len(), 12, "{findings:#?}");
}
