//! Who may sign packs, and the signatures themselves: minisign's format (Ed25519 over the
//! manifest's bytes, prehashed), so a vendor can sign with the `minisign` tool
//! (`minisign -Sm pack.toml`) as well as with `trailhound pack sign`, and an operator trusts a
//! key by the public key line `minisign -G` prints.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use minisign::{KeyPair, PublicKey, PublicKeyBox, SecretKeyBox, SignatureBox};
use serde::Deserialize;

use super::manifest::Manifest;
use super::PackError;

/// The variable `pack sign` and `pack keygen` read the secret key's password from; unset or
/// empty: the key is not encrypted (`minisign -G -W`).
pub const PASSWORD_ENV: &str = "TRAILHOUND_SIGNING_PASSWORD";

/// A key the operator trusts for one publisher's packs (`[[packs.trusted]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedKey {
    /// The publisher a pack's manifest names.
    pub publisher: String,
    /// The public key: the base64 line of a minisign `.pub` file. Either this or `key_file`.
    pub key: Option<String>,
    /// A minisign `.pub` file; relative to the config's folder.
    pub key_file: Option<PathBuf>,
}

/// The keys trusted per publisher, and whether a pack must be signed by one.
#[derive(Debug, Clone)]
pub struct Trust {
    pub require_signatures: bool,
    keys: Vec<(String, PublicKey)>,
}

/// What a pack's signature showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signed {
    /// By a key trusted for its publisher (its key ID).
    Trusted(String),
    /// Not signed, and signatures are not required.
    Unsigned,
    /// Signed by a key nobody trusts here, and signatures are not required.
    Unchecked(String),
}

impl std::fmt::Display for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signed::Trusted(id) => write!(f, "signed by trusted key {id}"),
            Signed::Unsigned => write!(f, "unsigned (signatures not required)"),
            Signed::Unchecked(id) => {
                write!(f, "signed by key {id}, not trusted here (signatures not required)")
            }
        }
    }
}

impl Trust {
    /// # Errors
    /// A key cannot be read or is not a minisign public key; the message names which.
    pub fn new(require_signatures: bool, trusted: &[TrustedKey]) -> Result<Trust, PackError> {
        let mut keys = Vec::new();
        for (index, trusted) in trusted.iter().enumerate() {
            let key = match (&trusted.key, &trusted.key_file) {
                (Some(line), None) => PublicKey::from_base64(line.trim()),
                (None, Some(file)) => PublicKey::from_file(file).map_err(|e| {
                    minisign::PError::new(minisign::ErrorKind::Io, format!("{}: {e}", file.display()))
                }),
                _ => {
                    return Err(PackError::Trust(format!(
                        "packs.trusted[{index}]: give key or key_file, one of them"
                    )))
                }
            }
            .map_err(|e| {
                PackError::Trust(format!("packs.trusted[{index}]: not a minisign public key: {e}"))
            })?;
            keys.push((trusted.publisher.clone(), key));
        }
        Ok(Trust { require_signatures, keys })
    }

    /// Trusts the public key in `file` for `publisher` too.
    ///
    /// # Errors
    /// The file is not a minisign public key.
    pub fn with_key_file(mut self, publisher: &str, file: &Path) -> Result<Trust, PackError> {
        let key = PublicKey::from_file(file)
            .map_err(|e| PackError::Trust(format!("{}: not a minisign public key: {e}", file.display())))?;
        self.keys.push((publisher.to_string(), key));
        Ok(self)
    }

    /// Checks `signature` (the `.minisig` text, if the pack has one) over the manifest.
    ///
    /// # Errors
    /// Unsigned or signed by an untrusted key where signatures are required, or a signature
    /// that does not verify (the manifest was changed after it was signed) by a key trusted
    /// for its publisher.
    pub fn check(
        &self,
        manifest: &Manifest,
        bytes: &[u8],
        signature: Option<&str>,
    ) -> Result<Signed, PackError> {
        let pack = manifest.name.clone();
        let Some(signature) = signature else {
            return if self.require_signatures {
                Err(PackError::Unsigned { pack })
            } else {
                Ok(Signed::Unsigned)
            };
        };
        let signature = SignatureBox::from_string(signature).map_err(|e| PackError::BadSignature {
            pack: pack.clone(),
            reason: format!("not a minisign signature: {e}"),
        })?;
        let id = key_id(signature.keynum());
        let publisher = &manifest.publisher;
        let Some((_, key)) =
            self.keys.iter().find(|(p, key)| p == publisher && key.keynum() == signature.keynum())
        else {
            return if self.require_signatures {
                Err(PackError::Untrusted { pack, publisher: publisher.clone(), key_id: id })
            } else {
                Ok(Signed::Unchecked(id))
            };
        };
        minisign::verify(key, &signature, Cursor::new(bytes), true, false, false).map_err(|e| {
            PackError::BadSignature {
                pack,
                reason: format!("{e} (the manifest was changed after it was signed)"),
            }
        })?;
        Ok(Signed::Trusted(id))
    }
}

/// A key ID as minisign prints it.
pub fn key_id(keynum: &[u8]) -> String {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&keynum[..8]);
    format!("{:016X}", u64::from_le_bytes(bytes))
}

/// Signs `bytes` with the minisign secret key in `key_file`; returns the `.minisig` text.
///
/// # Errors
/// The key cannot be read or decrypted (wrong password in [`PASSWORD_ENV`]).
pub fn sign(bytes: &[u8], key_file: &Path, trusted_comment: &str) -> Result<String, PackError> {
    let text = std::fs::read_to_string(key_file)
        .map_err(|source| PackError::Read { path: key_file.to_path_buf(), source })?;
    let secret = SecretKeyBox::from_string(&text)
        .and_then(|boxed| boxed.into_secret_key(Some(password())))
        .map_err(|e| PackError::Trust(format!("{}: {e}", key_file.display())))?;
    let signature = minisign::sign(None, &secret, Cursor::new(bytes), Some(trusted_comment), None)
        .map_err(|e| PackError::Trust(format!("signing failed: {e}")))?;
    Ok(signature.into_string())
}

/// Makes a key pair: `BASE.pub` and `BASE.key` (encrypted with [`PASSWORD_ENV`]'s password
/// when it is set); returns the key ID.
///
/// # Errors
/// Either file exists already, or cannot be written.
pub fn keygen(base: &Path) -> Result<String, PackError> {
    let public = base.with_extension("pub");
    let secret = base.with_extension("key");
    for path in [&public, &secret] {
        if path.exists() {
            return Err(PackError::Trust(format!(
                "{} exists already; it is not overwritten",
                path.display()
            )));
        }
    }
    // An empty password leaves the key unencrypted (with its checksum, as `minisign -W`).
    let KeyPair { pk, sk } = KeyPair::generate_encrypted_keypair(Some(password()))
        .map_err(|e| PackError::Trust(format!("cannot make a key pair: {e}")))?;
    let id = key_id(pk.keynum());
    let public_text = pk.to_box().map(PublicKeyBox::into_string);
    let secret_text = sk.to_box(None).map(SecretKeyBox::into_string);
    let (Ok(public_text), Ok(secret_text)) = (public_text, secret_text) else {
        return Err(PackError::Trust("cannot encode the key pair".into()));
    };
    for (path, text, mode) in [(&public, public_text, 0o644), (&secret, secret_text, 0o600)] {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(path)
            .and_then(|mut file| file.write_all(text.as_bytes()))
            .map_err(|source| PackError::Read { path: path.clone(), source })?;
    }
    Ok(id)
}

fn password() -> String {
    std::env::var(PASSWORD_ENV).unwrap_or_default()
}
