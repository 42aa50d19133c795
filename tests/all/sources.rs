//! Tests: sources and decoding — the layouts CloudTrail is delivered in, gzip, folders, and
//! what happens to records that cannot be decoded.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use trailhound::decode::{Layout, Limits};
use trailhound::normalize::Normalized;
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
    let result = sources::read(input, Default::default(), &mut |item| {
        seen.push(match item {
            // A single record is framed unparsed; the normalizer's parse is what rejects a
            // line that is not JSON, so the records go through it as they do in a scan.
            Item::Record(raw) => match trailhound::normalize::normalize(raw, None) {
                Ok(Normalized::Event(record)) => Seen::Record(record.event.id, record.origin.to_string()),
                Ok(Normalized::Skipped { origin, reason }) => panic!("{origin}: skipped: {reason}"),
                Err(bad) => Seen::Malformed(bad.origin.to_string(), bad.reason),
            },
            Item::Malformed(bad) => Seen::Malformed(bad.origin.to_string(), bad.reason),
        })
    });
    (seen, result.map(drop).map_err(|e| e.to_string()))
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
            Seen::Record("a".into(), format!("{name}:1 (Records[0], byte 12)")),
            Seen::Record("b".into(), format!("{name}:1 (Records[1], byte 85)")),
        ]
    );
}

#[test]
fn an_azure_records_blob_yields_each_record_with_its_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("PT1H.json");
    std::fs::write(&path, format!(r#"{{"records":[{},{}]}}"#, event("a"), event("b"))).unwrap();
    let name = path.display().to_string();
    assert_eq!(
        read_file(&path),
        vec![
            Seen::Record("a".into(), format!("{name}:1 (Records[0], byte 12)")),
            Seen::Record("b".into(), format!("{name}:1 (Records[1], byte 85)")),
        ]
    );
    // Event Hubs captures and forwarders write one blob per line.
    let lines = dir.path().join("blobs.jsonl");
    let blobs =
        format!("{{\"records\":[{}]}}\n{{\"records\":[{},{}]}}\n", event("c"), event("d"), event("e"));
    std::fs::write(&lines, blobs).unwrap();
    assert_eq!(ids(&read_file(&lines)), ["c", "d", "e"]);
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
    assert!(origin.contains(":8 (Records[1], byte "), "the record's own line: {origin}");
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
    let inputs = sources::expand(&[root.to_path_buf()]).unwrap().inputs;
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
            assert!(origin.starts_with(&format!("{name}:1 (Records[1], byte ")), "{origin}");
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
    assert!(
        matches!(&seen[1], Seen::Malformed(origin, _) if origin.contains("(Records[1], byte ")),
        "{seen:?}"
    );
}

#[test]
fn a_syntax_error_in_one_record_of_a_document_costs_only_that_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    let doc =
        format!("{{\"Records\": [\n  {},\n  {{\"eventID\": \"b\",, }},\n  {}\n]}}", event("a"), event("c"));
    std::fs::write(&path, doc).unwrap();
    let seen = read_file(&path);
    assert_eq!(ids(&seen), ["a", "c"], "{seen:?}");
    let Seen::Malformed(origin, reason) = &seen[1] else { panic!("{seen:?}") };
    assert!(origin.starts_with(&format!("{}:3 (Records[1], byte ", path.display())), "{origin}");
    assert!(reason.starts_with("not JSON: "), "{reason}");
}

/// A 200-record document as CloudTrail delivers it, on one line.
fn document(n: usize, record: impl Fn(usize) -> Vec<u8>) -> Vec<u8> {
    let mut doc = b"{\"Records\":[".to_vec();
    for i in 0..n {
        if i > 0 {
            doc.push(b',');
        }
        doc.extend(record(i));
    }
    doc.extend_from_slice(b"]}");
    doc
}

fn bad_record_among_200(bad: &[u8]) -> (Vec<Seen>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.json");
    let doc = document(200, |i| if i == 117 { bad.to_vec() } else { event(&format!("e{i}")).into_bytes() });
    std::fs::write(&path, doc).unwrap();
    (read_file(&path), path.display().to_string())
}

#[test]
fn one_record_that_is_not_utf8_costs_only_itself_among_200() {
    let (seen, name) = bad_record_among_200(
        b"{\"eventID\":\"caf\xe9\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"X\"}",
    );
    assert_eq!(ids(&seen).len(), 199);
    let bad: Vec<&Seen> = seen.iter().filter(|s| matches!(s, Seen::Malformed(..))).collect();
    assert_eq!(bad.len(), 1, "{bad:?}");
    let Seen::Malformed(origin, reason) = bad[0] else { unreachable!() };
    assert!(origin.starts_with(&format!("{name}:1 (Records[117], byte ")), "{origin}");
    assert!(reason.contains("not UTF-8") && reason.contains("0xe9"), "{reason}");
}

#[test]
fn one_record_with_a_syntax_error_costs_only_itself_among_200() {
    let (seen, name) = bad_record_among_200(b"{\"eventID\":\"x\" \"eventSource\":\"s3.amazonaws.com\"}");
    assert_eq!(ids(&seen).len(), 199);
    let Seen::Malformed(origin, reason) = &seen[117] else { panic!("{:?}", &seen[117]) };
    assert!(origin.starts_with(&format!("{name}:1 (Records[117], byte ")), "{origin}");
    assert!(reason.contains("not JSON: expected `,` or `}`"), "{reason}");
    assert_eq!(ids(&seen)[117], "e118", "the records after it are read");
}

#[test]
fn a_truncated_document_keeps_its_records_and_says_where_it_was_cut() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.json");
    let doc = document(50, |i| event(&format!("e{i}")).into_bytes());
    std::fs::write(&path, &doc[..doc.len() - 40]).unwrap();
    let seen = read_file(&path);
    assert_eq!(ids(&seen).len(), 49, "every complete record is kept");
    let Seen::Malformed(origin, reason) = seen.last().unwrap() else { panic!("{seen:?}") };
    assert!(origin.contains("(Records[49], byte "), "{origin}");
    assert!(reason.contains("ends inside"), "{reason}");
}

#[test]
fn a_byte_order_mark_is_accepted_before_a_document_and_a_json_lines_file() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("bom.json");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(document(2, |i| event(&format!("d{i}")).into_bytes()));
    std::fs::write(&doc, bytes).unwrap();
    assert_eq!(ids(&read_file(&doc)), ["d0", "d1"]);

    let lines = dir.path().join("bom.jsonl");
    std::fs::write(&lines, format!("\u{feff}{}\n{}\n", event("l1"), event("l2"))).unwrap();
    let seen = read_file(&lines);
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(ids(&seen), ["l1", "l2"]);
}

/// `cat *.json.gz | trailhound scan -`: gzip members one after another, each a document.
#[test]
fn concatenated_gzip_documents_on_a_stream_are_all_read() {
    let mut stream = Vec::new();
    for file in 0..84 {
        let doc = document(3, |i| event(&format!("f{file}-{i}")).into_bytes());
        stream.extend(gzip(&doc));
    }
    let mut seen = Vec::new();
    let name: std::sync::Arc<str> = std::sync::Arc::from("-");
    sources::read_from(stream.as_slice(), &name, Layout::Sniff, Limits::default(), &mut |item| {
        seen.push(item)
    })
    .expect("reads to the end");
    let records = seen.iter().filter(|i| matches!(i, Item::Record(_))).count();
    assert_eq!((records, seen.len()), (252, 252));

    // Uncompressed and pretty-printed, one after another, as well.
    let pretty = |n| serde_json::to_string_pretty(&serde_json::json!({"Records": [{"eventID": n}]})).unwrap();
    let text = format!("{}\n{}{}", pretty("p1"), pretty("p2"), pretty("p3"));
    let mut seen = Vec::new();
    sources::read_from(text.as_bytes(), &name, Layout::Sniff, Limits::default(), &mut |item| seen.push(item))
        .unwrap();
    assert_eq!(seen.iter().filter(|i| matches!(i, Item::Record(_))).count(), 3, "{seen:?}");
}

#[test]
fn a_record_over_the_size_limit_is_malformed_at_its_place_and_its_neighbours_are_read() {
    let limits = Limits { max_record_bytes: 2048, ..Limits::default() };
    let big = format!(
        r#"{{"eventID":"big","eventSource":"s3.amazonaws.com","eventName":"X","pad":"{}"}}"#,
        "x".repeat(1 << 20)
    );
    let doc =
        document(3, |i| if i == 1 { big.clone().into_bytes() } else { event(&format!("e{i}")).into_bytes() });
    let mut seen = Vec::new();
    let name: std::sync::Arc<str> = std::sync::Arc::from("big.json");
    sources::read_from(doc.as_slice(), &name, Layout::Sniff, limits, &mut |item| seen.push(item)).unwrap();
    let Item::Malformed(bad) = &seen[1] else { panic!("{seen:?}") };
    assert_eq!(bad.origin.record, Some(1));
    assert!(bad.reason.contains("over the limit of 2048 bytes (input.max_record_bytes)"), "{}", bad.reason);
    assert!(bad.reason.contains(&format!("{} bytes", big.len())), "{}", bad.reason);
    assert!(matches!(&seen[2], Item::Record(r) if r.text.contains("\"e2\"")));
}

#[test]
fn a_document_over_its_size_limit_says_how_many_records_it_gave() {
    let limits = Limits { max_document_bytes: 4096, ..Limits::default() };
    let doc = document(200, |i| event(&format!("e{i}")).into_bytes());
    let mut seen = Vec::new();
    let name: std::sync::Arc<str> = std::sync::Arc::from("huge.json");
    sources::read_from(doc.as_slice(), &name, Layout::Sniff, limits, &mut |item| seen.push(item)).unwrap();
    let records = seen.iter().filter(|i| matches!(i, Item::Record(_))).count();
    let bad: Vec<_> =
        seen.iter().filter_map(|i| if let Item::Malformed(m) = i { Some(m) } else { None }).collect();
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(records > 20 && records < 200, "{records}");
    assert!(
        bad[0].reason.contains(&format!("{} records read, the rest of it skipped", records)),
        "{}",
        bad[0].reason
    );
}

#[test]
fn a_record_nested_too_deep_has_its_own_message_and_the_others_are_read() {
    let deep = format!(
        r#"{{"eventID":"deep","eventSource":"s3.amazonaws.com","eventName":"X","requestParameters":{}1{}}}"#,
        "[".repeat(150),
        "]".repeat(150)
    );
    let text = format!("{}\n{deep}\n{}\n", event("a"), event("c"));
    let mut seen = Vec::new();
    let name: std::sync::Arc<str> = std::sync::Arc::from("deep.jsonl");
    sources::read_from(text.as_bytes(), &name, Layout::Lines, Limits::default(), &mut |item| seen.push(item))
        .unwrap();
    assert_eq!(seen.len(), 3, "{seen:?}");
    let Item::Malformed(bad) = &seen[1] else { panic!("{seen:?}") };
    assert_eq!(bad.origin.line, Some(2));
    assert!(bad.reason.contains("nested deeper than the limit of 100 levels"), "{}", bad.reason);
    assert!(!bad.reason.contains("not JSON"), "a limit, not a syntax error: {}", bad.reason);
}

#[test]
fn garbage_between_records_is_reported_once_per_line_and_reading_goes_on() {
    let text = format!("\0\0\0\0\n{}\nabc\n{}\n", event("a"), event("c"));
    let mut seen = Vec::new();
    let name: std::sync::Arc<str> = std::sync::Arc::from("g.jsonl");
    sources::read_from(text.as_bytes(), &name, Layout::Sniff, Limits::default(), &mut |item| seen.push(item))
        .unwrap();
    let kinds: Vec<&str> =
        seen.iter().map(|i| if matches!(i, Item::Record(_)) { "r" } else { "m" }).collect();
    assert_eq!(kinds, ["m", "r", "m", "r"], "{seen:?}");
}

#[test]
fn a_file_reached_twice_is_read_once_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("x.json"), event("x")).unwrap();
    let expanded = sources::expand(&[dir.path().to_path_buf(), sub.clone(), sub.join("x.json")]).unwrap();
    assert_eq!(expanded.inputs, vec![Input::File(sub.join("x.json"))]);
    assert_eq!(expanded.duplicates, vec![sub.join("x.json"), sub.join("x.json")]);
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

#[test]
fn reading_resumes_before_a_number_or_literal_that_the_end_of_the_input_cut() {
    // `tr` may be the start of `true` still being written: the next read starts at it.
    let name: std::sync::Arc<str> = std::sync::Arc::from("t");
    let input = &b"{\"eventName\":\"a\"}\ntr"[..];
    let decoded = trailhound::decode::decode(input, &name, Layout::Lines, Limits::default(), &mut |_| {})
        .expect("reading memory");
    assert_eq!((decoded.settled.offset, decoded.settled.line), (18, 2));
    assert!(decoded.open);
}
