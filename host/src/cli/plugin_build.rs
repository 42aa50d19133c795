//! `trailhound plugin build`: every plugin in the workspace into a component.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use trailhound::build::{self, BuildOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these plugins (by name); default: all.
    names: Vec<String>,
    /// The workspace root; default: the nearest folder upwards holding `wit/` and a workspace `Cargo.toml`.
    #[arg(long)]
    workspace: Option<PathBuf>,
    /// Where the components go; default: `$CARGO_TARGET_DIR` (or `target`) + `/plugins`.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let workspace = match args.workspace {
        Some(dir) => dir,
        None => build::find_workspace(&std::env::current_dir()?)?,
    };
    let mut options = BuildOptions::new(&workspace);
    options.only = args.names;
    if let Some(out) = args.out {
        options.out_dir = out;
    }
    let started = Instant::now();
    let built = build::build(&options)?;
    for plugin in &built {
        let how = if plugin.from_cache { "cached" } else { "built" };
        eprintln!("{how:>6}  {:<24} {:<6} {}", plugin.name, plugin.kind, plugin.path.display());
    }
    eprintln!("{} plugin(s) ready in {:.1} s", built.len(), started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}
