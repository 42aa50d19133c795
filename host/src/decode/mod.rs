//! Decode: bytes to JSON records, framed as text. Accepts what CloudTrail delivers to S3 (one
//! `{"Records":[...]}` document per file, usually on one line), the same document
//! pretty-printed, JSON lines (one record, or one `Records` document, per line), single
//! records, top-level arrays of records, and any of these concatenated (`cat *.json.gz |`),
//! with or without a UTF-8 byte-order mark.
//!
//! Input is streamed through the [`framer`]: memory holds one record at a time, however large
//! the document or the file, and one bad record (not UTF-8, not JSON, too large, too deep)
//! is reported with its line, index and byte offset while the others are still read.
//!
//! The one text format read is the VPC flow log's ([`flow_log`]): an input whose first line
//! is a flow-log header or a default-format flow record is read line by line, each line
//! handed on as the JSON object of its fields. The format is returned with what was read
//! ([`Decoded::flow_log`]): a flow-log file read again from the middle (a watched file that
//! grew) has no header there, so its reader resumes with [`flow_log::decode`] in that format.

pub mod flow_log;
pub mod framer;

use std::io::{self, BufRead, Read};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::settings::Range;
use crate::sources::Item;
use framer::{Framer, Mode};

/// How to read an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// JSON lines (`.jsonl`, `.ndjson`): every line stands alone.
    Lines,
    /// Unknown: JSON lines when the first line is a complete JSON value, else documents that
    /// may span lines.
    Sniff,
}

/// Bounds on what one record and one document may cost. The config's `[input]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Bytes of one record. CloudTrail caps an event at 256 KiB; exports that inline large
    /// policy documents stay well below this. A larger record is reported, not read into
    /// memory. Default: 4194304 (4 MiB).
    pub max_record_bytes: usize,
    /// Bytes of one document (a top-level value, such as one `{"Records":[...]}` file). A
    /// CloudTrail delivery file holds at most a few tens of MiB; past the limit, the rest of
    /// the document is skipped and reported. Default: 1073741824 (1 GiB).
    pub max_document_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_record_bytes: 4 << 20, max_document_bytes: 1 << 30 }
    }
}

impl Limits {
    /// Each limit's key, value and the range it must be in.
    pub fn ranges(&self) -> [(&'static str, u64, Range); 2] {
        let why =
            "below 1 KiB real CloudTrail records are refused; above, one input could take the host's memory";
        [
            ("max_record_bytes", self.max_record_bytes as u64, Range { min: 1 << 10, max: 1 << 30, why }),
            ("max_document_bytes", self.max_document_bytes, Range { min: 1 << 10, max: 1 << 40, why }),
        ]
    }
}

/// A place in an input: where reading starts, or where it can resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    /// Bytes before this point.
    pub offset: u64,
    /// 1-based line at this point.
    pub line: u64,
    /// Whether the input is known to be JSON lines (`None`: not yet known).
    pub lines: Option<bool>,
}

impl Position {
    pub const START: Position = Position { offset: 0, line: 1, lines: None };
}

/// How far an input was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// Just past the last complete value: where reading resumes when more is written.
    pub settled: Position,
    /// The input ended inside a value.
    pub open: bool,
    /// Where the input ended.
    pub end: Position,
    /// The format its lines were read in, when the input is flow-log text: what reading it
    /// again from `settled` needs (a custom format's header is only at the start).
    pub flow_log: Option<flow_log::Format>,
}

/// Whether an input starts as JSON does (`{`, `[`, a byte-order mark), or is empty: the
/// common case, told by its first byte without reading a line.
///
/// # Errors
/// The first read failed.
fn starts_as_json(reader: &mut impl BufRead) -> io::Result<bool> {
    loop {
        match reader.fill_buf() {
            Ok(chunk) => return Ok(matches!(chunk.first(), None | Some(b'{' | b'[' | 0xEF))),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The input's first line, with its newline, or its first `max` bytes when the line is
/// longer: every byte read, to be read again by whichever reader the line chooses.
///
/// # Errors
/// Reading failed.
fn first_line(reader: &mut impl BufRead, max: usize) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    while line.len() < max {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        let room = chunk.len().min(max - line.len());
        let (n, done) = match memchr::memchr(b'\n', &chunk[..room]) {
            Some(at) => (at + 1, true),
            None => (room, false),
        };
        line.extend_from_slice(&chunk[..n]);
        reader.consume(n);
        if done {
            break;
        }
    }
    Ok(line)
}

/// Reads buffers this size from the input: big enough that framing runs on long stretches,
/// small enough that a record over the limit is noticed early.
const CHUNK: usize = 256 * 1024;

/// Decodes every record of `reader`, handing each (or the reason it is malformed) to `out`.
///
/// # Errors
/// Reading failed (e.g. a truncated gzip stream); the error names the last line read.
/// Records before that point have been handed out.
pub fn decode(
    reader: impl BufRead,
    file: &Arc<str>,
    layout: Layout,
    limits: Limits,
    out: &mut dyn FnMut(Item),
) -> io::Result<Decoded> {
    decode_at(reader, file, layout, limits, Position::START, out)
}

/// As [`decode`], for input that starts at `at` of its file (reading resumed where an earlier
/// read settled), so lines and offsets are reported as in the whole file.
///
/// # Errors
/// As for [`decode`].
pub fn decode_at(
    reader: impl BufRead,
    file: &Arc<str>,
    layout: Layout,
    limits: Limits,
    at: Position,
    out: &mut dyn FnMut(Item),
) -> io::Result<Decoded> {
    let mode = match (layout, at.lines) {
        (Layout::Lines, _) | (_, Some(true)) => Mode::Lines,
        (_, Some(false)) => Mode::Stream,
        (Layout::Sniff, None) => Mode::Sniff,
    };
    let mut reader = reader;
    if mode == Mode::Stream || starts_as_json(&mut reader)? {
        return frame(reader, file, mode, limits, at, out);
    }
    // Text: a flow log when its first line (read whole, however the input's reads are cut)
    // says so; else the framer says what it is.
    let first = first_line(&mut reader, limits.max_record_bytes)?;
    let whole = first.len() < limits.max_record_bytes || first.ends_with(b"\n");
    let format = std::str::from_utf8(&first)
        .ok()
        .filter(|_| whole)
        .and_then(|line| flow_log::Format::sniff(line.trim_end()));
    let reader = io::Cursor::new(first).chain(reader);
    match format {
        Some(format) => flow_log::decode(reader, file, &format, limits, at, out),
        None => frame(reader, file, mode, limits, at, out),
    }
}

/// Frames JSON values out of `reader` (see [`framer`]).
fn frame(
    mut reader: impl BufRead,
    file: &Arc<str>,
    mode: Mode,
    limits: Limits,
    at: Position,
    out: &mut dyn FnMut(Item),
) -> io::Result<Decoded> {
    let mut framer = Framer::new(file.clone(), limits, mode, out);
    framer.start_at(at.offset, at.line);
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let line = framer.line();
                return Err(io::Error::new(e.kind(), format!("{e} (after line {line})")));
            }
        };
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len().min(CHUNK);
        framer.feed(&chunk[..n]);
        reader.consume(n);
    }
    let open = framer.open();
    let end = framer.end();
    framer.finish();
    Ok(Decoded { settled: framer.settled(), open, end, flow_log: None })
}
