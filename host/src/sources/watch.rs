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
//! gzip members appended later are read as a new stream from where the last one ended. A
//! flow-log text file is continued in the format its start named: the header of a custom
//! format is only on its first line.
//!
//! Whatever is still incomplete when the run stops is reported, never dropped silently.
//!
//! How far each file was read is saved with the state ([`Tracker::positions`]) and read back
//! at a restart ([`Tracker::resume`]): a file that is still the one it was is read on from
//! there, so each file is read once across restarts too.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::{bytes_of, layout_of, printable_path, Item, SourceError};
use crate::decode::flow_log::{self, Format};
use crate::decode::{self, Decoded, Limits, Position};
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

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Tracked {
    identity: (u64, u64),
    /// Where the next read starts.
    settled: Position,
    /// Bytes after `settled` that did not yet form a complete value.
    #[serde(skip)]
    pending: u64,
    /// The format of its lines, when it is flow-log text.
    flow_log: Option<Format>,
}

/// How one file is read: the name records are reported under, its layout, and its flow-log
/// format when an earlier read found one.
struct Reading<'a> {
    name: &'a Arc<str>,
    layout: decode::Layout,
    flow_log: Option<&'a Format>,
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
        let (start, known, reread) = match self.files.get(path) {
            Some(t) if t.identity == identity && len >= t.settled.offset => {
                (t.settled, t.flow_log.clone(), false)
            }
            Some(_) => (Position::START, None, true),
            None => (Position::START, None, false),
        };
        if reread {
            tracing::info!(path = %printable_path(path), "file replaced or cut shorter: reading it again from its start");
        }
        let name: Arc<str> = Arc::from(printable_path(path));
        let layout = layout_of(path);
        // First pass: how far the new bytes form complete values, handing nothing out.
        let reading = Reading { name: &name, layout, flow_log: known.as_ref() };
        let complete = self.frame(path, start, len, &reading, &mut |_| {}).map_err(error)?;
        let (end, flow_log) = match complete {
            Some((settled, found)) => (settled, found),
            None => (start, known.clone()),
        };
        if end.offset > start.offset {
            self.frame(path, start, end.offset, &reading, out).map_err(error)?;
        }
        let pending = len - end.offset;
        self.files.insert(path.to_path_buf(), Tracked { identity, settled: end, pending, flow_log });
        Ok(Progress { bytes: end.offset - start.offset, reread, pending })
    }

    /// Frames `path` from `start` to byte `end`; returns where the last complete value ended
    /// and the flow-log format its lines are in (if they are), or `None` when a gzip stream is
    /// not complete yet.
    fn frame(
        &self,
        path: &Path,
        start: Position,
        end: u64,
        reading: &Reading<'_>,
        out: &mut dyn FnMut(Item),
    ) -> io::Result<Option<(Position, Option<Format>)>> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(start.offset))?;
        let (stream, gzip) = bytes_of(file.take(end - start.offset))?;
        if !gzip {
            let decoded = self.decode(stream, reading, start, out)?;
            // A last line without its newline is complete when nothing is open at the end.
            let settled = if decoded.open { decoded.settled } else { decoded.end };
            return Ok(Some((settled, decoded.flow_log)));
        }
        // Offsets inside a gzip stream are not offsets in the file: a stream is read whole,
        // and the next read starts after it.
        let at = Position { offset: 0, ..start };
        match self.decode(stream, reading, at, out) {
            Ok(decoded) if !decoded.open => {
                Ok(Some((Position { offset: end, ..decoded.settled }, decoded.flow_log)))
            }
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Decodes `stream`, which starts at `at`: in the flow-log format an earlier read found,
    /// else as its first bytes say.
    fn decode(
        &self,
        stream: Box<dyn BufRead + '_>,
        reading: &Reading<'_>,
        at: Position,
        out: &mut dyn FnMut(Item),
    ) -> io::Result<Decoded> {
        match reading.flow_log {
            Some(format) => flow_log::decode(stream, reading.name, format, self.limits, at, out),
            None => decode::decode_at(stream, reading.name, reading.layout, self.limits, at, out),
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

    /// How far each file was read, to be saved with the state. Files whose path is not
    /// UTF-8 are left out (they are read again from their start after a restart).
    pub fn positions(&self) -> serde_json::Value {
        let saved: std::collections::BTreeMap<&str, &Tracked> =
            self.files.iter().filter_map(|(path, tracked)| Some((path.to_str()?, tracked))).collect();
        serde_json::to_value(saved).unwrap_or_default()
    }

    /// Takes up the positions [`Tracker::positions`] saved; returns how many files it holds.
    ///
    /// # Errors
    /// They cannot be read (the file was written by another build).
    pub fn resume(&mut self, saved: serde_json::Value) -> Result<usize, String> {
        if saved.is_null() {
            return Ok(0);
        }
        let saved: HashMap<PathBuf, Tracked> = serde_json::from_value(saved)
            .map_err(|e| format!("the saved positions of the files cannot be read: {e}"))?;
        let count = saved.len();
        self.files.extend(saved);
        Ok(count)
    }

    /// Whether `path` has been read (at least in part).
    pub fn knows(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }

    /// The files read to their end whose positions in `saved` (as a committed checkpoint
    /// holds them) are where this tracker is now: every record of theirs is delivered.
    pub fn delivered_in(&self, saved: &serde_json::Value) -> Vec<PathBuf> {
        let Ok(saved) = HashMap::<PathBuf, Tracked>::deserialize(saved) else { return Vec::new() };
        self.files
            .iter()
            .filter(|(path, now)| {
                now.pending == 0
                    && saved.get(*path).is_some_and(|then| {
                        then.identity == now.identity && then.settled.offset == now.settled.offset
                    })
            })
            .map(|(path, _)| path.clone())
            .collect()
    }

    /// Forgets the files `doomed` picks (they were removed once delivered).
    pub fn forget_if(&mut self, doomed: impl Fn(&Path) -> bool) {
        self.files.retain(|path, _| !doomed(path));
    }
}
