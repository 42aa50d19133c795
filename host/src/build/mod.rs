//! Building plugins: Rust crates, Python modules and JavaScript modules into WebAssembly
//! components.
//!
//! One call, [`build`], finds every plugin in the workspace ([`discover`]), looks each
//! one up in a content-addressed cache ([`cache`]), and builds only the misses: all Rust
//! plugins in a single cargo invocation so they share one std build ([`rust`], with the
//! toolchain picked by [`toolchain`]), each core module turned into a component
//! ([`componentize`]); Python plugins through componentize-py ([`python`]), JavaScript
//! plugins through componentize-js ([`javascript`]). Missing
//! toolchains are installed by `scripts/setup.sh`, so a fresh machine needs no manual step.

mod cache;
mod componentize;
mod discover;
mod javascript;
mod process;
mod python;
mod rust;
mod toolchain;

use std::fmt;
use std::path::{Path, PathBuf};

pub use discover::{discover, find_workspace, PluginSource};

/// What to build and where to put it.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The workspace root (holds `Cargo.toml`, `wit/`, `scripts/`).
    pub workspace: PathBuf,
    /// Where the components go, one `<name>.wasm` per plugin.
    pub out_dir: PathBuf,
    /// Plugin names to build; empty builds every plugin.
    pub only: Vec<String>,
    /// The content-addressed component cache.
    pub cache_dir: PathBuf,
}

impl BuildOptions {
    /// Options with the default output and cache folders for `workspace`.
    pub fn new(workspace: impl Into<PathBuf>) -> Self {
        let workspace = workspace.into();
        BuildOptions {
            out_dir: default_out_dir(&workspace),
            cache_dir: default_cache_dir(),
            workspace,
            only: Vec::new(),
        }
    }
}

/// The language a plugin is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PluginKind {
    Rust,
    Python,
    JavaScript,
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PluginKind::Rust => "rust",
            PluginKind::Python => "python",
            PluginKind::JavaScript => "js",
        })
    }
}

/// One plugin that is ready to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltPlugin {
    pub name: String,
    pub kind: PluginKind,
    /// The component, `<out_dir>/<name>.wasm`.
    pub path: PathBuf,
    /// True when the component came from the cache and nothing was compiled.
    pub from_cache: bool,
}

/// Why a build failed. Every variant names what failed and shows the tool's own words.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot read the workspace at {workspace}: {detail}")]
    Workspace { workspace: PathBuf, detail: String },
    #[error("no plugin named {name:?}; the workspace has: {}", available.join(", "))]
    UnknownPlugin { name: String, available: Vec<String> },
    #[error("two plugins are both named {name:?}: {first} and {second}; rename one")]
    DuplicatePlugin { name: String, first: PathBuf, second: PathBuf },
    #[error("{what}\n{tail}")]
    Toolchain { what: String, tail: String },
    #[error("building Rust plugin(s) {} failed:\n{tail}", plugins.join(", "))]
    Cargo { plugins: Vec<String>, tail: String },
    #[error("componentize-py failed for Python plugin {plugin:?} ({dir}):\n{tail}")]
    Python { plugin: String, dir: PathBuf, tail: String },
    #[error("componentize-js failed for JavaScript plugin {plugin:?} ({dir}):\n{tail}")]
    JavaScript { plugin: String, dir: PathBuf, tail: String },
    #[error("plugin {plugin:?}: cargo produced no core module at {path}")]
    MissingArtifact { plugin: String, path: PathBuf },
    #[error("plugin {plugin:?}: cannot make a component of {path}: {detail}")]
    Componentize { plugin: String, path: PathBuf, detail: String },
    #[error("plugin {plugin:?}: {path} is not a valid trailhound detector component: {detail}")]
    Invalid { plugin: String, path: PathBuf, detail: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl BuildError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        BuildError::Io { path: path.to_path_buf(), source }
    }
}

/// `$CARGO_TARGET_DIR` (else `<workspace>/target`) + `/plugins`.
pub fn default_out_dir(workspace: &Path) -> PathBuf {
    target_dir(workspace).join("plugins")
}

/// `$XDG_CACHE_HOME` (else `$HOME/.cache`) + `/trailhound/components`.
pub fn default_cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".cache"))
        })
        // No home at all (a bare container): keep the cache next to the build output.
        .unwrap_or_else(|| std::env::temp_dir().join("trailhound-cache"));
    base.join("trailhound").join("components")
}

/// The cargo target folder the host uses: `$CARGO_TARGET_DIR` or `<workspace>/target`.
pub(crate) fn target_dir(workspace: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace.join(dir)
            }
        }
        None => workspace.join("target"),
    }
}

/// Builds the selected plugins into components in `options.out_dir`, sorted by name.
///
/// # Errors
/// Fails when the workspace cannot be read, a name in `options.only` is unknown, a
/// toolchain cannot be installed, or a plugin does not compile or componentize; the
/// error names the plugin and shows the end of the compiler's output.
pub fn build(options: &BuildOptions) -> Result<Vec<BuiltPlugin>, BuildError> {
    let all = discover(&options.workspace)?;
    let selected = select(all, &options.only)?;
    std::fs::create_dir_all(&options.out_dir).map_err(|e| BuildError::io(&options.out_dir, e))?;
    let cache = cache::Cache::open(&options.cache_dir)?;

    let of = |kind| selected.iter().filter(|p| p.kind == kind).cloned().collect::<Vec<_>>();
    let (rust, python, javascript) =
        (of(PluginKind::Rust), of(PluginKind::Python), of(PluginKind::JavaScript));
    // The languages use different tools, so a cold build runs Rust beside the script guests.
    let (rust_built, scripts_built) = std::thread::scope(|scope| {
        let scripts = scope.spawn(|| {
            let mut built = python::build_all(options, &cache, &python)?;
            built.extend(javascript::build_all(options, &cache, &javascript)?);
            Ok::<_, BuildError>(built)
        });
        let rs = rust::build_all(options, &cache, &rust);
        (rs, scripts.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    });
    let mut built = rust_built?;
    built.extend(scripts_built?);
    built.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(built)
}

fn select(all: Vec<PluginSource>, only: &[String]) -> Result<Vec<PluginSource>, BuildError> {
    if only.is_empty() {
        return Ok(all);
    }
    for name in only {
        if !all.iter().any(|p| &p.name == name) {
            let available = all.iter().map(|p| p.name.clone()).collect();
            return Err(BuildError::UnknownPlugin { name: name.clone(), available });
        }
    }
    Ok(all.into_iter().filter(|p| only.contains(&p.name)).collect())
}

/// Builds script `plugins` of `kind` one at a time (their tools already use several threads
/// for one component): each is looked up in the cache by `key_of`, made by `make` on a miss,
/// and installed as `<out_dir>/<name>.wasm`.
fn build_each(
    options: &BuildOptions,
    cache: &cache::Cache,
    plugins: &[PluginSource],
    kind: PluginKind,
    key_of: impl Fn(&PluginSource) -> Result<cache::Key, BuildError>,
    make: impl Fn(&PluginSource, &cache::Key) -> Result<PathBuf, BuildError>,
) -> Result<Vec<BuiltPlugin>, BuildError> {
    let mut built = Vec::new();
    for plugin in plugins {
        let key = key_of(plugin)?;
        let path = options.out_dir.join(format!("{}.wasm", plugin.name));
        let (cached, from_cache) = match cache.get(&key) {
            Some(cached) => (cached, true),
            None => (make(plugin, &key)?, false),
        };
        install_file(&cached, &path)?;
        built.push(BuiltPlugin { name: plugin.name.clone(), kind, path, from_cache });
    }
    Ok(built)
}

/// Copies `from` to `to` through a temporary file, so a reader never sees half a component.
fn install_file(from: &Path, to: &Path) -> Result<(), BuildError> {
    let tmp = to.with_extension(format!("wasm.{}.tmp", std::process::id()));
    std::fs::copy(from, &tmp).map_err(|e| BuildError::io(&tmp, e))?;
    std::fs::rename(&tmp, to).map_err(|e| BuildError::io(to, e))
}

/// Writes `bytes` to `to` through a temporary file.
fn write_file(to: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    let tmp = to.with_extension(format!("wasm.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| BuildError::io(&tmp, e))?;
    std::fs::rename(&tmp, to).map_err(|e| BuildError::io(to, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(name: &str, kind: PluginKind) -> PluginSource {
        PluginSource {
            name: name.into(),
            kind,
            dir: PathBuf::from(name),
            module: name.into(),
            path_deps: Vec::new(),
        }
    }

    #[test]
    fn select_keeps_only_named_plugins_and_rejects_unknown_names() {
        let all = vec![source("a", PluginKind::Rust), source("b", PluginKind::Python)];
        let picked = select(all.clone(), &["b".into()]).unwrap();
        assert_eq!(picked.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["b"]);
        assert_eq!(select(all.clone(), &[]).unwrap().len(), 2);
        let err = select(all, &["c".into()]).unwrap_err().to_string();
        assert!(err.contains("\"c\"") && err.contains("a, b"), "{err}");
    }
}
