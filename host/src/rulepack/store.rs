//! The installed packs' folder: one folder per pack, by its name, holding a verified copy of
//! the manifest, the signature and the files the manifest lists (nothing else of the source).
//!
//! An install verifies the source, refuses a lower version than the one installed unless a
//! downgrade is allowed, copies the pack beside the installed one under a hidden name,
//! verifies the copy, then exchanges the two folders in one atomic rename: a running host
//! that reloads sees the old pack or the new one, never half of either.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::manifest::{Manifest, MANIFEST, SIGNATURE};
use super::{verify, PackError, Trust, Verified};

pub struct Store {
    dir: PathBuf,
}

/// What an install did.
#[derive(Debug)]
pub struct Installed {
    pub pack: Verified,
    /// The version it replaced.
    pub replaced: Option<semver::Version>,
}

impl Store {
    pub fn new(dir: &Path) -> Store {
        Store { dir: dir.to_path_buf() }
    }

    /// The installed packs' folders, by name; hidden folders (an install under way) are not
    /// packs. A missing store holds none.
    ///
    /// # Errors
    /// The folder cannot be listed.
    pub fn list(&self) -> Result<Vec<PathBuf>, PackError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(PackError::Read { path: self.dir.clone(), source }),
        };
        let mut packs: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| !is_hidden(path) && path.join(MANIFEST).is_file())
            .collect();
        packs.sort();
        Ok(packs)
    }

    /// Installs the pack in folder `source`.
    ///
    /// # Errors
    /// It fails verification, is a downgrade that is not allowed, or cannot be copied.
    pub fn install(
        &self,
        source: &Path,
        trust: &Trust,
        allow_downgrade: bool,
    ) -> Result<Installed, PackError> {
        let offered = verify(source, trust)?;
        let name = offered.manifest.name.clone();
        let target = self.dir.join(&name);
        let installed = Manifest::read(&target).ok().map(|(installed, _)| installed);
        if let Some(installed) = &installed {
            // Trust is per publisher: one trusted publisher must not replace another's pack.
            if installed.publisher != offered.manifest.publisher {
                return Err(PackError::Source(format!(
                    "pack {name} is installed from publisher {:?}; this one is by {:?}: remove the installed pack first to replace it",
                    installed.publisher, offered.manifest.publisher
                )));
            }
        }
        // A damaged install (no readable manifest) is replaced.
        let replaced = installed.map(|installed| installed.version);
        if let Some(installed) = &replaced {
            if offered.manifest.version < *installed && !allow_downgrade {
                return Err(PackError::Downgrade {
                    pack: name,
                    installed: installed.clone(),
                    offered: offered.manifest.version.clone(),
                });
            }
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| PackError::Read { path, source }
        };
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let staging = self.dir.join(format!(".{name}.incoming-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        let copied = copy_pack(source, &offered.manifest, &staging).and_then(|()| verify(&staging, trust));
        let copied = match copied {
            Ok(copied) => copied,
            Err(error) => {
                let _ = std::fs::remove_dir_all(&staging);
                return Err(error);
            }
        };
        let swapped =
            if target.exists() { exchange(&staging, &target) } else { std::fs::rename(&staging, &target) };
        // After an exchange `staging` holds the old version; after a failure, the new one.
        let _ = std::fs::remove_dir_all(&staging);
        swapped.map_err(io(&target))?;
        sync_dir(&self.dir);
        Ok(Installed { pack: Verified { dir: target, ..copied }, replaced })
    }

    /// Removes the installed pack `name`; the version it was, if its manifest still reads.
    ///
    /// # Errors
    /// No such pack is installed, or it cannot be removed.
    pub fn remove(&self, name: &str) -> Result<Option<semver::Version>, PackError> {
        let target = self.dir.join(name);
        if is_hidden(&target) || name.contains('/') {
            return Err(PackError::Source(format!("{name:?} is not a pack name")));
        }
        if !target.is_dir() {
            return Err(PackError::Source(format!(
                "no pack {name:?} is installed in {}",
                self.dir.display()
            )));
        }
        // A damaged pack (its manifest unreadable) can be removed too.
        let version = Manifest::read(&target).ok().map(|(manifest, _)| manifest.version);
        // Renamed away first, so a reload never sees it half removed.
        let doomed = self.dir.join(format!(".{name}.removed-{}", std::process::id()));
        std::fs::rename(&target, &doomed)
            .map_err(|source| PackError::Read { path: target.clone(), source })?;
        std::fs::remove_dir_all(&doomed).map_err(|source| PackError::Read { path: doomed, source })?;
        sync_dir(&self.dir);
        Ok(version)
    }
}

/// Copies the manifest, the signature and the listed files of the pack in `source` to `into`.
fn copy_pack(source: &Path, manifest: &Manifest, into: &Path) -> Result<(), PackError> {
    let mut names: Vec<&str> = vec![MANIFEST];
    if source.join(SIGNATURE).exists() {
        names.push(SIGNATURE);
    }
    names.extend(manifest.digests.keys().map(String::as_str));
    for name in names {
        let from = source.join(name);
        let to = into.join(name);
        let failed = |source| PackError::Read { path: to.clone(), source };
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(failed)?;
        }
        let bytes = std::fs::read(&from).map_err(|source| PackError::Read { path: from.clone(), source })?;
        // A fixed mode, whatever the source's: no setuid bit, nothing writable by others.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&to)
            .and_then(|mut file| file.write_all(&bytes).and_then(|()| file.sync_all()))
            .map_err(failed)?;
    }
    Ok(())
}

/// Swaps two folders atomically (Linux `renameat2(RENAME_EXCHANGE)`).
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths; the call reads them only.
    let done = unsafe {
        libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_EXCHANGE)
    };
    if done == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn sync_dir(dir: &Path) {
    let _ = std::fs::File::open(dir).and_then(|f| f.sync_all());
}

fn is_hidden(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_none_or(|n| n.starts_with('.'))
}
