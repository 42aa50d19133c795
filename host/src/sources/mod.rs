//! Sources: where raw bytes come from — files, folders scanned recursively, stdin — and how
//! they are opened (gzip is recognized by its magic bytes, whatever the file is called).

use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use crate::decode::{self, Layout};
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
    /// The name records from this input are reported under.
    pub fn name(&self) -> Arc<str> {
        match self {
            Input::File(path) => Arc::from(path.display().to_string()),
            Input::Stdin => Arc::from("-"),
        }
    }
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
/// path so runs are repeatable), `-` as stdin.
///
/// # Errors
/// A path that does not exist or a folder that cannot be listed.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<Input>, SourceError> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let meta = std::fs::metadata(path).map_err(|source| error(path, source))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)?;
            found.sort();
            inputs.extend(found.into_iter().map(Input::File));
        } else {
            inputs.push(Input::File(path.clone()));
        }
    }
    Ok(inputs)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), SourceError> {
    for entry in std::fs::read_dir(dir).map_err(|e| error(dir, e))? {
        let entry = entry.map_err(|e| error(dir, e))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| error(&path, e))?;
        // Symlinked folders are not followed: a link cycle would never end.
        if kind.is_dir() {
            walk(&path, found)?;
        } else if is_log_file(&path) && path.is_file() {
            found.push(path);
        }
    }
    Ok(())
}

/// Whether a file found in a folder is read: JSON, JSON lines, and their gzipped forms; not
/// hidden files, and not CloudTrail digest files (which hold hashes, not events).
pub fn is_log_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else { return false };
    let name = name.to_ascii_lowercase();
    let plain = name.strip_suffix(".gz").unwrap_or(&name);
    !name.starts_with('.')
        && !name.contains("cloudtrail-digest")
        && [".json", ".jsonl", ".ndjson"].iter().any(|ext| plain.ends_with(ext))
}

/// Reads one input, handing every record (or malformed record) to `out` in order.
///
/// # Errors
/// The input cannot be opened or read to its end; records already handed out stay handed out.
pub fn read(input: &Input, out: &mut dyn FnMut(Item)) -> Result<(), SourceError> {
    let name = input.name();
    let result = match input {
        Input::File(path) => match std::fs::File::open(path) {
            Ok(file) => read_from(file, &name, layout_of(path), out),
            Err(e) => Err(e),
        },
        Input::Stdin => read_from(io::stdin().lock(), &name, Layout::Sniff, out),
    };
    result.map_err(|source| SourceError { path: name.to_string(), source })
}

fn read_from(
    reader: impl Read,
    name: &Arc<str>,
    layout: Layout,
    out: &mut dyn FnMut(Item),
) -> io::Result<()> {
    let mut reader = BufReader::with_capacity(256 * 1024, reader);
    if reader.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
        let unzipped = BufReader::with_capacity(256 * 1024, MultiGzDecoder::new(reader));
        decode::decode(unzipped, name, layout, out)
    } else {
        decode::decode(reader, name, layout, out)
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
    SourceError { path: path.display().to_string(), source }
}
