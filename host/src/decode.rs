//! Decode: bytes to JSON records. Accepts what CloudTrail delivers to S3 (one
//! `{"Records":[...]}` document per file, usually on one line), the same document
//! pretty-printed, JSON lines (one record, or one `Records` document, per line), a single
//! record, and a top-level array of records.
//!
//! Line-oriented input is streamed: memory stays flat however long the file. A line that is not
//! JSON is reported with its line number and the rest of the input is still read.

use std::io::{self, BufRead};
use std::sync::Arc;

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
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => emit(value, file, Some(line), out),
        Err(e) => out(Item::Malformed(Malformed {
            origin: Origin::line(file.clone(), line),
            reason: format!("not JSON: {}", without_position(&e)),
        })),
    }
}

/// A multi-line document. When it does not parse as a whole, it may still be JSON lines whose
/// first line was cut short: then each line is read on its own, so that one bad line does not
/// cost the rest of the file.
fn decode_document(
    text: &[u8],
    file: &Arc<str>,
    first_line: u64,
    out: &mut dyn FnMut(Item),
) -> io::Result<()> {
    match serde_json::from_slice::<Value>(text) {
        Ok(value) => emit(value, file, None, out),
        Err(e) if looks_like_lines(text) => {
            let _ = e;
            for (i, line) in text.split(|b| *b == b'\n').enumerate() {
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

/// Hands out the records in one JSON value: the elements of a `Records` array or of a
/// top-level array, or the value itself.
fn emit(value: Value, file: &Arc<str>, line: Option<u64>, out: &mut dyn FnMut(Item)) {
    let single = |file: &Arc<str>| match line {
        Some(line) => Origin::line(file.clone(), line),
        None => Origin::whole(file.clone()),
    };
    let indexed =
        |i: usize| Origin { file: file.clone(), line: line.filter(|l| *l > 1), record: Some(i as u64) };
    match value {
        Value::Object(mut object) if object.contains_key("Records") => match object.remove("Records") {
            Some(Value::Array(records)) => emit_all(records, &indexed, out),
            _ => out(Item::Malformed(Malformed {
                origin: single(file),
                reason: "Records: expected an array".into(),
            })),
        },
        Value::Array(records) => emit_all(records, &indexed, out),
        Value::Object(_) => out(Item::Record(RawRecord { origin: single(file), value })),
        other => out(Item::Malformed(Malformed {
            origin: single(file),
            reason: format!("expected a JSON object, found {}", json_kind(&other)),
        })),
    }
}

fn emit_all(records: Vec<Value>, origin: &dyn Fn(usize) -> Origin, out: &mut dyn FnMut(Item)) {
    for (i, value) in records.into_iter().enumerate() {
        if value.is_object() {
            out(Item::Record(RawRecord { origin: origin(i), value }));
        } else {
            let reason = format!("expected a JSON object, found {}", json_kind(&value));
            out(Item::Malformed(Malformed { origin: origin(i), reason }));
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
