//! Tests: the HTTP ingest source and the metrics endpoint of a real `trailhound run`, over
//! loopback on ports the system picks. Records POSTed are taken whole and their findings
//! delivered; oversized, wrongly-typed, unauthenticated and malformed bodies each get their
//! 4xx, and a saturated run a 503 with Retry-After; every refusal is counted, in the summary
//! and on `/metrics`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::json;

use crate::service::{root_event, Service};
use crate::support;

const TOKEN: &str = "s3cret-token";
/// Events in each request of the saturation test.
const PER_REQUEST: usize = 2000;

/// A status, the headers (lowercased names) and the body of one HTTP/1.1 exchange.
pub(super) struct Reply {
    pub(super) status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Sends one request (`headers` as `Name: value` lines) and reads the whole reply.
fn exchange(address: SocketAddr, method: &str, path: &str, headers: &[&str], body: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // A refused request may be answered before its body is read: the rest may not be sent.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no reply: {text:?}"));
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply { status, headers, body: body.to_string() }
}

pub(super) fn post(address: SocketAddr, headers: &[&str], body: &[u8]) -> Reply {
    exchange(address, "POST", "/events", headers, body)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The address a `listening on ADDR` line on stderr names.
pub(super) fn address_after(stderr: &str, prefix: &str) -> SocketAddr {
    let line = stderr.lines().find(|l| l.contains(prefix)).unwrap();
    line.split(prefix).nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap()
}

fn config(extra_source: &str, plugin: &str, plugin_config: &str, engine: &str) -> String {
    format!(
        "[engine]\nworkers = 1\nlinger_ms = 100\n{engine}\n\
         [metrics]\nlisten = \"127.0.0.1:0\"\n\
         [[sources]]\ntype = \"http\"\nlisten = \"127.0.0.1:0\"\ntoken_env = \"TEST_INGEST_TOKEN\"\n{extra_source}\n\
         [[plugins]]\nname = \"p\"\npath = {:?}\nconfig = {plugin_config}\n\
         [[sinks]]\ntype = \"stdout\"\nformat = \"json\"\n",
        support::component(plugin).display().to_string()
    )
}

#[test]
fn posted_records_are_taken_whole_and_every_bad_request_gets_its_4xx_and_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let text = config("max_body_bytes = 4096", "minimal-detector", "{}", "");
    let mut service = Service::with_config_and_env(dir.path(), &text, &[("TEST_INGEST_TOKEN", TOKEN)]);
    service.wait_for_log("http source listening on");
    service.wait_for_log("metrics on");
    let logged = service.logged().join("\n");
    let (ingest, metrics) =
        (address_after(&logged, "http source listening on "), address_after(&logged, "metrics on "));
    let auth = format!("Authorization: Bearer {TOKEN}");
    let json_type = "Content-Type: application/json";

    assert_eq!(exchange(metrics, "GET", "/readyz", &[], b"").status, 200);
    assert_eq!(exchange(metrics, "GET", "/healthz", &[], b"").status, 200);

    // A CloudTrail file's shape, then gzip-compressed JSON lines.
    let records = json!({"Records": [
        serde_json::from_str::<serde_json::Value>(&root_event("h1")).unwrap(),
        serde_json::from_str::<serde_json::Value>(&root_event("h2")).unwrap(),
    ]});
    let reply = post(ingest, &[&auth, json_type], records.to_string().as_bytes());
    assert_eq!((reply.status, reply.body.as_str()), (202, r#"{"accepted":2}"#));
    let lines = format!("{}\n{}\n{}\n", root_event("h3"), root_event("h4"), root_event("h5"));
    let reply = post(
        ingest,
        &[&auth, "Content-Type: application/x-ndjson", "Content-Encoding: gzip"],
        &gzip(lines.as_bytes()),
    );
    assert_eq!((reply.status, reply.body.as_str()), (202, r#"{"accepted":3}"#));
    service.wait_for_findings(5);

    let unauthenticated = post(ingest, &[json_type], records.to_string().as_bytes());
    assert_eq!(unauthenticated.status, 401, "{}", unauthenticated.body);
    assert_eq!(unauthenticated.header("www-authenticate"), Some("Bearer"));
    assert_eq!(post(ingest, &["Authorization: Bearer guess", json_type], b"[]").status, 401);
    let oversized = post(ingest, &[&auth, json_type], &vec![b' '; 10_000]);
    assert_eq!(oversized.status, 413, "{}", oversized.body);
    // Small on the wire, over the limit once inflated.
    let bomb = post(ingest, &[&auth, json_type, "Content-Encoding: gzip"], &gzip(&vec![b' '; 100_000]));
    assert!(bomb.status == 413 && bomb.body.contains("inflates"), "{} {}", bomb.status, bomb.body);
    let wrong_type = post(ingest, &[&auth, "Content-Type: text/csv"], b"a,b\n1,2\n");
    assert!(wrong_type.status == 415 && wrong_type.body.contains("text/csv"), "{}", wrong_type.body);
    let malformed =
        post(ingest, &[&auth, json_type], format!("{}\n{{not json\n", root_event("h6")).as_bytes());
    assert!(malformed.status == 400 && malformed.body.contains("line 2"), "{}", malformed.body);
    assert!(malformed.body.contains("nothing in this request was taken"), "{}", malformed.body);
    assert_eq!(exchange(ingest, "GET", "/events", &[&auth], b"").status, 405);
    assert_eq!(post(ingest, &[&auth], b"[]").status, 400, "no records");
    assert_eq!(exchange(ingest, "POST", "/elsewhere", &[&auth], b"[]").status, 404);

    // Each counting thread publishes its counts at most every half second.
    let expected = [
        "trailhound_http_refused_total{reason=\"unauthenticated\"} 2",
        "trailhound_http_refused_total{reason=\"too-large\"} 2",
        "trailhound_http_refused_total{reason=\"wrong-type\"} 1",
        "trailhound_http_refused_total{reason=\"malformed\"} 2",
        "trailhound_http_records_total 5",
        "trailhound_findings_total{severity=\"HIGH\"} 5",
        "trailhound_plugin_batch_seconds_count{plugin=\"p\"",
    ];
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let scraped = exchange(metrics, "GET", "/metrics", &[], b"").body;
        let missing: Vec<_> = expected.iter().filter(|e| !scraped.contains(*e)).collect();
        if missing.is_empty() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{missing:?} not in:\n{scraped}");
        std::thread::sleep(Duration::from_millis(50));
    }

    service.signal("TERM");
    let (code, stderr, seen) = service.wait();
    assert_eq!(seen.len(), 5, "h6 was refused with its request: {seen:?}");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("http 127.0.0.1:"), "{stderr}");
    assert!(
        stderr.contains("2 request(s) refused as malformed")
            && stderr.contains("2 as too-large")
            && stderr.contains("2 as unauthenticated"),
        "{stderr}"
    );
}

#[test]
fn a_saturated_run_answers_503_with_retry_after_and_takes_nothing_of_that_request() {
    let dir = tempfile::tempdir().unwrap();
    // One slow batch at a time, one request waiting: the next ones find the run saturated.
    let engine = "batch_size = 2000\nqueued_batches_per_worker = 1\ndeadline_ms = 20000";
    let text = config("max_queued_requests = 1", "misbehaving", "{ spin = 1000000000 }", engine);
    let mut service = Service::with_config_and_env(dir.path(), &text, &[("TEST_INGEST_TOKEN", TOKEN)]);
    service.wait_for_log("http source listening on");
    let ingest = address_after(&service.logged().join("\n"), "http source listening on ");
    let auth = format!("Authorization: Bearer {TOKEN}");
    // Large enough requests that the normalizers' buffers in between fill at once.
    let body: String = (0..PER_REQUEST).map(|n| root_event(&format!("s{n}")) + "\n").collect();
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..10 {
        let reply = post(ingest, &[&auth], body.as_bytes());
        if reply.status == 503 {
            retry_after = reply.header("retry-after").map(str::to_string);
        }
        statuses.push(reply.status);
    }
    assert!(statuses.contains(&202) && statuses.contains(&503), "{statuses:?}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    let taken = statuses.iter().filter(|s| **s == 202).count();
    service.signal("TERM");
    let (code, stderr, _) = service.wait();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("events read: {}", taken * PER_REQUEST)),
        "each taken request whole: {stderr}"
    );
    assert!(stderr.contains("as saturated"), "{stderr}");
}

#[test]
fn with_a_state_folder_records_answered_202_survive_a_kill_and_are_delivered_at_the_restart_once() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("state/http-ingest/127.0.0.1_0");
    let env = [("TEST_INGEST_TOKEN", TOKEN)];
    // A linger longer than the test: nothing taken reaches the plugin before the kill.
    let engine = "state_dir = \"state\"\ncheckpoint_interval_secs = 1";
    let held = config("", "minimal-detector", "{}", engine).replace("linger_ms = 100", "linger_ms = 60000");
    let mut service = Service::with_config_and_env(dir.path(), &held, &env);
    service.wait_for_log("http source listening on");
    let ingest = address_after(&service.logged().join("\n"), "http source listening on ");
    let auth = format!("Authorization: Bearer {TOKEN}");
    let ids: Vec<String> = (0..6).map(|n| format!("j{n}")).collect();
    for pair in ids.chunks(2) {
        let body = format!("{}\n{}\n", root_event(&pair[0]), root_event(&pair[1]));
        let reply = post(ingest, &[&auth, "Content-Encoding: gzip"], &gzip(body.as_bytes()));
        assert_eq!((reply.status, reply.body.as_str()), (202, r#"{"accepted":2}"#));
    }
    let entries = std::fs::read_dir(&journal).unwrap().count();
    assert_eq!(entries, 3, "each request journaled before its 202");
    service.signal("KILL");
    let (code, _, seen) = service.wait();
    assert_eq!((code, seen.len()), (None, 0), "killed before anything was delivered");

    let mut service =
        Service::with_config_and_env(dir.path(), &config("", "minimal-detector", "{}", engine), &env);
    service.wait_for_findings(ids.len());
    service.signal("TERM");
    let (code, stderr, seen) = service.wait();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("3 journaled request(s)"), "{stderr}");
    let mut delivered: Vec<String> = seen
        .iter()
        .map(|line| {
            let finding: serde_json::Value = serde_json::from_str(line).unwrap();
            finding["finding_info"]["related_events"][0]["uid"].as_str().unwrap().to_string()
        })
        .collect();
    delivered.sort();
    assert_eq!(delivered, ids, "every record once");
    let left: Vec<_> = std::fs::read_dir(&journal).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "delivered entries are removed: {left:?}");
}
