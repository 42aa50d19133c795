//! The properties the fuzz targets check (`fuzz/`, `scripts/fuzz.sh`), as functions of raw
//! bytes, so that the same checks run under the fuzzer and, over every saved input in
//! `tests/data/fuzz/<target>/`, in the test suite. Each function panics when a property
//! fails: that is how a fuzzer learns of a finding.
//!
//! - [`decode`]: framing and decoding of any byte stream (plain or gzip, JSON lines or
//!   sniffed, default or small limits), and the normalization of every record it hands out;
//! - [`normalize`]: one record's text through the normalizer;
//! - [`config`]: a config file's text;
//! - [`plugin_cases`]: a `plugin test` YAML file.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::config::Config;
use crate::decode::{self, Layout, Limits};
use crate::normalize::Normalized;
use crate::record::{Origin, RawRecord};
use crate::sources::{self, Item};

/// What one read handed out.
#[derive(Debug, Default)]
struct Read {
    records: Vec<RawRecord>,
    malformed: Vec<Origin>,
}

impl Read {
    fn push(&mut self, item: Item) {
        match item {
            Item::Record(raw) => self.records.push(raw),
            Item::Malformed(bad) => {
                assert!(!bad.reason.is_empty(), "a malformed record without a reason at {}", bad.origin);
                self.malformed.push(bad.origin);
            }
        }
    }
}

const SMALL: Limits = Limits { max_record_bytes: 1 << 10, max_document_bytes: 4 << 10 };

/// The framer and the normalizer on `data`. Its first byte chooses how the rest is read:
/// bit 0 JSON lines (else sniffed), bit 1 small limits (1 KiB records, 4 KiB documents),
/// bit 2 gzip-compressed here first (bit 3: as two concatenated members), the high four bits
/// where the input is cut to check that reading resumes where it settled (JSON lines only).
///
/// Checked: every record handed out is the exact text at its offset, starts with `{` and ends
/// with `}`, is within the record limit, and its line is the line of that offset; every
/// position is inside the input; valid JSON lines of objects come out as exactly their lines;
/// and every record normalizes to an event or to a reason.
pub fn decode(data: &[u8]) {
    let Some((&control, payload)) = data.split_first() else { return };
    let layout = if control & 1 != 0 { Layout::Lines } else { Layout::Sniff };
    let limits = if control & 2 != 0 { SMALL } else { Limits::default() };
    let name: Arc<str> = Arc::from("fuzz");
    let compressed = (control & 4 != 0).then(|| gzip(payload, control & 8 != 0));
    let input = compressed.as_deref().unwrap_or(payload);
    let mut read = Read::default();
    let result = sources::read_from(input, &name, layout, limits, &mut |item| read.push(item));
    // Input that is gzip already (not compressed here) decompresses to bytes not known here.
    let plain = (compressed.is_some() || !payload.starts_with(&[0x1f, 0x8b])).then_some(payload);
    if plain.is_some() {
        assert!(result.is_ok(), "reading complete input failed: {:?}", result.err());
    }
    check_read(&read, plain, limits);
    for raw in read.records.iter().cloned() {
        normalized(raw);
    }
    // A flow log read again from its middle has lost its header (see `decode`).
    if let (Some(plain), Layout::Lines, None) = (plain.filter(|p| !is_flow_log(p)), layout, &compressed) {
        let cut = plain.len() * usize::from(control >> 4) / 15;
        resumes(plain, cut, limits, &read);
    }
    if let Some(plain) = plain {
        if let Some(lines) = json_lines_of_objects(plain, limits) {
            let texts: Vec<&str> = read.records.iter().map(|r| &*r.text).collect();
            assert_eq!(texts, lines, "valid JSON lines of objects must come out as their lines");
            assert!(read.malformed.is_empty(), "valid JSON lines reported malformed: {:?}", read.malformed);
        }
    }
}

fn gzip(payload: &[u8], two_members: bool) -> Vec<u8> {
    let member = |bytes: &[u8]| {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(bytes).expect("writing to memory");
        encoder.finish().expect("writing to memory")
    };
    if two_members {
        let (a, b) = payload.split_at(payload.len() / 2);
        [member(a), member(b)].concat()
    } else {
        member(payload)
    }
}

/// Whether `plain` is read as a VPC flow log: its first line is a flow-log header or record.
fn is_flow_log(plain: &[u8]) -> bool {
    let line = &plain[..memchr::memchr(b'\n', plain).unwrap_or(plain.len())];
    std::str::from_utf8(line).ok().and_then(|line| decode::flow_log::Format::sniff(line.trim_end())).is_some()
}

fn check_read(read: &Read, plain: Option<&[u8]>, limits: Limits) {
    for raw in &read.records {
        let text = &*raw.text;
        assert!(text.starts_with('{') && text.ends_with('}'), "a record that is no object: {text:?}");
        assert!(text.len() <= limits.max_record_bytes, "a record over the limit: {} bytes", text.len());
        let offset = raw.origin.offset.expect("a record has an offset") as usize;
        if let Some(plain) = plain {
            if is_flow_log(plain) {
                // A flow-log line is handed on as the JSON of its fields, from its start.
                assert!(
                    offset == 0 || plain.get(offset - 1) == Some(&b'\n'),
                    "a flow record not at a line's start"
                );
            } else {
                assert_eq!(
                    plain.get(offset..offset + text.len()),
                    Some(text.as_bytes()),
                    "a record is not the text at its offset {offset}"
                );
            }
            let line = raw.origin.line.expect("a record has a line");
            let newlines = plain[..offset].iter().filter(|&&b| b == b'\n').count() as u64;
            assert_eq!(line, newlines + 1, "a record at offset {offset} has the wrong line");
        }
    }
    if let Some(plain) = plain {
        let lines = plain.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        for origin in read.records.iter().map(|r| &r.origin).chain(&read.malformed) {
            assert!(origin.offset.is_none_or(|o| o <= plain.len() as u64), "offset past the end: {origin:?}");
            assert!(origin.line.is_none_or(|l| (1..=lines).contains(&l)), "line past the end: {origin:?}");
        }
    }
}

/// JSON lines: reading `plain[..cut]`, then resuming where that read settled, hands out the
/// records the whole read handed out.
fn resumes(plain: &[u8], cut: usize, limits: Limits, whole: &Read) {
    let name: Arc<str> = Arc::from("fuzz");
    let mut first = Read::default();
    let settled = decode::decode(&plain[..cut], &name, Layout::Lines, limits, &mut |i| first.push(i))
        .expect("reading memory")
        .settled;
    assert!(settled.offset as usize <= cut, "settled past what was read: {settled:?}");
    let newlines = plain[..settled.offset as usize].iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!(settled.line, newlines + 1, "settled on the wrong line: {settled:?}");
    let rest = &plain[settled.offset as usize..];
    let mut second = Read::default();
    decode::decode_at(rest, &name, Layout::Lines, limits, settled, &mut |i| second.push(i))
        .expect("reading memory");
    let before = |r: &&RawRecord| r.origin.offset.is_some_and(|o| o < settled.offset);
    let key = |r: &RawRecord| (r.origin.clone(), r.text.clone());
    let resumed: Vec<_> = first.records.iter().filter(before).chain(&second.records).map(key).collect();
    let expected: Vec<_> = whole.records.iter().map(key).collect();
    assert_eq!(resumed, expected, "reading resumed at {settled:?} differs from reading it whole");
}

/// The lines of `plain` when it is UTF-8 JSON lines of objects the framer takes as records
/// (not `Records` documents, within its nesting and size limits), blank lines aside; else
/// `None`.
fn json_lines_of_objects(plain: &[u8], limits: Limits) -> Option<Vec<&str>> {
    let text = std::str::from_utf8(plain).ok()?;
    let mut lines = Vec::new();
    for line in text.split('\n') {
        let trimmed = line.trim_matches([' ', '\t', '\r']);
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.len() > limits.max_record_bytes || trimmed.len() as u64 > limits.max_document_bytes {
            return None;
        }
        let value: serde_json::Value = serde_json::from_str(trimmed).ok()?;
        let object = value.as_object()?;
        if object.contains_key("Records")
            || object.contains_key("logEvents")
            || depth(&value) > decode::framer::MAX_DEPTH
        {
            return None;
        }
        lines.push(trimmed);
    }
    Some(lines)
}

fn depth(value: &serde_json::Value) -> usize {
    match value {
        serde_json::Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        serde_json::Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn normalized(raw: RawRecord) {
    let origin = raw.origin.clone();
    match crate::normalize::normalize(raw, None) {
        Ok(Normalized::Event(mut record)) => {
            assert_eq!(record.origin, origin, "normalization changed the origin");
            // Enrichment reads the same text the normalizer kept: it must not panic on it either.
            crate::enrich::enrich(&mut record.event);
            let event = &record.event;
            assert!(!event.action.is_empty(), "an event without an action: {event:?}");
            assert!(
                !event.id.is_empty() && !event.actor.id.is_empty() && !event.account.is_empty(),
                "an event without id, actor or account: {event:?}"
            );
        }
        Ok(Normalized::Skipped { origin: skipped, reason }) => {
            assert_eq!(skipped, origin, "a skipped record lost its origin");
            assert!(!reason.is_empty(), "a record skipped without a reason");
        }
        Err(bad) => {
            assert_eq!(bad.origin, origin, "a malformed record lost its origin");
            assert!(!bad.reason.is_empty(), "a malformed record without a reason");
        }
    }
}

/// One record's text through the normalizer, as [`crate::normalize::event`] and as a framed
/// record: an event, or a reason, never a panic.
pub fn normalize(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(reason) = crate::normalize::event(&text) {
        assert!(!reason.is_empty(), "an error without a reason");
    }
    let origin = Origin { file: Arc::from("fuzz"), line: Some(1), record: None, offset: Some(0) };
    normalized(RawRecord { origin, text: Arc::from(text) });
}

/// A config file's text: parsed, or an error located inside the text.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = Path::new("fuzz/trailhound.toml");
    let errors = match Config::parse_all(text, path) {
        Ok((config, problems)) => {
            let _ = config.engine_settings();
            let _ = config.plugin_specs();
            problems
        }
        Err(error) => vec![error],
    };
    let first = Config::parse(text, path).err().map(|e| e.to_string());
    assert_eq!(first, errors.first().map(ToString::to_string), "parse is parse_all's first error");
    for error in &errors {
        let at = error.location().expect("a parse error has a location");
        assert_within(text, at.line, at.column, &error.to_string());
    }
}

/// A `plugin test` YAML file's text: parsed, or an error located inside the text.
pub fn plugin_cases(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(error) = crate::plugin_cases::parse(text) {
        assert!(!error.message.is_empty(), "an error without a message");
        if let Some((line, column)) = error.at {
            assert_within(text, line, column, &error.to_string());
        }
    }
}

/// A 1-based line and column (in characters) inside `text`, or just past its end.
fn assert_within(text: &str, line: usize, column: usize, what: &str) {
    let lines: Vec<&str> = text.split('\n').collect();
    assert!((1..=lines.len()).contains(&line), "{what}: line {line} of {}", lines.len());
    let width = lines[line - 1].chars().count();
    assert!((1..=width + 1).contains(&column), "{what}: column {column} of a line of {width}");
}
