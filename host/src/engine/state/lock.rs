//! One run per state folder: two runs sharing one would each remove the other's uncommitted
//! cuts and overwrite its committed one. A run holds an exclusive lock on `lock` in the folder
//! for as long as its engine runs; the kernel releases it when the process ends, however it
//! ends (`kill -9` included), so a restart after a crash is never refused.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::Path;

/// The lock file's name in the state folder.
const NAME: &str = "lock";

/// The held lock; dropping it releases it.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

impl StateLock {
    /// Takes the lock of the state folder `root` (made if missing), writing this process's
    /// id into it.
    ///
    /// # Errors
    /// Another process holds it (its id is named), or the folder or file cannot be made.
    pub fn take(root: &Path) -> Result<Self, String> {
        let path = root.join(NAME);
        let mut file = std::fs::create_dir_all(root)
            .and_then(|()| {
                std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path)
            })
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        // SAFETY: flock on a descriptor this function owns; no memory is shared.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let by = if holder.is_empty() { String::new() } else { format!(" (process {holder})") };
            return Err(format!(
                "the state folder {} is in use by another run{by}; each run needs a state folder of its own",
                root.display()
            ));
        }
        let written = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| writeln!(file, "{}", std::process::id()));
        if let Err(e) = written {
            tracing::warn!(path = %path.display(), "cannot write the process id into the lock: {e}");
        }
        Ok(StateLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_released() {
        let root = tempfile::tempdir().unwrap();
        let first = StateLock::take(root.path()).unwrap();
        let refused = StateLock::take(root.path()).unwrap_err();
        assert!(
            refused.contains("is in use by another run") && refused.contains(&std::process::id().to_string()),
            "{refused}"
        );
        drop(first);
        assert!(StateLock::take(root.path()).is_ok());
    }
}
