//! Building Python plugins with componentize-py: the plugin folder's `detector.py`
//! (class `WitWorld`) is bundled with CPython into a component of the `detector` world.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::cache::{Cache, Key, KeyBuilder};
use super::toolchain::{self, Toolchain};
use super::{componentize, process, BuildError, BuildOptions, BuiltPlugin, PluginKind, PluginSource};

/// The world componentize-py targets: the frozen 0.1.0 contract, whose events carry their
/// own strings, so the Python example reads them as plain attributes.
const WORLD: &str = "trailhound:detector/detector@0.1.0";

/// Builds `plugins` (all Python) into components in `options.out_dir`.
pub(crate) fn build_all(
    options: &BuildOptions,
    cache: &Cache,
    plugins: &[PluginSource],
) -> Result<Vec<BuiltPlugin>, BuildError> {
    if plugins.is_empty() {
        return Ok(Vec::new());
    }
    let ws = &options.workspace;
    let toolchain = toolchain::python(ws)?;
    super::build_each(
        options,
        cache,
        plugins,
        PluginKind::Python,
        |plugin| cache_key(ws, plugin, &toolchain),
        |plugin, key| componentize(ws, cache, plugin, key, &options.out_dir),
    )
}

/// Everything that can change a Python plugin's component.
fn cache_key(ws: &Path, plugin: &PluginSource, toolchain: &Toolchain<()>) -> Result<Key, BuildError> {
    let mut key = KeyBuilder::new(ws, "python", &plugin.name);
    key.text("toolchain", &toolchain.version).tree(&ws.join("wit"))?.tree(&plugin.dir)?;
    Ok(key.finish())
}

/// Runs componentize-py for `plugin`, checks the result and stores it in the cache.
fn componentize(
    ws: &Path,
    cache: &Cache,
    plugin: &PluginSource,
    key: &Key,
    out_dir: &Path,
) -> Result<PathBuf, BuildError> {
    tracing::info!("componentizing Python plugin {}", plugin.name);
    let scratch = out_dir.join(format!(".{}.{}.py.wasm", plugin.name, std::process::id()));
    let mut cmd = toolchain::componentize_py();
    cmd.current_dir(ws)
        // Its own Rust backtraces would push Python's error out of the shown tail.
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .arg("--quiet")
        .arg("-d")
        .arg(ws.join("wit"))
        .args(["-w", WORLD, "componentize", &plugin.module, "-p"])
        .arg(&plugin.dir)
        .arg("-o")
        .arg(&scratch);
    let result = run_and_read(&mut cmd, &scratch);
    let _ = std::fs::remove_file(&scratch);
    let component = result.map_err(|tail| BuildError::Python {
        plugin: plugin.name.clone(),
        dir: plugin.dir.clone(),
        tail,
    })?;
    componentize::check(&plugin.name, &plugin.dir, &component)?;
    cache.put(key, &component)
}

fn run_and_read(cmd: &mut Command, output: &Path) -> Result<Vec<u8>, String> {
    process::run(cmd)?;
    std::fs::read(output)
        .map_err(|e| format!("componentize-py reported success but {}: {e}", output.display()))
}
