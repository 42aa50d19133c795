//! The bundled pack for `scan`, `run` and `validate`: found from the working folder (or the
//! checkout this binary was built from), built on first use, with what was loaded on stderr;
//! and the plugins a config runs: its own (or the bundled pack), then its installed packs.

use std::time::Instant;

use anyhow::Context;
use trailhound::config::Config;
use trailhound::engine::PluginSpec;
use trailhound::pack::{self, Extra};
use trailhound::sources::printable_path;

/// The pack's plugins, with the shipped rules and `extra`'s files.
pub fn load(extra: &Extra) -> anyhow::Result<Vec<PluginSpec>> {
    let workspace = trailhound::build::find_workspace(&std::env::current_dir()?)?;
    eprintln!("pack: from {} (compiled on first use, then cached)", printable_path(&workspace));
    let started = Instant::now();
    let (specs, built) = pack::load(&workspace, extra).context("building the bundled pack")?;
    let compiled = built.iter().filter(|p| !p.from_cache).count();
    let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    eprintln!(
        "pack: {} ready in {:.1} s ({compiled} compiled)",
        names.join(", "),
        started.elapsed().as_secs_f64()
    );
    Ok(specs)
}

/// The plugins `config` runs: those it names (or the bundled pack when it names none), then
/// the plugins of every installed pack in `[packs] dir`, each pack verified first.
///
/// # Errors
/// The bundled pack cannot be built, or an installed pack fails verification.
pub fn specs_of(config: &Config) -> anyhow::Result<Vec<PluginSpec>> {
    let mut specs = if config.runs_pack() { load(&config.pack)? } else { config.plugin_specs() };
    let installed = config.packs.specs().context("loading the installed packs")?;
    if !installed.is_empty() {
        let names: Vec<&str> = installed.iter().map(|s| s.name.as_str()).collect();
        eprintln!("packs: {} verified and loaded", names.join(", "));
    }
    specs.extend(installed);
    let mut names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    if let Some(twice) = names.windows(2).find(|pair| pair[0] == pair[1]) {
        anyhow::bail!(
            "two plugins are named {:?} (a config plugin and an installed pack's?): rename one",
            twice[0]
        );
    }
    Ok(specs)
}
