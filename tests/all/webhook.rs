//! Tests: the webhook sink against a real HTTP receiver on a loopback port, started and
//! stopped by the test: a receiver that answers 500 for a while then recovers gets every
//! finding once (with the auth header from the environment), and one that never recovers
//! leaves every finding in the dead-letter file and the run says so in its exit status.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support;

/// At most this many requests are served, and for at most this long: the loop is bounded.
const MAX_REQUESTS: usize = 500;
const LIFETIME: Duration = Duration::from_secs(60);

/// The requests answered 200: their Authorization header and body.
type Accepted = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// An HTTP receiver on 127.0.0.1 that answers `status_while_failing` to its first `failing`
/// requests, then 200, keeping the bodies (and Authorization headers) it answered 200 to.
struct Receiver {
    url: String,
    accepted: Accepted,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    port: u16,
}

impl Receiver {
    fn start(failing: usize, status_while_failing: u16) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, r, s) = (accepted.clone(), requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst)
                    || started.elapsed() > LIFETIME
                    || r.load(Ordering::SeqCst) >= MAX_REQUESTS
                {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let n = r.fetch_add(1, Ordering::SeqCst);
                let status = if n < failing { status_while_failing } else { 200 };
                if let Some((auth, body)) = serve(stream, status) {
                    if status == 200 {
                        a.lock().unwrap().push((auth, body));
                    }
                }
            }
        });
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            accepted,
            requests,
            stop,
            thread: Some(thread),
            port,
        }
    }

    /// Every finding accepted, in order.
    fn findings(&self) -> Vec<Value> {
        self.accepted
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(_, body)| body.as_array().cloned().unwrap_or_default())
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request, answers `status` and closes; the Authorization header and the body.
fn serve(stream: TcpStream, status: u16) -> Option<(Option<String>, Value)> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let (mut length, mut auth) = (0usize, None);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().ok()?,
                "authorization" => auth = Some(value.trim().to_string()),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let mut stream = stream;
    let _ = write!(stream, "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    Some((auth, serde_json::from_slice(&body).ok()?))
}

fn run(dir: &Path, sink: &str) -> Output {
    let sinks = format!("[[sinks]]\ntype = \"webhook\"\n{sink}");
    support::run_root_calls(dir, &sinks, &[("TRAILHOUND_TEST_TOKEN", "Bearer s3cret")])
}

fn uids(findings: &[Value]) -> Vec<String> {
    let mut uids: Vec<String> = findings
        .iter()
        .map(|f| f["finding_info"]["related_events"][0]["uid"].as_str().unwrap().to_string())
        .collect();
    uids.sort();
    uids
}

#[test]
fn a_receiver_that_fails_for_a_while_gets_every_finding_once_with_the_auth_header() {
    let dir = tempfile::tempdir().unwrap();
    support::root_calls(dir.path(), 25);
    let receiver = Receiver::start(3, 500);
    let sink = format!(
        "url = {:?}\nauth_env = \"TRAILHOUND_TEST_TOKEN\"\nbatch_size = 10\nbackoff_ms = 20\nmax_backoff_ms = 100\nmax_attempts = 10\n",
        receiver.url
    );
    let output = run(dir.path(), &sink);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let findings = receiver.findings();
    let mut expected: Vec<String> = (0..25).map(|i| format!("root-{i}")).collect();
    expected.sort();
    assert_eq!(uids(&findings), expected, "every finding once");
    assert!(receiver
        .accepted
        .lock()
        .unwrap()
        .iter()
        .all(|(auth, _)| auth.as_deref() == Some("Bearer s3cret")));
    assert!(receiver.requests.load(Ordering::SeqCst) >= 4, "three refused, then delivered");
    assert!(stderr.contains("retrying"), "the retries are logged: {stderr}");
    assert!(
        stderr.contains("sink webhook#0: 25 delivered, 0 failed; 3 retried attempt(s), 0 dead-lettered"),
        "the retries are counted: {stderr}"
    );
}

#[test]
fn a_receiver_that_never_recovers_leaves_every_finding_in_the_dead_letter_file() {
    let dir = tempfile::tempdir().unwrap();
    support::root_calls(dir.path(), 12);
    let receiver = Receiver::start(usize::MAX, 503);
    let sink = format!(
        "url = {:?}\nbatch_size = 5\nbackoff_ms = 10\nmax_backoff_ms = 20\nmax_attempts = 3\ndead_letter = \"dead.jsonl\"\n",
        receiver.url
    );
    let output = run(dir.path(), &sink);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "not everything reached the receiver: {stderr}");
    assert!(stderr.contains("12 finding(s) written to the dead-letter file"), "{stderr}");
    let dead: Vec<Value> = std::fs::read_to_string(dir.path().join("dead.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut expected: Vec<String> = (0..12).map(|i| format!("root-{i}")).collect();
    expected.sort();
    assert_eq!(uids(&dead), expected);
    let requests = receiver.requests.load(Ordering::SeqCst);
    assert_eq!(requests % 3, 0, "three attempts per batch: {requests}");
    assert!(receiver.findings().is_empty());
}

#[test]
fn a_refusal_that_retrying_cannot_fix_is_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    support::root_calls(dir.path(), 3);
    let receiver = Receiver::start(usize::MAX, 400);
    let sink = format!(
        "url = {:?}\nbatch_size = 10\nbackoff_ms = 10\nmax_attempts = 5\ndead_letter = \"dead.jsonl\"\n",
        receiver.url
    );
    let output = run(dir.path(), &sink);
    assert_eq!(output.status.code(), Some(1));
    let requests = receiver.requests.load(Ordering::SeqCst);
    let batches = std::fs::read_to_string(dir.path().join("dead.jsonl")).unwrap().lines().count();
    assert_eq!(batches, 3);
    assert!(requests <= 3, "one request per batch, no retries: {requests}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("HTTP 400"));
}

#[test]
fn the_slack_format_posts_one_readable_message_per_finding() {
    let dir = tempfile::tempdir().unwrap();
    support::root_calls(dir.path(), 3);
    let receiver = Receiver::start(0, 200);
    let output = run(dir.path(), &format!("url = {:?}\nformat = \"slack\"\n", receiver.url));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let bodies: Vec<Value> = receiver.accepted.lock().unwrap().iter().map(|(_, body)| body.clone()).collect();
    assert_eq!(bodies.len(), 3, "{bodies:#?}");
    for body in &bodies {
        let text = body["text"].as_str().unwrap();
        assert!(text.starts_with("*HIGH* "), "{text}");
        assert!(text.contains("rule `aws.root-activity` · plugin root"), "{text}");
    }
}
