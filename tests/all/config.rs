//! Tests: the service config file — the bundled example parses to the expected values, and
//! each broken config under `tests/data/config/` fails with the file, the exact line and
//! column, and the field. Expected messages are also kept as golden files next to each
//! config (`NAME.err`); `BLESS=1` rewrites them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use trailhound::config::{Config, ConfigError, EngineConfig, FilesSource, SourceConfig};
use trailhound::sinks::file::FileConfig;
use trailhound::sinks::stdout::{Format, StdoutConfig};
use trailhound::sinks::SinkConfig;

use crate::support;

#[test]
fn example_config_parses_to_expected_values() {
    let path = support::workspace().join("examples/trailhound.toml");
    let config = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let base = path.parent().unwrap();

    assert_eq!(config.engine.workers, Some(2));
    assert_eq!(config.engine.batch_size, 512);
    assert_eq!(config.engine.deadline_ms, 2000);
    assert_eq!(config.engine.memory_limit_mb, 256);
    assert_eq!(config.engine.max_failures, 3);
    assert_eq!(config.engine.quarantine_secs, 30);
    assert_eq!(config.engine.cache_dir, None);

    assert_eq!(
        config.sources,
        vec![SourceConfig::Files(FilesSource {
            paths: vec![base.join("data")],
            watch: false,
            log_type: None
        })]
    );

    let names: Vec<&str> = config.plugins.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["storyline", "iam-risk", "s3-exposure", "rules"]);
    assert_eq!(config.plugins[3].files, [base.join("../pack/rules")]);
    assert_eq!(config.pack, trailhound::pack::Extra::default());
    assert_eq!(config.plugins[0].path, base.join("../target/plugins/storyline.wasm"));
    assert_eq!(config.plugins[0].config, json!({ "threshold": 100 }));
    assert_eq!(config.plugins[1].config, json!({}), "no config table means an empty object");
    assert!(config.plugins.iter().all(|p| p.enabled));

    assert_eq!(
        config.sinks,
        vec![
            SinkConfig::Stdout(StdoutConfig { name: Some("console".into()), format: Format::Text }),
            SinkConfig::File(FileConfig {
                name: Some("archive".into()),
                path: base.join("../target/findings.jsonl"),
                max_bytes: None,
                keep: 5,
            }),
        ]
    );
    let routed: Vec<(&[String], bool)> =
        config.routes.iter().map(|r| (r.sinks.as_slice(), r.default)).collect();
    assert_eq!(
        routed,
        [(&["console".to_string(), "archive".into()][..], false), (&["archive".to_string()][..], true)]
    );
    assert_eq!(config.routes[0].min_severity, Some(trailhound_sdk::Severity::Medium));
    assert_eq!(config.throttle, trailhound::config::ThrottleConfig::default());

    let settings = config.engine_settings();
    assert_eq!(settings.workers, 2);
    assert_eq!(settings.batch_size, 512);
    assert_eq!(settings.deadline, Duration::from_millis(2000));
    assert_eq!(settings.memory_limit, 256 << 20);
    assert_eq!(settings.quarantine, Duration::from_secs(30));
    let specs = config.plugin_specs();
    assert_eq!(specs.len(), 4);
    assert_eq!(specs[0].config, json!({ "threshold": 100 }));
}

/// `(config file, line, column, field, a fragment of the message)`.
const BROKEN: &[(&str, usize, usize, &str, &str)] = &[
    ("unknown-engine-key.toml", 4, 1, "engine.batchsize", "unknown field `batchsize`, expected one of"),
    (
        "unknown-sink-key.toml",
        13,
        1,
        "sinks[1].pth",
        "unknown field `pth`, expected one of `name`, `path`, `max_bytes`, `keep`",
    ),
    (
        "unknown-sink-type.toml",
        9,
        8,
        "sinks[0].type",
        "unknown variant `kafka`, expected one of `stdout`, `file`, `webhook`, `syslog`",
    ),
    ("bad-format.toml", 10, 10, "sinks[0].format", "unknown variant `yaml`, expected `text` or `json`"),
    ("wrong-type.toml", 2, 11, "engine.workers", "invalid type: string \"four\""),
    ("zero-batch-size.toml", 2, 14, "engine.batch_size", "0 is out of range: must be 1 to"),
    ("memory-too-large.toml", 2, 19, "engine.memory_limit_mb", "8192 is out of range: must be 1 to 4096"),
    ("duplicate-plugin.toml", 9, 8, "plugins[1].name", "duplicate plugin name \"storyline\": plugins[0]"),
    ("empty-paths.toml", 3, 9, "sources[0].paths", "must name at least one file or folder"),
    (
        "unknown-log-type.toml",
        4,
        12,
        "sources[0].log_type",
        "unknown source type \"eks\"; expected one of aws-cloudtrail",
    ),
    ("pack-rules-without-rules-plugin.toml", 9, 9, "pack.rules", "no enabled plugin is named \"rules\""),
    ("syntax-error.toml", 6, 6, "", "expected `=`"),
];

#[test]
fn broken_configs_name_file_line_column_and_field() {
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for &(name, line, column, field, fragment) in BROKEN {
        let shown = format!("tests/data/config/{name}");
        let error = match parse_data_file(name, &shown) {
            Ok(_) => {
                failures.push(format!("{name}: parsed, expected an error"));
                continue;
            }
            Err(error) => error,
        };
        let text = error.to_string();
        let at = error.location().expect("a parse error has a location");
        if (at.line, at.column) != (line, column) {
            failures.push(format!("{name}: at {}:{}, expected {line}:{column}: {text}", at.line, at.column));
        }
        let prefix = format!("{shown}:{line}:{column}: ");
        if !text.starts_with(&prefix) {
            failures.push(format!("{name}: {text:?} does not start with {prefix:?}"));
        }
        if !field.is_empty() && error.field().map(|f| f.to_string()).as_deref() != Some(field) {
            failures.push(format!(
                "{name}: field {:?}, expected {field:?}",
                error.field().map(|f| f.to_string())
            ));
        }
        if !text.contains(field) || !text.contains(fragment) {
            failures.push(format!("{name}: {text:?} lacks {field:?} or {fragment:?}"));
        }
        let golden = data_dir().join(name).with_extension("err");
        if bless {
            std::fs::write(&golden, format!("{text}\n")).unwrap();
        } else {
            match std::fs::read_to_string(&golden) {
                Ok(expected) if expected.trim_end() == text => {}
                Ok(expected) => failures.push(format!(
                    "{name}: golden mismatch\n  got:      {text}\n  expected: {}",
                    expected.trim_end()
                )),
                Err(e) => {
                    failures.push(format!("{name}: cannot read {} ({e}); run with BLESS=1", golden.display()))
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn unknown_key_in_an_inline_sink_table_points_at_the_key() {
    // Top-level keys come before the first table header, or they would belong to it.
    let text = "sinks = [{ type = \"file\", pth = \"x\" }]\n\
                [[sources]]\ntype = \"stdin\"\n[[plugins]]\nname = \"a\"\npath = \"a.wasm\"\n";
    let error = Config::parse(text, Path::new("inline.toml")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "inline.toml:1:27: sinks[0].pth: unknown field `pth`, expected one of `name`, `path`, `max_bytes`, `keep`"
    );
}

#[test]
fn defaults_apply_and_paths_resolve_against_the_config_folder() {
    let text = r#"
[[sources]]
type = "files"
paths = ["logs", "/var/log/trail"]
watch = true

[[plugins]]
name = "one"
path = "one.wasm"
config = { since = 2026-11-03T00:00:00Z, regions = ["eu-west-1"], nested = { deep = 1.5 } }

[[plugins]]
name = "two"
path = "/opt/two.wasm"
enabled = false

[[sinks]]
type = "file"
path = "out/findings.jsonl"
"#;
    let config =
        Config::parse(text, Path::new("/etc/trailhound/service.toml")).unwrap_or_else(|e| panic!("{e}"));
    let defaults = trailhound::engine::EngineSettings::default();
    let settings = config.engine_settings();
    assert_eq!(settings.workers, defaults.workers);
    assert_eq!(settings.batch_size, defaults.batch_size);
    assert_eq!(settings.deadline, defaults.deadline);
    assert_eq!(settings.memory_limit, defaults.memory_limit);
    assert_eq!(settings.cache_dir, defaults.cache_dir);
    assert_eq!(
        config.sources,
        vec![SourceConfig::Files(FilesSource {
            paths: vec![PathBuf::from("/etc/trailhound/logs"), PathBuf::from("/var/log/trail")],
            watch: true,
            log_type: None,
        })]
    );
    assert_eq!(
        config.plugins[0].config,
        json!({ "since": "2026-11-03T00:00:00Z", "regions": ["eu-west-1"], "nested": { "deep": 1.5 } })
    );
    let specs = config.plugin_specs();
    assert_eq!(specs.len(), 1, "the disabled plugin is not loaded");
    assert_eq!(specs[0].path, PathBuf::from("/etc/trailhound/one.wasm"));
    assert_eq!(
        config.sinks,
        vec![SinkConfig::File(FileConfig {
            name: None,
            path: PathBuf::from("/etc/trailhound/out/findings.jsonl"),
            max_bytes: None,
            keep: 5,
        })]
    );
}

/// The example config documents each `[engine]` and `[engine.budget]` key with its default,
/// as `(default N)`: every such number must be the default the host really uses.
#[test]
fn the_example_config_states_the_real_defaults() {
    let path = support::workspace().join("examples/trailhound.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let engine = toml::Table::try_from(EngineConfig::default()).unwrap();
    let budget = engine["budget"].as_table().unwrap().clone();
    let throttle = toml::Table::try_from(trailhound::config::ThrottleConfig::default()).unwrap();
    let mut table = None;
    let mut checked = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix('[') {
            table = match name.trim_end_matches(']') {
                "engine" => Some(&engine),
                "engine.budget" => Some(&budget),
                "throttle" => Some(&throttle),
                _ => None,
            };
            continue;
        }
        let Some(defaults) = table else { continue };
        let Some((key, rest)) = line.trim_start_matches("# ").split_once(" = ") else { continue };
        let Some(stated) = rest.split_once("(default ").and_then(|(_, d)| d.split_once(')')) else {
            continue;
        };
        let Ok(stated) = stated.0.parse::<i64>() else { continue };
        let default = defaults.get(key).unwrap_or_else(|| panic!("{key} is not a key of its table"));
        assert_eq!(default.as_integer(), Some(stated), "examples/trailhound.toml: {key}");
        checked.push(key.to_string());
    }
    let keys = |t: &toml::Table| t.keys().filter(|k| *k != "budget").cloned().collect::<Vec<_>>();
    for key in keys(&engine).iter().chain(&keys(&budget)).chain(&keys(&throttle)) {
        assert!(checked.contains(key), "examples/trailhound.toml does not state the default of {key}");
    }
}

#[test]
fn every_engine_tunable_reaches_the_settings() {
    let text = "[engine]\nepoch_tick_ms = 5\ntick_interval_ms = 30000\nrecent_events = 10\n\
                lineage_capacity = 5000\nqueued_batches_per_worker = 2\ndetection_queue = 64\n\
                linger_ms = 250\n[[sources]]\ntype = \"stdin\"\n[[plugins]]\nname = \"a\"\n\
                path = \"a.wasm\"\n[[sinks]]\ntype = \"stdout\"\n";
    let settings =
        Config::parse(text, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}")).engine_settings();
    assert_eq!(settings.epoch_tick, Duration::from_millis(5));
    assert_eq!(settings.tick_interval_ms, 30_000);
    assert_eq!(settings.recent_events, 10);
    assert_eq!(settings.lineage_capacity, 5000);
    assert_eq!(settings.queued_batches_per_worker, 2);
    assert_eq!(settings.detection_queue, 64);
    assert_eq!(settings.linger, Duration::from_millis(250));
}

#[test]
fn semantic_checks_point_at_their_field() {
    let base = "[[sources]]\ntype = \"stdin\"\n[[plugins]]\nname = \"a\"\npath = \"a.wasm\"\n";
    let cases = [
        (
            format!("{base}enabled = false\n[[sinks]]\ntype = \"stdout\"\n"),
            "t.toml:6:11: plugins[0].enabled: every plugin is disabled",
        ),
        (
            format!("{base}[[sinks]]\ntype = \"stdout\"\n[[sinks]]\ntype = \"stdout\"\n"),
            "t.toml:9:8: sinks[1].type: only one stdout sink",
        ),
        (
            format!("{base}[[sinks]]\ntype = \"file\"\npath = \"\"\n"),
            "t.toml:8:8: sinks[0].path: must name a file",
        ),
        (base.to_string(), "t.toml:1:1: sinks: no sink"),
        (
            format!("[engine]\ndeadline_ms = 5\n{base}[[sinks]]\ntype = \"stdout\"\n"),
            "t.toml:2:15: engine.deadline_ms: 5 is out of range: must be 10 to 600000",
        ),
        (
            format!("[engine]\nquarantine_secs = 18446744073709551615\n{base}[[sinks]]\ntype = \"stdout\"\n"),
            "t.toml:2:19: engine.quarantine_secs: 18446744073709551615 is out of range: must be 1 to 86400",
        ),
        (
            format!("[engine]\nepoch_tick_ms = 50\n{base}[[sinks]]\ntype = \"stdout\"\n"),
            "t.toml:2:17: engine.epoch_tick_ms: 50 is out of range: must be 1 to 10",
        ),
        (
            format!("[engine]\nqueued_batches_per_worker = 0\n{base}[[sinks]]\ntype = \"stdout\"\n"),
            "t.toml:2:29: engine.queued_batches_per_worker: 0 is out of range: must be 1 to 1024",
        ),
        (
            format!("[engine.budget]\nfindings_per_call = 0\n{base}[[sinks]]\ntype = \"stdout\"\n"),
            "t.toml:2:21: engine.budget.findings_per_call: 0 is out of range",
        ),
        (
            format!("{base}budget = {{ log_lines = 5 }}\n[[sinks]]\ntype = \"stdout\"\n"),
            "t.toml:6:10: plugins[0].budget: unknown field `log_lines`",
        ),
        (
            format!("[input]\nmax_record_bytes = 10\n{base}[[sinks]]\ntype = \"stdout\"\n"),
            "t.toml:2:20: input.max_record_bytes: 10 is out of range: must be 1024 to 1073741824",
        ),
        (format!("{base}name2 = 1\n"), "t.toml:6:1: plugins[0].name2: unknown field `name2`"),
        (
            format!("[[sources]]\ntype = \"stdin\"\n{base}[[sinks]]\ntype = \"stdout\"\n"),
            "t.toml:4:8: sources[1].type: stdin can be read once",
        ),
        (
            format!("[[sources]]\ntype = \"http\"\nlisten = \"127.0.0.1:0\"\n[[sources]]\ntype = \"http\"\nlisten = \"127.0.0.1:0\"\n{base}[[sinks]]\ntype = \"stdout\"\n"),
            "t.toml:6:10: sources[1].listen: sources[0] already listens on 127.0.0.1:0",
        ),
        (
            format!("[[sources]]\ntype = \"nats\"\nurl = \"nats://127.0.0.1:4222\"\nstream = \"E\"\n{base}[[sinks]]\ntype = \"stdout\"\n"),
            "t.toml:2:8: sources[0].type: a nats source acknowledges messages once their findings are delivered",
        ),
        (
            format!("[engine]\nstate_dir = \"s\"\ncheckpoint_interval_secs = 60\n[[sources]]\ntype = \"nats\"\nurl = \"nats://127.0.0.1:4222\"\nstream = \"E.x\"\n{base}[[sinks]]\ntype = \"stdout\"\n"),
            "t.toml:7:10: sources[0].stream: \"E.x\" is not a JetStream name",
        ),
        (
            format!("[engine]\nstate_dir = \"s\"\ncheckpoint_interval_secs = 61\n[[sources]]\ntype = \"nats\"\nurl = \"nats://127.0.0.1:4222\"\nstream = \"E\"\n{base}[[sinks]]\ntype = \"stdout\"\n"),
            "t.toml:4:1: sources[0].ack_wait_secs: must be at least twice engine.checkpoint_interval_secs (61)",
        ),
        (
            format!("{base}[[sinks]]\ntype = \"syslog\"\naddress = \"logs:6514\"\nprotocol = \"tls\"\ntls = {{ cert_file = \"c.pem\" }}\n"),
            "t.toml:10:7: sinks[0].tls.key_file: cert_file and key_file go together",
        ),
        (
            format!("{base}[[sinks]]\ntype = \"syslog\"\naddress = \"logs:514\"\ntls = {{ ca_file = \"ca.pem\" }}\n"),
            "t.toml:9:7: sinks[0].tls: is for protocol = \"tls\" only",
        ),
    ];
    for (text, expected) in cases {
        let error = Config::parse(&text, Path::new("t.toml")).expect_err(expected).to_string();
        assert!(
            error.starts_with(expected),
            "got {error:?}\nexpected it to start with {expected:?}\nconfig:\n{text}"
        );
    }
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let text = "[engine]\nworkers = 0\nbatch_size = 0\n[[plugins]]\nname = \"bad name\"\npath = \"a.wasm\"\n";
    let (_, problems) = Config::parse_all(text, Path::new("t.toml")).unwrap();
    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    for expected in
        ["engine.workers", "engine.batch_size", "sources: no source", "plugins[0].name", "sinks: no sink"]
    {
        assert!(messages.iter().any(|m| m.contains(expected)), "{expected} missing from {messages:#?}");
    }
    assert_eq!(messages.len(), 5, "{messages:#?}");
}

#[test]
fn a_plugin_budget_overrides_only_the_keys_it_names() {
    let text =
        "[engine.budget]\nfinding_bytes = 2048\n[[sources]]\ntype = \"stdin\"\n[[plugins]]\nname = \"a\"\n\
                path = \"a.wasm\"\nbudget = { findings_per_call = 5000 }\n[[sinks]]\ntype = \"stdout\"\n";
    let config = Config::parse(text, Path::new("t.toml")).unwrap();
    let budget = config.plugin_specs()[0].budget.expect("overridden");
    assert_eq!((budget.findings_per_call, budget.finding_bytes), (5000, 2048));
    assert_eq!(config.engine_settings().budget.findings_per_call, 1000);
}

#[test]
fn unreadable_config_names_the_file() {
    let error = Config::load(Path::new("no/such/trailhound.toml")).unwrap_err();
    assert!(matches!(error, ConfigError::Read { .. }));
    assert!(error.to_string().contains("no/such/trailhound.toml"), "{error}");
}

fn data_dir() -> PathBuf {
    support::workspace().join("tests/data/config")
}

fn parse_data_file(name: &str, shown: &str) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(data_dir().join(name)).unwrap();
    Config::parse(&text, Path::new(shown))
}
