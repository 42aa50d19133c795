//! Building Rust plugins: one cargo invocation for every plugin the cache does not have,
//! so std (built from source on the Debian path) is compiled once for all of them.
//!
//! Guests go to their own target folder, `<target>/guest`, so they never invalidate or
//! wait on the host's build.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::cache::{Cache, Key, KeyBuilder};
use super::toolchain::{self, RustGuest, Toolchain};
use super::{
    componentize, install_file, process, BuildError, BuildOptions, BuiltPlugin, PluginKind, PluginSource,
};

/// The cargo profile for guests (root `Cargo.toml`): optimized for speed, stripped, panic=abort.
const PROFILE: &str = "guest";

/// Environment that would leak host settings (or the caller's own cargo's) into a wasm build.
const SCRUBBED_ENV: [&str; 6] = [
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_TARGET_DIR",
];

/// Builds `plugins` (all Rust) into components in `options.out_dir`.
pub(crate) fn build_all(
    options: &BuildOptions,
    cache: &Cache,
    plugins: &[PluginSource],
) -> Result<Vec<BuiltPlugin>, BuildError> {
    if plugins.is_empty() {
        return Ok(Vec::new());
    }
    let ws = &options.workspace;
    let toolchain = toolchain::rust(ws)?;
    let mut built = Vec::new();
    let mut misses = Vec::new();
    for plugin in plugins {
        let key = cache_key(ws, plugin, &toolchain)?;
        let path = options.out_dir.join(format!("{}.wasm", plugin.name));
        match cache.get(&key) {
            Some(cached) => {
                install_file(&cached, &path)?;
                built.push(BuiltPlugin {
                    name: plugin.name.clone(),
                    kind: PluginKind::Rust,
                    path,
                    from_cache: true,
                });
            }
            None => misses.push((plugin, key, path)),
        }
    }
    if misses.is_empty() {
        return Ok(built);
    }

    let guest_dir = super::target_dir(ws).join("guest");
    let names: Vec<&str> = misses.iter().map(|(p, _, _)| p.name.as_str()).collect();
    tracing::info!("compiling Rust plugins {} for {}", names.join(", "), toolchain.tool.target());
    cargo_build(ws, &guest_dir, &toolchain.tool, &names)?;

    let artifacts = guest_dir.join(toolchain.tool.target()).join(PROFILE);
    for (plugin, key, path) in misses {
        let module_path = artifacts.join(format!("{}.wasm", plugin.module));
        let module = std::fs::read(&module_path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                BuildError::MissingArtifact { plugin: plugin.name.clone(), path: module_path.clone() }
            }
            _ => BuildError::io(&module_path, e),
        })?;
        let component = if componentize::is_component(&module) {
            module
        } else {
            componentize::encode(&plugin.name, &module_path, &module)?
        };
        componentize::check(&plugin.name, &module_path, &component)?;
        let cached = cache.put(&key, &component)?;
        install_file(&cached, &path)?;
        built.push(BuiltPlugin {
            name: plugin.name.clone(),
            kind: PluginKind::Rust,
            path,
            from_cache: false,
        });
    }
    Ok(built)
}

/// Everything that can change a Rust plugin's component.
fn cache_key(ws: &Path, plugin: &PluginSource, toolchain: &Toolchain<RustGuest>) -> Result<Key, BuildError> {
    let mut key = KeyBuilder::new(ws, "rust", &plugin.name);
    key.text("toolchain", &toolchain.version)
        .text("module", &plugin.module)
        .file(&ws.join("Cargo.toml"))?
        .file(&ws.join("Cargo.lock"))?
        .tree(&ws.join("wit"))?
        .tree(&plugin.dir)?;
    for dep in &plugin.path_deps {
        key.tree(dep)?;
    }
    Ok(key.finish())
}

fn cargo_build(ws: &Path, guest_dir: &PathBuf, tool: &RustGuest, names: &[&str]) -> Result<(), BuildError> {
    let mut cmd = match tool {
        RustGuest::Rustup { .. } => Command::new("cargo"),
        RustGuest::BuildStd { cargo, .. } => Command::new(cargo),
    };
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    cmd.current_dir(ws)
        .env("CARGO_TARGET_DIR", guest_dir)
        .args(["build", "--profile", PROFILE, "--target", tool.target(), "--manifest-path"])
        .arg(ws.join("Cargo.toml"));
    if let RustGuest::BuildStd { rustc, .. } = tool {
        // -Zbuild-std is unstable; RUSTC_BOOTSTRAP lets the stable Debian compiler use it.
        // Debian's rustc has no bundled rust-lld, so link with lld's wasm-ld.
        cmd.arg("-Zbuild-std=std,panic_abort")
            .env("RUSTC_BOOTSTRAP", "1")
            .env("RUSTC", rustc)
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", "wasm-ld")
            // The caller may run under a rustup toolchain; Debian's cargo must not pick it up.
            .env_remove("RUSTUP_TOOLCHAIN");
    }
    for name in names {
        cmd.args(["-p", name]);
    }
    process::run(&mut cmd)
        .map(drop)
        .map_err(|tail| BuildError::Cargo { plugins: failed_plugins(&tail, names), tail })
}

/// The plugins cargo says it could not compile, or all of them when it names none of
/// them (a failure in a shared dependency such as the SDK).
fn failed_plugins(stderr: &str, names: &[&str]) -> Vec<String> {
    let named: Vec<String> = names
        .iter()
        .filter(|n| stderr.contains(&format!("could not compile `{n}`")))
        .map(|n| n.to_string())
        .collect();
    if named.is_empty() {
        names.iter().map(|n| n.to_string()).collect()
    } else {
        named
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compile_error_is_blamed_on_the_plugin_cargo_names() {
        let stderr = "error[E0425]: cannot find value `x`\nerror: could not compile `bad-plugin` (lib)";
        assert_eq!(failed_plugins(stderr, &["good", "bad-plugin"]), ["bad-plugin"]);
        assert_eq!(failed_plugins("error: could not compile `trailhound-sdk`", &["a", "b"]), ["a", "b"]);
    }
}
