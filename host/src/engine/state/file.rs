//! One state file: a header that says what it holds and for whom, then the payload; written
//! atomically, read back only whole and unchanged.
//!
//! Layout: the line `trailhound-state`, one line of JSON ([`Header`]), then the payload bytes.
//! The header carries the payload's length and SHA-256, so a truncated or altered file is
//! refused instead of handed to a plugin. A file is written to a temporary name in the same
//! folder, synced, and renamed over the old one (then the folder is synced), so a crash leaves
//! either the old file or the new one, never a part of either.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The version of this layout and of the host's own payloads; a file of another is refused.
pub const FORMAT_VERSION: u32 = 1;

const MAGIC: &[u8] = b"trailhound-state\n";

/// What a state file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The reader thread's state: lineage links and the stream clock.
    Engine,
    /// One worker's own state: its stream time, last tick and recent events.
    Worker,
    /// One plugin instance's snapshot, on one worker.
    Plugin,
    /// How far the run's sources were read.
    Sources,
}

/// Who wrote a state file, and what is in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    pub kind: Kind,
    /// The plugin, for [`Kind::Plugin`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin_version: Option<String>,
    /// The worker, for [`Kind::Worker`] and [`Kind::Plugin`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<usize>,
    /// How many workers the run had: state sharded over another count does not fit.
    pub workers: usize,
    /// The stream time (ms since the epoch) the state was taken at; none before any event.
    pub stream_time: Option<i64>,
    /// The payload's length and hex SHA-256.
    pub bytes: usize,
    pub sha256: String,
}

impl Header {
    /// A header for `kind` state of a run with `workers` workers; the payload's length and
    /// digest are filled in by [`write`].
    pub fn new(kind: Kind, workers: usize, stream_time: Option<i64>) -> Self {
        Header {
            format: FORMAT_VERSION,
            kind,
            plugin: None,
            plugin_version: None,
            worker: None,
            workers,
            stream_time,
            bytes: 0,
            sha256: String::new(),
        }
    }
}

/// Why a state file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    #[error("cannot read state file {}: {source}", .path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write state file {}: {source}", .path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("state file {} is corrupt: {why}", .path.display())]
    Corrupt { path: PathBuf, why: String },
}

/// Writes `payload` under `header` to `path`, atomically; the header's length and digest are
/// set from the payload.
///
/// # Errors
/// The folder or file cannot be created, written, synced or renamed.
pub fn write(path: &Path, mut header: Header, payload: &[u8]) -> Result<(), StateFileError> {
    let failed = |source| StateFileError::Write { path: path.to_path_buf(), source };
    header.bytes = payload.len();
    header.sha256 = hex::encode(Sha256::digest(payload));
    let folder = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).map_err(failed)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Hidden and named after this process, so two runs never write one temporary file and a
    // reader of the folder never takes it for state.
    let temporary = folder.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(MAGIC)?;
        serde_json::to_writer(&mut file, &header)?;
        file.write_all(b"\n")?;
        file.write_all(payload)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        // The rename is durable once the folder is.
        std::fs::File::open(folder)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(failed)
}

/// Reads the state file at `path`: `None` when there is none.
///
/// # Errors
/// The file cannot be read, or it is not a whole state file of this format: no header, a
/// header of another format version, or a payload whose length or digest differs from it.
pub fn read(path: &Path) -> Result<Option<(Header, Vec<u8>)>, StateFileError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StateFileError::Read { path: path.to_path_buf(), source }),
    };
    parse(&bytes).map(Some).map_err(|why| StateFileError::Corrupt { path: path.to_path_buf(), why })
}

fn parse(bytes: &[u8]) -> Result<(Header, Vec<u8>), String> {
    let rest = bytes.strip_prefix(MAGIC).ok_or("it does not begin with the trailhound-state line")?;
    let end = rest.iter().position(|b| *b == b'\n').ok_or("its header line is incomplete")?;
    let header: Header =
        serde_json::from_slice(&rest[..end]).map_err(|e| format!("its header cannot be read: {e}"))?;
    if header.format != FORMAT_VERSION {
        return Err(format!(
            "it is of format version {}, this build reads version {FORMAT_VERSION}",
            header.format
        ));
    }
    let payload = &rest[end + 1..];
    if payload.len() != header.bytes {
        return Err(format!(
            "its header announces {} bytes of state, the file holds {}",
            header.bytes,
            payload.len()
        ));
    }
    if hex::encode(Sha256::digest(payload)) != header.sha256 {
        return Err("its state does not match the checksum in its header".into());
    }
    Ok((header, payload.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header { worker: Some(1), ..Header::new(Kind::Worker, 2, Some(42)) }
    }

    #[test]
    fn what_is_written_reads_back_and_no_temporary_file_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/worker.state");
        write(&path, header(), b"payload").unwrap();
        write(&path, header(), b"second payload").unwrap();
        let (read_header, payload) = read(&path).unwrap().unwrap();
        assert_eq!(payload, b"second payload");
        assert_eq!((read_header.worker, read_header.workers, read_header.bytes), (Some(1), 2, 14));
        let names: Vec<_> =
            std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["worker.state"]);
    }

    #[test]
    fn an_absent_file_is_none_and_a_damaged_one_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.state");
        assert!(read(&path).unwrap().is_none());
        write(&path, header(), b"0123456789").unwrap();
        let whole = std::fs::read(&path).unwrap();
        for (damaged, why) in [
            (whole[..whole.len() - 3].to_vec(), "announces 10 bytes"),
            ([&whole[..whole.len() - 1], b"X"].concat(), "checksum"),
            (b"{\"not\": \"state\"}".to_vec(), "trailhound-state line"),
            (whole.iter().map(|b| if *b == b'1' { b'2' } else { *b }).collect(), "format version 2"),
        ] {
            std::fs::write(&path, damaged).unwrap();
            let error = read(&path).unwrap_err().to_string();
            assert!(error.contains("is corrupt") && error.contains(why), "{error}");
        }
    }
}
