//! Contract versions side by side: a plugin built against the frozen 0.1.0 and plugins of
//! 0.2.0 load into one engine and see the same events.

use serde_json::json;
use trailhound::engine::plugin::Contract;
use trailhound::engine::{Engine, LoadedPlugin, PluginSpec};

use super::engine::{records, run, settings, spec};
use super::support;

#[test]
fn a_0_1_0_plugin_runs_beside_0_2_0_plugins_on_the_same_events() {
    let mut recs = records(40, |i| if i % 2 == 0 { "ListUsers" } else { "CreateUser" });
    for i in [3, 17, 30] {
        recs[i].event.actor.kind = "Root".into();
    }
    let specs = vec![
        spec("old", "minimal-v0-1", json!(null)),
        spec("new", "minimal-detector", json!(null)),
        spec("noisy", "misbehaving", json!({})),
    ];
    let (report, detections) = run(settings(), specs, recs);
    let found = |plugin: &str| {
        let mut ids: Vec<String> = detections
            .iter()
            .filter(|d| d.plugin == plugin)
            .flat_map(|d| d.finding.event_ids.clone())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(found("old"), ["e17", "e3", "e30"]);
    assert_eq!(found("old"), found("new"), "both versions see the same events and agree");
    for plugin in &report.plugins {
        assert_eq!(plugin.stats.events, 40, "{} saw every event", plugin.name);
        assert!(plugin.stats.last_fault.is_none(), "{}: {:?}", plugin.name, plugin.stats.last_fault);
    }
}

#[test]
fn the_contract_version_is_read_from_the_component() {
    let (tx, _rx) = crossbeam_channel::unbounded();
    let specs = vec![spec("old", "minimal-v0-1", json!(null)), spec("new", "minimal-detector", json!(null))];
    let engine = Engine::start(settings(), specs, tx).expect("both load");
    let contracts: Vec<(String, Contract)> = engine
        .plugins()
        .iter()
        .map(|p: &std::sync::Arc<LoadedPlugin>| (p.name().to_string(), p.contract))
        .collect();
    assert_eq!(contracts, [("old".to_string(), Contract::V0_1), ("new".to_string(), Contract::V0_2)]);
}

#[test]
fn a_0_1_0_plugin_given_files_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, "- rule: x\n").unwrap();
    let spec = PluginSpec {
        files: vec![rules],
        ..PluginSpec::new("old", support::component("minimal-v0-1"), json!(null))
    };
    let (tx, _rx) = crossbeam_channel::unbounded();
    let err = Engine::start(settings(), vec![spec], tx).err().expect("refused");
    assert!(err.to_string().contains("cannot receive"), "{err}");
}

#[test]
fn a_0_2_0_plugin_receives_the_files_its_config_names() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, "- rule: shell in container\n").unwrap();
    let spec = PluginSpec { files: vec![rules.clone()], ..spec("reader", "misbehaving", json!({})) };
    let (_, detections) = run(settings(), vec![spec], records(1, |_| "ListUsers"));
    let evidence = &detections[0].finding.evidence;
    let key = format!("file.{}", rules.display());
    assert!(evidence.iter().any(|e| e.key == key && e.value == "27"), "{evidence:?}");
}

#[test]
fn a_file_the_config_names_that_cannot_be_read_is_named_in_the_error() {
    let missing = std::path::PathBuf::from("/nonexistent/rules.yaml");
    let spec = PluginSpec { files: vec![missing], ..spec("reader", "misbehaving", json!({})) };
    let (tx, _rx) = crossbeam_channel::unbounded();
    let err = Engine::start(settings(), vec![spec], tx).err().expect("refused").to_string();
    assert!(err.contains("\"reader\"") && err.contains("/nonexistent/rules.yaml"), "{err}");
}
