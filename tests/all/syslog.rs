//! Tests: the syslog sink against real listeners on loopback ports, started and stopped by
//! the test: over UDP and over TCP (octet counting), every finding arrives as a well-formed
//! RFC 5424 message, parsed here field by field; over TLS too (RFC 5425), to a collector that
//! asks for a client certificate.

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

/// A CA, and a certificate for `localhost` it signed, with their keys (PEM); and the DER
/// of each for the collector.
struct Pki {
    ca_pem: String,
    ca_der: rustls::pki_types::CertificateDer<'static>,
    server: (rustls::pki_types::CertificateDer<'static>, rustls::pki_types::PrivateKeyDer<'static>),
    client_pem: (String, String),
}

fn pki() -> Pki {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "trailhound test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap()).unwrap();
    let leaf = |name: &str| {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert =
            rcgen::CertificateParams::new(vec![name.to_string()]).unwrap().signed_by(&key, &ca).unwrap();
        (cert, key)
    };
    let (server_cert, server_key) = leaf("localhost");
    let (client_cert, client_key) = leaf("trailhound-client");
    Pki {
        ca_pem: ca.pem(),
        ca_der: ca.der().clone(),
        server: (
            server_cert.der().clone(),
            rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
        ),
        client_pem: (client_cert.pem(), client_key.serialize_pem()),
    }
}

/// A collector that speaks RFC 5425 (TLS, octet-counted frames) and asks every client for a
/// certificate the CA signed: each connection on its thread, the messages of those whose
/// handshake passed on the channel; it stops taking connections after the patience.
fn tls_collector(pki: &Pki) -> (u16, std::sync::mpsc::Receiver<String>) {
    use std::sync::Arc;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca_der.clone()).unwrap();
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![pki.server.0.clone()], pki.server.1.clone_key())
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            let Ok((stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            let (config, tx) = (config.clone(), tx.clone());
            std::thread::spawn(move || {
                stream.set_nonblocking(false).unwrap();
                stream.set_read_timeout(Some(PATIENCE)).unwrap();
                let connection = rustls::ServerConnection::new(config).unwrap();
                let mut reader = BufReader::new(rustls::StreamOwned::new(connection, stream));
                loop {
                    let mut length = Vec::new();
                    // A refused handshake ends here, as does the sink closing.
                    if !matches!(reader.read_until(b' ', &mut length), Ok(n) if n > 0) {
                        return;
                    }
                    let length: usize = std::str::from_utf8(&length).unwrap().trim().parse().unwrap();
                    let mut message = vec![0; length];
                    reader.read_exact(&mut message).unwrap();
                    let _ = tx.send(String::from_utf8(message).unwrap());
                }
            });
        }
    });
    (port, rx)
}

/// Over TLS with a client certificate, every finding arrives as an RFC 5424 message; a sink
/// that does not trust the collector's certificate, and one with no client certificate for
/// a collector that asks for one, deliver nothing to it: their findings go to the
/// dead-letter file, and the summary says why.
#[test]
fn findings_arrive_over_mutual_tls_and_an_untrusted_collector_or_a_missing_client_cert_dead_letters() {
    let dir = tempfile::tempdir().unwrap();
    support::root_calls(dir.path(), FINDINGS);
    let pki = pki();
    std::fs::write(dir.path().join("ca.pem"), &pki.ca_pem).unwrap();
    std::fs::write(dir.path().join("client.pem"), &pki.client_pem.0).unwrap();
    std::fs::write(dir.path().join("client.key"), &pki.client_pem.1).unwrap();
    let (port, messages) = tls_collector(&pki);
    let sink = |name: &str, tls: &str| {
        format!(
            "[[sinks]]\nname = \"{name}\"\ntype = \"syslog\"\nprotocol = \"tls\"\naddress = \"127.0.0.1:{port}\"\n\
             hostname = \"collector-test\"\ndead_letter = \"{name}.dead.jsonl\"\ntls = {{ {tls} }}\n"
        )
    };
    let sinks = sink(
        "mutual",
        "ca_file = \"ca.pem\", server_name = \"localhost\", cert_file = \"client.pem\", key_file = \"client.key\"",
    ) + &sink("untrusting", "server_name = \"localhost\"")
        + &sink("anonymous", "ca_file = \"ca.pem\", server_name = \"localhost\"");
    let output = support::run_root_calls(dir.path(), &sinks, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "two sinks dead-lettered: {stderr}");

    let mut received = Vec::new();
    while let Ok(message) = messages.recv_timeout(Duration::from_secs(2)) {
        received.push(message);
    }
    assert_eq!(received.len(), FINDINGS, "only the mutual sink's findings: {received:#?}\n{stderr}");
    let parsed: Vec<(String, String)> = received.iter().map(|m| parse(m)).collect();
    let uids: std::collections::BTreeSet<&String> = parsed.iter().map(|(_, sd)| sd).collect();
    assert_eq!(uids.len(), FINDINGS, "each finding once");
    for name in ["untrusting", "anonymous"] {
        let dead = std::fs::read_to_string(dir.path().join(format!("{name}.dead.jsonl"))).unwrap_or_default();
        assert_eq!(dead.lines().count(), FINDINGS, "{name}: {stderr}");
    }
    assert!(!dir.path().join("mutual.dead.jsonl").exists());
    assert!(stderr.contains("UnknownIssuer"), "the untrusted certificate is named: {stderr}");
    assert!(stderr.contains("the collector ended the TLS session"), "{stderr}");
}
