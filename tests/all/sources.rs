//! Tests: sources and decoding — the layouts CloudTrail is delivered in, gzip, folders, and
//! what happens to records that cannot be decoded.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use trailhound::sources::{self, Input, Item};

/// One normalized record or malformed record, reduced to what the tests compare.
#[derive(Debug, PartialEq)]
enum Seen {
    /// The record's `eventID` and where it came from.
    Record(String, String),
    /// Where the bad record was and why it was rejected.
    Malformed(String, String),
}

fn read_all(input: &Input) -> (Vec<Seen>, Result<(), String>) {
    let mut seen = Vec::new();
    let result = sources::read(input, &mut |item| {
        seen.push(match item {
            // A single record is framed unparsed; the normalizer's parse is what rejects a
            // line that is not JSON, so the records go through it as they do in a scan.
            Item::Record(raw) => match trailhound::normalize::normalize(raw) {
                Ok(record) => Seen::Record(record.event.id, record.origin.to_string()),
                Err(bad) => Seen::Malformed(bad.origin.to_string(), bad.reason),
            },
            Item::Malformed(bad) => Seen::Malformed(bad.origin.to_string(), bad.reason),
        })
    });
    (seen, result.map_err(|e| e.to_string()))
}

fn read_file(path: &Path) -> Vec<Seen> {
    let (seen, result) = read_all(&Input::File(path.to_path_buf()));
    result.expect("the file reads to its end");
    seen
}

fn event(id: &str) -> String {
    format!(r#"{{"eventID":"{id}","eventSource":"s3.amazonaws.com","eventName":"GetObject"}}"#)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn ids(seen: &[Seen]) -> Vec<&str> {
    seen.iter()
        .filter_map(|s| match s {
            Seen::Record(id, _) => Some(id.as_str()),
            Seen::Malformed(..) => None,
        })
        .collect()
}

#[test]
fn an_s3_delivered_records_file_yields_each_record_with_its_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.json");
    std::fs::write(&path, format!(r#"{{"Records":[{},{}]}}"#, event("a"), event("b"))).unwrap();
    let name = path.display().to_string();
    assert_eq!(
        read_file(&path),
        vec![
            Seen::Record("a".into(), format!("{name} (Records[0])")),
            Seen::Record("b".into(), format!("{name} (Records[1])")),
        ]
    );
}

#[test]
fn a_pretty_printed_records_file_is_read_as_one_document_with_lines_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pretty.json");
    let doc = serde_json::json!({"Records": [
        {"eventID": "a", "eventSource": "s3.amazonaws.com", "eventName": "GetObject"},
        {"eventID": "b", "eventSource": "s3.amazonaws.com", "eventName": "GetObject"},
    ]});
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let seen = read_file(&path);
    assert_eq!(ids(&seen), ["a", "b"]);
    let Seen::Record(_, origin) = &seen[1] else { unreachable!() };
    assert!(origin.ends_with("(Records[1])"), "{origin}");
}

#[test]
fn a_bad_json_line_is_reported_with_file_and_line_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    std::fs::write(&path, format!("{}\n{{\"eventID\": \"broken\",\n\n{}\n", event("a"), event("c"))).unwrap();
    let seen = read_file(&path);
    assert_eq!(ids(&seen), ["a", "c"]);
    let name = path.display().to_string();
    match &seen[1] {
        Seen::Malformed(origin, reason) => {
            assert_eq!(origin, &format!("{name}:2"));
            assert!(reason.contains("EOF") || reason.contains("JSON"), "{reason}");
        }
        other => panic!("expected line 2 to be malformed, got {other:?}"),
    }
    match &seen[2] {
        Seen::Record(_, origin) => assert_eq!(origin, &format!("{name}:4"), "blank lines still count"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_json_lines_file_named_json_is_recognized_by_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lines.json");
    std::fs::write(&path, format!("{}\n{}\n", event("a"), event("b"))).unwrap();
    assert_eq!(ids(&read_file(&path)), ["a", "b"]);
}

#[test]
fn gzip_is_recognized_by_its_magic_bytes_whatever_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!(r#"{{"Records":[{}]}}"#, event("zipped"));
    let named = dir.path().join("trail.json.gz");
    let unnamed = dir.path().join("trail.json");
    std::fs::write(&named, gzip(body.as_bytes())).unwrap();
    std::fs::write(&unnamed, gzip(body.as_bytes())).unwrap();
    assert_eq!(ids(&read_file(&named)), ["zipped"]);
    assert_eq!(ids(&read_file(&unnamed)), ["zipped"]);
}

#[test]
fn gzipped_json_lines_stream_and_concatenated_members_are_all_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl.gz");
    let mut bytes = gzip(format!("{}\n", event("first")).as_bytes());
    bytes.extend(gzip(format!("{}\n", event("second")).as_bytes()));
    std::fs::write(&path, bytes).unwrap();
    assert_eq!(ids(&read_file(&path)), ["first", "second"]);
}

#[test]
fn a_truncated_gzip_file_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.jsonl.gz");
    let lines: String = (0..2000).map(|i| event(&format!("e{i}")) + "\n").collect();
    let whole = gzip(lines.as_bytes());
    std::fs::write(&path, &whole[..whole.len() / 2]).unwrap();
    let (_, result) = read_all(&Input::File(path.clone()));
    let error = result.expect_err("a truncated stream is not a complete read");
    assert!(error.contains(&path.display().to_string()), "{error}");
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let missing = PathBuf::from("/nonexistent/trail.json");
    let error = sources::expand(std::slice::from_ref(&missing)).expect_err("missing path").to_string();
    assert!(error.contains("/nonexistent/trail.json"), "{error}");
}

#[test]
fn folders_are_walked_recursively_in_path_order_skipping_non_logs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let deep = root.join("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::create_dir_all(root.join("b")).unwrap();
    for file in [
        deep.join("x.json.gz"),
        root.join("b/events.jsonl"),
        root.join("a.ndjson"),
        root.join("notes.txt"),
        root.join(".hidden.json"),
        deep.join("111122223333_CloudTrail-Digest_us-east-1_x.json.gz"),
    ] {
        std::fs::write(file, "{}").unwrap();
    }
    let inputs = sources::expand(&[root.to_path_buf()]).unwrap();
    let rel: Vec<String> = inputs
        .iter()
        .map(|input| match input {
            Input::File(p) => p.strip_prefix(root).unwrap().display().to_string(),
            Input::Stdin => "-".into(),
        })
        .collect();
    assert_eq!(
        rel,
        ["AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/x.json.gz", "a.ndjson", "b/events.jsonl"]
    );
}

#[test]
fn a_top_level_array_is_read_and_non_objects_in_it_are_malformed_by_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("array.json");
    std::fs::write(&path, format!("[{}, 42, {}]", event("a"), event("c"))).unwrap();
    let seen = read_file(&path);
    assert_eq!(ids(&seen), ["a", "c"]);
    let name = path.display().to_string();
    match &seen[1] {
        Seen::Malformed(origin, reason) => {
            assert_eq!(origin, &format!("{name} (Records[1])"));
            assert!(reason.contains("number"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_non_object_records_element_is_malformed_and_its_neighbours_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.json");
    std::fs::write(&path, format!(r#"{{"Records":[{}, "oops", {}]}}"#, event("a"), event("c"))).unwrap();
    let seen = read_file(&path);
    assert_eq!(ids(&seen), ["a", "c"]);
    assert!(matches!(&seen[1], Seen::Malformed(origin, _) if origin.ends_with("(Records[1])")));
}

#[test]
fn a_broken_document_is_malformed_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{\"Records\": [\n  {\"eventID\": \"a\",, }\n]}").unwrap();
    let seen = read_file(&path);
    assert_eq!(seen.len(), 1, "{seen:?}");
    let Seen::Malformed(origin, reason) = &seen[0] else { panic!("{seen:?}") };
    assert_eq!(origin, &format!("{}:2", path.display()));
    assert!(reason.contains("column 19"), "{reason}");
}

#[test]
fn a_record_that_mentions_records_in_a_nested_field_is_still_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("route53.jsonl");
    let record = r#"{"eventID":"r","eventSource":"route53.amazonaws.com","eventName":"ChangeResourceRecordSets","requestParameters":{"Records":[{"name":"a"}]}}"#;
    std::fs::write(&path, format!("{record}\n{}\n", event("b"))).unwrap();
    assert_eq!(ids(&read_file(&path)), ["r", "b"]);
}

#[test]
fn a_line_that_is_not_utf8_is_malformed_at_its_line_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.jsonl");
    let mut bytes = format!("{}\n", event("a")).into_bytes();
    bytes.extend_from_slice(b"{\"eventID\":\"caf\xe9\"}\n");
    bytes.extend_from_slice(format!("{}\n", event("c")).as_bytes());
    std::fs::write(&path, bytes).unwrap();
    let seen = read_file(&path);
    assert_eq!(ids(&seen), ["a", "c"]);
    let name = path.display().to_string();
    assert!(
        matches!(&seen[1], Seen::Malformed(origin, reason) if *origin == format!("{name}:2") && reason.contains("UTF-8")),
        "{seen:?}"
    );
}
