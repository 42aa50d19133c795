//! Files that keep changing: each read once, only as far as it is complete, and continued
//! from where the last read settled when more is written.
//!
//! A folder being filled (an S3 sync, a log shipper appending JSON lines) changes under the
//! reader. For every file the [`Tracker`] remembers which file it was (device and inode),
//! how far it was read, and at which line. A change is read from there, and only up to the end
//! of the last complete value: a first pass frames the new bytes without handing anything
//! out, so a record still being written is left for the next change instead of being
//! reported as malformed or read twice. A file replaced by another (a new inode) or cut
//! shorter is read again from its start. Gzip files are read once their stream is complete;
//! gzip members appended later are read as a new stream from where the last one ended.
//!
//! Whatever is still incomplete when the run stops is reported, never dropped silently.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{bytes_of, layout_of, printable_path, Item, SourceError};
use crate::decode::{self, Limits, Position};
use crate::record::{Malformed, Origin};

/// What one change to a file gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Bytes of the file read by this change.
    pub bytes: u64,
    /// The file was replaced or cut shorter, and read again from its start.
    pub reread: bool,
    /// Bytes at its end not read yet: an incomplete record.
    pub pending: u64,
}

#[derive(Debug, Clone, Copy)]
struct Tracked {
    identity: (u64, u64),
    /// Where the next read starts.
    settled: Position,
    /// Bytes after `settled` that did not yet form a complete value.
    pending: u64,
}

/// How far each file has been read.
#[derive(Debug, Default)]
pub struct Tracker {
    files: HashMap<PathBuf, Tracked>,
    limits: Limits,
}

impl Tracker {
    pub fn new(limits: Limits) -> Self {
        Tracker { files: HashMap::new(), limits }
    }

    /// Reads what is new and complete in `path`, handing each record to `out`.
    ///
    /// # Errors
    /// The file cannot be opened or read.
    pub fn read_new(&mut self, path: &Path, out: &mut dyn FnMut(Item)) -> Result<Progress, SourceError> {
        let error = |source| SourceError { path: printable_path(path), source };
        let meta = std::fs::metadata(path).map_err(error)?;
        let identity = (meta.dev(), meta.ino());
        let len = meta.len();
        let (start, reread) = match self.files.get(path) {
            Some(t) if t.identity == identity && len >= t.settled.offset => (t.settled, false),
            Some(_) => (Position::START, true),
            None => (Position::START, false),
        };
        if reread {
            tracing::info!(path = %printable_path(path), "file replaced or cut shorter: reading it again from its start");
        }
        let name: Arc<str> = Arc::from(printable_path(path));
        let layout = layout_of(path);
        // First pass: how far the new bytes form complete values, handing nothing out.
        let complete = self.frame(path, start, len, &name, layout, &mut |_| {}).map_err(error)?;
        let end = match complete {
            Some(settled) => settled,
            None => start,
        };
        if end.offset > start.offset {
            self.frame(path, start, end.offset, &name, layout, out).map_err(error)?;
        }
        let pending = len - end.offset;
        self.files.insert(path.to_path_buf(), Tracked { identity, settled: end, pending });
        Ok(Progress { bytes: end.offset - start.offset, reread, pending })
    }

    /// Frames `path` from `start` to byte `end`; returns where the last complete value ended,
    /// or `None` when a gzip stream is not complete yet.
    fn frame(
        &self,
        path: &Path,
        start: Position,
        end: u64,
        name: &Arc<str>,
        layout: decode::Layout,
        out: &mut dyn FnMut(Item),
    ) -> io::Result<Option<Position>> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(start.offset))?;
        let (stream, gzip) = bytes_of(file.take(end - start.offset))?;
        if !gzip {
            let decoded = decode::decode_at(stream, name, layout, self.limits, start, out)?;
            // A last line without its newline is complete when nothing is open at the end.
            return Ok(Some(if decoded.open { decoded.settled } else { decoded.end }));
        }
        // Offsets inside a gzip stream are not offsets in the file: a stream is read whole,
        // and the next read starts after it.
        let at = Position { offset: 0, ..start };
        match decode::decode_at(stream, name, layout, self.limits, at, out) {
            Ok(decoded) if !decoded.open => Ok(Some(Position { offset: end, ..decoded.settled })),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The incomplete tails of files, as malformed records: what a stopping run reports.
    pub fn incomplete(&self) -> Vec<Malformed> {
        let mut tails: Vec<Malformed> = self
            .files
            .iter()
            .filter(|(_, t)| t.pending > 0)
            .map(|(path, t)| Malformed {
                origin: Origin {
                    file: Arc::from(printable_path(path)),
                    line: Some(t.settled.line),
                    record: None,
                    offset: Some(t.settled.offset),
                },
                reason: format!(
                    "the file ends with {} bytes that are not a complete record (still being written?); not read",
                    t.pending
                ),
            })
            .collect();
        tails.sort_by(|a, b| a.origin.file.cmp(&b.origin.file));
        tails
    }

    /// Whether `path` has been read (at least in part).
    pub fn knows(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }
}
