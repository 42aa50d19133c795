//! `trailhound validate`: check a config file without running it — syntax, fields, values,
//! and that every enabled plugin's component exists.

use std::path::Path;
use std::process::ExitCode;

use trailhound::config::Config;

pub fn run(path: &Path) -> anyhow::Result<ExitCode> {
    let config = match Config::load(path) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{error}");
            return Ok(ExitCode::from(1));
        }
    };
    let missing: Vec<String> = config
        .plugin_specs()
        .into_iter()
        .filter(|spec| !spec.path.is_file())
        .map(|spec| {
            format!(
                "plugin {:?}: component {} does not exist (run `trailhound plugin build`)",
                spec.name,
                spec.path.display()
            )
        })
        .collect();
    for problem in &missing {
        eprintln!("{}: {problem}", path.display());
    }
    if !missing.is_empty() {
        return Ok(ExitCode::from(1));
    }
    let plugins = config.plugin_specs().len();
    println!(
        "{}: ok ({} source(s), {plugins} plugin(s), {} sink(s))",
        path.display(),
        config.sources.len(),
        config.sinks.len()
    );
    Ok(ExitCode::SUCCESS)
}
