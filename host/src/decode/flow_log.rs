//! VPC flow logs as AWS writes them in text: one record a line, fields separated by spaces,
//! `-` for a field that does not apply. Files delivered to S3 begin with a header line naming
//! the fields of their format (default or custom); log events in CloudWatch Logs carry no
//! header and, in the default format, are fourteen fields starting with the version `2`.
//!
//! Each line becomes a JSON object keyed by the header's field names (`{"srcaddr":
//! "10.0.0.1", "dstport": 22, ...}`; numeric fields as JSON numbers, `-` fields left out), so
//! field projection and the normalizer see one shape whether the flow came as text or JSON.
//! A line with the wrong number of fields, or text where a number belongs, is malformed,
//! reported with its line; the next line is read as usual.

use std::io::{self, BufRead};
use std::sync::Arc;

use super::{Decoded, Limits, Position};
use crate::record::{Malformed, Origin, RawRecord};
use crate::sources::Item;

/// The fields of the default format (version 2), in order.
pub const DEFAULT_FIELDS: [&str; 14] = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
];

/// Fields whose values are numbers (of every version up to 8); every other field is text.
const NUMERIC_FIELDS: &[&str] = &[
    "version",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "tcp-flags",
    "traffic-path",
];

/// Fields one of which every flow-log header names: what tells a header from other text.
const FLOW_FIELDS: [&str; 4] = ["srcaddr", "dstaddr", "interface-id", "log-status"];

/// The field names of a flow log's text lines.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Format {
    fields: Vec<String>,
    /// The header line that named them, if any: a line equal to it (the header of the next
    /// of several concatenated files) is not a record.
    header: Option<String>,
}

impl Format {
    /// The default format, for lines that come without a header.
    pub fn default_v2() -> Self {
        Format { fields: DEFAULT_FIELDS.iter().map(|f| f.to_string()).collect(), header: None }
    }

    /// The format a header line names: field names only (lower case, digits and `-`), one of
    /// them a flow's own ([`FLOW_FIELDS`]). Names of later versions are accepted as text.
    pub fn from_header(line: &str) -> Option<Self> {
        let fields: Vec<String> = line.split_ascii_whitespace().map(str::to_string).collect();
        let names = fields.iter().all(|f| {
            f.starts_with(|c: char| c.is_ascii_lowercase())
                && f.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
        let flow = fields.iter().any(|f| FLOW_FIELDS.contains(&f.as_str()));
        (names && flow).then(|| Format { fields, header: Some(line.trim().to_string()) })
    }

    /// The format of the input whose first line is `line`: the header's, or the default when
    /// the line is a default-format record; `None` when it is neither (JSON, most likely).
    pub fn sniff(line: &str) -> Option<Self> {
        Format::from_header(line).or_else(|| is_default_line(line).then(Format::default_v2))
    }

    /// One line as the JSON text of a record keyed by this format's field names.
    ///
    /// # Errors
    /// The line has another number of fields, or text where a number belongs; the message
    /// names the field.
    pub fn record(&self, line: &str) -> Result<String, String> {
        let values: Vec<&str> = line.split_ascii_whitespace().collect();
        if values.len() != self.fields.len() {
            return Err(format!(
                "not a flow log record: {} fields where the format names {}",
                values.len(),
                self.fields.len()
            ));
        }
        let mut json = String::with_capacity(line.len() * 2);
        json.push('{');
        for (field, value) in self.fields.iter().zip(values) {
            if value == "-" {
                continue;
            }
            if json.len() > 1 {
                json.push(',');
            }
            json.push_str(&serde_json::Value::from(field.as_str()).to_string());
            json.push(':');
            if NUMERIC_FIELDS.contains(&field.as_str()) {
                let number: u64 =
                    value.parse().map_err(|_| format!("{field}: expected a number, found {value:?}"))?;
                json.push_str(&number.to_string());
            } else {
                json.push_str(&serde_json::Value::from(value).to_string());
            }
        }
        json.push('}');
        Ok(json)
    }
}

/// A record of the default format: fourteen fields, the first the version `2`.
pub fn is_default_line(line: &str) -> bool {
    line.starts_with("2 ") && line.split_ascii_whitespace().count() == DEFAULT_FIELDS.len()
}

/// Reads flow-log text lines from `reader` (positioned at `at`) in `format`, handing each
/// record, or the reason a line is not one, to `out`. Header lines are not records.
///
/// # Errors
/// Reading failed; the error names the last line read.
pub fn decode(
    mut reader: impl BufRead,
    file: &Arc<str>,
    format: &Format,
    limits: Limits,
    at: Position,
    out: &mut dyn FnMut(Item),
) -> io::Result<Decoded> {
    let (mut offset, mut line_no) = (at.offset, at.line);
    let mut settled = Position { lines: Some(true), ..at };
    let mut open = false;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = read_line(&mut reader, &mut buf, limits.max_record_bytes)
            .map_err(|e| io::Error::new(e.kind(), format!("{e} (after line {line_no})")))?;
        if n == 0 {
            break;
        }
        let ended = buf.last() == Some(&b'\n');
        let origin = Origin { file: file.clone(), line: Some(line_no), record: None, offset: Some(offset) };
        let item = line_item(&buf, format, limits, origin);
        offset += n as u64;
        if ended {
            line_no += 1;
            settled = Position { offset, line: line_no, lines: Some(true) };
        } else {
            // A last line without its newline may still be being written: complete only
            // when it has every field.
            open = matches!(item, Some(Item::Malformed(_)));
        }
        if let Some(item) = item {
            out(item);
        }
    }
    let end = Position { offset, line: line_no, lines: Some(true) };
    Ok(Decoded { settled, open, end, flow_log: Some(format.clone()) })
}

/// Reads one line (with its newline) into `buf`, keeping at most `max` bytes of it: the
/// number of bytes the line had.
fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<usize> {
    let mut total = 0;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(total);
        }
        let (n, done) = match memchr::memchr(b'\n', chunk) {
            Some(at) => (at + 1, true),
            None => (chunk.len(), false),
        };
        let room = (max + 1).saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..n.min(room)]);
        reader.consume(n);
        total += n;
        if done {
            return Ok(total);
        }
    }
}

/// What one line is: a record, a malformed line, or nothing (a blank line, the header).
fn line_item(bytes: &[u8], format: &Format, limits: Limits, origin: Origin) -> Option<Item> {
    let malformed = |origin, reason| Some(Item::Malformed(Malformed { origin, reason }));
    if bytes.len() > limits.max_record_bytes {
        let reason = format!(
            "the line is over the limit of {} bytes (input.max_record_bytes)",
            limits.max_record_bytes
        );
        return malformed(origin, reason);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return malformed(origin, "not UTF-8 text".into());
    };
    let line = text.trim_ascii();
    if line.is_empty() || format.header.as_deref() == Some(line) {
        return None;
    }
    match format.record(line) {
        // Every record handed on is within the limit, whatever it came from.
        Ok(json) if json.len() > limits.max_record_bytes => {
            let reason = format!(
                "the record is {} bytes as JSON, over the limit of {} bytes (input.max_record_bytes)",
                json.len(),
                limits.max_record_bytes
            );
            malformed(origin, reason)
        }
        Ok(json) => Some(Item::Record(RawRecord { origin, text: Arc::from(json) })),
        Err(reason) => malformed(origin, reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_line_becomes_a_record_keyed_by_field_name() {
        let line = "2 123456789012 eni-0a1b2c3d 10.0.0.5 198.51.100.7 49152 443 6 10 8400 1700000000 1700000060 ACCEPT OK";
        assert_eq!(Format::sniff(line), Some(Format::default_v2()));
        let json: serde_json::Value =
            serde_json::from_str(&Format::default_v2().record(line).unwrap()).unwrap();
        assert_eq!(json["account-id"], "123456789012", "an account id stays text");
        assert_eq!(json["dstport"], 443);
        assert_eq!(json["log-status"], "OK");
    }

    #[test]
    fn dashes_are_left_out_and_bad_numbers_named() {
        let format = Format::from_header("version srcaddr dstport log-status").unwrap();
        assert_eq!(format.record("2 - - NODATA").unwrap(), r#"{"version":2,"log-status":"NODATA"}"#);
        assert_eq!(
            format.record("2 10.0.0.1 ssh OK").unwrap_err(),
            "dstport: expected a number, found \"ssh\""
        );
        assert!(format.record("2 10.0.0.1").unwrap_err().contains("2 fields where the format names 4"));
    }

    #[test]
    fn json_and_prose_are_not_headers() {
        assert_eq!(Format::sniff(r#"{"srcaddr":"10.0.0.1"}"#), None);
        assert_eq!(Format::sniff("hello world"), None);
        assert_eq!(Format::sniff("2 too few fields"), None);
    }
}
