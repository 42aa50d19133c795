//! Tests: the NATS JetStream sink against a real `nats-server` (JetStream on, its store in a
//! temporary folder) that the test starts on a free loopback port and stops. Findings are
//! read back from the stream with the host's own client, through a durable pull consumer.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use trailhound::nats::{jetstream, Connection, Options};

use crate::support;

/// How long a wait for the server or for messages may take (loops are bounded in time).
const PATIENCE: Duration = Duration::from_secs(30);

/// A `nats-server -js` of the test's own; killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    /// Starts a server on `port`, storing its streams under `store`, and waits until it
    /// answers.
    fn start(port: u16, store: &Path) -> Server {
        let child = Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server runs (scripts/setup.sh nats installs it)");
        let server = Server { child, url: format!("nats://127.0.0.1:{port}") };
        let deadline = Instant::now() + PATIENCE;
        while server.connect().is_err() {
            assert!(Instant::now() < deadline, "nats-server did not answer on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn connect(&self) -> anyhow::Result<Connection> {
        Connection::connect(&Options { url: self.url.clone(), token: None, name: "test".into() })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Every message of `stream`, read through a new durable consumer, until `expected` came or
/// the patience ran out; each acknowledged.
fn read_stream(server: &Server, stream: &str, expected: usize) -> Vec<serde_json::Value> {
    let mut connection = server.connect().unwrap();
    let settings = jetstream::ConsumerSettings {
        durable: "reader".into(),
        filter_subject: None,
        ack_wait: Duration::from_secs(30),
        max_ack_pending: 10_000,
        start_after: 0,
    };
    jetstream::create_consumer(&mut connection, stream, &settings).unwrap();
    let mut messages = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    while messages.len() < expected && Instant::now() < deadline {
        jetstream::pull(&mut connection, stream, "reader", 500, Duration::from_millis(500)).unwrap();
        let until = Instant::now() + Duration::from_secs(2);
        while let Some(msg) = connection.next_message(until).unwrap() {
            if msg.status.is_some() {
                break; // 404/408: nothing more in this pull
            }
            if let Some(ack) = &msg.reply {
                jetstream::ack(&mut connection, ack).unwrap();
            }
            messages.push(serde_json::from_slice(&msg.payload).expect("a JSON finding"));
        }
        connection.flush().unwrap();
    }
    messages
}

fn run(dir: &Path, sink: &str) -> std::process::Output {
    let config = format!(
        "[engine]\nworkers = 1\n[[sources]]\ntype = \"files\"\npaths = [\"root.jsonl\"]\n\
         [[plugins]]\nname = \"root\"\npath = {:?}\n[[sinks]]\ntype = \"nats\"\n{sink}",
        support::component("minimal-detector").display().to_string()
    );
    std::fs::write(dir.join("service.toml"), config).unwrap();
    Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(["run", "--config", "service.toml"])
        .current_dir(dir)
        .env("CI", "true")
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("nats-cache"))
        .output()
        .expect("trailhound runs")
}

fn uids(findings: &[serde_json::Value]) -> std::collections::BTreeSet<String> {
    findings.iter().map(|f| f["finding_info"]["uid"].as_str().expect("a uid").to_string()).collect()
}

#[test]
fn the_sink_stores_every_finding_once_in_a_stream_it_creates() {
    const FINDINGS: usize = 250;
    let dir = tempfile::tempdir().unwrap();
    support::root_calls(dir.path(), FINDINGS);
    let server = Server::start(free_port(), &dir.path().join("store"));
    let sink = format!(
        "url = {:?}\nsubject = \"findings.aws\"\nstream = \"FINDINGS\"\nbatch_size = 64\n",
        server.url
    );
    let output = run(dir.path(), &sink);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let findings = read_stream(&server, "FINDINGS", FINDINGS);
    assert_eq!(findings.len(), FINDINGS);
    assert_eq!(uids(&findings).len(), FINDINGS, "each finding once");
    let rules: std::collections::BTreeSet<&str> =
        findings.iter().filter_map(|f| f["finding_info"]["analytic"]["uid"].as_str()).collect();
    assert_eq!(rules.into_iter().collect::<Vec<_>>(), ["aws.root-activity"]);
}

#[test]
fn the_sink_retries_until_the_server_comes_up_and_dead_letters_when_it_never_does() {
    const FINDINGS: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    support::root_calls(dir.path(), FINDINGS);
    let port = free_port();
    let url = format!("nats://127.0.0.1:{port}");

    // Nothing listens: two quick attempts, then every finding is in the dead-letter file.
    let never = format!("url = {url:?}\nsubject = \"findings.aws\"\nstream = \"FINDINGS\"\nmax_attempts = 2\nbackoff_ms = 50\ndead_letter = \"dead.jsonl\"\n");
    let output = run(dir.path(), &never);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let dead = std::fs::read_to_string(dir.path().join("dead.jsonl")).unwrap_or_default();
    let dead: Vec<serde_json::Value> =
        dead.lines().map(|line| serde_json::from_str(line).expect("a JSON finding")).collect();
    assert_eq!(uids(&dead).len(), FINDINGS, "{stderr}");
    assert!(stderr.contains("cannot connect"), "{stderr}");

    // The server comes up two seconds into the run: the retries reach it, nothing is lost.
    let store = dir.path().join("store");
    let starter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(2));
        Server::start(port, &store)
    });
    let later = format!("url = {url:?}\nsubject = \"findings.aws\"\nstream = \"FINDINGS\"\nmax_attempts = 20\nbackoff_ms = 200\nmax_backoff_ms = 1000\n");
    let output = run(dir.path(), &later);
    let server = starter.join().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let findings = read_stream(&server, "FINDINGS", FINDINGS);
    assert_eq!(uids(&findings).len(), FINDINGS);
    assert_eq!(findings.len(), FINDINGS, "none twice");
}
