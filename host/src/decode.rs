//! Decode: bytes to JSON records, framed as text. Accepts what CloudTrail delivers to S3 (one
//! `{"Records":[...]}` document per file, usually on one line), the same document
//! pretty-printed, JSON lines (one record, or one `Records` document, per line), a single
//! record, and a top-level array of records.
//!
//! Line-oriented input is streamed: memory stays flat however long the file. A line that is not
//! JSON is reported with its line number and the rest of the input is still read.

use std::io::{self, BufRead};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::record::{json_kind, Malformed, Origin, RawRecord};
use crate::sources::Item;

/// How to read an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// JSON lines (`.jsonl`, `.ndjson`): every line stands alone.
    Lines,
    /// Unknown: JSON lines when the first line is a complete JSON value, else one document.
    Sniff,
}

/// Decodes every record of `reader`, handing each (or the reason it is malformed) to `out`.
///
/// # Errors
/// Reading failed (e.g. a truncated gzip stream); the error names the last line read.
/// Records before that point have been handed out.
pub fn decode(
    mut reader: impl BufRead,
    file: &Arc<str>,
    layout: Layout,
    out: &mut dyn FnMut(Item),
) -> io::Result<()> {
    let mut lines = LineReader { line: 0, buf: Vec::with_capacity(64 * 1024) };
    if !lines.next_nonblank(&mut reader)? {
        return Ok(());
    }
    let first_line = lines.line;
    if layout == Layout::Sniff {
        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&lines.buf) {
            if e.is_eof() {
                // An incomplete first line: a document spread over several lines.
                let mut text = std::mem::take(&mut lines.buf);
                reader.read_to_end(&mut text).map_err(|e| lines.context(e))?;
                return decode_document(&text, file, first_line, out);
            }
        }
    }
    loop {
        emit_line(&lines.buf, file, lines.line, out);
        if !lines.next_nonblank(&mut reader)? {
            return Ok(());
        }
    }
}

struct LineReader {
    line: u64,
    buf: Vec<u8>,
}

impl LineReader {
    /// Reads up to the next non-blank line into `buf`; false at the end of input.
    fn next_nonblank(&mut self, reader: &mut impl BufRead) -> io::Result<bool> {
        loop {
            self.buf.clear();
            let n = reader.read_until(b'\n', &mut self.buf).map_err(|e| self.context(e))?;
            if n == 0 {
                return Ok(false);
            }
            self.line += 1;
            if !self.buf.iter().all(u8::is_ascii_whitespace) {
                return Ok(true);
            }
        }
    }

    fn context(&self, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("{e} (after line {})", self.line))
    }
}

fn emit_line(bytes: &[u8], file: &Arc<str>, line: u64, out: &mut dyn FnMut(Item)) {
    let origin = |index: Option<usize>| match index {
        Some(i) => Origin { file: file.clone(), line: Some(line).filter(|l| *l > 1), record: Some(i as u64) },
        None => Origin::line(file.clone(), line),
    };
    match std::str::from_utf8(bytes) {
        Ok(text) => frame(text.trim(), &origin, out),
        Err(e) => {
            out(Item::Malformed(Malformed { origin: origin(None), reason: format!("not UTF-8 text: {e}") }))
        }
    }
}

/// A multi-line document. When it does not parse as a whole, it may still be JSON lines whose
/// first line was cut short: then each line is read on its own, so that one bad line does not
/// cost the rest of the file.
fn decode_document(
    bytes: &[u8],
    file: &Arc<str>,
    first_line: u64,
    out: &mut dyn FnMut(Item),
) -> io::Result<()> {
    let origin = |index: Option<usize>| match index {
        Some(i) => Origin::record(file.clone(), i as u64),
        None => Origin::whole(file.clone()),
    };
    match serde_json::from_slice::<&RawValue>(bytes) {
        Ok(document) => frame(document.get(), &origin, out),
        Err(_) if looks_like_lines(bytes) => {
            for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
                if !line.iter().all(u8::is_ascii_whitespace) {
                    emit_line(line, file, first_line + i as u64, out);
                }
            }
        }
        Err(e) => out(Item::Malformed(Malformed {
            origin: Origin::line(file.clone(), first_line - 1 + e.line() as u64),
            reason: format!("not JSON: {} (column {})", without_position(&e), e.column()),
        })),
    }
    Ok(())
}

/// More than one line starts a JSON object: JSON lines, not a pretty-printed document (whose
/// inner lines are indented).
fn looks_like_lines(text: &[u8]) -> bool {
    text.split(|b| *b == b'\n').filter(|l| l.first() == Some(&b'{')).nth(1).is_some()
}

/// `{"Records":[...]}`, as CloudTrail delivers to S3.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, rename = "Records")]
    records: Option<&'a RawValue>,
}

/// Hands out the records in one JSON text: the elements of a `Records` array or of a
/// top-level array, or the text itself. `origin(Some(i))` names the i-th element.
///
/// A single record is handed out unparsed (the normalizer's parse checks it), so the common
/// case, one record per line, is read once rather than twice. Only a text that may hold
/// several records is parsed here, into borrowed slices of itself.
fn frame(text: &str, origin: &dyn Fn(Option<usize>) -> Origin, out: &mut dyn FnMut(Item)) {
    let malformed = |index, reason| Item::Malformed(Malformed { origin: origin(index), reason });
    match text.as_bytes().first() {
        // Most records never mention `"Records"`: no need to look for the key.
        Some(b'{') if memchr::memmem::find(text.as_bytes(), b"\"Records\"").is_none() => {
            out(Item::Record(RawRecord { origin: origin(None), text: Arc::from(text) }))
        }
        Some(b'{') => match serde_json::from_str::<Envelope>(text) {
            Ok(Envelope { records: None }) => {
                out(Item::Record(RawRecord { origin: origin(None), text: Arc::from(text) }))
            }
            Ok(Envelope { records: Some(records) }) => {
                match serde_json::from_str::<Vec<&RawValue>>(records.get()) {
                    Ok(records) => frame_all(&records, origin, out),
                    Err(_) => out(malformed(None, "Records: expected an array".into())),
                }
            }
            Err(e) => out(malformed(None, format!("not JSON: {}", without_position(&e)))),
        },
        Some(b'[') => match serde_json::from_str::<Vec<&RawValue>>(text) {
            Ok(records) => frame_all(&records, origin, out),
            Err(e) => out(malformed(None, format!("not JSON: {}", without_position(&e)))),
        },
        _ => out(malformed(
            None,
            match serde_json::from_str::<Value>(text) {
                Ok(value) => format!("expected a JSON object, found {}", json_kind(&value)),
                Err(e) => format!("not JSON: {}", without_position(&e)),
            },
        )),
    }
}

fn frame_all(records: &[&RawValue], origin: &dyn Fn(Option<usize>) -> Origin, out: &mut dyn FnMut(Item)) {
    for (i, record) in records.iter().enumerate() {
        let text = record.get();
        if text.starts_with('{') {
            out(Item::Record(RawRecord { origin: origin(Some(i)), text: Arc::from(text) }));
        } else {
            let kind = serde_json::from_str::<Value>(text).map_or("not JSON", |v| json_kind(&v));
            let reason = format!("expected a JSON object, found {kind}");
            out(Item::Malformed(Malformed { origin: origin(Some(i)), reason }));
        }
    }
}

/// serde_json appends "at line L column C"; the origin already says where.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}
