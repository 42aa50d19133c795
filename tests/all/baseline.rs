//! Tests: the `baseline` component through the real host on the bundled example data. A day
//! of one company's activity on every plane is steady behavior, except story 4's stolen node
//! key: it must come out as exactly the two departures it makes (the session token used by
//! the attacker's CLI from the internet, and its discovery sweep across regions), and nothing
//! else of the day.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support;

const NODE_ROLE: &str = "arn:aws:iam::738219460512:role/eks-node-role";

fn evidence<'a>(finding: &'a Value, key: &str) -> &'a str {
    finding["evidences"][0]["data"][key].as_str().unwrap_or_default()
}

#[test]
fn on_the_example_day_only_the_stolen_node_key_departs_from_its_baseline() {
    let output = Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .arg("scan")
        .arg(support::workspace().join("examples/data"))
        .args(["--format", "json", "--plugin"])
        .arg(support::component("baseline"))
        .env("CI", "true")
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("baseline-cache"))
        .output()
        .expect("trailhound runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let findings: Vec<Value> =
        String::from_utf8_lossy(&output.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let rules: Vec<&str> =
        findings.iter().filter_map(|f| f["finding_info"]["analytic"]["uid"].as_str()).collect();
    assert_eq!(
        rules,
        ["baseline.session-token-second-user-agent", "baseline.discovery-across-regions"],
        "{findings:#?}"
    );
    for finding in &findings {
        assert_eq!(evidence(finding, "principal"), NODE_ROLE);
        assert!(evidence(finding, "access_key").starts_with("ASIA"));
    }
    assert_eq!(evidence(&findings[0], "network"), "198.51.100.0/24");
    assert_eq!(findings[0]["severity"], "High");
    assert_eq!(evidence(&findings[1], "regions").split(',').count(), 5);
}
