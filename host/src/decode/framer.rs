//! The framer: finds where each record begins and ends in a stream of bytes, checking the
//! JSON grammar as it goes but building nothing, so that one bad record costs only itself.
//!
//! It reads any sequence of top-level JSON values (JSON lines, one or several concatenated
//! `{"Records":[...]}` or `{"records":[...]}` documents, CloudWatch Logs subscription payloads
//! whose `logEvents` are the records, arrays of records, single records), in chunks, and keeps
//! only the bytes of the record it is in, never a whole document. Each record is handed out
//! with its line, its index in its document's array and its byte offset, or reported
//! malformed with the same position and the reason:
//! - a grammar error inside a record costs that record: the framer marks it, follows its
//!   brackets to its end and carries on with the next one;
//! - a record over [`Limits::max_record_bytes`], or nested deeper than [`MAX_DEPTH`], is
//!   followed to its end without being kept;
//! - a document over [`Limits::max_document_bytes`] is followed to its end without handing
//!   out any more of its records;
//! - where the structure itself is lost (an unexpected closing bracket between records, bytes
//!   that start no JSON value), the framer reports it and starts again at the next line (JSON
//!   lines) or at the next line that begins with `{` or `[` (documents).
//!
//! Records are kept as bytes: one invalid UTF-8 byte makes only its record malformed.

use std::sync::Arc;

use crate::record::{Malformed, Origin, RawRecord};
use crate::sources::Item;

use super::Limits;

/// Nesting allowed inside one record. serde_json, which later parses every record, refuses
/// 128 levels; stopping well below means every record handed out parses the same way for
/// every consumer (normalizer, projection, sharder), and the refusal has its own message.
pub const MAX_DEPTH: usize = 100;

/// The keys of the arrays that hold the records of a document: a CloudTrail delivery file's
/// `Records`, the blobs Azure diagnostic settings write (`records`: Activity Log, Entra ID),
/// a CloudWatch Logs subscription payload's `logEvents` (EKS audit logs, flow logs and
/// CloudTrail delivered to CloudWatch Logs).
const ENVELOPE_KEYS: [&str; 3] = ["Records", "records", "logEvents"];

/// Bytes of a key kept to tell whether it is an envelope key: one more than the longest.
const ENVELOPE_KEY_ROOM: usize = 10;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How lines relate to values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every line stands alone: a value still open at the end of a line is malformed.
    Lines,
    /// Values may span lines (pretty-printed documents).
    Stream,
    /// Not yet known: JSON lines if the first line holds a complete value, else a stream.
    Sniff,
}

/// Where a container is in its grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// After `{`: a key or `}`.
    KeyOrEnd,
    /// After `,` in an object: a key.
    Key,
    Colon,
    /// After `:` or `,` in an array (or `[`, with `end_ok`): a value.
    Value {
        end_ok: bool,
    },
    CommaOrEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Container {
    object: bool,
    expect: Expect,
}

/// The lexical state between bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lex {
    /// Between tokens.
    Between,
    /// Inside a string; `escaped` after a backslash.
    Str { escaped: bool },
    /// Following a value to its end by its brackets alone (a bad record, a value being
    /// skipped): `depth` open brackets, `in_str` inside a string.
    Follow { depth: u64, in_str: bool, escaped: bool },
    /// Lost: skipping to the next line where framing can start again.
    Resync,
}

/// The record being read.
struct Unit {
    origin: Origin,
    /// Stack depth outside the record: the record ends when the stack is back to it.
    base: usize,
    bytes: Vec<u8>,
    size: u64,
    /// Why the record is malformed, once known; its bytes are no longer kept.
    error: Option<String>,
    /// Over the size limit: its bytes are no longer kept.
    oversize: bool,
    /// Part of a document over its size limit: followed, never handed out or reported.
    silent: bool,
    /// This is a top-level object that may turn out to be a document (`Records`, `logEvents`).
    candidate: bool,
    /// The top-level envelope key whose value is not an array.
    envelope_not_array: Option<&'static str>,
}

/// The top-level value being read.
struct Document {
    line: u64,
    offset: u64,
    size: u64,
    /// Stack depth of the array whose elements are records (1 for a top-level array, 2 for
    /// `{"Records":[...]}`), once known.
    records_at: Option<usize>,
    /// Records (and malformed records) of this document so far.
    count: u64,
    /// Over the size limit: followed to its end, nothing more handed out.
    cut: bool,
}

pub struct Framer<'o> {
    file: Arc<str>,
    limits: Limits,
    mode: Mode,
    out: &'o mut dyn FnMut(Item),
    stack: Vec<Container>,
    lex: Lex,
    unit: Option<Unit>,
    doc: Option<Document>,
    /// Bytes of the key being read, when it is a key of a candidate document (capped).
    key: Option<Vec<u8>>,
    /// The last key of a candidate document was this envelope key.
    envelope_key: Option<&'static str>,
    /// 1-based line of the byte being read, and whether it is the first of its line.
    line: u64,
    line_start: bool,
    /// Absolute offset of the byte being read.
    offset: u64,
    /// Where the current unit's bytes started in the current chunk.
    keep_from: Option<usize>,
    /// Offset just past the last complete top-level value (or blank line), and its line.
    settled: u64,
    settled_line: u64,
    /// A value has started: the first newline after it decides a sniffed mode.
    seen_value: bool,
}

impl<'o> Framer<'o> {
    pub fn new(file: Arc<str>, limits: Limits, mode: Mode, out: &'o mut dyn FnMut(Item)) -> Self {
        Framer {
            file,
            limits,
            mode,
            out,
            stack: Vec::new(),
            lex: Lex::Between,
            unit: None,
            doc: None,
            key: None,
            envelope_key: None,
            line: 1,
            line_start: true,
            offset: 0,
            keep_from: None,
            settled: 0,
            settled_line: 1,
            seen_value: false,
        }
    }

    /// Input that begins at `offset` and `line` of its file.
    pub fn start_at(&mut self, offset: u64, line: u64) {
        self.offset = offset;
        self.settled = offset;
        self.line = line;
        self.settled_line = line;
    }

    /// Just past the last complete top-level value: where reading can resume once more has
    /// been written.
    pub fn settled(&self) -> super::Position {
        let lines = match self.mode {
            Mode::Lines => Some(true),
            Mode::Stream => Some(false),
            Mode::Sniff => None,
        };
        super::Position { offset: self.settled, line: self.settled_line, lines }
    }

    /// The line being read.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Where the input read so far ends.
    pub fn end(&self) -> super::Position {
        super::Position { offset: self.offset, line: self.line, ..self.settled() }
    }

    /// Whether a value is open (the input so far ends inside it).
    pub fn open(&self) -> bool {
        self.doc.is_some() || self.unit.is_some() || !matches!(self.lex, Lex::Between | Lex::Resync)
    }

    /// Frames one chunk of input.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.unit.is_some() {
            self.keep_from = Some(0);
        }
        let mut i = 0;
        while i < chunk.len() {
            if self.mode == Mode::Lines && self.line_start && !self.open() {
                if let Some(next) = self.plain_line(chunk, i) {
                    i = next;
                    continue;
                }
            }
            i = self.step(chunk, i);
        }
        self.keep(chunk, chunk.len());
        self.keep_from = None;
    }

    /// JSON lines' common case, without the state machine: a whole line in this chunk that is
    /// one object (`{` to `}`), UTF-8, within the size limit, too shallow to be too deep
    /// (fewer opening brackets than the depth limit) and no document of records. The
    /// normalizer's parse then says whether it is JSON. Anything else is framed byte by byte.
    fn plain_line(&mut self, chunk: &[u8], i: usize) -> Option<usize> {
        let len = memchr::memchr(b'\n', &chunk[i..])?;
        let line = chunk[i..i + len].trim_ascii_end();
        let plain = line.first() == Some(&b'{')
            && line.last() == Some(&b'}')
            && line.len() <= self.limits.max_record_bytes
            && !mentions_envelope_key(line)
            && memchr::memchr2_iter(b'{', b'[', line).count() <= MAX_DEPTH;
        let text = std::str::from_utf8(line).ok().filter(|_| plain)?;
        let origin = self.origin_here(None);
        (self.out)(Item::Record(RawRecord { origin, text: Arc::from(text) }));
        self.seen_value = true;
        self.offset += len as u64 + 1;
        self.line += 1;
        self.settle();
        Some(i + len + 1)
    }

    /// The input ended: whatever is still open is reported.
    pub fn finish(&mut self) {
        if matches!(self.lex, Lex::Follow { depth: 0, in_str: false, .. }) {
            // A number or literal ends with the input. It may go on when more is written
            // (`12` of `123`, `t` of `true`), so reading resumes before it, not after.
            let settled = (self.settled, self.settled_line);
            self.lex = Lex::Between;
            self.value_done(&[], 0);
            (self.settled, self.settled_line) = settled;
        }
        if self.open() && self.lex != Lex::Resync {
            self.abandon("the input ends inside this value (truncated?)");
        }
    }

    /// Processes the byte at `i` (and, inside strings, the run of plain bytes after it);
    /// returns the index of the next byte to look at.
    fn step(&mut self, chunk: &[u8], i: usize) -> usize {
        match self.lex {
            Lex::Str { escaped } => return self.string(chunk, i, escaped),
            Lex::Follow { depth, in_str, escaped } => return self.follow(chunk, i, depth, in_str, escaped),
            Lex::Resync => return self.resync(chunk, i),
            Lex::Between => {}
        }
        self.between(chunk, i)
    }

    fn advance(&mut self, b: u8) {
        self.offset += 1;
        self.line_start = b == b'\n';
        if b == b'\n' {
            self.line += 1;
        }
        if let Some(doc) = &mut self.doc {
            doc.size += 1;
        }
        if let Some(unit) = &mut self.unit {
            unit.size += 1;
        }
    }

    /// A structural byte (or whitespace) at `i`.
    fn between(&mut self, chunk: &[u8], i: usize) -> usize {
        let b = chunk[i];
        if b == b'\n' {
            return self.newline(chunk, i);
        }
        if matches!(b, b' ' | b'\t' | b'\r') {
            self.advance(b);
            return i + 1;
        }
        if self.stack.is_empty() && self.unit.is_none() && self.doc.is_none() {
            return self.top_level(chunk, i);
        }
        let Some(top) = self.stack.last().copied() else {
            // A top-level scalar being followed is handled by `Lex::Follow`; nothing else
            // is open without a container.
            return self.top_level(chunk, i);
        };
        match (top.expect, b) {
            (Expect::KeyOrEnd | Expect::Key, b'"') => {
                self.set_expect(Expect::Colon);
                let depth = self.stack.len();
                let tracking = self.unit.as_ref().is_some_and(|u| u.candidate) && depth == 1;
                self.key = tracking.then(Vec::new);
                self.advance(b);
                self.lex = Lex::Str { escaped: false };
                i + 1
            }
            (Expect::KeyOrEnd, b'}') | (Expect::CommaOrEnd, b'}') if top.object => self.close(chunk, i),
            (Expect::Value { end_ok: true }, b']') | (Expect::CommaOrEnd, b']') if !top.object => {
                self.close(chunk, i)
            }
            (Expect::Colon, b':') => {
                self.set_expect(Expect::Value { end_ok: false });
                self.advance(b);
                i + 1
            }
            (Expect::CommaOrEnd, b',') => {
                self.set_expect(if top.object { Expect::Key } else { Expect::Value { end_ok: false } });
                self.advance(b);
                i + 1
            }
            (Expect::Value { .. }, _) if starts_value(b) => self.value(chunk, i),
            _ => {
                let found = describe(b);
                let wanted = match top.expect {
                    Expect::KeyOrEnd => "a key or '}'",
                    Expect::Key => "a key",
                    Expect::Colon => "':'",
                    Expect::Value { .. } => "a value",
                    Expect::CommaOrEnd if top.object => "',' or '}'",
                    Expect::CommaOrEnd => "',' or ']'",
                };
                self.syntax(chunk, i, format!("expected {wanted}, found {found}"))
            }
        }
    }

    fn syntax(&mut self, chunk: &[u8], i: usize, what: String) -> usize {
        self.grammar_error(chunk, i, format!("not JSON: {what}"))
    }

    fn set_expect(&mut self, expect: Expect) {
        if let Some(top) = self.stack.last_mut() {
            top.expect = expect;
        }
    }

    /// A byte with nothing open: the start of a document, a BOM, or garbage.
    fn top_level(&mut self, chunk: &[u8], i: usize) -> usize {
        if chunk[i..].starts_with(BOM) || (chunk[i] == BOM[0] && BOM.starts_with(&chunk[i..])) {
            // A byte-order mark, at the start of the input or of a concatenated document.
            let n = BOM.len().min(chunk.len() - i);
            for &b in &chunk[i..i + n] {
                self.advance(b);
            }
            return i + n;
        }
        let b = chunk[i];
        if !starts_value(b) {
            let reason = format!("{} where a JSON value should start; skipped to the next line", describe(b));
            self.report_here(reason);
            self.lose();
            return i;
        }
        self.seen_value = true;
        self.doc = Some(Document {
            line: self.line,
            offset: self.offset,
            size: 0,
            records_at: None,
            count: 0,
            cut: false,
        });
        match b {
            b'{' => {
                self.start_unit(i, None, true);
                self.open_container(chunk, i, true)
            }
            b'[' => {
                self.doc.as_mut().expect("just opened").records_at = Some(1);
                self.open_container(chunk, i, false)
            }
            _ => {
                let reason = format!("expected a JSON object, found {}", kind_of(b));
                self.report_here(reason);
                self.skip_value(chunk, i)
            }
        }
    }

    /// A value starts at `i`, inside a container.
    fn value(&mut self, chunk: &[u8], i: usize) -> usize {
        let b = chunk[i];
        let depth = self.stack.len();
        let (records_at, count) = self.doc.as_ref().map_or((None, 0), |d| (d.records_at, d.count));
        let is_record = self.unit.is_none() && records_at == Some(depth);
        let envelope = self.envelope_key.take().filter(|_| depth == 1);
        if let Some(envelope) = envelope {
            if b == b'[' {
                // `{"Records": [`: the top-level object is a document, not a record.
                self.unit = None;
                self.keep_from = None;
                self.doc.as_mut().expect("open").records_at = Some(2);
                return self.open_container(chunk, i, false);
            }
            if let Some(unit) = &mut self.unit {
                unit.envelope_not_array = Some(envelope);
            }
        }
        if self.unit.is_none() && !is_record {
            // Envelope content other than the records: not kept, not checked.
            return self.skip_value(chunk, i);
        }
        if is_record {
            let index = count;
            if b != b'{' {
                let at = self.origin_here(Some(index));
                self.count_record();
                self.malformed(at, format!("expected a JSON object, found {}", kind_of(b)));
                return self.skip_value(chunk, i);
            }
            self.start_unit(i, Some(index), false);
        }
        match b {
            // Inside a record, containers are followed by their brackets alone: the
            // normalizer's parse checks the grammar (and says what is wrong), so the framer
            // only needs the record's end and its depth.
            b'{' | b'[' => {
                self.advance(b);
                self.lex = Lex::Follow { depth: 1, in_str: false, escaped: false };
                self.check_depth(1);
                i + 1
            }
            b'"' => {
                self.advance(b);
                self.lex = Lex::Str { escaped: false };
                i + 1
            }
            // A number or literal: followed to its first byte that is not part of it.
            _ => {
                self.advance(b);
                self.lex = Lex::Follow { depth: 0, in_str: false, escaped: false };
                i + 1
            }
        }
    }

    fn open_container(&mut self, chunk: &[u8], i: usize, object: bool) -> usize {
        let too_deep = self.unit.as_ref().is_some_and(|u| self.stack.len() - u.base >= MAX_DEPTH);
        if too_deep {
            let reason = format!("the record is nested deeper than the limit of {MAX_DEPTH} levels");
            return self.grammar_error(chunk, i, reason);
        }
        self.advance(chunk[i]);
        let expect = if object { Expect::KeyOrEnd } else { Expect::Value { end_ok: true } };
        self.stack.push(Container { object, expect });
        i + 1
    }

    fn close(&mut self, chunk: &[u8], i: usize) -> usize {
        self.advance(chunk[i]);
        self.stack.pop();
        self.value_done(chunk, i + 1)
    }

    /// A value ended just before `next`: the container expects what follows a value, and a
    /// record or document that ended is handed out.
    fn value_done(&mut self, chunk: &[u8], next: usize) -> usize {
        self.set_expect(Expect::CommaOrEnd);
        let depth = self.stack.len();
        if self.unit.as_ref().is_some_and(|u| u.base == depth) {
            self.end_unit(chunk, next);
        }
        if depth == 0 && self.doc.is_some() {
            self.doc = None;
            // A JSON line is settled at its end: what follows on it belongs to it.
            if self.mode != Mode::Lines {
                self.settle();
            }
        }
        next
    }

    /// Inside a string: jumps to the next quote, backslash or newline.
    fn string(&mut self, chunk: &[u8], i: usize, escaped: bool) -> usize {
        if escaped {
            self.advance(chunk[i]);
            self.lex = Lex::Str { escaped: false };
            return i + 1;
        }
        let run = memchr::memchr3(b'"', b'\\', b'\n', &chunk[i..]).unwrap_or(chunk.len() - i);
        self.advance_plain(run);
        if let Some(key) = &mut self.key {
            // One byte more than the key looked for is enough to tell it is another key.
            let room = ENVELOPE_KEY_ROOM.saturating_sub(key.len());
            key.extend_from_slice(&chunk[i..i + run.min(room)]);
        }
        let at = i + run;
        let Some(&b) = chunk.get(at) else { return at };
        match b {
            b'\\' => {
                self.advance(b);
                self.lex = Lex::Str { escaped: true };
                at + 1
            }
            b'"' => {
                self.advance(b);
                self.lex = Lex::Between;
                if let Some(key) = self.key.take() {
                    self.envelope_key = ENVELOPE_KEYS.into_iter().find(|k| k.as_bytes() == key.as_slice());
                    return at + 1;
                }
                if self.stack.last().is_some_and(|c| c.expect == Expect::Colon) {
                    // That string was a key.
                    return at + 1;
                }
                self.value_done(chunk, at + 1)
            }
            _ => self.syntax(chunk, at, "a string runs past the end of its line".into()),
        }
    }

    /// Bytes that are neither newlines nor structure: only counted.
    fn advance_plain(&mut self, n: usize) {
        let n = n as u64;
        self.offset += n;
        if n > 0 {
            self.line_start = false;
        }
        if let Some(doc) = &mut self.doc {
            doc.size += n;
        }
        if let Some(unit) = &mut self.unit {
            unit.size += n;
        }
    }

    fn newline(&mut self, chunk: &[u8], i: usize) -> usize {
        let open = self.open();
        if self.mode == Mode::Sniff && self.seen_value {
            self.mode = if open { Mode::Stream } else { Mode::Lines };
        }
        if open && self.mode == Mode::Lines {
            return self.syntax(chunk, i, "the line ends inside a JSON value".into());
        }
        self.advance(b'\n');
        if !open {
            self.settle();
        }
        i + 1
    }

    /// A grammar error (or a limit) at byte `i`. A line of JSON lines that ends inside a
    /// value, or a line that starts a new value after one that was cut short, ends whatever
    /// is open. Otherwise, inside a record, the record is marked and followed to its end by
    /// its brackets; elsewhere the structure is lost and framing starts again.
    fn grammar_error(&mut self, chunk: &[u8], i: usize, reason: String) -> usize {
        let b = chunk[i];
        let reason = format!("{reason} at line {} (byte {})", self.line, self.offset);
        let new_value_at_line_start = self.line_start && matches!(b, b'{' | b'[');
        if b == b'\n' || new_value_at_line_start {
            self.abandon_with(reason);
            if b == b'\n' {
                self.advance(b);
                self.settle();
                return i + 1;
            }
            return i;
        }
        match &mut self.unit {
            Some(unit) => {
                unit.error.get_or_insert(reason);
                unit.bytes = Vec::new();
                let depth = (self.stack.len() - unit.base) as u64;
                self.stack.truncate(unit.base);
                self.key = None;
                self.lex = Lex::Follow { depth, in_str: false, escaped: false };
                // Re-read this byte as part of the record being followed.
                i
            }
            None => {
                self.abandon_with(format!("{reason}; skipped to the next line"));
                self.lose();
                i
            }
        }
    }

    /// Follows brackets to the end of a value, without checking or keeping it. `depth` is
    /// the number of its brackets open; at 0 the value is a string or a number or literal.
    /// This is the loop most bytes of a record go through: it keeps its state in locals and
    /// accounts for the bytes it passed once, when it stops.
    fn follow(
        &mut self,
        chunk: &[u8],
        i: usize,
        mut depth: u64,
        mut in_str: bool,
        mut escaped: bool,
    ) -> usize {
        let lines = self.mode != Mode::Stream;
        let n = chunk.len();
        let (mut from, mut j, mut newlines) = (i, i, 0u64);
        while j < n {
            let b = chunk[j];
            // Checked before an escape: a newline after a backslash is still a newline.
            if b == b'\n' && (in_str || depth > 0) {
                if lines {
                    self.pass(chunk, from, j, newlines);
                    return self.syntax(chunk, j, "the line ends inside a JSON value".into());
                }
                newlines += 1;
                escaped = false;
                j += 1;
                continue;
            }
            if escaped {
                escaped = false;
                j += 1;
                continue;
            }
            if in_str {
                match b {
                    b'"' => {
                        in_str = false;
                        j += 1;
                        if depth == 0 {
                            self.pass(chunk, from, j, newlines);
                            self.lex = Lex::Between;
                            return self.value_done(chunk, j);
                        }
                    }
                    b'\\' => {
                        escaped = true;
                        j += 1;
                    }
                    _ => {
                        j += 1 + chunk[j + 1..]
                            .iter()
                            .position(|&c| matches!(c, b'"' | b'\\' | b'\n'))
                            .unwrap_or(n - j - 1)
                    }
                }
                continue;
            }
            if depth == 0 {
                if is_scalar_byte(b) {
                    j += 1;
                    continue;
                }
                // A number or literal ends at the first byte that is not part of it.
                self.pass(chunk, from, j, newlines);
                self.lex = Lex::Between;
                return self.value_done(chunk, j);
            }
            match b {
                b'"' => {
                    in_str = true;
                    j += 1;
                }
                b'{' | b'[' => {
                    depth += 1;
                    j += 1;
                    self.pass(chunk, from, j, newlines);
                    (from, newlines) = (j, 0);
                    self.check_depth(depth);
                }
                b'}' | b']' => {
                    depth -= 1;
                    j += 1;
                    if depth == 0 {
                        self.pass(chunk, from, j, newlines);
                        self.lex = Lex::Between;
                        return self.value_done(chunk, j);
                    }
                }
                _ => {
                    let rest = &chunk[j + 1..];
                    j += 1 + rest
                        .iter()
                        .position(|&c| matches!(c, b'"' | b'{' | b'[' | b'}' | b']' | b'\n'))
                        .unwrap_or(rest.len());
                }
            }
        }
        self.pass(chunk, from, n, newlines);
        self.lex = Lex::Follow { depth, in_str, escaped };
        n
    }

    /// Accounts for the bytes `from..to` of `chunk`, which hold `newlines` newlines.
    fn pass(&mut self, chunk: &[u8], from: usize, to: usize, newlines: u64) {
        if to == from {
            return;
        }
        let n = (to - from) as u64;
        self.offset += n;
        self.line += newlines;
        self.line_start = chunk[to - 1] == b'\n';
        if let Some(doc) = &mut self.doc {
            doc.size += n;
        }
        if let Some(unit) = &mut self.unit {
            unit.size += n;
        }
    }

    /// A record nested deeper than [`MAX_DEPTH`] (with `followed` levels open in the value
    /// being followed) is marked, and followed to its end without being kept.
    fn check_depth(&mut self, followed: u64) {
        let open = self.stack.len();
        let (line, offset) = (self.line, self.offset);
        let Some(unit) = &mut self.unit else { return };
        if unit.error.is_none() && (open - unit.base) as u64 + followed > MAX_DEPTH as u64 {
            unit.error = Some(format!(
                "the record is nested deeper than the limit of {MAX_DEPTH} levels at line {line} (byte {})",
                offset.saturating_sub(1)
            ));
            unit.bytes = Vec::new();
        }
    }

    /// Skips the value starting at `i` (not kept, not checked).
    fn skip_value(&mut self, chunk: &[u8], i: usize) -> usize {
        let b = chunk[i];
        self.advance(b);
        let depth = u64::from(matches!(b, b'{' | b'['));
        self.lex = Lex::Follow { depth, in_str: b == b'"', escaped: false };
        i + 1
    }

    /// The structure is lost at the byte being read: skip from it to the next line where
    /// framing can start again (never restarting on the byte that lost it).
    fn lose(&mut self) {
        self.lex = Lex::Resync;
        self.line_start = false;
    }

    /// Lost: skips to where framing can start again.
    fn resync(&mut self, chunk: &[u8], i: usize) -> usize {
        let b = chunk[i];
        if self.line_start && (self.mode != Mode::Stream || matches!(b, b'{' | b'[')) {
            self.lex = Lex::Between;
            return i;
        }
        let run = memchr::memchr(b'\n', &chunk[i..]).map_or(chunk.len() - i, |n| n + 1);
        self.offset += run as u64;
        if chunk[i + run - 1] == b'\n' {
            self.line += 1;
            self.line_start = true;
            self.settle();
        } else {
            self.line_start = false;
        }
        i + run
    }

    fn settle(&mut self) {
        self.settled = self.offset;
        self.settled_line = self.line;
    }

    fn start_unit(&mut self, i: usize, index: Option<u64>, candidate: bool) {
        let origin = self.origin_here(index);
        let cut = self.doc.as_ref().is_some_and(|d| d.cut);
        self.unit = Some(Unit {
            origin,
            base: self.stack.len(),
            bytes: Vec::new(),
            size: 0,
            error: None,
            oversize: false,
            silent: cut,
            candidate,
            envelope_not_array: None,
        });
        self.keep_from = Some(i);
    }

    /// Appends the current unit's bytes of this chunk up to `end`, within the size limit.
    fn keep(&mut self, chunk: &[u8], end: usize) {
        let Some(from) = self.keep_from.take() else { return };
        let Some(unit) = &mut self.unit else { return };
        if unit.error.is_some() || unit.oversize || unit.silent {
            return;
        }
        let slice = &chunk[from..end];
        if unit.bytes.len() + slice.len() > self.limits.max_record_bytes {
            unit.oversize = true;
            unit.bytes = Vec::new();
            return;
        }
        unit.bytes.extend_from_slice(slice);
        self.keep_from = Some(end);
    }

    fn end_unit(&mut self, chunk: &[u8], end: usize) {
        // A record that lies whole in this chunk is copied once, straight from it.
        let whole = match (&self.unit, self.keep_from) {
            (Some(u), Some(from)) if u.bytes.is_empty() && u.size as usize == end - from => Some(from),
            _ => None,
        };
        match whole {
            Some(_) => self.keep_from = None,
            None => self.keep(chunk, end),
        }
        self.keep_from = None;
        let Some(mut unit) = self.unit.take() else { return };
        let whole = whole.filter(|_| unit.error.is_none());
        if whole.is_some() && unit.size > self.limits.max_record_bytes as u64 {
            unit.oversize = true;
        }
        let counted = self.doc.as_ref().is_some_and(|d| d.records_at.is_some());
        if counted {
            self.count_record();
        }
        if unit.silent {
            return;
        }
        let error = match unit.error {
            Some(error) => Some(error),
            None if unit.oversize => Some(format!(
                "the record is {} bytes, over the limit of {} bytes (input.max_record_bytes)",
                unit.size, self.limits.max_record_bytes
            )),
            None => unit.envelope_not_array.map(|key| format!("{key}: expected an array")),
        };
        if let Some(reason) = error {
            return self.malformed(unit.origin, reason);
        }
        let bytes: &[u8] = match whole {
            Some(from) => &chunk[from..end],
            None => &unit.bytes,
        };
        // Records are followed by counting brackets, not matching them: one closed by `]`
        // is not an object, and is not handed on as one.
        if let Some(&last) = bytes.last().filter(|&&b| b != b'}') {
            let reason = format!("not JSON: the record's `{{` is closed by {}", describe(last));
            return self.malformed(unit.origin, reason);
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => (self.out)(Item::Record(RawRecord { origin: unit.origin, text: Arc::from(text) })),
            Err(e) => {
                let at = e.valid_up_to();
                let reason =
                    format!("not UTF-8 text: invalid byte {:#04x} at byte {at} of the record", bytes[at]);
                self.malformed(unit.origin, reason)
            }
        }
    }

    fn count_record(&mut self) {
        let limit = self.limits.max_document_bytes;
        let Some(doc) = &mut self.doc else { return };
        doc.count += 1;
        if !doc.cut && doc.size > limit {
            doc.cut = true;
            let reason = format!(
                "the document that began at line {} (byte {}) is over the limit of {limit} bytes \
                 (input.max_document_bytes): {} records read, the rest of it skipped",
                doc.line, doc.offset, doc.count
            );
            let at = Origin {
                file: self.file.clone(),
                line: Some(doc.line),
                record: None,
                offset: Some(doc.offset),
            };
            self.malformed(at, reason);
        }
    }

    /// Ends whatever is open with `reason` and forgets it.
    fn abandon(&mut self, reason: &str) {
        let reason = format!("not JSON: {reason}");
        self.abandon_with(reason);
    }

    fn abandon_with(&mut self, reason: String) {
        self.keep_from = None;
        self.stack.clear();
        self.key = None;
        self.envelope_key = None;
        self.lex = Lex::Between;
        let doc = self.doc.take();
        let unit = self.unit.take();
        let lost = |doc: &Document| {
            format!("; the document that began at line {} had {} records before it", doc.line, doc.count)
        };
        match (unit, doc) {
            (Some(unit), _) if unit.silent => {}
            (Some(unit), _) => {
                let reason = unit.error.unwrap_or(reason);
                self.malformed(unit.origin, reason);
            }
            (None, Some(doc)) if !doc.cut => {
                let at = Origin {
                    file: self.file.clone(),
                    line: Some(doc.line),
                    record: None,
                    offset: Some(doc.offset),
                };
                let reason = format!("{reason}{}", lost(&doc));
                self.malformed(at, reason);
            }
            _ => {}
        }
    }

    fn origin_here(&self, index: Option<u64>) -> Origin {
        Origin { file: self.file.clone(), line: Some(self.line), record: index, offset: Some(self.offset) }
    }

    fn report_here(&mut self, reason: String) {
        let at = self.origin_here(None);
        self.malformed(at, reason);
    }

    fn malformed(&mut self, origin: Origin, reason: String) {
        (self.out)(Item::Malformed(Malformed { origin, reason }));
    }
}

/// Whether `line` names an envelope key anywhere (`"Records"`, `"records"`, `"logEvents"`).
fn mentions_envelope_key(line: &[u8]) -> bool {
    // `"Records"` and `"records"` in one scan; `"logEvents"` in another.
    memchr::memmem::find_iter(line, b"ecords\"")
        .any(|at| at >= 2 && line[at - 2] == b'"' && matches!(line[at - 1], b'R' | b'r'))
        || memchr::memmem::find(line, b"\"logEvents\"").is_some()
}

fn starts_value(b: u8) -> bool {
    matches!(b, b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
}

fn is_scalar_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.')
}

/// The JSON type a value starting with `b` has, for messages.
fn kind_of(b: u8) -> &'static str {
    match b {
        b'[' => "an array",
        b'"' => "a string",
        b't' | b'f' => "a boolean",
        b'n' => "null",
        _ => "a number",
    }
}

/// A byte as a message shows it.
fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte {b:#04x}")
    }
}
