//! `trailhound scan`: one pass over files, folders or stdin with the bundled pack or the
//! given plugins.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use trailhound::config::EngineConfig;
use trailhound::decode::Limits;
use trailhound::engine::settings::{ranges, Range};
use trailhound::engine::PluginSpec;
use trailhound::normalize::SourceType;
use trailhound::pack::Extra;
use trailhound::pipeline::Reading;
use trailhound::sinks::Sink;
use trailhound::sources::printable_path;

use super::{progress, summary};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Log files (CloudTrail `{"Records":[...]}`, Azure `{"records":[...]}`, JSON arrays, JSON
    /// lines, VPC flow log text; .gz) or folders (read recursively); `-` for stdin.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[arg(short, long = "plugin", help = plugin_help())]
    plugins: Vec<PathBuf>,
    /// Falco-syntax rule files, or folders of them, loaded into the `rules` plugin after the
    /// shipped rules. Repeatable.
    #[arg(long = "rules", value_name = "FILE|DIR")]
    rules: Vec<PathBuf>,
    /// A folder (or file) of Sigma rules, loaded into the `sigma` plugin. Repeatable.
    #[arg(long = "sigma", value_name = "DIR")]
    sigma: Vec<PathBuf>,
    /// Config for one plugin, as NAME=JSON (the name is the file name without .wasm). Repeatable.
    #[arg(long = "plugin-config", value_name = "NAME=JSON")]
    plugin_configs: Vec<String>,
    /// Read every record as this log source instead of recognising each record's (one of
    /// aws-cloudtrail, aws-vpcflow, gcp-audit, azure-activity, azure-audit, k8s-audit, falco).
    #[arg(long, value_name = "TYPE", value_parser = |s: &str| SourceType::parse(s))]
    source_type: Option<SourceType>,
    /// How findings are printed on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also append findings as OCSF JSON lines to this file.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Also draw the run's storylines and composite alerts into this HTML page (as
    /// `trailhound story` draws a file of findings).
    #[arg(long, value_name = "FILE.html")]
    story: Option<PathBuf>,
    // The help of each engine flag states its default and range from the one place they are
    // written (`EngineSettings::default`, in the config's units, and `ranges`).
    #[arg(long, help = help("Worker threads", "all cores", ranges::WORKERS),
          value_parser = |s: &str| ranges::WORKERS.parse(s))]
    workers: Option<u64>,
    #[arg(long, help = help("Events per plugin call", defaults().batch_size, ranges::BATCH_SIZE),
          value_parser = |s: &str| ranges::BATCH_SIZE.parse(s))]
    batch_size: Option<u64>,
    #[arg(long,
          help = help("Deadline for one plugin call, in milliseconds", defaults().deadline_ms, ranges::DEADLINE_MS),
          value_parser = |s: &str| ranges::DEADLINE_MS.parse(s))]
    deadline_ms: Option<u64>,
    #[arg(long,
          help = help("Memory cap per plugin instance, in MiB", defaults().memory_limit_mb, ranges::MEMORY_LIMIT_MB),
          value_parser = |s: &str| ranges::MEMORY_LIMIT_MB.parse(s))]
    memory_limit_mb: Option<u64>,
    /// The state folder: plugin and host state is restored from it at start and saved into it
    /// at the end, so a later scan of the next logs goes on where this one stopped. Saved with
    /// one worker count, it resumes with the same count only (default: no state kept).
    #[arg(long = "state", value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Also write the run summary as one JSON object to this file.
    #[arg(long, value_name = "FILE")]
    summary_json: Option<PathBuf>,
}

/// The `[engine]` defaults, in the units of the flags (which are the config's).
fn defaults() -> EngineConfig {
    EngineConfig::default()
}

/// The pack's plugins named from the one list of them.
fn plugin_help() -> String {
    format!(
        "A plugin component (.wasm), or a folder of them. Repeatable. Given, these replace the bundled pack \
         ({}, and {} with --sigma), which runs when no plugin is named",
        trailhound::pack::PLUGINS.join(", "),
        trailhound::pack::SIGMA_PLUGIN
    )
}

/// `WHAT (default: DEFAULT; MIN to MAX)`.
fn help(what: &str, default: impl std::fmt::Display, range: Range) -> String {
    format!("{what} (default: {default}; {} to {})", range.min, range.max)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// One readable line per finding.
    Text,
    /// OCSF Detection Finding JSON, one per line.
    Json,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let extra = Extra { rules: args.rules, sigma: args.sigma };
    let mut plugins = if args.plugins.is_empty() {
        super::pack::load(&extra)?
    } else {
        let mut specs = plugin_specs(&args.plugins)?;
        extra.attach(&mut specs).map_err(|e| anyhow::anyhow!("{e} (--plugin replaces the bundled pack)"))?;
        specs
    };
    apply_configs(&mut plugins, &args.plugin_configs)?;
    let expanded = trailhound::sources::expand(&args.paths)?;
    for duplicate in &expanded.duplicates {
        eprintln!("note: {} was given more than once; it is read once", printable_path(duplicate));
    }
    let defaults = defaults();
    let settings = EngineConfig {
        workers: args.workers.map(|n| n as usize),
        batch_size: args.batch_size.map_or(defaults.batch_size, |n| n as usize),
        deadline_ms: args.deadline_ms.unwrap_or(defaults.deadline_ms),
        memory_limit_mb: args.memory_limit_mb.map_or(defaults.memory_limit_mb, |mb| mb as usize),
        state_dir: args.state_dir,
        ..defaults
    }
    .settings();
    let mut sinks: Vec<Box<dyn Sink>> = vec![match args.format {
        Format::Text => Box::new(trailhound::sinks::stdout::StdoutSink::text()),
        Format::Json => Box::new(trailhound::sinks::stdout::StdoutSink::json()),
    }];
    if let Some(path) = &args.output {
        sinks.push(Box::new(trailhound::sinks::file::FileSink::open(path)?));
    }
    let stories = args.story.as_ref().map(|_| trailhound::story::sink::StorySink::new());
    if let Some(stories) = &stories {
        sinks.push(Box::new(stories.clone()));
    }

    let bar = progress::events_spinner();
    let reading = Reading { limits: Limits::default(), source_type: args.source_type };
    let mut summary =
        trailhound::pipeline::run(&expanded.inputs, settings, reading, plugins, sinks, &mut |n| {
            if let Some(bar) = &bar {
                bar.set_position(n);
            }
        })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    summary.unreadable.splice(0..0, expanded.unreadable.iter().map(ToString::to_string));
    summary::print(&summary);
    if let Some(path) = &args.summary_json {
        let text = format!("{:#}\n", summary::json(&summary));
        std::fs::write(path, text)
            .with_context(|| format!("cannot write the summary to {}", printable_path(path)))?;
    }
    if let (Some(stories), Some(path)) = (&stories, &args.story) {
        super::story::write_run(&stories.stories(), path)?;
    }
    Ok(summary::exit_code(&summary))
}

/// Plugin files from the given files and folders.
fn plugin_specs(paths: &[PathBuf]) -> anyhow::Result<Vec<PluginSpec>> {
    let mut specs = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot list plugin folder {}", path.display()))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
                .collect();
            found.sort();
            if found.is_empty() {
                bail!("plugin folder {} holds no .wasm components", path.display());
            }
            specs.extend(found.iter().map(|p| spec(p)));
        } else {
            specs.push(spec(path));
        }
    }
    let mut names = std::collections::HashMap::new();
    for spec in &specs {
        if let Some(first) = names.insert(spec.name.clone(), spec.path.clone()) {
            bail!(
                "two plugins are named {:?} ({} and {}): a plugin is loaded once; name each once",
                spec.name,
                printable_path(&first),
                printable_path(&spec.path)
            );
        }
    }
    Ok(specs)
}

/// Configs from `NAME=JSON` pairs, each for the plugin of that name.
fn apply_configs(specs: &mut [PluginSpec], configs: &[String]) -> anyhow::Result<()> {
    for pair in configs {
        let (name, json) =
            pair.split_once('=').with_context(|| format!("--plugin-config {pair:?}: expected NAME=JSON"))?;
        let value: serde_json::Value =
            serde_json::from_str(json).with_context(|| format!("--plugin-config {name}: invalid JSON"))?;
        let Some(spec) = specs.iter_mut().find(|s| s.name == name) else {
            bail!("--plugin-config names {name:?}, but no plugin of that name was given");
        };
        spec.config = value;
    }
    Ok(())
}

fn spec(path: &Path) -> PluginSpec {
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    PluginSpec::new(name, path, serde_json::Value::Null)
}
