//! Compiled components cached on disk, so a restart or a second worker does not recompile.
//!
//! A cached entry is native code that the host maps and runs, so this module owns everything
//! that decides whether a file on disk may be turned back into a [`Component`]:
//!
//! - **Where entries live.** `<cache_dir>/compiled/<name>.cwasm`, where the name is the
//!   SHA-256 of the component's bytes and the engine's compatibility hash. The cache folder
//!   and `compiled/` are created `0700`; an existing one that another user owns, or that is
//!   group- or world-writable, is refused ([`CacheError`]), because whoever can write there
//!   can choose the code the host runs.
//! - **The key.** 32 random bytes in `<cache_dir>/key`, mode `0600`, created atomically (see
//!   [`CompiledCache::open`]).
//! - **Verification.** Every entry starts with a header holding an HMAC-SHA256, under that
//!   key, over the entry's name and its serialized bytes. The tag is checked on the bytes
//!   in memory before they are deserialized; an entry copied over another one's name, or
//!   changed by a single byte, fails, is deleted with a warning naming the file, and is
//!   recompiled. wasmtime's own header and compatibility checks still run on top of this.
//!
//! A cache that cannot be used never stops detectors from running: [`load`] then compiles in
//! memory, without caching, and says why in a warning. Failing the plugin instead would let
//! anyone who can plant a folder at the cache path (the default one in a shared temp folder,
//! say) switch detection off; and using the folder anyway would run their code.

use std::fs::{DirBuilder, File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;

/// Starts every entry file; the trailing byte is the format version, so entries written by
/// an older host (raw wasmtime output, no tag) are told apart and replaced.
const MAGIC: &[u8; 8] = b"THCWASM\x01";
/// Length of the HMAC-SHA256 tag that follows [`MAGIC`].
const TAG_LEN: usize = 32;
const HEADER_LEN: usize = MAGIC.len() + TAG_LEN;
/// Domain separation: this key signs compiled components and nothing else.
const DOMAIN: &[u8] = b"trailhound compiled component v1\0";
/// The key file, in the cache folder (not in `compiled/`, so clearing entries keeps it).
const KEY_FILE: &str = "key";
const KEY_LEN: usize = 32;

/// Why the cache folder, or its key, cannot be used. Each message names the path and what
/// the operator can do about it.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(
        "compiled-component cache folder {path} is writable by other users (mode {mode:04o}), so \
         they could choose the native code this host runs; not using it. Run `chmod go-w {path}` \
         or set engine.cache_dir to a folder only you can write"
    )]
    Writable { path: PathBuf, mode: u32 },
    #[error(
        "compiled-component cache folder {path} belongs to uid {owner}, not to this user (uid \
         {uid}); not using it. Set engine.cache_dir to a folder you own"
    )]
    Foreign { path: PathBuf, owner: u32, uid: u32 },
    #[error("compiled-component cache path {path} is not a folder; set engine.cache_dir to a folder")]
    NotAFolder { path: PathBuf },
    #[error("cannot use the compiled-component cache at {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl CacheError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        CacheError::Io { path: path.to_path_buf(), source }
    }
}

/// Compiles `wasm`, or loads the cached compilation of the same bytes for the same engine.
/// Returns the component and whether it came from the cache.
///
/// A cache folder that fails [`CompiledCache::open`]'s checks is bypassed with a warning:
/// the component is compiled in memory and nothing is read from or written to the folder.
///
/// # Errors
/// The bytes are not a valid component for this engine.
pub fn load(engine: &wasmtime::Engine, wasm: &[u8], cache_dir: &Path) -> wasmtime::Result<(Component, bool)> {
    match CompiledCache::open(cache_dir) {
        Ok(cache) => cache.load(engine, wasm),
        Err(e) => {
            tracing::warn!("{e}; compiling in memory without caching");
            Ok((Component::new(engine, wasm)?, false))
        }
    }
}

/// Where the cache entry of `wasm` compiled by `engine` lives under `cache_dir`, whether or
/// not it exists. For tools and tests that inspect the cache.
pub fn entry_path(engine: &wasmtime::Engine, wasm: &[u8], cache_dir: &Path) -> PathBuf {
    cache_dir.join("compiled").join(format!("{}.cwasm", hex::encode(entry_name(engine, wasm))))
}

/// A checked cache folder and its key.
pub struct CompiledCache {
    /// `<cache_dir>/compiled`.
    compiled: PathBuf,
    key: [u8; KEY_LEN],
}

impl CompiledCache {
    /// Creates (`0700`) or checks the cache folder and its `compiled/` subfolder, and reads or
    /// creates the key.
    ///
    /// The key is created under a temporary name and hard-linked into place, which fails if
    /// the name exists: of two processes racing, one wins and the other reads the winner's
    /// complete key, never a half-written one. A key file that is not private (any group or
    /// other permission bit, another owner, not a regular file, wrong length) is *replaced*
    /// with a fresh key, with a warning: someone else may know it, so nothing it signed can
    /// be trusted, and replacing it makes every such entry fail verification and be
    /// recompiled. Refusing instead would only turn the cache off until someone fixes the
    /// file by hand, with no gain in safety.
    ///
    /// # Errors
    /// A folder is another user's, writable by others, not a folder, or cannot be created;
    /// the key cannot be read or written.
    pub fn open(cache_dir: &Path) -> Result<Self, CacheError> {
        let uid = current_uid();
        private_folder(cache_dir, uid)?;
        let compiled = cache_dir.join("compiled");
        private_folder(&compiled, uid)?;
        let key = read_or_create_key(cache_dir, uid)?;
        Ok(CompiledCache { compiled, key })
    }

    /// [`load`] with this cache.
    ///
    /// # Errors
    /// The bytes are not a valid component for this engine.
    pub fn load(&self, engine: &wasmtime::Engine, wasm: &[u8]) -> wasmtime::Result<(Component, bool)> {
        let name = entry_name(engine, wasm);
        let path = self.compiled.join(format!("{}.cwasm", hex::encode(name)));
        match std::fs::read(&path) {
            Ok(entry) => match self.verify(&name, &entry) {
                Ok(serialized) => {
                    // SAFETY: `deserialize` trusts its input to be wasmtime's own output for this
                    // engine. These bytes are in memory, read once, and carry a valid HMAC under a
                    // key that only this user can read, over this entry's name (component digest
                    // + engine compatibility hash) and the bytes themselves: so they are exactly
                    // what `store` wrote from `Component::serialize` of this very component for an
                    // engine of this configuration, not another entry's file and not edited.
                    // Deserializing these bytes, not the file again, leaves no window between the
                    // check and the use. wasmtime still checks its header and the engine's
                    // compatibility, so an entry from another wasmtime build is rejected below.
                    match unsafe { Component::deserialize(engine, serialized) } {
                        Ok(component) => return Ok((component, true)),
                        Err(e) => tracing::warn!(
                            path = %path.display(),
                            error = %e,
                            "ignoring unusable cached component; recompiling"
                        ),
                    }
                }
                Err(why) => {
                    tracing::warn!(
                        path = %path.display(),
                        "cached component {why}; deleting it and recompiling"
                    );
                    if let Err(e) = std::fs::remove_file(&path) {
                        tracing::warn!(path = %path.display(), error = %e, "could not delete cached component");
                    }
                }
            },
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot read cached component"),
        }
        let component = Component::new(engine, wasm)?;
        if let Err(e) = self.store(&name, &component, &path) {
            tracing::warn!(path = %path.display(), error = %e, "could not cache compiled component");
        }
        Ok((component, false))
    }

    /// The serialized component inside `entry`, if its tag is right for `name`.
    fn verify<'e>(&self, name: &[u8; 32], entry: &'e [u8]) -> Result<&'e [u8], &'static str> {
        if entry.len() < HEADER_LEN || &entry[..MAGIC.len()] != MAGIC {
            return Err("is not in the signed format (written by an older trailhound, or not by trailhound)");
        }
        let (tag, serialized) = entry[MAGIC.len()..].split_at(TAG_LEN);
        if !same_in_constant_time(&self.mac(name, serialized), tag) {
            return Err("failed verification (changed, or copied from another entry)");
        }
        Ok(serialized)
    }

    fn mac(&self, name: &[u8; 32], serialized: &[u8]) -> [u8; TAG_LEN] {
        hmac_sha256(&self.key, &[DOMAIN, name, serialized])
    }

    /// Writes header and bytes to a private temp file, then renames it over the entry, so a
    /// concurrent reader sees the old entry, the new one, or none, never half of one.
    fn store(&self, name: &[u8; 32], component: &Component, path: &Path) -> wasmtime::Result<()> {
        let serialized = component.serialize()?;
        let tag = self.mac(name, &serialized);
        let mut entry = Vec::with_capacity(HEADER_LEN + serialized.len());
        entry.extend_from_slice(MAGIC);
        entry.extend_from_slice(&tag);
        entry.extend_from_slice(&serialized);
        write_new_then(&self.compiled, &entry, |tmp| std::fs::rename(tmp, path))?;
        Ok(())
    }
}

/// HMAC-SHA256 (RFC 2104) of the concatenated `parts` under `key` (at most one 64-byte block).
/// Written out here, on the `sha2` the host already has: the `hmac` crate turns on a feature
/// of `digest` that rebuilds all of wasmtime's compiler.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    const BLOCK: usize = 64;
    assert!(key.len() <= BLOCK, "an HMAC key longer than a block is hashed first; ours never is");
    let mut block = [0u8; BLOCK];
    block[..key.len()].copy_from_slice(key);
    let padded = |byte: u8| block.map(|b| b ^ byte);
    let mut inner = Sha256::new().chain_update(padded(0x36));
    for part in parts {
        inner.update(part);
    }
    Sha256::new().chain_update(padded(0x5c)).chain_update(inner.finalize()).finalize().into()
}

/// Whether two tags are equal, taking as long whichever byte differs, so the comparison
/// tells nothing about how much of a forged tag was right.
fn same_in_constant_time(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |differ, (x, y)| differ | (x ^ y)) == 0
}

/// The entry's name: SHA-256 over the component's bytes and the engine's compatibility hash
/// (fed through SHA-256 too, rather than `DefaultHasher`, whose output may change between
/// Rust releases).
fn entry_name(engine: &wasmtime::Engine, wasm: &[u8]) -> [u8; 32] {
    let mut engine_hash = Sha256Hasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut engine_hash);
    let engine_hash = engine_hash.0.finalize();
    Sha256::new().chain_update(Sha256::digest(wasm)).chain_update(engine_hash).finalize().into()
}

/// A [`Hasher`] that feeds SHA-256, to digest a value that only offers [`Hash`].
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
    }
}

/// The effective uid of this process: the owner files it creates get, and the one cache
/// folders and the key must have.
pub fn current_uid() -> u32 {
    // SAFETY: geteuid has no preconditions, touches no memory of ours, and cannot fail.
    unsafe { libc::geteuid() }
}

/// Creates `path` (and missing parents) `0700` if it is missing, then checks that it is a
/// folder owned by `uid` that neither group nor others can write. It is checked even when
/// just created: another user may have created it first.
fn private_folder(path: &Path, uid: u32) -> Result<(), CacheError> {
    match DirBuilder::new().recursive(true).mode(0o700).create(path) {
        Ok(()) => {}
        // `recursive` already accepts an existing folder; a file in its place is reported by
        // the check below, with a clearer message.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
        Err(e) => return Err(CacheError::io(path, e)),
    }
    let meta = std::fs::metadata(path).map_err(|e| CacheError::io(path, e))?;
    if !meta.is_dir() {
        return Err(CacheError::NotAFolder { path: path.to_path_buf() });
    }
    if meta.uid() != uid {
        return Err(CacheError::Foreign { path: path.to_path_buf(), owner: meta.uid(), uid });
    }
    if meta.mode() & 0o022 != 0 {
        return Err(CacheError::Writable { path: path.to_path_buf(), mode: meta.mode() & 0o7777 });
    }
    Ok(())
}

/// The key in `<cache_dir>/key`: read if it is private, otherwise created or replaced (see
/// [`CompiledCache::open`]).
fn read_or_create_key(cache_dir: &Path, uid: u32) -> Result<[u8; KEY_LEN], CacheError> {
    let path = cache_dir.join(KEY_FILE);
    // A few rounds: a key seen missing may be created by another process before we link
    // ours, and then it is read on the next round.
    for _ in 0..3 {
        // O_NOFOLLOW: a symlink in place of the key is not followed but replaced.
        match OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(&path) {
            Ok(file) => {
                return match private_key(file, uid) {
                    Ok(key) => Ok(key),
                    Err(why) => {
                        tracing::warn!(
                            path = %path.display(),
                            "compiled-component cache key {why}; replacing it with a new key \
                             (entries signed with the old one will be recompiled)"
                        );
                        let key = new_key(&path)?;
                        write_new_then(cache_dir, &key, |tmp| std::fs::rename(tmp, &path))
                            .map_err(|e| CacheError::io(&path, e))?;
                        Ok(key)
                    }
                };
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let key = new_key(&path)?;
                match write_new_then(cache_dir, &key, |tmp| std::fs::hard_link(tmp, &path)) {
                    Ok(()) => return Ok(key),
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(CacheError::io(&path, e)),
                }
            }
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                tracing::warn!(
                    path = %path.display(),
                    "compiled-component cache key is a symbolic link; replacing it with a new key"
                );
                let key = new_key(&path)?;
                write_new_then(cache_dir, &key, |tmp| std::fs::rename(tmp, &path))
                    .map_err(|e| CacheError::io(&path, e))?;
                return Ok(key);
            }
            Err(e) => return Err(CacheError::io(&path, e)),
        }
    }
    Err(CacheError::io(&path, std::io::Error::other("the key file keeps appearing and disappearing")))
}

/// The key in an opened key file, or why it must not be used. Checks the open file, not the
/// path, so the file checked is the file read.
fn private_key(mut file: File, uid: u32) -> Result<[u8; KEY_LEN], String> {
    let meta = file.metadata().map_err(|e| format!("cannot be inspected ({e})"))?;
    if !meta.is_file() {
        return Err("is not a regular file".into());
    }
    if meta.uid() != uid {
        return Err(format!("belongs to uid {}, not to this user (uid {uid})", meta.uid()));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(format!(
            "has mode {:04o}, readable or writable by others (must be 0600)",
            meta.mode() & 0o7777
        ));
    }
    let mut key = [0; KEY_LEN];
    let mut rest = Vec::new();
    file.read_exact(&mut key).map_err(|_| "is shorter than 32 bytes".to_string())?;
    file.read_to_end(&mut rest).map_err(|e| format!("cannot be read ({e})"))?;
    if !rest.is_empty() {
        return Err("is longer than 32 bytes".into());
    }
    Ok(key)
}

/// 32 bytes from the operating system's random source.
fn new_key(path: &Path) -> Result<[u8; KEY_LEN], CacheError> {
    let mut key = [0; KEY_LEN];
    File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut key))
        .map_err(|e| CacheError::io(path, std::io::Error::new(e.kind(), format!("no random key: {e}"))))?;
    Ok(key)
}

/// Writes `bytes` to a new `0600` temp file in `dir`, then hands its path to `publish`
/// (rename or hard-link it into place); the temp name is removed either way.
fn write_new_then(
    dir: &Path,
    bytes: &[u8],
    publish: impl FnOnce(&Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    // Unique per process and call: several engines in one process may store the same entry.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let tmp = dir.join(format!(".{}-{}.tmp", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
    let result = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        // No fsync: a file cut short by a crash fails verification and is replaced.
        .and_then(|mut file| file.write_all(bytes))
        .and_then(|()| publish(&tmp));
    // After a rename the temp name is already gone; after a link or a failure it is not.
    let _ = std::fs::remove_file(&tmp);
    result
}

#[cfg(test)]
mod tests {
    use super::{hmac_sha256, same_in_constant_time};

    /// RFC 4231, test cases 1 and 2.
    #[test]
    fn hmac_sha256_matches_the_rfc_test_vectors() {
        let one = hmac_sha256(&[0x0b; 20], &[b"Hi ", b"There"]);
        assert_eq!(hex::encode(one), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
        let two = hmac_sha256(b"Jefe", &[b"what do ya want for nothing?"]);
        assert_eq!(hex::encode(two), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert!(same_in_constant_time(&one, &one) && !same_in_constant_time(&one, &two));
        assert!(!same_in_constant_time(&one, &one[..31]));
    }
}
