//! Turning a core module into a component, and checking that a component is a detector.
//!
//! wit-bindgen leaves the world's type information in a custom section of the core
//! module; `wit_component::ComponentEncoder` reads it and wraps the module in a
//! component, as `wasm-tools component new` does. Every component, Rust or Python, is
//! then decoded again to make sure it exports a detector of a contract version the host
//! runs: 0.2.0's `detector` interface, or 0.1.0's functions.

use std::path::Path;

use wit_component::{ComponentEncoder, DecodedWasm};

use super::BuildError;
use crate::engine::bindings::v0_2::DETECTOR_INTERFACE;

/// The functions a 0.1.0 detector exports; a plugin missing one cannot be loaded.
const DETECTOR_EXPORTS: [&str; 6] = ["info", "configure", "on-events", "on-tick", "snapshot", "restore"];

/// The 4-byte version field after `\0asm`: 1 for a core module, `0x0d 0 1 0` for a component.
const COMPONENT_VERSION: [u8; 4] = [0x0d, 0x00, 0x01, 0x00];

/// Whether `wasm` is already a component (what rustc emits for `wasm32-wasip2`).
pub(crate) fn is_component(wasm: &[u8]) -> bool {
    wasm.len() >= 8 && wasm[..4] == *b"\0asm" && wasm[4..8] == COMPONENT_VERSION
}

/// Wraps the core module at `path` (built for plugin `plugin`) into a validated component.
pub(crate) fn encode(plugin: &str, path: &Path, module: &[u8]) -> Result<Vec<u8>, BuildError> {
    let fail = |e: anyhow::Error| BuildError::Componentize {
        plugin: plugin.to_string(),
        path: path.to_path_buf(),
        detail: format!("{e:#}"),
    };
    ComponentEncoder::default().module(module).map_err(fail)?.validate(true).encode().map_err(fail)
}

/// Checks that `component` decodes as a component exporting the detector world.
pub(crate) fn check(plugin: &str, path: &Path, component: &[u8]) -> Result<(), BuildError> {
    let invalid =
        |detail: String| BuildError::Invalid { plugin: plugin.to_string(), path: path.to_path_buf(), detail };
    if !is_component(component) {
        return Err(invalid("not a WebAssembly component (wrong header)".into()));
    }
    let decoded = wit_component::decode(component).map_err(|e| invalid(format!("{e:#}")))?;
    let DecodedWasm::Component(resolve, world) = decoded else {
        return Err(invalid("it is a WIT package, not a component".into()));
    };
    let exports: Vec<String> =
        resolve.worlds[world].exports.keys().map(|k| resolve.name_world_key(k)).collect();
    if exports.iter().any(|e| e == DETECTOR_INTERFACE) {
        return Ok(());
    }
    let missing: Vec<&str> =
        DETECTOR_EXPORTS.into_iter().filter(|f| !exports.iter().any(|e| e == f)).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(invalid(format!(
            "it exports neither {DETECTOR_INTERFACE} nor 0.1.0's {} (exports: {}); does it implement \
             trailhound:detector's `plugin` world?",
            missing.join(", "),
            exports.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_without_the_detector_world_is_refused() {
        // The smallest core module: just the header.
        let module = b"\0asm\x01\0\0\0";
        assert!(!is_component(module));
        let path = Path::new("empty.wasm");
        let component = encode("empty", path, module).expect("an empty module encodes to an empty component");
        assert!(is_component(&component));
        let err = check("empty", path, &component).unwrap_err().to_string();
        assert!(err.contains("\"empty\"") && err.contains("on-events"), "{err}");
        let err = check("empty", path, module).unwrap_err().to_string();
        assert!(err.contains("wrong header"), "{err}");
    }
}
