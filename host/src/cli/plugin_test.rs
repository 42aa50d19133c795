//! `trailhound plugin test`: declarative test cases for plugins — audit records of any source
//! in (each recognised by the normalizer, as a scan does), findings expected — run through the
//! real host (normalize, projection, the component).
//!
//! The YAML's shape is [`trailhound::plugin_cases`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use trailhound::engine::{Engine, EngineSettings, PluginSpec};
use trailhound::findings::Detection;
use trailhound::plugin_cases::{self, Case, Expected, Suite};
use trailhound::record::{Origin, RawRecord};
use trailhound::sources::{self, Input, Item};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// YAML files of test cases.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Where plugins named by `plugin:` are found (default: the `plugin build` output folder).
    #[arg(long)]
    plugins_dir: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let plugins_dir = args.plugins_dir.unwrap_or_else(default_plugins_dir);
    let (mut passed, mut failed) = (0, 0);
    for file in &args.files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
        let suite = plugin_cases::parse(&text).map_err(|e| match e.at {
            Some(_) => anyhow::anyhow!("{}:{e}", file.display()),
            None => anyhow::anyhow!("{}: {e}", file.display()),
        })?;
        let base = file.parent().unwrap_or(Path::new("."));
        let mut plugin = resolve_plugin(&suite.plugin, base, &plugins_dir);
        plugin.files = suite.files.iter().map(|f| base.join(f)).collect();
        for case in &suite.cases {
            match run_case(file, base, &plugin, &suite, case) {
                Ok(()) => {
                    passed += 1;
                    println!("ok    {} :: {}", file.display(), case.name);
                }
                Err(e) => {
                    failed += 1;
                    println!("FAIL  {} :: {}\n      {e:#}", file.display(), case.name);
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn default_plugins_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("plugins")
}

fn resolve_plugin(plugin: &str, base: &Path, plugins_dir: &Path) -> PluginSpec {
    let path = if plugin.ends_with(".wasm") {
        base.join(plugin)
    } else {
        plugins_dir.join(format!("{plugin}.wasm"))
    };
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    PluginSpec::new(name, path, serde_json::Value::Null)
}

fn run_case(file: &Path, base: &Path, plugin: &PluginSpec, suite: &Suite, case: &Case) -> anyhow::Result<()> {
    let mut raws: Vec<RawRecord> = case
        .events
        .iter()
        .enumerate()
        .map(|(i, value)| RawRecord {
            origin: Origin::record(Arc::from(format!("{} case {:?}", file.display(), case.name)), i as u64),
            text: Arc::from(value.to_string()),
        })
        .collect();
    if let Some(events_file) = &case.events_file {
        let path = base.join(events_file);
        let mut problems = Vec::new();
        sources::read(&Input::File(path.clone()), Default::default(), &mut |item| match item {
            Item::Record(raw) => raws.push(raw),
            Item::Malformed(bad) => problems.push(bad.to_string()),
        })?;
        if !problems.is_empty() {
            bail!("malformed records in {}: {}", path.display(), problems.join("; "));
        }
    }

    let settings = EngineSettings { workers: 1, ..EngineSettings::default() };
    let spec = PluginSpec { config: suite.config.clone(), ..plugin.clone() };
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut engine = Engine::start(settings, vec![spec], tx)?;
    for raw in raws {
        let normalized = trailhound::enrich::normalized(raw, None).map_err(|bad| anyhow::anyhow!("{bad}"))?;
        if let Some(record) = normalized.into_record() {
            engine.submit(record)?;
        }
    }
    let report = engine.finish()?;
    if let Some(fault) = report.plugins.iter().find_map(|p| p.stats.last_fault.clone()) {
        bail!("the plugin faulted: {fault}");
    }
    let actual: Vec<Detection> = rx.into_iter().collect();
    compare(&case.expect, &actual)
}

/// Every expected finding must match its own actual finding, and nothing else may be reported.
fn compare(expected: &[Expected], actual: &[Detection]) -> anyhow::Result<()> {
    let mut unmatched: Vec<&Detection> = actual.iter().collect();
    for want in expected {
        let position = unmatched.iter().position(|d| {
            let f = &d.finding;
            f.rule_id == want.rule_id
                && want.severity.as_deref().is_none_or(|s| f.severity.as_str().eq_ignore_ascii_case(s))
                && want.events.as_ref().is_none_or(|ids| *ids == f.event_ids)
        });
        match position {
            Some(i) => {
                unmatched.remove(i);
            }
            None => bail!("expected a finding {want:?}, got {}", describe(&unmatched)),
        }
    }
    if !unmatched.is_empty() {
        bail!("unexpected findings: {}", describe(&unmatched));
    }
    Ok(())
}

fn describe(detections: &[&Detection]) -> String {
    if detections.is_empty() {
        return "none".into();
    }
    detections
        .iter()
        .map(|d| format!("{} ({}, events {:?})", d.finding.rule_id, d.finding.severity, d.finding.event_ids))
        .collect::<Vec<_>>()
        .join(", ")
}
