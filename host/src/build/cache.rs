//! The component cache: built components stored under the SHA-256 of everything that
//! went into them, so an unchanged plugin is never compiled twice.
//!
//! A key covers the plugin's own files, the local crates it depends on, the WIT
//! contract, the workspace manifest and lock file, and the toolchain's version text.
//! Paths enter the hash relative to the workspace, so a moved checkout still hits.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{write_file, BuildError};

/// Bumped when the way components are produced changes (encoder options, wit-component
/// version), so older cache entries stop matching.
const RECIPE: &str = "trailhound-components-v1 wit-component-0.263";

/// Folders never hashed: build output, VCS data, Python byte code.
const SKIPPED_DIRS: [&str; 4] = ["target", ".git", "__pycache__", "node_modules"];

/// A folder of `<sha256>.wasm` files.
pub(crate) struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// Creates missing folders `0700`: they usually include `trailhound/` itself, which the
    /// engine's compiled-component cache refuses when group or others can write it (as a
    /// umask of 002 would leave it).
    pub(crate) fn open(dir: &Path) -> Result<Self, BuildError> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| BuildError::io(dir, e))?;
        Ok(Cache { dir: dir.to_path_buf() })
    }

    /// The cached component for `key`, if there is one.
    pub(crate) fn get(&self, key: &Key) -> Option<PathBuf> {
        let path = self.path(key);
        path.is_file().then_some(path)
    }

    /// Stores `component` under `key` and returns where it went.
    pub(crate) fn put(&self, key: &Key, component: &[u8]) -> Result<PathBuf, BuildError> {
        let path = self.path(key);
        write_file(&path, component)?;
        Ok(path)
    }

    fn path(&self, key: &Key) -> PathBuf {
        self.dir.join(format!("{}.wasm", key.0))
    }
}

/// A finished content hash, as hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key(String);

/// Accumulates the inputs of one component.
pub(crate) struct KeyBuilder<'w> {
    workspace: &'w Path,
    hash: Sha256,
}

impl<'w> KeyBuilder<'w> {
    pub(crate) fn new(workspace: &'w Path, kind: &str, name: &str) -> Self {
        let mut builder = KeyBuilder { workspace, hash: Sha256::new() };
        builder.text("recipe", RECIPE).text("kind", kind).text("name", name);
        builder
    }

    /// Adds a labelled piece of text (a version string, a target triple).
    pub(crate) fn text(&mut self, label: &str, value: &str) -> &mut Self {
        self.field(label.as_bytes());
        self.field(value.as_bytes());
        self
    }

    /// Adds one file's path and contents; a missing file counts as absent, not an error,
    /// so an optional `Cargo.lock` works.
    pub(crate) fn file(&mut self, path: &Path) -> Result<&mut Self, BuildError> {
        match std::fs::read(path) {
            Ok(bytes) => {
                self.field(self.relative(path).as_bytes());
                self.field(&bytes);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.field(format!("absent:{}", self.relative(path)).as_bytes());
            }
            Err(e) => return Err(BuildError::io(path, e)),
        }
        Ok(self)
    }

    /// Adds every file under `dir`, in a stable order.
    pub(crate) fn tree(&mut self, dir: &Path) -> Result<&mut Self, BuildError> {
        let mut files = Vec::new();
        collect_files(dir, &mut files)?;
        files.sort();
        self.text("tree", &self.relative(dir));
        for file in files {
            self.file(&file)?;
        }
        Ok(self)
    }

    pub(crate) fn finish(&self) -> Key {
        Key(hex::encode(self.hash.clone().finalize()))
    }

    /// Length-prefixed, so `("ab", "c")` and `("a", "bc")` hash differently.
    fn field(&mut self, bytes: &[u8]) {
        self.hash.update((bytes.len() as u64).to_le_bytes());
        self.hash.update(bytes);
    }

    fn relative(&self, path: &Path) -> String {
        path.strip_prefix(self.workspace).unwrap_or(path).to_string_lossy().replace('\\', "/")
    }
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), BuildError> {
    let entries = std::fs::read_dir(dir).map_err(|e| BuildError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| BuildError::io(dir, e))?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| BuildError::io(&path, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if file_type.is_dir() {
            if !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_ref()) {
                collect_files(&path, files)?;
            }
        } else if !name.ends_with(".pyc") {
            files.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_of(ws: &Path, version: &str) -> Key {
        let mut key = KeyBuilder::new(ws, "rust", "p");
        key.text("toolchain", version).tree(&ws.join("src")).unwrap();
        key.finish()
    }

    #[test]
    fn the_key_follows_sources_and_toolchain_but_not_build_output() {
        let ws = tempfile::tempdir().unwrap();
        let src = ws.path().join("src");
        std::fs::create_dir_all(src.join("target")).unwrap();
        std::fs::create_dir_all(src.join("__pycache__")).unwrap();
        std::fs::write(src.join("lib.rs"), "fn a() {}").unwrap();
        let first = key_of(ws.path(), "1.0");

        std::fs::write(src.join("target/out.wasm"), "junk").unwrap();
        std::fs::write(src.join("__pycache__/detector.cpython-311.pyc"), "junk").unwrap();
        assert_eq!(key_of(ws.path(), "1.0"), first, "build output must not change the key");

        assert_ne!(key_of(ws.path(), "1.1"), first, "a new toolchain must change the key");
        std::fs::write(src.join("lib.rs"), "fn b() {}").unwrap();
        assert_ne!(key_of(ws.path(), "1.0"), first, "an edit must change the key");
    }

    #[test]
    fn the_key_does_not_depend_on_where_the_workspace_is() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for ws in [a.path(), b.path()] {
            std::fs::create_dir_all(ws.join("src")).unwrap();
            std::fs::write(ws.join("src/lib.rs"), "same").unwrap();
        }
        assert_eq!(key_of(a.path(), "1"), key_of(b.path(), "1"));
    }

    #[test]
    fn put_then_get_returns_the_stored_component() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(&dir.path().join("c")).unwrap();
        let key = KeyBuilder::new(dir.path(), "python", "x").finish();
        assert!(cache.get(&key).is_none());
        let path = cache.put(&key, b"\0asm").unwrap();
        assert_eq!(cache.get(&key), Some(path.clone()));
        assert_eq!(std::fs::read(path).unwrap(), b"\0asm");
    }
}
