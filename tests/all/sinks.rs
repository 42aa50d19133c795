//! Tests: sinks — the file sink round-trips OCSF JSON lines and appends; the stdout sink
//! writes one JSON object (or one readable line) per detection, promptly, and reports a
//! closed pipe as an error; sinks are built from config; the memory sink collects.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use trailhound::findings::Detection;
use trailhound::sinks::file::{FileConfig, FileSink};
use trailhound::sinks::stdout::{Format, StdoutConfig, StdoutSink};
use trailhound::sinks::{self, MemorySink, Sink, SinkConfig};
use trailhound_sdk::Severity;

use crate::ocsf::detection;

/// A writer whose bytes the test can read while the sink still owns it.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A reader that went away.
struct ClosedPipe;

impl Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::from(io::ErrorKind::BrokenPipe))
    }
    fn flush(&mut self) -> io::Result<()> {
        Err(io::Error::from(io::ErrorKind::BrokenPipe))
    }
}

fn numbered(n: usize) -> Vec<Detection> {
    (0..n)
        .map(|i| {
            let mut d = detection();
            d.finding.event_ids = vec![format!("ev-{i}")];
            d
        })
        .collect()
}

fn parse_lines(text: &str) -> Vec<Value> {
    text.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))).collect()
}

#[test]
fn file_sink_round_trips_and_appends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/folders/findings.jsonl");
    let detections = numbered(3);

    let mut sink = FileSink::open(&path).unwrap();
    for d in &detections[..2] {
        sink.deliver(d).unwrap();
    }
    sink.flush().unwrap();
    drop(sink);
    let mut sink = FileSink::open(&path).unwrap();
    sink.deliver(&detections[2]).unwrap();
    sink.flush().unwrap();

    let lines = parse_lines(&std::fs::read_to_string(&path).unwrap());
    assert_eq!(lines.len(), 3, "the second open appends");
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["class_uid"], 2004);
        assert_eq!(line["finding_info"]["related_events"][0]["uid"], format!("ev-{i}"));
        assert_eq!(*line, trailhound::findings::ocsf::to_json(&detections[i]));
    }
}

#[test]
fn file_sink_hands_each_detection_to_the_os_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("findings.jsonl");
    let mut sink = FileSink::open(&path).unwrap();
    sink.deliver(&detection()).unwrap();
    // No flush yet: a crash now must not lose the finding.
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
}

#[test]
fn file_sink_reports_an_unopenable_path() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let error = FileSink::open(&blocker.join("findings.jsonl")).err().expect("a file is not a folder");
    assert!(format!("{error:#}").contains("a-file"), "{error:#}");
}

#[test]
fn stdout_json_writes_one_object_per_line() {
    let out = Shared::default();
    let mut sink = StdoutSink::new(out.clone(), Format::Json, false);
    let detections = numbered(4);
    for (i, d) in detections.iter().enumerate() {
        sink.deliver(d).unwrap();
        assert_eq!(out.text().lines().count(), i + 1, "each detection is visible before flush()");
    }
    sink.flush().unwrap();
    let text = out.text();
    assert!(text.ends_with('\n'));
    let lines = parse_lines(&text);
    assert_eq!(lines.len(), 4);
    for (line, d) in lines.iter().zip(&detections) {
        assert!(line.is_object());
        assert_eq!(line["finding_info"]["related_events"][0]["uid"], d.finding.event_ids[0].as_str());
    }
}

#[test]
fn stdout_text_colours_the_severity_only_when_asked() {
    let plain = Shared::default();
    StdoutSink::new(plain.clone(), Format::Text, false).deliver(&detection()).unwrap();
    assert_eq!(plain.text(), format!("{}\n", trailhound::findings::ocsf::to_line(&detection())));

    let coloured = Shared::default();
    let mut critical = detection();
    critical.finding.severity = Severity::Critical;
    StdoutSink::new(coloured.clone(), Format::Text, true).deliver(&critical).unwrap();
    let text = coloured.text();
    assert!(text.starts_with("\x1b[1;37;41mCRITICAL\x1b[0m  aws.iam.policy-version-changed"), "{text:?}");
    assert_eq!(text.matches('\x1b').count(), 2, "only the severity is coloured: {text:?}");
}

#[test]
fn stdout_closed_pipe_is_an_error_not_a_panic() {
    let mut sink = StdoutSink::new(ClosedPipe, Format::Text, false);
    let first = sink.deliver(&detection()).unwrap_err();
    assert!(first.to_string().contains("broken pipe"), "{first}");
    let second = sink.deliver(&detection()).unwrap_err();
    assert!(second.to_string().contains("broken pipe"), "{second}");
    sink.flush().expect("nothing left to flush once the reader is gone");
}

#[test]
fn sinks_build_from_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out/findings.jsonl");
    let mut sink = sinks::build(&SinkConfig::File(FileConfig {
        name: None,
        path: path.clone(),
        max_bytes: None,
        keep: 5,
    }))
    .unwrap();
    sink.deliver(&detection()).unwrap();
    sink.flush().unwrap();
    assert_eq!(parse_lines(&std::fs::read_to_string(&path).unwrap()).len(), 1);

    assert!(sinks::build(&SinkConfig::Stdout(StdoutConfig { name: None, format: Format::Json })).is_ok());
    assert_eq!(SinkConfig::TYPES, ["stdout", "file", "webhook", "syslog", "nats"]);
}

#[test]
fn memory_sink_collects_through_clones() {
    let sink = MemorySink::new();
    let mut boxed: Box<dyn Sink> = Box::new(sink.clone());
    for d in numbered(2) {
        boxed.deliver(&d).unwrap();
    }
    boxed.flush().unwrap();
    let got = sink.detections();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].finding.event_ids, ["ev-1"]);
    assert_eq!(sink.shared().lock().unwrap().len(), 2);
}

#[test]
fn the_file_sink_rotates_by_size_keeping_whole_lines_and_at_most_keep_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("findings.jsonl");
    let line =
        serde_json::to_vec(&trailhound::findings::ocsf::to_json(&detection())).unwrap().len() as u64 + 1;
    let config = FileConfig { name: None, path: path.clone(), max_bytes: Some(line * 3), keep: 2 };
    let mut sink = sinks::build(&SinkConfig::File(config)).unwrap();
    for _ in 0..10 {
        sink.deliver(&detection()).unwrap();
    }
    sink.flush().unwrap();
    let lines = |p: &std::path::Path| parse_lines(&std::fs::read_to_string(p).unwrap()).len();
    // 10 lines, three to a file: three full files rotated away, one line in the current one;
    // the oldest rotated file went past keep = 2.
    assert_eq!(lines(&path), 1);
    assert_eq!(lines(&dir.path().join("findings.jsonl.1")), 3);
    assert_eq!(lines(&dir.path().join("findings.jsonl.2")), 3);
    assert!(!dir.path().join("findings.jsonl.3").exists());
    let bad = FileConfig { name: None, path, max_bytes: Some(0), keep: 2 };
    assert_eq!(SinkConfig::File(bad).check().unwrap_err().key, "max_bytes");
}
