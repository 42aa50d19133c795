//! The bundled example data: the insider is reported as one story (its revisions share one
//! key), with the whole trail; no one else is.

use story_fixtures::{load_for, Story, INSIDER_ARN};
use storyline::{report::RULE_ID, Storyline};
use trailhound_sdk::story::{REVISION, REVISION_OF};
use trailhound_sdk::testing::Harness;
use trailhound_sdk::Severity;

#[test]
fn reports_the_insider_and_nobody_else() {
    let data = load_for::<Storyline>();
    let mut harness = Harness::<Storyline>::new();
    let mut findings = Vec::new();
    // Batches and ticks as the host makes them: 512 events, a tick per batch at stream time.
    let mut now = 0;
    for chunk in data.chunks(512) {
        findings.extend(harness.batch(&story_fixtures::batch(&harness, chunk)));
        now = chunk.iter().map(|l| l.event.time).fold(now, i64::max);
        findings.extend(harness.tick(now));
    }

    if std::env::var_os("SHOW_FINDINGS").is_some() {
        eprintln!("{findings:#?}");
    }
    // Story 4 is told too (its origin is the node's instance); this test follows the insider.
    findings.retain(|f| f.evidence_value(REVISION_OF) == Some(INSIDER_ARN));
    assert!(!findings.is_empty());
    for (i, f) in findings.iter().enumerate() {
        assert_eq!(f.rule_id, RULE_ID);
        assert_eq!(f.evidence_value(REVISION_OF), Some(INSIDER_ARN), "one story: {f:#?}");
        assert_eq!(f.evidence_value(REVISION), Some((i + 1).to_string().as_str()), "revisions in order");
    }
    let f = findings.last().unwrap();
    assert_eq!(f.actor.as_deref(), Some(INSIDER_ARN));
    assert_eq!(f.severity, Severity::Critical);
    for id in &f.event_ids {
        let loaded =
            data.iter().find(|l| &l.event.id == id).unwrap_or_else(|| panic!("unknown event id {id}"));
        assert_eq!(loaded.story(), Some(Story::Insider), "background event {} in the trail", loaded.origin);
    }
    // The key steps of the story are all in it.
    let step = |action: &str| {
        data.iter()
            .find(|l| l.story() == Some(Story::Insider) && l.event.action == action && l.event.success)
            .unwrap_or_else(|| panic!("no {action} in the story"))
            .event
            .id
            .clone()
    };
    for action in [
        "StartSession",
        "SendSSHPublicKey",
        "AssumeRole",
        "SetDefaultPolicyVersion",
        "CreateAccessKey",
        "ModifySnapshotAttribute",
    ] {
        assert!(f.event_ids.contains(&step(action).to_string()), "{action} is not in the trail");
    }
    let hops = f.evidence.iter().filter(|e| e.key.starts_with("hop.")).count();
    assert!(hops >= 5, "workstation, its role, bastion, its role, dev role: {:#?}", f.evidence);
    for t in ["T1087.004", "T1069.003", "T1078.004", "T1098.001", "T1098.003", "T1537", "T1550.001"] {
        assert!(f.techniques.iter().any(|x| x == t), "missing {t}");
    }
}
