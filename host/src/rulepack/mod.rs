//! Signed rule packs: a vendor's plugins and rule files, with a manifest that names them with
//! their SHA-256 digests and a detached minisign signature over the manifest.
//!
//! A pack is a folder (or a `.tar.gz` of one, see [`archive`]) holding `pack.toml`
//! ([`manifest`]), `pack.toml.minisig` ([`signature`]) and the files the manifest lists. Before
//! anything of a pack is loaded, [`verify`] checks, in this order: the manifest's shape, the
//! host and contract versions it is built for, its signature against the keys the operator
//! trusts for its publisher, and every file's digest. Installed packs live in one folder
//! ([`store`]); `run` loads every pack there, and a reload verifies them again before the new
//! version is swapped in.

pub mod archive;
pub mod manifest;
pub mod signature;
pub mod store;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::engine::plugin::Contract;
use crate::engine::PluginSpec;
pub use manifest::{Manifest, PackPlugin};
pub use signature::{Signed, Trust, TrustedKey};

/// The host version packs are matched against.
pub const HOST_VERSION: &str = env!("CARGO_PKG_VERSION");

/// `[packs]`: where installed packs live and which of them may load.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PacksConfig {
    /// The installed packs' folder (`pack install` puts them there, `run` loads them all);
    /// relative to the config's folder. Default: none, no packs are loaded.
    pub dir: Option<PathBuf>,
    /// Refuse a pack that is not signed by a key trusted for its publisher. Default: true.
    #[serde(default = "yes")]
    pub require_signatures: bool,
    /// Let `pack install` replace a pack by a lower version. Default: false.
    #[serde(default)]
    pub allow_downgrade: bool,
    /// The keys trusted per publisher.
    #[serde(default)]
    pub trusted: Vec<TrustedKey>,
}

impl Default for PacksConfig {
    fn default() -> Self {
        PacksConfig { dir: None, require_signatures: true, allow_downgrade: false, trusted: Vec::new() }
    }
}

fn yes() -> bool {
    true
}

impl PacksConfig {
    /// The trust these keys give.
    ///
    /// # Errors
    /// A key cannot be read.
    pub fn trust(&self) -> Result<Trust, PackError> {
        Trust::new(self.require_signatures, &self.trusted)
    }

    /// Verifies every installed pack and returns their plugins, in pack name order.
    ///
    /// # Errors
    /// A pack fails verification: nothing of any pack is loaded then, so a reload keeps the
    /// running version.
    pub fn specs(&self) -> Result<Vec<PluginSpec>, PackError> {
        let Some(dir) = &self.dir else { return Ok(Vec::new()) };
        let trust = self.trust()?;
        let mut specs = Vec::new();
        for installed in store::Store::new(dir).list()? {
            let pack = verify(&installed, &trust)?;
            // A copied folder would load the same plugins twice, under one name.
            if installed.file_name().and_then(|n| n.to_str()) != Some(pack.manifest.name.as_str()) {
                return Err(PackError::Source(format!(
                    "{}: holds pack {:?}; an installed pack's folder is named after it",
                    installed.display(),
                    pack.manifest.name
                )));
            }
            specs.extend(pack.specs());
        }
        Ok(specs)
    }
}

/// Why a pack is refused.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{}: {source}", .path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}: {message}", .path.display())]
    Manifest { path: PathBuf, message: String },
    #[error("pack {pack}: {file}: {message}")]
    Digest { pack: String, file: String, message: String },
    #[error("pack {pack} is not signed, and signatures are required")]
    Unsigned { pack: String },
    #[error("pack {pack} is signed by key {key_id}, which is not trusted for publisher {publisher:?}")]
    Untrusted { pack: String, publisher: String, key_id: String },
    #[error("pack {pack}: bad signature: {reason}")]
    BadSignature { pack: String, reason: String },
    #[error("pack {pack}: {message}")]
    Incompatible { pack: String, message: String },
    #[error("pack {pack}: version {offered} is lower than the installed {installed}; allow a downgrade to install it")]
    Downgrade { pack: String, installed: semver::Version, offered: semver::Version },
    #[error("{0}")]
    Trust(String),
    #[error("{0}")]
    Source(String),
}

/// A pack that passed [`verify`].
#[derive(Debug, Clone)]
pub struct Verified {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub signed: Signed,
}

impl Verified {
    /// The pack's plugins, with their default config and files.
    pub fn specs(&self) -> Vec<PluginSpec> {
        let manifest = &self.manifest;
        manifest
            .plugins
            .iter()
            .map(|plugin| {
                let config = serde_json::to_value(&plugin.config).expect("a TOML table is JSON");
                let mut spec =
                    PluginSpec::new(manifest.plugin_name(plugin), self.dir.join(&plugin.component), config);
                spec.files = plugin.files.iter().map(|file| self.dir.join(file)).collect();
                spec
            })
            .collect()
    }
}

/// Checks the pack in folder `dir`: manifest, versions, signature, then every file's digest.
///
/// # Errors
/// The first check that fails, naming the file where one is at fault.
pub fn verify(dir: &Path, trust: &Trust) -> Result<Verified, PackError> {
    let (manifest, bytes) = Manifest::read(dir)?;
    compatible(&manifest)?;
    let signature_path = dir.join(manifest::SIGNATURE);
    let signature = match std::fs::read_to_string(&signature_path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(PackError::Read { path: signature_path, source }),
    };
    let signed = trust.check(&manifest, &bytes, signature.as_deref())?;
    check_digests(dir, &manifest)?;
    Ok(Verified { dir: dir.to_path_buf(), manifest, signed })
}

/// Checks that every file the plugins use has a digest, and that every file matches its own.
///
/// # Errors
/// The first file without a digest, unreadable, or changed.
pub fn check_digests(dir: &Path, manifest: &Manifest) -> Result<(), PackError> {
    for file in manifest.files() {
        if !manifest.digests.contains_key(file) {
            return Err(digest_error(
                manifest,
                file,
                "has no digest in the manifest (run `trailhound pack build`)",
            ));
        }
    }
    for (file, expected) in &manifest.digests {
        let actual = digest_of(&dir.join(file)).map_err(|e| digest_error(manifest, file, &e))?;
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(digest_error(
                manifest,
                file,
                &format!("its SHA-256 is {actual}, the manifest says {expected}: the file was changed after the pack was built"),
            ));
        }
    }
    Ok(())
}

/// The SHA-256 of a file, in hex.
///
/// # Errors
/// It cannot be read.
pub fn digest_of(path: &Path) -> Result<String, String> {
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot be read: {e}"))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| format!("cannot be read: {e}"))?;
    Ok(hex::encode(hasher.finalize()))
}

fn digest_error(manifest: &Manifest, file: &str, message: &str) -> PackError {
    PackError::Digest { pack: manifest.name.clone(), file: file.to_string(), message: message.to_string() }
}

/// Whether this host runs the pack: its host range and contract version.
fn compatible(manifest: &Manifest) -> Result<(), PackError> {
    let host = semver::Version::parse(HOST_VERSION).expect("the crate version is semver");
    let incompatible = |message: String| PackError::Incompatible { pack: manifest.name.clone(), message };
    if !manifest.host.matches(&host) {
        return Err(incompatible(format!(
            "it is built for host versions {}, and this host is {host}",
            manifest.host
        )));
    }
    let contracts: Vec<&str> = Contract::ALL.iter().map(|c| c.version()).collect();
    if !contracts.contains(&manifest.contract.as_str()) {
        return Err(incompatible(format!(
            "it is built for contract {}, and this host loads contracts {}",
            manifest.contract,
            contracts.join(" and ")
        )));
    }
    Ok(())
}
