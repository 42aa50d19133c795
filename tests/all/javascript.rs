//! Tests: javascript — the JavaScript example detector, written with the SDK in `sdk/js`,
//! builds with componentize-js into a component that imports nothing but the detector
//! contract, runs beside a Rust and a Python detector on the same events, and its logic and
//! the SDK's own checks pass under node's test runner with no WASM.

use std::process::Command;

use serde_json::json;
use wasmtime::component::Component;

use crate::support;

const PLUGIN: &str = "js-detector";

#[test]
fn the_js_detector_is_a_component_that_imports_only_the_contract() {
    let path = support::component(PLUGIN);
    let engine = wasmtime::Engine::default();
    let component =
        Component::from_file(&engine, &path).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
    let imports: Vec<String> =
        component.component_type().imports(&engine).map(|(name, _)| name.to_string()).collect();
    assert!(
        imports.iter().all(|i| i.starts_with("trailhound:detector/")),
        "imports beyond the contract (no WASI is needed): {imports:?}"
    );
}

#[test]
fn js_python_and_rust_detectors_run_side_by_side_on_the_same_events() {
    let dir = tempfile::tempdir().unwrap();
    let identity = |name: &str| {
        json!({"type": "IAMUser", "principalId": format!("AID{name}"), "arn": format!("arn:aws:iam::111122223333:user/{name}"),
               "accountId": "111122223333", "userName": name})
    };
    let records = [
        json!({"eventID": "key-1", "eventTime": "2026-11-03T10:00:00Z", "eventSource": "iam.amazonaws.com",
               "eventName": "CreateAccessKey", "userIdentity": identity("mallory"), "sourceIPAddress": "198.51.100.7",
               "requestParameters": {"userName": "alice"}}),
        json!({"eventID": "key-2", "eventTime": "2026-11-03T10:01:00Z", "eventSource": "iam.amazonaws.com",
               "eventName": "CreateAccessKey", "userIdentity": identity("alice"), "requestParameters": {"userName": "alice"}}),
        json!({"eventID": "login-1", "eventTime": "2026-11-03T10:02:00Z", "eventSource": "signin.amazonaws.com",
               "eventName": "ConsoleLogin", "userIdentity": identity("bob"),
               "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MFAUsed": "No"}}),
        json!({"eventID": "root-1", "eventTime": "2026-11-03T10:03:00Z", "eventSource": "iam.amazonaws.com",
               "eventName": "CreateUser", "recipientAccountId": "111122223333",
               "userIdentity": {"type": "Root", "principalId": "111122223333", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"}}),
    ];
    let records: Vec<serde_json::Value> = records
        .into_iter()
        .map(|mut r| {
            r["eventVersion"] = json!("1.08");
            r["awsRegion"] = json!("us-east-1");
            r
        })
        .collect();
    let input = dir.path().join("trail.json");
    std::fs::write(&input, json!({"Records": records}).to_string()).unwrap();

    let plugins = [
        support::component(PLUGIN),
        support::component("python-detector"),
        support::component("minimal-detector"),
    ];
    let mut command = Command::new(env!("CARGO_BIN_EXE_trailhound"));
    command.arg("scan").arg(&input).env("CI", "true");
    for plugin in &plugins {
        command.arg("--plugin").arg(plugin);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let fired = |rule: &str| stdout.lines().filter(|line| line.contains(rule)).count();
    assert_eq!(fired("aws.iam.access-key-for-another-user"), 1, "JavaScript: {stdout}");
    assert!(stdout.contains("mallory created an access key for alice"), "{stdout}");
    assert_eq!(fired("aws.console.login-without-mfa"), 1, "Python: {stdout}");
    assert!(stderr.contains("plugin js-detector 0.1.0: 2 events, 1 findings"), "{stderr}");
    assert!(stderr.contains("plugin python-detector 0.1.0: 1 events, 1 findings"), "{stderr}");
    assert!(
        stderr.lines().any(|l| l.starts_with("plugin minimal") && l.contains("1 findings")),
        "Rust: {stderr}"
    );
}

#[test]
fn the_js_detector_and_the_sdk_pass_their_native_tests_under_node() {
    let workspace = support::workspace();
    let output = Command::new("node")
        .args(["--test", "sdk/js/", "examples/js-detector/"])
        .current_dir(&workspace)
        .output()
        .expect("node runs (scripts/setup.sh js installs it)");
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{text}");
    assert!(text.contains("# pass 6") && text.contains("# fail 0"), "{text}");
}
