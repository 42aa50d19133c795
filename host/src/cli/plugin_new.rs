//! `trailhound plugin new NAME --lang rust|python|js`: a working detector in `plugins/NAME`
//! of the workspace, with a native test and a `cases.yaml` for `plugin test`, that builds and
//! passes as it is. A Rust one is added to the workspace's members.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use trailhound::build;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Python,
    Js,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plugin's name: lower-case letters, digits and `-`, starting with a letter.
    name: String,
    #[arg(long, value_enum)]
    lang: Lang,
    /// The workspace root; default: the nearest folder upwards holding `wit/` and a workspace `Cargo.toml`.
    #[arg(long)]
    workspace: Option<PathBuf>,
}

/// Each language's files: (path in the plugin's folder, template).
fn templates(lang: Lang) -> Vec<(&'static str, &'static str)> {
    let cases = ("cases.yaml", include_str!("../../templates/plugin/cases.yaml"));
    let mut files = match lang {
        Lang::Rust => vec![
            ("Cargo.toml", include_str!("../../templates/plugin/rust/Cargo.toml")),
            ("src/lib.rs", include_str!("../../templates/plugin/rust/lib.rs")),
        ],
        Lang::Python => vec![("detector.py", include_str!("../../templates/plugin/python/detector.py"))],
        Lang::Js => vec![
            ("detector.js", include_str!("../../templates/plugin/js/detector.js")),
            ("detector.test.js", include_str!("../../templates/plugin/js/detector.test.js")),
        ],
    };
    files.push(cases);
    files
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let name = &args.name;
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        bail!("{name:?}: a plugin name is lower-case letters, digits and '-', starting with a letter");
    }
    let workspace = match args.workspace {
        Some(dir) => dir,
        None => build::find_workspace(&std::env::current_dir()?)?,
    };
    let dir = workspace.join("plugins").join(name);
    if dir.exists() {
        bail!("{} exists already", dir.display());
    }
    let type_name: String = name
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect();
    for (path, template) in templates(args.lang) {
        let target = dir.join(path);
        std::fs::create_dir_all(target.parent().expect("a file in the plugin's folder"))?;
        let text = template.replace("{{name}}", name).replace("{{type}}", &type_name);
        std::fs::write(&target, text).with_context(|| format!("cannot write {}", target.display()))?;
    }
    if args.lang == Lang::Rust {
        add_member(&workspace.join("Cargo.toml"), &format!("plugins/{name}"))?;
    }
    let native = match args.lang {
        Lang::Rust => format!("cargo test --release -p {name}"),
        Lang::Python => "(none yet: the cases below run it through the host)".to_string(),
        Lang::Js => format!("node --test plugins/{name}/"),
    };
    println!(
        "new {lang:?} detector {name} in {}\n  native tests:  {native}\n  build:         trailhound plugin build {name}\n  \
         host cases:    trailhound plugin test plugins/{name}/cases.yaml",
        dir.display(),
        lang = args.lang
    );
    Ok(ExitCode::SUCCESS)
}

/// Adds `member` to the `members` array of the workspace manifest, before its closing `]`.
fn add_member(manifest: &Path, member: &str) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
    let start =
        text.find("members = [").with_context(|| format!("{}: no `members = [` list", manifest.display()))?;
    let end = start
        + text[start..]
            .find(']')
            .with_context(|| format!("{}: `members` is not closed", manifest.display()))?;
    let updated = format!("{}  \"{member}\",\n{}", &text[..end], &text[end..]);
    std::fs::write(manifest, updated).with_context(|| format!("cannot write {}", manifest.display()))
}
