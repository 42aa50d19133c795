//! Building JavaScript plugins with componentize-js: the plugin folder's `detector.js`
//! (default-exporting `detector({...})` from the SDK in `sdk/js`) is bundled with the
//! StarlingMonkey engine into a component of the `detector` world.
//!
//! The plugin's files are staged beside a generated entry module, which binds the detector
//! to the world's exports and imports, with the SDK as `trailhound.js`; the plugin's
//! `import ... from 'trailhound'` is pointed at it. Test files (`*.test.js`) and
//! `node_modules` are not staged. componentize-js's errors name the staged files, so they
//! are rewritten to name the author's.

use std::path::{Path, PathBuf};

use super::cache::{Cache, Key, KeyBuilder};
use super::toolchain::{self, Toolchain};
use super::{componentize, process, BuildError, BuildOptions, BuiltPlugin, PluginKind, PluginSource};

/// The world componentize-js targets: the frozen 0.1.0 contract, as for Python.
const WORLD: &str = "trailhound:detector/detector@0.1.0";
/// The SDK, relative to the workspace.
const SDK: &str = "sdk/js/trailhound.js";
/// What the SDK is staged as.
const SDK_STAGED: &str = "trailhound.js";
/// Features of the engine left out, so the component imports no WASI at all: a detector
/// has no network, files, clock or randomness (time comes from the events).
const DISABLED: [&str; 5] = ["http", "fetch-event", "stdio", "random", "clocks"];
/// The generated entry: the detector bound to the world.
const ENTRY: &str = "\
import * as host from 'trailhound:detector/host@0.1.0';
import { bind } from './trailhound.js';
import plugin from './detector.js';

const bound = bind(plugin, host);
export function info() { return bound.info(); }
export function configure(config) { return bound.configure(config); }
export function onEvents(batch) { return bound.onEvents(batch); }
export function onTick(now) { return bound.onTick(now); }
export function snapshot() { return bound.snapshot(); }
export function restore(state) { return bound.restore(state); }
";
const ENTRY_FILE: &str = "trailhound-entry.js";

/// Builds `plugins` (all JavaScript) into components in `options.out_dir`.
pub(crate) fn build_all(
    options: &BuildOptions,
    cache: &Cache,
    plugins: &[PluginSource],
) -> Result<Vec<BuiltPlugin>, BuildError> {
    if plugins.is_empty() {
        return Ok(Vec::new());
    }
    let ws = &options.workspace;
    let toolchain = toolchain::javascript(ws)?;
    super::build_each(
        options,
        cache,
        plugins,
        PluginKind::JavaScript,
        |plugin| cache_key(ws, plugin, &toolchain),
        |plugin, key| componentize_js(ws, cache, plugin, key, &toolchain.tool, &options.out_dir),
    )
}

/// Everything that can change a JavaScript plugin's component.
fn cache_key(ws: &Path, plugin: &PluginSource, toolchain: &Toolchain<PathBuf>) -> Result<Key, BuildError> {
    let mut key = KeyBuilder::new(ws, "javascript", &plugin.name);
    key.text("toolchain", &toolchain.version)
        .text("entry", ENTRY)
        .tree(&ws.join("wit"))?
        .tree(&ws.join("sdk/js"))?
        .tree(&plugin.dir)?;
    Ok(key.finish())
}

fn componentize_js(
    ws: &Path,
    cache: &Cache,
    plugin: &PluginSource,
    key: &Key,
    tool: &Path,
    out_dir: &Path,
) -> Result<PathBuf, BuildError> {
    tracing::info!("componentizing JavaScript plugin {}", plugin.name);
    let stage = out_dir.join(format!(".{}.{}.js", plugin.name, std::process::id()));
    let output = out_dir.join(format!(".{}.{}.js.wasm", plugin.name, std::process::id()));
    let result = stage_plugin(ws, plugin, &stage).and_then(|()| {
        let mut cmd = std::process::Command::new(tool);
        cmd.current_dir(&stage)
            .arg("--wit")
            .arg(ws.join("wit"))
            .args(["--world-name", WORLD, "--disable"])
            .args(DISABLED)
            .arg("-o")
            .arg(&output)
            .arg(ENTRY_FILE);
        process::run(&mut cmd)
            .and_then(|_| {
                std::fs::read(&output)
                    .map_err(|e| format!("componentize-js reported success but {}: {e}", output.display()))
            })
            .map_err(|tail| BuildError::JavaScript {
                plugin: plugin.name.clone(),
                dir: plugin.dir.clone(),
                tail: tail.replace(&format!("{}/", stage.display()), &format!("{}/", plugin.dir.display())),
            })
    });
    let _ = std::fs::remove_dir_all(&stage);
    let _ = std::fs::remove_file(&output);
    let component = result?;
    componentize::check(&plugin.name, &plugin.dir, &component)?;
    cache.put(key, &component)
}

/// Copies the plugin's modules into `stage` with the SDK and the entry.
fn stage_plugin(ws: &Path, plugin: &PluginSource, stage: &Path) -> Result<(), BuildError> {
    let _ = std::fs::remove_dir_all(stage);
    copy_modules(&plugin.dir, stage, "./")?;
    let sdk = ws.join(SDK);
    std::fs::copy(&sdk, stage.join(SDK_STAGED)).map_err(|e| BuildError::io(&sdk, e))?;
    std::fs::write(stage.join(ENTRY_FILE), ENTRY).map_err(|e| BuildError::io(stage, e))
}

/// Copies the modules under `from` to `to`; `up` leads from there to the stage's root.
fn copy_modules(from: &Path, to: &Path, up: &str) -> Result<(), BuildError> {
    std::fs::create_dir_all(to).map_err(|e| BuildError::io(to, e))?;
    let entries = std::fs::read_dir(from).map_err(|e| BuildError::io(from, e))?;
    for entry in entries {
        let path = entry.map_err(|e| BuildError::io(from, e))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if path.is_dir() {
            if name != "node_modules" && !name.starts_with('.') {
                let deeper = if up == "./" { "../".to_string() } else { format!("../{up}") };
                copy_modules(&path, &to.join(&name), &deeper)?;
            }
            continue;
        }
        let module = name.ends_with(".js") || name.ends_with(".mjs");
        if name.ends_with(".test.js") || !(module || name.ends_with(".json")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| BuildError::io(&path, e))?;
        // Same line, same column: the error positions stay the author's.
        let text = if module { point_at_staged_sdk(&text, up) } else { text };
        std::fs::write(to.join(&name), text).map_err(|e| BuildError::io(to, e))?;
    }
    Ok(())
}

/// `from 'trailhound'` (either quote) as `from './trailhound.js'`, through `up`.
fn point_at_staged_sdk(text: &str, up: &str) -> String {
    let staged = format!("from '{up}{SDK_STAGED}'");
    text.replace("from 'trailhound'", &staged).replace("from \"trailhound\"", &staged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_import_points_at_the_staged_copy_and_nothing_else_changes() {
        let text = "import { detector } from 'trailhound';\nimport x from \"trailhound\";\nimport y from 'trailhound/testing';\n";
        assert_eq!(
            point_at_staged_sdk(text, "./"),
            "import { detector } from './trailhound.js';\nimport x from './trailhound.js';\nimport y from 'trailhound/testing';\n"
        );
        assert!(point_at_staged_sdk(text, "../").starts_with("import { detector } from '../trailhound.js';"));
    }
}
