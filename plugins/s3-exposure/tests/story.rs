//! The bundled example data: the campaign bucket is reported public, then public and
//! unencrypted; no other bucket is reported.

use s3_exposure::{S3Exposure, RULE_PUBLIC, RULE_PUBLIC_UNENCRYPTED};
use story_fixtures::{load_for, Story, EXPOSER_ARN};
use trailhound_sdk::testing::Harness;

#[test]
fn reports_the_campaign_bucket_and_nothing_else() {
    let data = load_for::<S3Exposure>();
    let mut harness = Harness::<S3Exposure>::new();
    let mut findings = Vec::new();
    for chunk in data.chunks(512) {
        findings.extend(harness.batch(&story_fixtures::batch(&harness, chunk)));
    }
    let rules: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(rules, [RULE_PUBLIC, RULE_PUBLIC_UNENCRYPTED], "{findings:#?}");
    for f in &findings {
        assert_eq!(f.actor.as_deref(), Some(EXPOSER_ARN));
        for id in &f.event_ids {
            let loaded = data.iter().find(|l| &l.event.id == id).expect("known event id");
            assert_eq!(loaded.story(), Some(Story::Bucket), "{}", loaded.origin);
        }
    }
    let action =
        |id: &String| data.iter().find(|l| &l.event.id == id).map(|l| l.event.action.to_string()).unwrap();
    let actions: Vec<String> = findings[1].event_ids.iter().map(action).collect();
    assert_eq!(
        actions,
        ["CreateBucket", "DeletePublicAccessBlock", "PutBucketAcl", "DeleteBucketEncryption"]
    );
}
