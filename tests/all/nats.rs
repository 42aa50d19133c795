//! Tests: the NATS JetStream sink and source against a real `nats-server` (JetStream on, its
//! store in a temporary folder) that the test starts on a free loopback port and stops.
//! Findings are read back from the stream with the host's own client, through a durable pull
//! consumer; events are published with it.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use trailhound::nats::{jetstream, Connection, Options};

use crate::service::{root_event, Service};
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
    support::run_root_calls(dir, &format!("[[sinks]]\ntype = \"nats\"\n{sink}"), &[])
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

/// Messages stream `stream` holds now.
fn stored(connection: &mut Connection, stream: &str) -> u64 {
    let info =
        jetstream::api(connection, &format!("STREAM.INFO.{stream}"), &serde_json::Value::Null).unwrap();
    info["state"]["messages"].as_u64().unwrap()
}

/// The event each finding stored in `FINDINGS` is about, with how many times.
fn findings_per_event(server: &Server, durable: &str) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    let mut connection = server.connect().unwrap();
    let settings = jetstream::ConsumerSettings {
        durable: durable.into(),
        filter_subject: None,
        ack_wait: Duration::from_secs(30),
        max_ack_pending: 100_000,
        start_after: 0,
    };
    jetstream::create_consumer(&mut connection, "FINDINGS", &settings).unwrap();
    let total = stored(&mut connection, "FINDINGS") as usize;
    let deadline = Instant::now() + PATIENCE;
    let mut read = 0;
    while read < total && Instant::now() < deadline {
        jetstream::pull(&mut connection, "FINDINGS", durable, 1000, Duration::from_millis(300)).unwrap();
        while let Some(msg) = connection.next_message(Instant::now() + Duration::from_secs(1)).unwrap() {
            if msg.status.is_some() {
                break;
            }
            read += 1;
            let finding: serde_json::Value = serde_json::from_slice(&msg.payload).unwrap();
            let event = finding["finding_info"]["related_events"][0]["uid"].as_str().unwrap().to_string();
            *counts.entry(event).or_insert(0) += 1;
        }
    }
    assert_eq!(read, total, "every stored finding read");
    counts
}

/// Events are published to `EVENTS` while `trailhound run` reads them through the NATS source
/// and sends findings to `FINDINGS` through the NATS sink; the host is killed (-9) after
/// some were acknowledged, and restarted: every event's finding is stored, the consumer has
/// acknowledged every event and holds none, and the duplicates are counted.
#[test]
fn the_source_killed_mid_stream_and_restarted_every_events_finding_is_delivered() {
    const EVENTS: usize = 4000;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(free_port(), &dir.path().join("store"));
    let mut watcher = server.connect().unwrap();
    jetstream::ensure_stream(&mut watcher, "EVENTS", &["events.aws".into()]).unwrap();
    let mut publisher = server.connect().unwrap();
    // A steady stream: 50 events every 50 ms, for about four seconds.
    let publishing = std::thread::spawn(move || {
        for chunk in 0..EVENTS / 50 {
            for i in chunk * 50..(chunk + 1) * 50 {
                publisher.publish("events.aws", None, &[], root_event(&format!("n-{i}")).as_bytes()).unwrap();
            }
            publisher.round_trip(Instant::now() + PATIENCE).unwrap();
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let config = format!(
        "[engine]\nworkers = 2\nbatch_size = 128\nlinger_ms = 100\nstate_dir = \"state\"\n\
         checkpoint_interval_secs = 1\n\
         [[sources]]\ntype = \"nats\"\nurl = {url:?}\nstream = \"EVENTS\"\nbatch = 64\nack_wait_secs = 5\n\
         [[plugins]]\nname = \"p\"\npath = {component:?}\n\
         [[sinks]]\ntype = \"nats\"\nurl = {url:?}\nsubject = \"findings.aws\"\nstream = \"FINDINGS\"\nbatch_size = 50\n",
        url = server.url,
        component = support::component("minimal-detector").display().to_string(),
    );
    let acknowledged = |connection: &mut Connection| {
        jetstream::consumer(connection, "EVENTS", "trailhound").unwrap().map_or(0, |c| c.ack_floor)
    };

    let mut first = Service::with_config(dir.path(), &config);
    // Killed while it holds messages it took and has not acknowledged.
    first.wait_until("some events acknowledged and more held", || {
        let state = jetstream::consumer(&mut watcher, "EVENTS", "trailhound").unwrap();
        state.is_some_and(|c| c.ack_floor >= 300 && c.ack_pending > 0)
    });
    first.signal("KILL");
    let _ = first.wait();
    let at_kill = jetstream::consumer(&mut watcher, "EVENTS", "trailhound").unwrap().unwrap();

    let mut second = Service::with_config(dir.path(), &config);
    second.wait_for_log("resuming from the last checkpoint: 0 file(s) and 1 stream(s)");
    publishing.join().unwrap();
    second.wait_until("every event acknowledged", || acknowledged(&mut watcher) >= EVENTS as u64);
    second.signal("TERM");
    let (code, stderr, _) = second.wait();
    assert_eq!(code, Some(0), "{stderr}");

    let state = jetstream::consumer(&mut watcher, "EVENTS", "trailhound").unwrap().unwrap();
    assert_eq!((state.ack_floor, state.ack_pending), (EVENTS as u64, 0), "{stderr}");
    let counts = findings_per_event(&server, "check");
    let missing: Vec<String> =
        (0..EVENTS).map(|i| format!("n-{i}")).filter(|id| !counts.contains_key(id)).collect();
    assert!(
        missing.is_empty(),
        "{} events without a finding: {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    let duplicates: usize = counts.values().map(|n| n - 1).sum();
    // At least once: only what was held unacknowledged at the kill can come twice.
    assert!(duplicates as u64 <= at_kill.ack_pending, "{duplicates} duplicates");
    let line =
        stderr.lines().find(|l| l.starts_with("nats 127.0.0.1:")).unwrap_or_else(|| panic!("{stderr}"));
    let read: u64 = line.split(": ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    // What the first run took (acknowledged or held) and the restart read again.
    let again = (at_kill.ack_floor + at_kill.ack_pending + read).saturating_sub(EVENTS as u64);
    eprintln!(
        "killed with {} of {EVENTS} acknowledged and {} held; the restart read {read}, {again} of them \
         again; {duplicates} finding(s) stored twice",
        at_kill.ack_floor, at_kill.ack_pending
    );
    assert!(again <= at_kill.ack_pending, "only what was held is read again");
}

/// While the sink cannot deliver, no checkpoint commits, so nothing is acknowledged: the
/// messages stay with the server, taken and held.
#[test]
fn the_source_acknowledges_nothing_while_the_findings_are_not_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(free_port(), &dir.path().join("store"));
    let mut client = server.connect().unwrap();
    jetstream::ensure_stream(&mut client, "EVENTS", &["events.aws".into()]).unwrap();
    for i in 0..50 {
        client.publish("events.aws", None, &[], root_event(&format!("h-{i}")).as_bytes()).unwrap();
    }
    client.round_trip(Instant::now() + PATIENCE).unwrap();
    let nowhere = format!("http://127.0.0.1:{}/findings", free_port());
    let config = format!(
        "[engine]\nworkers = 1\nlinger_ms = 100\nstate_dir = \"state\"\ncheckpoint_interval_secs = 1\n\
         [[sources]]\ntype = \"nats\"\nurl = {url:?}\nstream = \"EVENTS\"\nack_wait_secs = 30\n\
         [[plugins]]\nname = \"p\"\npath = {component:?}\n\
         [[sinks]]\ntype = \"webhook\"\nurl = {nowhere:?}\nmax_attempts = 1000\nbackoff_ms = 50\nmax_backoff_ms = 100\n",
        url = server.url,
        component = support::component("minimal-detector").display().to_string(),
    );
    let mut service = Service::with_config(dir.path(), &config);
    service.wait_until("every message taken", || {
        jetstream::consumer(&mut client, "EVENTS", "trailhound").unwrap().is_some_and(|c| c.ack_pending == 50)
    });
    // Three checkpoint intervals: none commits while the findings are not delivered.
    std::thread::sleep(Duration::from_secs(3));
    let state = jetstream::consumer(&mut client, "EVENTS", "trailhound").unwrap().unwrap();
    assert_eq!((state.ack_floor, state.ack_pending), (0, 50));
    service.signal("KILL");
    let _ = service.wait();
}

/// Publishes a root call per id (`PREFIX-i`) on `events.aws`, and waits until the server has
/// them.
fn publish_events(client: &mut Connection, prefix: &str, ids: std::ops::Range<usize>) {
    for i in ids {
        client.publish("events.aws", None, &[], root_event(&format!("{prefix}-{i}")).as_bytes()).unwrap();
    }
    client.round_trip(Instant::now() + PATIENCE).unwrap();
}

/// A run reading stream `EVENTS` (made by the source on `events.aws`) with the minimal
/// detector, once its consumer is on the server.
fn reading_service(dir: &Path, server: &Server, client: &mut Connection) -> Service {
    // Right after the service's [engine] keys: these two are engine keys too.
    let sources = format!(
        "state_dir = \"state\"\ncheckpoint_interval_secs = 1\n\
         [[sources]]\ntype = \"nats\"\nurl = {:?}\nstream = \"EVENTS\"\nsubjects = [\"events.aws\"]\nack_wait_secs = 5\n",
        server.url
    );
    let mut service = Service::start(dir, &sources, ("minimal-detector", serde_json::json!({})));
    service.wait_for_log("nats source reading stream EVENTS");
    service.wait_until("the stream made", || {
        jetstream::consumer(client, "EVENTS", "trailhound").is_ok_and(|c| c.is_some())
    });
    service
}

/// The consumer deleted on the server while the run reads: the source makes it again after
/// what it took, and reads on.
#[test]
fn the_source_makes_its_consumer_again_when_it_is_deleted_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(free_port(), &dir.path().join("store"));
    let mut client = server.connect().unwrap();
    let mut service = reading_service(dir.path(), &server, &mut client);
    publish_events(&mut client, "d", 0..20);
    service.wait_for_findings(20);
    jetstream::delete_consumer(&mut client, "EVENTS", "trailhound").unwrap();
    publish_events(&mut client, "d", 20..40);
    service.wait_for_findings(40);
    service.signal("TERM");
    let (code, stderr, seen) = service.wait();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(seen.len(), 40, "each event's finding once: {stderr}");
    assert!(stderr.contains("1 reconnection(s)"), "{stderr}");
}

/// The stream deleted on the server and made again (by the source, which has its subjects)
/// while the run reads: its sequences start over, and the source reads the new stream from
/// its start instead of skipping its first messages as already read.
#[test]
fn the_source_reads_a_stream_made_again_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(free_port(), &dir.path().join("store"));
    let mut client = server.connect().unwrap();
    let mut service = reading_service(dir.path(), &server, &mut client);
    publish_events(&mut client, "s", 0..20);
    service.wait_for_findings(20);
    jetstream::api(&mut client, "STREAM.DELETE.EVENTS", &serde_json::Value::Null).unwrap();
    // The source makes it again when it reconnects; what is published before is not stored.
    service.wait_until("the stream made again", || {
        jetstream::consumer(&mut client, "EVENTS", "trailhound").is_ok_and(|c| c.is_some())
    });
    publish_events(&mut client, "s", 20..30);
    service.wait_for_findings(30);
    service.signal("TERM");
    let (code, stderr, seen) = service.wait();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(seen.len(), 30, "each event's finding once: {stderr}");
    assert!(stderr.contains("the stream was made again 1 time(s) and read from its start"), "{stderr}");
}
