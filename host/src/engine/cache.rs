//! Compiled components cached on disk, keyed by the component's bytes and the engine's
//! compatibility hash, so a restart or a second worker does not recompile.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;

/// Compiles `wasm`, or loads the cached compilation of the same bytes for the same engine.
/// Returns the component and whether it came from the cache.
///
/// # Errors
/// The bytes are not a valid component for this engine.
pub fn load(engine: &wasmtime::Engine, wasm: &[u8], cache_dir: &Path) -> wasmtime::Result<(Component, bool)> {
    let path = cache_path(engine, wasm, cache_dir);
    if path.exists() {
        // SAFETY: the file is written below by this same code from `Component::serialize`,
        // keyed by the engine's compatibility hash, in the operator's own cache folder.
        // A corrupt or foreign file fails the deserializer's header checks and is recompiled.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => return Ok((component, true)),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "ignoring unusable cached component")
            }
        }
    }
    let component = Component::new(engine, wasm)?;
    if let Err(e) = store(&component, &path) {
        tracing::warn!(path = %path.display(), error = %e, "could not cache compiled component");
    }
    Ok((component, false))
}

fn cache_path(engine: &wasmtime::Engine, wasm: &[u8], cache_dir: &Path) -> PathBuf {
    let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut engine_hash);
    let digest = Sha256::new().chain_update(wasm).chain_update(engine_hash.finish().to_le_bytes()).finalize();
    cache_dir.join("compiled").join(format!("{}.cwasm", hex::encode(digest)))
}

/// Writes atomically (temp file + rename) so a concurrent reader never sees half a file.
fn store(component: &Component, path: &Path) -> wasmtime::Result<()> {
    let dir = path.parent().expect("cache path has a parent");
    std::fs::create_dir_all(dir)?;
    // Unique per process and call: several engines in one process may store the same entry.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let tmp = dir.join(format!(".{}-{}.tmp", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&tmp, component.serialize()?)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
