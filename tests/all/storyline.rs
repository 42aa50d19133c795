//! Tests: the bundled pack's `storyline` on the example data — the insider (examples/data
//! README, story 1) is one story: every revision carries one finding uid, and the last lists
//! every hop from the SSM session on the workstation to the denied assumes into foreign
//! accounts, with the reconnaissance, the policy version change, the access key and the
//! snapshot share on it.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use trailhound::pack;
use trailhound_sdk::story::Story;

use crate::support;

const RULE: &str = "storyline.risk-threshold";
const INSIDER: &str = "arn:aws:iam::418295730164:user/m.hollis";

/// The pack's findings on the example data, and the page `scan --story` drew of them.
fn scan_with_the_pack() -> (Vec<Value>, String) {
    for plugin in pack::PLUGINS {
        support::component(plugin);
    }
    let page = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pack-stories.html");
    let out = Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(["scan", "examples/data", "--format", "json", "--story"])
        .arg(&page)
        .current_dir(support::workspace())
        .env("CI", "true")
        .output()
        .expect("trailhound runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let findings = stdout.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    (findings, std::fs::read_to_string(&page).expect("scan --story wrote the page"))
}

fn story(finding: &Value) -> Story {
    let text = finding["evidences"][0]["data"]["story"].as_str().expect("a storyline carries its story");
    Story::from_json(text).unwrap()
}

/// Every story of the run is on the page `scan --story` drew, once, with its graph.
fn every_story_is_drawn_once(findings: &[Value], page: &str) {
    let uids: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f["evidences"][0]["data"]["story"].is_string())
        .filter_map(|f| f["finding_info"]["uid"].as_str())
        .collect();
    assert!(uids.len() >= 4, "the storylines and composites of the example data: {uids:?}");
    for uid in &uids {
        assert_eq!(page.matches(uid).count(), 1, "{uid} once on the page");
    }
    assert_eq!(page.matches("<svg class=\"graph\"").count(), uids.len());
}

#[test]
fn the_insider_is_one_storyline_whose_last_revision_tells_the_whole_trail() {
    let (findings, page) = scan_with_the_pack();
    let storylines: Vec<&Value> = findings
        .iter()
        .filter(|f| f["finding_info"]["analytic"]["uid"] == RULE && story(f).key == INSIDER)
        .collect();
    let uids: BTreeSet<&str> = storylines.iter().filter_map(|f| f["finding_info"]["uid"].as_str()).collect();
    assert_eq!(uids.len(), 1, "one story, however many revisions: {uids:?}");
    let last = storylines.iter().map(|f| story(f)).max_by_key(|s| s.revision).unwrap();
    every_story_is_drawn_once(&findings, &page);
    assert_eq!(last.key, INSIDER);
    assert_eq!(storylines.len(), last.revision as usize, "every revision is reported once");

    let vias: Vec<&str> = last.hops.iter().map(|h| h.via.as_str()).collect();
    let first =
        |via: &str| vias.iter().position(|v| *v == via).unwrap_or_else(|| panic!("no {via} in {vias:?}"));
    assert_eq!(last.hops[0].via, "ssm:StartSession", "{vias:?}");
    assert_eq!(last.hops[0].from, INSIDER);
    assert_eq!(last.hops[0].to, "i-0a4f19c2d7e3b5816");
    assert!(first("instance role") < first("ec2-instance-connect:SendSSHPublicKey"), "{vias:?}");
    let assumed: Vec<&str> =
        last.hops.iter().filter(|h| h.via == "sts:AssumeRole").map(|h| h.to.as_str()).collect();
    assert!(assumed.iter().any(|to| to.contains("dev-platform-admin")), "{assumed:?}");
    assert!(
        assumed.iter().any(|to| to.contains("738219460512") && to.contains("prod-ops-admin")),
        "{assumed:?}"
    );
    let denied: Vec<&str> = last
        .hops
        .iter()
        .filter(|h| h.via == "sts:AssumeRole (denied)")
        .filter_map(|h| trailhound_sdk::aws::arn_account(&h.to))
        .collect();
    assert_eq!(denied, ["215876403921", "664120987345", "381726504918"], "{vias:?}");
    assert_eq!(last.hops.last().map(|h| h.via.as_str()), Some("sts:AssumeRole (denied)"));
    let accounts: BTreeSet<&str> = last.nodes.iter().map(|n| n.account.as_str()).collect();
    assert!(
        accounts.is_superset(&BTreeSet::from(["418295730164", "738219460512", "215876403921"])),
        "{accounts:?}"
    );

    let labels: Vec<&str> = last.steps.iter().map(|s| s.label.as_str()).collect();
    for behavior in [
        "reconnaissance burst",
        "IAM policy default version changed",
        "access key created for another user",
        "snapshot shared with a foreign account",
        "cross-account AssumeRole denied",
    ] {
        assert!(labels.contains(&behavior), "{behavior} missing from {labels:?}");
    }
    assert!(last.steps.windows(2).all(|w| w[0].time <= w[1].time), "steps in time order");
    assert!(last.risk >= last.threshold, "{} < {}", last.risk, last.threshold);
}
