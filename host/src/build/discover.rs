//! Finding the plugins in a workspace.
//!
//! A Rust plugin is a workspace package with a `cdylib` target that depends on
//! `trailhound-sdk`, or on `wit-bindgen` directly (a plugin written against the raw
//! bindings of one contract version), found through `cargo metadata` wherever it lives. A Python
//! plugin is a folder under `plugins/` or `examples/` holding a `detector.py`, a JavaScript
//! plugin one holding a `detector.js`; its name is the folder name unless a `plugin.toml` next
//! to it says `name = "..."`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use super::{process, BuildError, PluginKind};

/// The crate a Rust plugin depends on, or [`BINDGEN_CRATE`] for one without the SDK.
const SDK_CRATE: &str = "trailhound-sdk";
const BINDGEN_CRATE: &str = "wit-bindgen";
/// The module componentize-py loads; the file that marks a folder as a Python plugin.
pub(crate) const PYTHON_ENTRY: &str = "detector.py";
/// The module componentize-js bundles; the file that marks a folder as a JavaScript plugin.
pub(crate) const JS_ENTRY: &str = "detector.js";
/// Folders searched for Python and JavaScript plugins.
const SCRIPT_ROOTS: [&str; 2] = ["plugins", "examples"];

/// A plugin's sources, before it is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginSource {
    /// Cargo package name, or the Python plugin's name.
    pub name: String,
    pub kind: PluginKind,
    /// The crate folder (with `Cargo.toml`) or the folder holding `detector.py`.
    pub dir: PathBuf,
    /// The module the build produces: the Rust library target's name (the core module is
    /// `<module>.wasm`), or the Python module componentize-py loads.
    pub module: String,
    /// Folders of the local crates a Rust plugin depends on, directly or not (the SDK).
    pub path_deps: Vec<PathBuf>,
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    manifest_path: PathBuf,
    targets: Vec<Target>,
    dependencies: Vec<Dependency>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    crate_types: Vec<String>,
}

#[derive(Deserialize)]
struct Dependency {
    name: String,
    path: Option<PathBuf>,
}

#[derive(Deserialize)]
struct PluginToml {
    name: Option<String>,
}

/// The workspace to build plugins from: the nearest folder at or above `start` holding `wit/`
/// and a workspace `Cargo.toml`, else the checkout this binary was built from (so an
/// installed `trailhound` still finds the plugin sources it came with).
///
/// # Errors
/// Neither exists.
pub fn find_workspace(start: &Path) -> Result<PathBuf, BuildError> {
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).parent();
    start.ancestors().chain(built_from).find(|dir| is_workspace(dir)).map(Path::to_path_buf).ok_or_else(
        || BuildError::Workspace {
            workspace: start.to_path_buf(),
            detail: "no trailhound workspace (a folder with wit/ and a workspace Cargo.toml) here or above; \
                     pass --workspace"
                .into(),
        },
    )
}

fn is_workspace(dir: &Path) -> bool {
    dir.join("wit").is_dir()
        && std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|t| t.contains("[workspace]"))
}

/// Every plugin in `workspace`, Rust and Python, sorted by name.
///
/// # Errors
/// Fails when `cargo metadata` fails, a `plugin.toml` is unreadable, or two plugins
/// share a name.
pub fn discover(workspace: &Path) -> Result<Vec<PluginSource>, BuildError> {
    let mut plugins = rust_plugins(workspace)?;
    plugins.extend(script_plugins(workspace)?);
    let mut seen: BTreeMap<&str, &Path> = BTreeMap::new();
    for plugin in &plugins {
        if let Some(first) = seen.insert(&plugin.name, &plugin.dir) {
            return Err(BuildError::DuplicatePlugin {
                name: plugin.name.clone(),
                first: first.to_path_buf(),
                second: plugin.dir.clone(),
            });
        }
    }
    plugins.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(plugins)
}

fn rust_plugins(workspace: &Path) -> Result<Vec<PluginSource>, BuildError> {
    let mut cmd = Command::new(process::cargo());
    cmd.args(["metadata", "--format-version", "1", "--no-deps", "--manifest-path"])
        .arg(workspace.join("Cargo.toml"))
        .current_dir(workspace);
    let out = process::run(&mut cmd).map_err(|detail| BuildError::Workspace {
        workspace: workspace.to_path_buf(),
        detail: format!("cargo metadata failed: {detail}"),
    })?;
    let metadata: Metadata = serde_json::from_slice(&out).map_err(|e| BuildError::Workspace {
        workspace: workspace.to_path_buf(),
        detail: format!("unexpected `cargo metadata` output: {e}"),
    })?;
    Ok(plugins_in(&metadata))
}

fn plugins_in(metadata: &Metadata) -> Vec<PluginSource> {
    let by_dir: BTreeMap<PathBuf, &Package> = metadata.packages.iter().map(|p| (package_dir(p), p)).collect();
    metadata
        .packages
        .iter()
        .filter(|p| p.dependencies.iter().any(|d| d.name == SDK_CRATE || d.name == BINDGEN_CRATE))
        .filter_map(|p| {
            let cdylib = p.targets.iter().find(|t| t.crate_types.iter().any(|c| c == "cdylib"))?;
            Some(PluginSource {
                name: p.name.clone(),
                kind: PluginKind::Rust,
                dir: package_dir(p),
                // rustc names the artifact after the target, with `-` turned into `_`.
                module: cdylib.name.replace('-', "_"),
                path_deps: path_deps(p, &by_dir),
            })
        })
        .collect()
}

/// The local crates `package` depends on, following workspace members transitively.
fn path_deps(package: &Package, by_dir: &BTreeMap<PathBuf, &Package>) -> Vec<PathBuf> {
    let mut found = BTreeSet::new();
    let mut todo: Vec<&Package> = vec![package];
    while let Some(p) = todo.pop() {
        for dir in p.dependencies.iter().filter_map(|d| d.path.clone()) {
            if found.insert(dir.clone()) {
                if let Some(dep) = by_dir.get(&dir) {
                    todo.push(dep);
                }
            }
        }
    }
    found.into_iter().collect()
}

fn package_dir(package: &Package) -> PathBuf {
    package.manifest_path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The Python and JavaScript plugins: folders under [`SCRIPT_ROOTS`] holding an entry file.
fn script_plugins(workspace: &Path) -> Result<Vec<PluginSource>, BuildError> {
    let mut plugins = Vec::new();
    for root in SCRIPT_ROOTS {
        let Ok(entries) = std::fs::read_dir(workspace.join(root)) else { continue };
        for entry in entries.flatten() {
            let dir = entry.path();
            for (file, kind) in [(PYTHON_ENTRY, PluginKind::Python), (JS_ENTRY, PluginKind::JavaScript)] {
                if dir.join(file).is_file() {
                    let name = script_name(&dir)?;
                    let module = file.rsplit_once('.').map_or(file, |(stem, _)| stem).to_string();
                    plugins.push(PluginSource {
                        name,
                        kind,
                        dir: dir.clone(),
                        module,
                        path_deps: Vec::new(),
                    });
                }
            }
        }
    }
    Ok(plugins)
}

fn script_name(dir: &Path) -> Result<String, BuildError> {
    let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let manifest = dir.join("plugin.toml");
    if !manifest.is_file() {
        return Ok(folder);
    }
    let text = std::fs::read_to_string(&manifest).map_err(|e| BuildError::io(&manifest, e))?;
    let parsed: PluginToml = toml::from_str(&text).map_err(|e| BuildError::Workspace {
        workspace: manifest.clone(),
        detail: format!("invalid plugin.toml: {e}"),
    })?;
    Ok(parsed.name.unwrap_or(folder))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugin_is_a_cdylib_that_uses_the_sdk() {
        let json = r#"{"packages": [
            {"name": "trailhound-sdk", "manifest_path": "/w/sdk/Cargo.toml",
             "targets": [{"name": "trailhound_sdk", "crate_types": ["lib"]}], "dependencies": [{"name": "serde"}]},
            {"name": "trailhound", "manifest_path": "/w/host/Cargo.toml",
             "targets": [{"name": "trailhound", "crate_types": ["lib"]}, {"name": "trailhound", "crate_types": ["bin"]}],
             "dependencies": [{"name": "trailhound-sdk", "path": "/w/sdk"}]},
            {"name": "helper", "manifest_path": "/w/plugins/helper/Cargo.toml",
             "targets": [{"name": "helper", "crate_types": ["cdylib"]}], "dependencies": []},
            {"name": "iam-risk", "manifest_path": "/w/plugins/iam-risk/Cargo.toml",
             "targets": [{"name": "iam-risk", "crate_types": ["cdylib", "rlib"]}],
             "dependencies": [{"name": "trailhound-sdk", "path": "/w/sdk"},
                              {"name": "shared", "path": "/w/plugins/shared"}]},
            {"name": "shared", "manifest_path": "/w/plugins/shared/Cargo.toml",
             "targets": [{"name": "shared", "crate_types": ["lib"]}],
             "dependencies": [{"name": "util", "path": "/w/util"}]}
        ]}"#;
        let metadata: Metadata = serde_json::from_str(json).unwrap();
        let plugins = plugins_in(&metadata);
        assert_eq!(plugins.len(), 1, "{plugins:?}");
        assert_eq!(plugins[0].name, "iam-risk");
        assert_eq!(plugins[0].dir, PathBuf::from("/w/plugins/iam-risk"));
        assert_eq!(plugins[0].module, "iam_risk");
        let deps: Vec<_> = plugins[0].path_deps.iter().map(|p| p.to_str().unwrap()).collect();
        assert_eq!(deps, ["/w/plugins/shared", "/w/sdk", "/w/util"]);
    }

    #[test]
    fn script_plugins_are_folders_with_detector_py_or_js_named_by_plugin_toml() {
        let ws = tempfile::tempdir().unwrap();
        let plain = ws.path().join("examples/py-one");
        let named = ws.path().join("plugins/py-two");
        let not_plugin = ws.path().join("plugins/notes");
        for dir in [&plain, &named, &not_plugin] {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(plain.join(PYTHON_ENTRY), "").unwrap();
        std::fs::write(named.join(PYTHON_ENTRY), "").unwrap();
        std::fs::write(named.join("plugin.toml"), "name = \"renamed\"\n").unwrap();
        std::fs::write(not_plugin.join("README.md"), "").unwrap();
        let js = ws.path().join("plugins/js-one");
        std::fs::create_dir_all(&js).unwrap();
        std::fs::write(js.join(JS_ENTRY), "").unwrap();

        let mut found: Vec<_> =
            script_plugins(ws.path()).unwrap().into_iter().map(|p| (p.name, p.kind, p.module)).collect();
        found.sort();
        let module = |m: &str| m.to_string();
        assert_eq!(
            found,
            [
                ("js-one".into(), PluginKind::JavaScript, module("detector")),
                ("py-one".into(), PluginKind::Python, module("detector")),
                ("renamed".into(), PluginKind::Python, module("detector")),
            ]
        );
    }
}
