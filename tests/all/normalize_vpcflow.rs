//! Tests: VPC flow logs — text files with and without a header, custom formats, windows
//! without traffic, malformed lines, JSON spellings, Security Lake's OCSF form, flow logs in
//! CloudWatch Logs, and the labeled events of the Panther `aws-vpcflow` fixture.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};
use trailhound::decode::Limits;
use trailhound::event::{Category, Event, OcsfClass, Plane};
use trailhound::normalize::{self, Normalized};
use trailhound::record::{Origin, RawRecord};
use trailhound::sources::{self, Input, Item};

/// The default format's header, as AWS writes it at the top of each file delivered to S3.
const HEADER: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";

/// Records of the default format, shaped as the AWS "Flow log records" examples show them.
const ACCEPTED: &str = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";
const REJECTED: &str = "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK";
const NO_DATA: &str = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA";

/// What reading a file gave: each record normalized, or the malformed item's text.
#[derive(Debug)]
enum Seen {
    Event(Box<Event>, Origin),
    Skipped(&'static str),
    Malformed(String),
}

fn read(path: &Path) -> Vec<Seen> {
    let mut seen = Vec::new();
    sources::read(&Input::File(path.to_path_buf()), Limits::default(), &mut |item| {
        seen.push(match item {
            Item::Record(raw) => match normalize::normalize(raw, None) {
                Ok(Normalized::Event(r)) => Seen::Event(Box::new(r.event), r.origin),
                Ok(Normalized::Skipped { reason, .. }) => Seen::Skipped(reason),
                Err(m) => Seen::Malformed(m.to_string()),
            },
            Item::Malformed(m) => Seen::Malformed(m.to_string()),
        })
    })
    .unwrap();
    seen
}

fn event(seen: &Seen) -> &Event {
    match seen {
        Seen::Event(event, _) => event,
        other => panic!("not an event: {other:?}"),
    }
}

#[test]
fn a_text_file_with_a_header_reads_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("123456789010_vpcflowlogs_us-east-1_fl-1234abcd_20141214T0400Z_a1b2c3.log");
    let malformed = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 ssh 22 6";
    std::fs::write(&path, format!("{HEADER}\n{ACCEPTED}\n{REJECTED}\n{NO_DATA}\n{malformed}\n\n")).unwrap();
    let seen = read(&path);
    assert_eq!(seen.len(), 4, "{seen:?}");

    let accepted = event(&seen[0]);
    assert_eq!(accepted.source, "aws-vpcflow");
    assert_eq!(
        (accepted.plane, accepted.class, accepted.category),
        (Plane::Network, OcsfClass::NetworkActivity, Category::Network)
    );
    assert_eq!((accepted.provider.as_str(), accepted.action.as_str()), ("aws", "ACCEPT"));
    assert_eq!(accepted.account, "123456789010");
    assert_eq!(accepted.time, 1_418_530_010_000, "the window's start, in milliseconds");
    assert_eq!(
        (accepted.actor.id.as_str(), accepted.actor.kind.as_str()),
        ("eni-1235b8ca123456789", "NetworkInterface")
    );
    assert_eq!(accepted.source_ip.as_deref(), Some("172.31.16.139"));
    assert!(accepted.id.starts_with("sha256:"));
    let network = accepted.network.as_ref().unwrap();
    assert_eq!(network.src_addr.as_deref(), Some("172.31.16.139"));
    assert_eq!(network.dst_addr.as_deref(), Some("172.31.16.21"));
    assert_eq!((network.src_port, network.dst_port, network.protocol), (Some(20641), Some(22), Some(6)));
    assert_eq!((network.packets, network.bytes), (Some(20), Some(4249)));
    assert_eq!((network.allowed, network.end), (Some(true), Some(1_418_530_070_000)));
    assert_eq!(network.interface.as_deref(), Some("eni-1235b8ca123456789"));
    let Seen::Event(_, origin) = &seen[0] else { unreachable!() };
    assert_eq!(origin.line, Some(2), "the header is line 1");

    let rejected = event(&seen[1]);
    assert_eq!(rejected.action, "REJECT");
    assert!(!rejected.success);
    assert_eq!(rejected.network.as_ref().unwrap().allowed, Some(false));
    assert_ne!(rejected.id, accepted.id);

    assert!(matches!(&seen[2], Seen::Skipped(reason) if reason.contains("NODATA")), "{:?}", seen[2]);
    match &seen[3] {
        Seen::Malformed(text) => {
            assert!(text.contains(".log:5"), "the line is named: {text}");
            assert!(text.contains("8 fields where the format names 14"), "{text}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn default_lines_without_a_header_and_gzipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.log.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    write!(gz, "{ACCEPTED}\n{REJECTED}").unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let seen = read(&path);
    assert_eq!(seen.len(), 2, "a last line without its newline is read: {seen:?}");
    assert_eq!(event(&seen[1]).action, "REJECT");
}

#[test]
fn a_custom_format_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custom.log");
    let header = "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status region flow-direction";
    let line = "5 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43416 5001 52.213.180.42 10.0.0.62 6 568 8 1566848875 1566848933 ACCEPT 2 OK eu-west-1 ingress";
    std::fs::write(&path, format!("{header}\n{line}\n")).unwrap();
    let seen = read(&path);
    let event = event(&seen[0]);
    assert_eq!(event.region, "eu-west-1");
    assert_eq!(event.actor.name.as_deref(), Some("i-01234567890123456"));
    let kinds: Vec<&str> = event.resources.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["AWS::EC2::NetworkInterface", "AWS::EC2::Instance", "AWS::EC2::Subnet", "AWS::EC2::VPC"]
    );
    assert_eq!(event.network.as_ref().unwrap().dst_port, Some(5001));
}

#[test]
fn json_spellings_and_the_ocsf_form() {
    let documented = json!({"version": 2, "account-id": 123456789010_i64, "interface-id": "eni-1", "srcaddr": "10.0.0.1",
        "dstaddr": "10.0.0.2", "srcport": "443", "dstport": 51000, "protocol": 6, "start": "1418530010", "end": 1418530070,
        "action": "ACCEPT", "log-status": "OK"});
    let camel = json!({"version": 2, "accountId": "123456789010", "interfaceId": "eni-1", "srcAddr": "10.0.0.1",
        "dstAddr": "10.0.0.2", "srcPort": 443, "dstPort": 51000, "protocol": 6, "start": 1418530010, "end": 1418530070,
        "action": "ACCEPT", "logStatus": "OK"});
    let snake = json!({"account_id": "123456789010", "interface_id": "eni-1", "srcaddr": "10.0.0.1", "dstaddr": "10.0.0.2",
        "srcport": 443, "dstport": 51000, "protocol": 6, "start": 1418530010, "action": "ACCEPT", "log_status": "OK"});
    for record in [documented, camel, snake] {
        let event = normalize::event(&record.to_string()).unwrap_or_else(|e| panic!("{record}: {e}"));
        assert_eq!(event.source, "aws-vpcflow", "{record}");
        assert_eq!(event.account, "123456789010", "{record}");
        assert_eq!(event.actor.id, "eni-1", "{record}");
        assert_eq!(event.time, 1_418_530_010_000, "{record}");
        assert_eq!(event.network.as_ref().unwrap().src_port, Some(443), "{record}");
    }
    let ocsf = json!({"class_uid": 4001, "src_endpoint": {"ip": "10.0.0.1", "port": 443, "interface_uid": "eni-1"},
        "dst_endpoint": {"ip": "10.0.0.2", "port": 51000}, "connection_info": {"protocol_num": 17},
        "traffic": {"bytes": 120, "packets": 2}, "start_time": 1_418_530_010_000_i64, "action": "Denied",
        "cloud": {"account": {"uid": "123456789010"}, "region": "us-east-1"}});
    let event = normalize::event(&ocsf.to_string()).unwrap();
    assert_eq!(
        (event.action.as_str(), event.region.as_str(), event.actor.id.as_str()),
        ("REJECT", "us-east-1", "eni-1")
    );
    let network = event.network.unwrap();
    assert_eq!((network.protocol, network.bytes, network.dst_port), (Some(17), Some(120), Some(51000)));
}

#[test]
fn flow_logs_in_cloudwatch_logs() {
    let wrapped = json!({"id": "3", "timestamp": 1_418_530_080_000_i64, "message": ACCEPTED});
    let event = normalize::event(&wrapped.to_string()).unwrap();
    assert_eq!((event.source.as_str(), event.time), ("aws-vpcflow", 1_418_530_010_000));
    let raw = RawRecord { origin: Origin::whole(Arc::from("-")), text: Arc::from(wrapped.to_string()) };
    let record = normalize::normalize(raw, None).unwrap().into_record().unwrap();
    assert_eq!(record.json()["dstport"], 22, "the record kept is the flow, keyed by field name");
}

#[test]
fn odd_and_partial_records() {
    let partial = normalize::read(
        &json!({"dstAddr": "10.0.0.1", "dstPort": 22, "srcAddr": "1.1.1.1"}).to_string(),
        None,
    );
    let Ok(normalize::Read::Event { event, time_missing }) = partial else { panic!("{:?}", partial.err()) };
    assert!(time_missing);
    assert_eq!(
        (event.action.as_str(), event.account.as_str(), event.actor.id.as_str()),
        ("unknown", "unknown", "unknown")
    );
    let odd = json!({"srcaddr": "10.0.0.1", "dstport": 70000, "protocol": "tcp", "bytes": -5, "packets": 1.5, "src_endpoint": "x"});
    let network = normalize::event(&odd.to_string()).unwrap().network.unwrap();
    assert_eq!(
        (network.dst_port, network.protocol, network.bytes, network.packets),
        (None, None, None, None)
    );
    let cases = [
        (
            json!({"interface-id": "eni-1", "log-status": "OK"}),
            "not a VPC flow log record: no srcaddr or dstaddr",
        ),
        (json!({"srcaddr": "10.0.0.1", "start": "noon"}), "start: cannot read \"noon\" as a timestamp"),
    ];
    for (record, expected) in cases {
        let error = normalize::event(&record.to_string()).expect_err(expected);
        assert!(error.contains(expected), "{record}: {error:?} does not contain {expected:?}");
    }
    let skip = normalize::read(&json!({"interface-id": "eni-1", "log-status": "SKIPDATA"}).to_string(), None)
        .unwrap();
    assert!(matches!(skip, normalize::Read::Skip(reason) if reason.contains("SKIPDATA")));
}

/// Every flow among Panther's labeled `aws-vpcflow` test events is recognised without being
/// told and normalizes with actor and action. The rest are not flows: `{}` placeholders of
/// threat-intelligence rules, and `{"status": ...}` fragments of a log-status rule.
#[test]
fn every_panther_vpcflow_event_normalizes() {
    let Some(path) = super::support::fixture("panther/aws-vpcflow.jsonl") else { return };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (mut normalized, mut timed, mut refused) = (0, 0, 0);
    for (index, line) in text.lines().enumerate() {
        let row: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", index + 1));
        let record = row["event"].to_string();
        match normalize::read(&record, None) {
            Ok(normalize::Read::Event { event, time_missing }) => {
                assert_eq!(event.source, "aws-vpcflow", "line {}", index + 1);
                assert!(!event.actor.id.is_empty() && !event.action.is_empty(), "line {}", index + 1);
                normalized += 1;
                timed += usize::from(!time_missing);
            }
            Ok(normalize::Read::Skip(reason)) => panic!("line {}: skipped: {reason}", index + 1),
            Err(reason) => {
                eprintln!("panther aws-vpcflow: line {}: not a flow ({record}): {reason}", index + 1);
                assert!(
                    reason.starts_with("not a record of any known source"),
                    "line {}: {reason}",
                    index + 1
                );
                refused += 1;
            }
        }
    }
    eprintln!(
        "panther aws-vpcflow: {normalized} normalized ({timed} with their own time), {refused} not flows"
    );
    assert_eq!(normalized, 25);
}

/// However the input's reads are cut (a gzip stream hands out what one deflate block gives),
/// the header is read whole before it decides how the input is read.
#[test]
fn a_header_cut_across_reads_is_still_a_header() {
    let text = format!("{HEADER}\n{ACCEPTED}\n");
    let name: Arc<str> = Arc::from("cut.log");
    let mut items = Vec::new();
    let reader = std::io::BufReader::with_capacity(3, text.as_bytes());
    trailhound::decode::decode(
        reader,
        &name,
        trailhound::decode::Layout::Sniff,
        Limits::default(),
        &mut |item| items.push(item),
    )
    .unwrap();
    assert!(
        matches!(items.as_slice(), [Item::Record(raw)] if raw.text.contains("\"dstport\":22")),
        "{items:?}"
    );
}

/// A watched custom-format file that grows is read on in the format of its header, which is
/// only on its first line (it used to be read as JSON from there: every new line malformed).
#[test]
fn a_watched_custom_format_file_keeps_its_header_when_it_grows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custom.log");
    // A custom format as the AWS docs show one: a record of it is not a default-format line.
    let header = "account-id interface-id srcaddr dstaddr dstport action log-status";
    let line = |port: u16| format!("123456789010 eni-1235b8ca123456789 10.0.0.5 10.0.0.9 {port} ACCEPT OK\n");
    std::fs::write(&path, format!("{header}\n{}", line(22))).unwrap();
    let mut tracker = trailhound::sources::watch::Tracker::new(Limits::default());
    let mut items = Vec::new();
    tracker.read_new(&path, &mut |item| items.push(item)).unwrap();
    std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(line(3389).as_bytes()).unwrap();
    let progress = tracker.read_new(&path, &mut |item| items.push(item)).unwrap();
    assert!(!progress.reread, "{progress:?}");
    let ports: Vec<(Option<u64>, Value)> = items
        .iter()
        .map(|item| match item {
            Item::Record(raw) => {
                (raw.origin.line, serde_json::from_str::<Value>(&raw.text).unwrap()["dstport"].clone())
            }
            Item::Malformed(bad) => panic!("malformed: {bad}"),
        })
        .collect();
    assert_eq!(ports, [(Some(2), json!(22)), (Some(3), json!(3389))]);
}
