//! A rule pack's manifest, `pack.toml`: who made the pack and which version it is, the host
//! and contract versions it is built for, its plugins with their default config and rule
//! files, and the SHA-256 digest of every file it ships. The signature covers the manifest's
//! bytes, so the digests carry the signature to every file.
//!
//! ```toml
//! name = "acme-cloud"
//! version = "1.2.0"
//! publisher = "acme"
//! host = ">=0.1.0, <0.2.0"      # the host versions it runs on (semver range)
//! contract = "0.2.0"            # the detector contract its components are built against
//!
//! [[plugins]]
//! name = "detector"             # loaded as "acme-cloud.detector"
//! component = "plugins/detector.wasm"
//! files = ["rules/cloudtrail.yaml"]
//! config = { threshold = 3 }
//!
//! [digests]                     # written by `trailhound pack build`
//! "plugins/detector.wasm" = "9f86d0…"
//! "rules/cloudtrail.yaml" = "60303a…"
//! ```

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::PackError;

/// The manifest's file name in a pack.
pub const MANIFEST: &str = "pack.toml";
/// The detached minisign signature of the manifest.
pub const SIGNATURE: &str = "pack.toml.minisig";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Letters, digits, `-` and `_`: the folder it is installed in and its plugins' prefix.
    pub name: String,
    pub version: semver::Version,
    /// Who signs it: the config's trusted keys are listed per publisher.
    pub publisher: String,
    /// The host versions the pack runs on.
    pub host: semver::VersionReq,
    /// The detector contract version its components are built against (`0.1.0`, `0.2.0`).
    pub contract: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub plugins: Vec<PackPlugin>,
    /// Every shipped file, by its path in the pack, and its SHA-256 (hex).
    #[serde(default)]
    pub digests: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackPlugin {
    /// Unique in the pack; it runs as `PACK.NAME`.
    pub name: String,
    /// The component, a path in the pack.
    pub component: String,
    /// Rule and data files handed to it, paths in the pack.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// Its default config, handed to `configure` as JSON.
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub config: toml::Table,
}

impl Manifest {
    /// Reads and checks the manifest of the pack in `dir`; returns it with its bytes (what the
    /// signature covers).
    ///
    /// # Errors
    /// It cannot be read, is not valid TOML of this shape (the message has line and column),
    /// or names an unsafe path, a bad name or a file twice.
    pub fn read(dir: &Path) -> Result<(Manifest, Vec<u8>), PackError> {
        let path = dir.join(MANIFEST);
        let bytes = std::fs::read(&path).map_err(|source| PackError::Read { path: path.clone(), source })?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| PackError::Manifest { path: path.clone(), message: "is not UTF-8".into() })?;
        let manifest: Manifest = toml::from_str(text)
            .map_err(|e| PackError::Manifest { path: path.clone(), message: located(text, &e) })?;
        manifest.check().map_err(|message| PackError::Manifest { path, message })?;
        Ok((manifest, bytes))
    }

    /// Writes the manifest into `dir`.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn write(&self, dir: &Path) -> Result<(), PackError> {
        let path = dir.join(MANIFEST);
        let text = toml::to_string_pretty(self).expect("a manifest serializes");
        std::fs::write(&path, text).map_err(|source| PackError::Read { path, source })
    }

    /// Every file the plugins use, each once, in manifest order.
    pub fn files(&self) -> Vec<&str> {
        let mut files: Vec<&str> = Vec::new();
        for plugin in &self.plugins {
            for file in std::iter::once(&plugin.component).chain(&plugin.files) {
                if !files.contains(&file.as_str()) {
                    files.push(file);
                }
            }
        }
        files
    }

    /// The name a plugin of the pack runs under.
    pub fn plugin_name(&self, plugin: &PackPlugin) -> String {
        format!("{}.{}", self.name, plugin.name)
    }

    fn check(&self) -> Result<(), String> {
        if !is_name(&self.name) {
            return Err(format!("name {:?}: use letters, digits, '-' and '_'", self.name));
        }
        if self.publisher.trim().is_empty() {
            return Err("publisher is empty".into());
        }
        for (index, plugin) in self.plugins.iter().enumerate() {
            if !is_name(&plugin.name) {
                return Err(format!(
                    "plugins[{index}].name {:?}: use letters, digits, '-' and '_'",
                    plugin.name
                ));
            }
            if self.plugins[..index].iter().any(|p| p.name == plugin.name) {
                return Err(format!("plugins[{index}].name {:?} is used twice", plugin.name));
            }
        }
        for path in self.files().into_iter().chain(self.digests.keys().map(String::as_str)) {
            safe_path(path)?;
        }
        Ok(())
    }
}

/// A pack path as a relative path under the pack's folder: no root, no `..`.
///
/// # Errors
/// The path could reach outside the pack.
pub fn safe_path(path: &str) -> Result<PathBuf, String> {
    let relative = PathBuf::from(path);
    let normal = relative.components().all(|c| matches!(c, Component::Normal(_)));
    if path.is_empty() || !normal || path.contains('\\') {
        return Err(format!("{path:?}: a pack's paths are relative, inside the pack, without '..'"));
    }
    Ok(relative)
}

fn is_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A TOML error with its line and column.
fn located(text: &str, error: &toml::de::Error) -> String {
    let message = error.message();
    match error.span() {
        Some(span) => {
            let (line, column) = crate::config::locate::line_column(text, span.start);
            format!("{line}:{column}: {message}")
        }
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_pack_are_refused() {
        for bad in ["../x.wasm", "/etc/passwd", "a/../../b", "", "a\\b", "./a/../.."] {
            assert!(safe_path(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(safe_path("plugins/a.wasm").unwrap(), PathBuf::from("plugins/a.wasm"));
    }

    #[test]
    fn a_manifest_error_names_the_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MANIFEST), "name = \"a\"\nversion = \"one\"\n").unwrap();
        let error = Manifest::read(dir.path()).unwrap_err().to_string();
        assert!(error.contains("pack.toml: 2:11:"), "{error}");
    }
}
