//! `trailhound validate`: checks a config file as `run` would use it, without running it —
//! syntax, fields and values, that every source path and plugin component exists, and a dry
//! run of every enabled plugin (compiled, instantiated and configured with its config, as
//! `run` will). Every problem is reported, each at its line and column, not only the first.

use std::path::Path;
use std::process::ExitCode;

use trailhound::config::{Config, ConfigError, FieldPath, Problem, SourceConfig};
use trailhound::engine::runtime::WasmRuntime;
use trailhound::engine::{LoadedPlugin, PluginSpec};
use trailhound::sources::printable_path;

pub fn run(path: &Path) -> anyhow::Result<ExitCode> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(source) => {
            eprintln!("{}", ConfigError::Read { path: path.to_path_buf(), source });
            return Ok(ExitCode::from(1));
        }
    };
    let (config, mut errors) = match Config::parse_all(&text, path) {
        Ok(parsed) => parsed,
        Err(error) => {
            eprintln!("{error}");
            return Ok(ExitCode::from(1));
        }
    };
    let problem =
        |field: FieldPath, message: String| ConfigError::invalid(path, &text, Problem::new(field, message));
    for (i, source) in config.sources.iter().enumerate() {
        if let SourceConfig::Files(files) = source {
            for (j, missing) in files.paths.iter().enumerate().filter(|(_, p)| !p.exists()) {
                let field = FieldPath::of("sources").index(i).key("paths").index(j);
                errors.push(problem(field, format!("{} does not exist", printable_path(missing))));
            }
        }
    }
    let (loaded, failures) = dry_run(&config, &problem);
    errors.extend(failures);
    for error in &errors {
        eprintln!("{error}");
    }
    if !errors.is_empty() {
        eprintln!("{}: {} problem(s)", printable_path(path), errors.len());
        return Ok(ExitCode::from(1));
    }
    println!(
        "{}: ok ({} source(s), {} plugin(s) loaded and configured, {} sink(s))",
        printable_path(path),
        config.sources.len(),
        loaded,
        config.sinks.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Loads and configures every enabled plugin (or the pack) as `run` will: how many, and each
/// failure at its table.
fn dry_run(config: &Config, problem: &dyn Fn(FieldPath, String) -> ConfigError) -> (usize, Vec<ConfigError>) {
    let settings = config.engine_settings();
    let runtime = match WasmRuntime::new(&settings) {
        Ok(runtime) => runtime,
        Err(e) => {
            return (
                0,
                vec![problem(FieldPath::of("engine"), format!("cannot start the WebAssembly runtime: {e}"))],
            )
        }
    };
    // Each plugin with the fields its component and its config are reported at.
    let plugins: Vec<(FieldPath, FieldPath, PluginSpec)> = if config.runs_pack() {
        match super::pack::load(&config.pack) {
            Ok(specs) => {
                specs.into_iter().map(|s| (FieldPath::of("pack"), FieldPath::of("pack"), s)).collect()
            }
            Err(e) => return (0, vec![problem(FieldPath::of("pack"), trailhound::text::chain(&e))]),
        }
    } else {
        let enabled = config.plugins.iter().enumerate().filter(|(_, p)| p.enabled);
        enabled
            .zip(config.plugin_specs())
            .map(|((i, _), spec)| {
                let field = FieldPath::of("plugins").index(i);
                (field.key("path"), field.key("config"), spec)
            })
            .collect()
    };
    let mut plugins = plugins;
    let mut errors = Vec::new();
    // The installed packs are verified as `run` verifies them, and dry-run like the rest.
    match config.packs.specs() {
        Ok(specs) => {
            plugins.extend(specs.into_iter().map(|s| (FieldPath::of("packs"), FieldPath::of("packs"), s)))
        }
        Err(e) => errors.push(problem(FieldPath::of("packs").key("dir"), e.to_string())),
    }
    let count = plugins.len();
    for (path_field, config_field, spec) in plugins {
        if !spec.path.is_file() {
            let message = format!(
                "component {} does not exist (run `trailhound plugin build`)",
                printable_path(&spec.path)
            );
            errors.push(problem(path_field, message));
            continue;
        }
        match LoadedPlugin::load(spec, &runtime, &settings) {
            Ok(_) => {}
            Err(e @ trailhound::engine::PluginError::Config { .. }) => {
                errors.push(problem(config_field, e.to_string()))
            }
            Err(e) => errors.push(problem(path_field, e.to_string())),
        }
    }
    (count, errors)
}
