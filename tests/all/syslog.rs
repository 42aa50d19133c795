//! Tests: the syslog sink against real listeners on loopback ports, started and stopped by
//! the test: over UDP and over TCP (octet counting), every finding arrives as a well-formed
//! RFC 5424 message, parsed here field by field.

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, UdpSocket};
use std::time::{Duration, Instant};

use crate::support;

const FINDINGS: usize = 5;
/// How long the listeners wait for what they expect (the loop is bounded in time and count).
const PATIENCE: Duration = Duration::from_secs(30);

/// One RFC 5424 message, checked: PRI, VERSION, TIMESTAMP, HOSTNAME, APP-NAME, PROCID, MSGID,
/// STRUCTURED-DATA, MSG. Returns the MSGID and the structured data.
fn parse(message: &str) -> (String, String) {
    let (pri, rest) = message.strip_prefix('<').and_then(|m| m.split_once('>')).expect("<PRI>");
    let pri: u32 = pri.parse().expect("a number");
    assert_eq!(pri, 10 * 8 + 3, "authpriv, err for a high finding: {message}");
    let fields: Vec<&str> = rest.splitn(7, ' ').collect();
    assert_eq!(fields[0], "1", "version: {message}");
    time::OffsetDateTime::parse(fields[1], &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("timestamp {}: {e}", fields[1]));
    assert_eq!(fields[2], "collector-test");
    assert_eq!(fields[3], "trailhound");
    assert!(fields[4].parse::<u32>().is_ok(), "procid: {message}");
    let sd = fields[6];
    assert!(
        sd.starts_with(
            "[trailhound@32473 plugin=\"root\" rule=\"aws.root-activity\" severity=\"High\" uid=\""
        ),
        "{sd}"
    );
    let end = sd.find("] ").expect("structured data then the message");
    assert!(!sd[end + 2..].is_empty(), "a message: {message}");
    (fields[5].to_string(), sd[..=end].to_string())
}

#[test]
fn findings_arrive_as_rfc5424_messages_over_udp_and_tcp() {
    let dir = tempfile::tempdir().unwrap();
    support::root_calls(dir.path(), FINDINGS);
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let (udp_port, tcp_port) = (udp.local_addr().unwrap().port(), tcp.local_addr().unwrap().port());
    // The TCP side: one connection, frames `LEN SP MSG`, read on its own thread.
    let tcp_reader = std::thread::spawn(move || {
        let (stream, _) = tcp.accept().unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut reader = BufReader::new(stream);
        let mut messages = Vec::new();
        while messages.len() < FINDINGS {
            let mut length = Vec::new();
            if reader.read_until(b' ', &mut length).unwrap() == 0 {
                break;
            }
            let length: usize = std::str::from_utf8(&length).unwrap().trim().parse().unwrap();
            let mut message = vec![0; length];
            reader.read_exact(&mut message).unwrap();
            messages.push(String::from_utf8(message).unwrap());
        }
        messages
    });
    let sinks = format!(
        "[[sinks]]\ntype = \"syslog\"\naddress = \"127.0.0.1:{udp_port}\"\nhostname = \"collector-test\"\n\
         [[sinks]]\ntype = \"syslog\"\nprotocol = \"tcp\"\naddress = \"127.0.0.1:{tcp_port}\"\nhostname = \"collector-test\"\n"
    );
    let output = support::run_root_calls(dir.path(), &sinks, &[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let mut datagrams = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    let mut buffer = [0u8; 65_536];
    while datagrams.len() < FINDINGS && Instant::now() < deadline {
        if let Ok((n, _)) = udp.recv_from(&mut buffer) {
            datagrams.push(String::from_utf8(buffer[..n].to_vec()).unwrap());
        }
    }
    let framed = tcp_reader.join().unwrap();
    for messages in [&datagrams, &framed] {
        assert_eq!(messages.len(), FINDINGS, "{messages:#?}");
        let parsed: Vec<(String, String)> = messages.iter().map(|m| parse(m)).collect();
        assert!(parsed.iter().all(|(msgid, _)| msgid == "aws.root-activity"));
        let uids: std::collections::BTreeSet<&String> = parsed.iter().map(|(_, sd)| sd).collect();
        assert_eq!(uids.len(), FINDINGS, "each finding once");
    }
}
