//! The HTTP ingest's journal: with a state folder, every request body the source takes is
//! written to a file of its own, durably, before the sender is answered 202, and the run
//! reads its records from there like a file. A run killed after the 202 and before the
//! findings were delivered reads the body again at its restart, so a 202 never loses records.
//!
//! An entry is written under a hidden temporary name, synced, and renamed into place (then
//! the folder is synced), so an entry is whole or absent. Entries are named by a sequence
//! number that goes on across restarts, so their order is the order they were taken in. An
//! entry is removed once a checkpoint that read all of it has committed (its findings are
//! delivered); until then it is read on from where the checkpoint left it, like any file.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What an entry's name ends with: the body is read as any JSON file is.
const EXTENSION: &str = "json";

/// One source's journal folder.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    next: AtomicU64,
}

impl Journal {
    /// Opens (and makes) the journal folder `dir`; new entries are numbered after the last
    /// one there.
    ///
    /// # Errors
    /// The folder cannot be made or listed.
    pub fn open(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let dir = std::path::absolute(dir)?;
        let last = entries(&dir)?.iter().filter_map(|path| number_of(path)).max().unwrap_or(0);
        Ok(Journal { dir, next: AtomicU64::new(last + 1) })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `body` as the next entry, durably; returns its path.
    ///
    /// # Errors
    /// It cannot be written in whole (the disk is full, ...): nothing is left behind.
    pub fn write(&self, body: &[u8]) -> io::Result<PathBuf> {
        let number = self.next.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.join(format!("{number:016}.{EXTENSION}"));
        let temporary = self.dir.join(format!(".{number:016}.tmp"));
        let written = (|| {
            let mut file = File::create(&temporary)?;
            file.write_all(body)?;
            file.sync_all()?;
            std::fs::rename(&temporary, &path)?;
            // The rename is durable once the folder is.
            File::open(&self.dir)?.sync_all()
        })();
        if let Err(error) = written {
            let _ = std::fs::remove_file(&temporary);
            let _ = std::fs::remove_file(&path);
            return Err(error);
        }
        Ok(path)
    }
}

/// The entries in `dir`, in the order they were taken; temporary files left by a run that
/// was killed while writing one are removed (their request was never answered 202).
///
/// # Errors
/// The folder cannot be listed.
pub fn entries(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "tmp") {
            let _ = std::fs::remove_file(&path);
        } else if number_of(&path).is_some() {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// Whether `path` is an entry of the journal folder `dir`.
pub fn holds(dir: &Path, path: &Path) -> bool {
    path.parent() == Some(dir) && number_of(path).is_some()
}

fn number_of(path: &Path) -> Option<u64> {
    if path.extension()? != EXTENSION {
        return None;
    }
    path.file_stem()?.to_str()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_numbered_on_across_reopenings_and_listed_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        let first = journal.write(b"{\"a\":1}").unwrap();
        let second = journal.write(b"{\"a\":2}").unwrap();
        std::fs::write(dir.path().join(".0000000000000009.tmp"), b"half").unwrap();
        let reopened = Journal::open(dir.path()).unwrap();
        let third = reopened.write(b"{\"a\":3}").unwrap();
        assert_eq!(entries(dir.path()).unwrap(), vec![first.clone(), second, third.clone()]);
        assert_eq!(std::fs::read(&third).unwrap(), b"{\"a\":3}");
        assert!(holds(journal.dir(), &first));
        assert!(!holds(journal.dir(), &dir.path().join("other.json")));
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 3, "the temporary file is gone: {names:?}");
    }
}
