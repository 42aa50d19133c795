//! Sources: where raw bytes come from — files, folders scanned recursively, stdin — and how
//! they are opened (gzip is recognized by its magic bytes, whatever the file is called, and
//! concatenated gzip members are read as one stream).
//!
//! A folder that cannot be listed costs only itself: it is reported and the rest of the tree
//! is read. A file named twice (`scan logs logs/2024`) is read once.

pub mod http;
pub mod journal;
pub mod nats;
pub mod watch;

use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use crate::decode::{self, Decoded, Layout, Limits};
use crate::record::{Malformed, RawRecord};

/// One thing a source yields: a decoded record, or a record that could not be decoded.
#[derive(Debug)]
pub enum Item {
    Record(RawRecord),
    Malformed(Malformed),
}

/// A place to read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    Stdin,
}

impl Input {
    /// The name records from this input are reported under (control characters escaped, so
    /// a hostile file name cannot drive the terminal that shows it).
    pub fn name(&self) -> Arc<str> {
        match self {
            Input::File(path) => Arc::from(printable_path(path)),
            Input::Stdin => Arc::from("-"),
        }
    }
}

/// A path as messages show it.
pub fn printable_path(path: &Path) -> String {
    crate::text::printable(&path.display().to_string()).into_owned()
}

/// What a list of paths expands to.
#[derive(Debug, Default)]
pub struct Expanded {
    pub inputs: Vec<Input>,
    /// Folders (or entries) inside the given folders that could not be listed; skipped.
    pub unreadable: Vec<SourceError>,
    /// Files reached more than once (a folder and a file or subfolder inside it); read once.
    pub duplicates: Vec<PathBuf>,
}

/// An input that cannot be read at all (missing, unreadable, a truncated gzip stream).
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {source}")]
pub struct SourceError {
    pub path: String,
    #[source]
    pub source: io::Error,
}

/// Expands paths into inputs: files as given, folders recursively (log files only, sorted by
/// path so runs are repeatable), `-` as stdin. A file reached twice is kept once, where it
/// was first reached, and listed in [`Expanded::duplicates`].
///
/// # Errors
/// A path given that does not exist (a typo is better caught before anything is read).
pub fn expand(paths: &[PathBuf]) -> Result<Expanded, SourceError> {
    let mut expanded = Expanded::default();
    let mut seen = std::collections::HashSet::new();
    for path in paths {
        if path.as_os_str() == "-" {
            if expanded.inputs.contains(&Input::Stdin) {
                expanded.duplicates.push(path.clone());
            } else {
                expanded.inputs.push(Input::Stdin);
            }
            continue;
        }
        let meta = std::fs::metadata(path).map_err(|source| error(path, source))?;
        let mut found = Vec::new();
        if meta.is_dir() {
            walk(path, &mut found, &mut expanded.unreadable);
            found.sort();
        } else {
            found.push(path.clone());
        }
        for file in found {
            // The same file by two spellings (`logs/a.json`, `logs//a.json`, a link) is one file.
            let identity = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
            if seen.insert(identity) {
                expanded.inputs.push(Input::File(file));
            } else {
                expanded.duplicates.push(file);
            }
        }
    }
    Ok(expanded)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>, unreadable: &mut Vec<SourceError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return unreadable.push(error(dir, e)),
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                unreadable.push(error(dir, e));
                continue;
            }
        };
        let path = entry.path();
        let kind = match entry.file_type() {
            Ok(kind) => kind,
            Err(e) => {
                unreadable.push(error(&path, e));
                continue;
            }
        };
        // Symlinked folders are not followed: a link cycle would never end.
        if kind.is_dir() {
            walk(&path, found, unreadable);
        } else if is_log_file(&path) && path.is_file() {
            found.push(path);
        }
    }
}

/// Whether a file found in a folder is read: JSON, JSON lines, VPC flow-log text (`.log`, as
/// AWS names the files it delivers to S3), and their gzipped forms; not hidden files, and not
/// CloudTrail digest files (which hold hashes, not events).
pub fn is_log_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else { return false };
    let name = name.to_ascii_lowercase();
    let plain = name.strip_suffix(".gz").unwrap_or(&name);
    !name.starts_with('.')
        && !name.contains("cloudtrail-digest")
        && [".json", ".jsonl", ".ndjson", ".log"].iter().any(|ext| plain.ends_with(ext))
}

/// Reads one input, handing every record (or malformed record) to `out` in order.
///
/// # Errors
/// The input cannot be opened or read to its end; records already handed out stay handed out.
pub fn read(input: &Input, limits: Limits, out: &mut dyn FnMut(Item)) -> Result<Decoded, SourceError> {
    let name = input.name();
    let result = match input {
        Input::File(path) => match std::fs::File::open(path) {
            Ok(file) => read_from(file, &name, layout_of(path), limits, out),
            Err(e) => Err(e),
        },
        Input::Stdin => read_from(io::stdin().lock(), &name, Layout::Sniff, limits, out),
    };
    result.map_err(|source| SourceError { path: name.to_string(), source })
}

/// Reads from any byte stream, as [`read`] reads a file (gzip recognized by its magic bytes).
///
/// # Errors
/// Reading failed, or the gzip stream is truncated.
pub fn read_from(
    reader: impl Read,
    name: &Arc<str>,
    layout: Layout,
    limits: Limits,
    out: &mut dyn FnMut(Item),
) -> io::Result<Decoded> {
    let (stream, _) = bytes_of(reader)?;
    decode::decode(stream, name, layout, limits, out)
}

/// Buffers that reads are made in: long stretches for the framer, and few system calls.
const READ_BUFFER: usize = 256 * 1024;

/// The bytes `reader` holds: inflated when it starts with gzip's magic bytes (concatenated
/// members read as one stream), as they are otherwise; and whether it was gzip.
///
/// # Errors
/// The first read failed.
fn bytes_of<'r>(reader: impl Read + 'r) -> io::Result<(Box<dyn BufRead + 'r>, bool)> {
    let mut reader = BufReader::with_capacity(READ_BUFFER, reader);
    if reader.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
        Ok((Box::new(BufReader::with_capacity(READ_BUFFER, MultiGzDecoder::new(reader))), true))
    } else {
        Ok((Box::new(reader), false))
    }
}

fn layout_of(path: &Path) -> Layout {
    let name = path.to_string_lossy().to_ascii_lowercase();
    let plain = name.strip_suffix(".gz").unwrap_or(&name);
    if plain.ends_with(".jsonl") || plain.ends_with(".ndjson") {
        Layout::Lines
    } else {
        Layout::Sniff
    }
}

fn error(path: &Path, source: io::Error) -> SourceError {
    SourceError { path: printable_path(path), source }
}

/// How far every source of a run was read, as a cut of the state saves it: each file's place
/// ([`watch::Tracker::positions`]) and each NATS stream's last sequence taken, by
/// [`nats::NatsIngest::key`].
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Positions {
    #[serde(default)]
    pub files: serde_json::Value,
    #[serde(default)]
    pub streams: std::collections::BTreeMap<String, u64>,
}

impl Positions {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// # Errors
    /// They were saved by another build.
    pub fn decode(saved: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(saved)
            .map_err(|e| format!("the saved positions of the sources cannot be read: {e}"))
    }
}
