//! Sources: where raw bytes come from (files, folders scanned recursively, stdin).
//!
//! STUB: owned by the sources/normalize work; the signatures below are the contract.

use std::path::PathBuf;

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

/// An input that cannot be read at all (missing, unreadable, not gzip although named so).
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {source}")]
pub struct SourceError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

/// Expands paths into inputs: files as given, folders recursively (sorted), `-` as stdin.
///
/// # Errors
/// A path that does not exist or cannot be listed.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<Input>, SourceError> {
    Ok(paths.iter().map(|p| Input::File(p.clone())).collect())
}

/// Reads one input, handing every record (or malformed record) to `out` in order.
///
/// # Errors
/// The input cannot be opened or read; records already handed out stay handed out.
pub fn read(input: &Input, out: &mut dyn FnMut(Item)) -> Result<(), SourceError> {
    let _ = (input, out);
    Ok(())
}
