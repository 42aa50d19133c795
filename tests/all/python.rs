//! Tests: python — the Python example detector builds with componentize-py into a valid
//! component that imports only WASI and the detector contract, a rebuild comes from the
//! cache, and it runs in the engine like a Rust plugin.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use serde_json::json;
use trailhound::build::{self, BuildOptions, PluginKind};
use trailhound::engine::runtime::WasmRuntime;
use trailhound::engine::{cache, Engine, EngineSettings, PluginSpec};
use trailhound::event::{Actor, Event};
use trailhound::record::{Origin, Record};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::Component;

use crate::support;

const PLUGIN: &str = "python-detector";
/// The package every detector's own imports come from (its `host` interface and types).
const CONTRACT: &str = "trailhound:detector/";

/// Engine settings for these tests: one worker, small batches, the test run's compiled cache.
fn settings() -> EngineSettings {
    EngineSettings {
        workers: 1,
        batch_size: 2,
        cache_dir: std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-cache"),
        ..EngineSettings::default()
    }
}

/// The Python component compiled by the host's own wasmtime configuration, once per test
/// run. Compiling CPython takes a while, so this also fills the engine's compiled-component
/// cache before the engine test loads the same bytes.
fn compiled() -> &'static (wasmtime::Engine, Component, PathBuf) {
    static COMPILED: OnceLock<(wasmtime::Engine, Component, PathBuf)> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let path = support::component(PLUGIN);
        let settings = settings();
        let runtime = WasmRuntime::new(&settings).expect("wasmtime engine");
        let wasm = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (component, _) = cache::load(&runtime.engine, &wasm, &settings.cache_dir)
            .unwrap_or_else(|e| panic!("{} is not a loadable component: {e:#}", path.display()));
        (runtime.engine.clone(), component, path)
    })
}

#[test]
fn the_python_detector_is_a_component_that_imports_only_wasi_and_the_contract() {
    let (engine, component, path) = compiled();
    let ty = component.component_type();

    let imports: Vec<String> = ty.imports(engine).map(|(name, _)| name.to_string()).collect();
    eprintln!("{} imports:\n  {}", path.display(), imports.join("\n  "));
    assert!(
        imports.iter().any(|i| i.starts_with(CONTRACT) && i.contains("/host@")),
        "no host import: {imports:?}"
    );
    let foreign: Vec<&String> =
        imports.iter().filter(|i| !i.starts_with(CONTRACT) && !i.starts_with("wasi:")).collect();
    assert!(foreign.is_empty(), "imports the host cannot provide: {foreign:?}");

    let exports: Vec<(String, bool)> = ty
        .exports(engine)
        .map(|(name, item)| (name.to_string(), matches!(item.ty, ComponentItem::ComponentFunc(_))))
        .collect();
    for wanted in ["info", "configure", "on-events", "on-tick", "snapshot", "restore"] {
        assert!(
            exports.iter().any(|(name, func)| name == wanted && *func),
            "{wanted} not exported: {exports:?}"
        );
    }
}

#[test]
fn a_second_build_of_the_python_detector_comes_from_the_cache() {
    let first = std::fs::read(support::component(PLUGIN)).expect("component readable");
    let out = tempfile::tempdir().expect("temp dir");
    let options = BuildOptions {
        out_dir: out.path().to_path_buf(),
        only: vec![PLUGIN.into()],
        ..support::build_options()
    };
    let built = build::build(&options).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(built.len(), 1, "{built:?}");
    let plugin = &built[0];
    assert_eq!((plugin.name.as_str(), plugin.kind, plugin.from_cache), (PLUGIN, PluginKind::Python, true));
    assert_eq!(plugin.path, out.path().join(format!("{PLUGIN}.wasm")));
    assert_eq!(std::fs::read(&plugin.path).expect("copy readable"), first, "the cached copy differs");
}

/// A CloudTrail `ConsoleLogin` record for IAM user `user`, normalized by hand so this test
/// depends only on the engine; the detector reads the two projected fields from `raw`.
fn console_login(i: u64, user: &str, success: bool, mfa: &str) -> Record {
    let arn = format!("arn:aws:iam::111122223333:user/{user}");
    let raw = json!({
        "eventID": format!("login-{i}"),
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "userIdentity": {"type": "IAMUser", "arn": arn, "accountId": "111122223333", "userName": user},
        "responseElements": {"ConsoleLogin": if success { "Success" } else { "Failure" }},
        "additionalEventData": {"MFAUsed": mfa},
    });
    let event = Event {
        id: format!("login-{i}"),
        time: 1_709_287_200_000 + i as i64 * 60_000,
        provider: "aws".into(),
        source: "aws-cloudtrail".into(),
        service: "signin.amazonaws.com".into(),
        action: "ConsoleLogin".into(),
        // CloudTrail gives a failed sign-in no errorCode, so it normalizes as a success.
        success: true,
        error_message: (!success).then(|| "Failed authentication".into()),
        account: "111122223333".into(),
        actor: Actor {
            id: arn.clone(),
            kind: "IAMUser".into(),
            account: "111122223333".into(),
            name: Some(user.into()),
            ..Actor::default()
        },
        source_ip: Some("198.51.100.7".into()),
        ..Event::default()
    };
    Record {
        origin: Origin::line(Arc::from("logins.jsonl"), i + 1),
        event,
        raw: Arc::from(raw.to_string()),
        time_missing: false,
    }
}

#[test]
fn the_python_detector_runs_in_the_engine() {
    let records = vec![
        console_login(0, "alice", true, "Yes"),
        console_login(1, "bob", true, "No"),
        console_login(2, "carol", false, "No"),
        console_login(3, "carol", false, "No"),
        console_login(4, "carol", false, "No"),
        console_login(5, "dave", false, "No"),
    ];
    // Compile once, through the cache the engine reads, rather than twice in parallel.
    compiled();
    let spec = PluginSpec::new(PLUGIN, support::component(PLUGIN), json!({"threshold": 3}));
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut engine = Engine::start(settings(), vec![spec], tx).expect("engine starts");
    for record in records {
        engine.submit(record).expect("submit");
    }
    engine.finish().expect("engine finishes");

    let mut found: Vec<(String, Vec<String>, Vec<String>)> = rx
        .into_iter()
        .map(|d| (d.finding.rule_id.clone(), d.finding.event_ids.clone(), d.finding.techniques.clone()))
        .collect();
    found.sort();
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        found,
        vec![
            ("aws.console.login-without-mfa".to_string(), strings(&["login-1"]), strings(&["T1078.004"]),),
            (
                "aws.console.repeated-login-failures".to_string(),
                strings(&["login-2", "login-3", "login-4"]),
                strings(&["T1110"]),
            ),
        ]
    );
}

/// A failed console sign-in by IAM user `user` at `minute` past 10:00, shaped like the
/// "IAM user, unsuccessful sign-in" record in AWS's CloudTrail documentation: no `errorCode`,
/// only `errorMessage` and `responseElements.ConsoleLogin` say it failed. Normalized by the
/// host's own normalizer, so this is the event the engine would give the detector.
fn failed_console_login(id: &str, user: &str, minute: u32) -> Record {
    let raw = json!({
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDACKCEVSQ6C2EXAMPLE",
            "arn": format!("arn:aws:iam::111122223333:user/{user}"),
            "accountId": "111122223333",
            "accessKeyId": "",
            "userName": user,
        },
        "eventTime": format!("2024-03-01T10:{minute:02}:00Z"),
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.44",
        "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:102.0) Gecko/20100101 Firefox/102.0",
        "errorMessage": "Failed authentication",
        "requestParameters": null,
        "responseElements": {"ConsoleLogin": "Failure"},
        "additionalEventData": {
            "LoginTo": "https://console.aws.amazon.com/console/home",
            "MobileVersion": "No",
            "MFAUsed": "No",
        },
        "eventID": id,
        "readOnly": false,
        "eventType": "AwsConsoleSignIn",
        "managementEvent": true,
        "recipientAccountId": "111122223333",
        "eventCategory": "Management",
    });
    let origin = Origin::line(Arc::from("signin.jsonl"), u64::from(minute) + 1);
    trailhound::normalize::normalize(
        trailhound::record::RawRecord { origin, text: Arc::from(raw.to_string()) },
        None,
    )
    .expect("a documented ConsoleLogin record normalizes")
    .into_record()
    .expect("an event")
}

/// Failed sign-ins by one user, `f<minute>`, at each of `minutes`.
fn failures(minutes: &[u32]) -> Vec<Record> {
    minutes.iter().map(|&m| failed_console_login(&format!("f{m}"), "JohnDoe", m)).collect()
}

/// The event ids of each repeated-failure finding the Python detector reports for `records`
/// when configured with `config`, in the order they came out (one worker, so stream order).
fn bursts(config: serde_json::Value, records: Vec<Record>) -> Vec<Vec<String>> {
    compiled();
    let spec = PluginSpec::new("py", support::component(PLUGIN), config);
    let (report, detections) = crate::engine::run(settings(), vec![spec], records);
    let stats = &report.plugins[0].stats;
    assert_eq!(stats.traps, 0, "{:?}", stats.last_fault);
    detections
        .into_iter()
        .map(|d| {
            assert_eq!(d.finding.rule_id, "aws.console.repeated-login-failures", "{:?}", d.finding);
            d.finding.event_ids
        })
        .collect()
}

fn ids(groups: &[&[&str]]) -> Vec<Vec<String>> {
    groups.iter().map(|g| g.iter().map(|s| s.to_string()).collect()).collect()
}

#[test]
fn the_python_detectors_threshold_changes_its_findings() {
    // Five failures a minute apart, well inside the default ten-minute window.
    let five = || failures(&[0, 1, 2, 3, 4]);
    assert_eq!(
        bursts(json!({"threshold": 1}), five()),
        ids(&[&["f0"], &["f1"], &["f2"], &["f3"], &["f4"]]),
        "threshold 1 fires on every failure"
    );
    assert_eq!(bursts(json!({"threshold": 2}), five()), ids(&[&["f0", "f1"], &["f2", "f3"]]));
    assert_eq!(
        bursts(json!({"threshold": 3}), five()),
        ids(&[&["f0", "f1", "f2"]]),
        "threshold 3 fires on the third failure, then counts afresh"
    );
    assert_eq!(bursts(json!({"threshold": 5}), five()), ids(&[&["f0", "f1", "f2", "f3", "f4"]]));
    assert_eq!(bursts(json!({"threshold": 1000}), five()), ids(&[]), "threshold 1000 never fires");
    assert_eq!(bursts(json!(null), five()), ids(&[&["f0", "f1", "f2"]]), "the default threshold is 3");
}

#[test]
fn the_python_detectors_window_changes_its_findings() {
    // Failures four minutes apart: three of them span eight minutes.
    let spaced = || failures(&[0, 4, 8, 12, 16]);
    assert_eq!(
        bursts(json!({"threshold": 3, "window_minutes": 10}), spaced()),
        ids(&[&["f0", "f4", "f8"]]),
        "three inside ten minutes"
    );
    assert_eq!(
        bursts(json!({"threshold": 3, "window_minutes": 5}), spaced()),
        ids(&[]),
        "never more than two inside five minutes"
    );
    assert_eq!(
        bursts(json!({"threshold": 5, "window_minutes": 60}), spaced()),
        ids(&[&["f0", "f4", "f8", "f12", "f16"]])
    );
    assert_eq!(bursts(json!({"threshold": 2, "window_minutes": 3}), spaced()), ids(&[]));
}

#[test]
fn the_python_detector_refuses_a_bad_config_at_load() {
    compiled();
    for (config, message) in [
        (json!({"threshold": 0}), "console-login config: threshold must be a positive integer"),
        (json!({"threshold": "3"}), "console-login config: threshold must be a positive integer"),
        (json!({"window_minutes": 0}), "console-login config: window_minutes must be a positive integer"),
        (json!({"treshold": 3}), "console-login config: unknown config key(s): treshold"),
        (json!([3]), "console-login config: config must be a JSON object"),
    ] {
        let spec = PluginSpec::new("py", support::component(PLUGIN), config.clone());
        let (tx, _rx) = crossbeam_channel::unbounded();
        let error =
            Engine::start(settings(), vec![spec], tx).err().unwrap_or_else(|| panic!("{config} accepted"));
        let text = error.to_string();
        assert_eq!(text, format!("plugin \"py\" refused its config: {message}"), "{config}");
    }
}

#[test]
fn a_broken_python_plugin_fails_with_its_name_and_pythons_error() {
    let ws = tempfile::tempdir().expect("temp dir");
    let root = ws.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"empty\"\nversion = \"0.0.0\"\n[lib]\npath = \"lib.rs\"\n",
    )
    .expect("manifest");
    std::fs::write(root.join("lib.rs"), "").expect("lib.rs");
    for dir in ["wit", "wit/deps/detector-0.1.0"] {
        std::fs::create_dir_all(root.join(dir)).expect("wit dir");
        for file in ["types.wit", "world.wit"] {
            std::fs::copy(support::workspace().join(dir).join(file), root.join(dir).join(file))
                .expect("copy wit");
        }
    }
    let plugin = root.join("examples/broken-py");
    std::fs::create_dir_all(&plugin).expect("plugin dir");
    std::fs::write(plugin.join("detector.py"), "class WitWorld:\n    def info(self)\n").expect("detector.py");

    let options = BuildOptions {
        workspace: root.to_path_buf(),
        out_dir: root.join("out"),
        only: Vec::new(),
        cache_dir: root.join("cache"),
    };
    let error = build::build(&options).expect_err("a syntax error must fail the build").to_string();
    assert!(error.contains("\"broken-py\""), "the error does not name the plugin: {error}");
    assert!(error.contains("SyntaxError"), "the error does not show Python's message: {error}");
    assert!(!root.join("out/broken-py.wasm").exists(), "a failed build left a component behind");
}
