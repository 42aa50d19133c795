//! VPC flow logs of the production VPC, in the default format (version 2): one record per
//! flow on a network interface in a one-minute capture window (the flow log's maximum
//! aggregation interval), each direction of a connection its own flow.
//!
//! Story 3, step 5 (19:22–19:27): the story's node, whose network the intruder's pod shares,
//! holds a connection to the intruder's address on port 4444, accepted, minute after minute.
//!
//! Story 4, step 1 (20:05–20:12): the orders node's interface carries the orders API pod's
//! reverse shell to the attacker's port 4444 (the VPC CNI translates pod traffic leaving the VPC
//! to the node's address), accepted, minute after minute. The metadata service's traffic is
//! never logged.
//!
//! Around them, both nodes' benign traffic: HTTPS to service endpoints, DNS to the VPC
//! resolver, the orders node's PostgreSQL connections to the database, and scanners from the
//! internet rejected at the nodes' security groups.

use super::day::{at, Day};
use super::{Node, ATTACKER_IP, INTRUDER_IP, LISTENER_PORT, NODE, ORDERS_NODE, PROD};

/// The VPC's DNS resolver and the orders database.
const RESOLVER: &str = "10.40.0.2";
const DATABASE: &str = "10.40.21.14";
/// Service endpoints the nodes reach through the internet gateway (image registry, object
/// storage, the EKS API).
const ENDPOINTS: [&str; 4] = ["198.51.100.140", "198.51.100.147", "198.51.100.152", "198.51.100.159"];
/// Addresses that scan the internet.
const SCANNERS: [&str; 3] = ["203.0.113.201", "203.0.113.227", "203.0.113.244"];
/// The header line of a file in the default format: its fields, in order.
pub const HEADER: &str =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";
/// Seconds of a capture window: the flow log's maximum aggregation interval, one minute.
const WINDOW: i64 = 60;
const TCP: u8 = 6;
const UDP: u8 = 17;

/// One flow record: its window's start (what its delivery file is grouped by) and its line.
pub struct Flow {
    pub start: i64,
    pub line: String,
}

/// Traffic in one window on one interface, from `src` to `dst`.
struct Traffic<'a> {
    node: &'a Node,
    src: (&'a str, u16),
    dst: (&'a str, u16),
    protocol: u8,
    packets: i64,
    bytes: i64,
    accepted: bool,
}

impl Traffic<'_> {
    fn flow(&self, start: i64) -> Flow {
        let action = if self.accepted { "ACCEPT" } else { "REJECT" };
        let line = format!(
            "2 {PROD} {} {} {} {} {} {} {} {} {start} {} {action} OK",
            self.node.eni,
            self.src.0,
            self.dst.0,
            self.src.1,
            self.dst.1,
            self.protocol,
            self.packets,
            self.bytes,
            start + WINDOW,
        );
        Flow { start, line }
    }

    /// This flow and its reply, in the same window.
    fn both_ways(&self, day: &mut Day, start: i64) -> [Flow; 2] {
        let reply = Traffic {
            src: self.dst,
            dst: self.src,
            packets: (self.packets + day.below(3) - 1).max(1),
            bytes: self.bytes * (2 + day.below(20)),
            ..*self
        };
        [self.flow(start), reply.flow(start)]
    }
}

/// An ephemeral port, as Linux picks them.
fn ephemeral(day: &mut Day) -> u16 {
    32768 + day.below(28_232) as u16
}

/// A window's start within `hour`.
fn some_time_in(day: &mut Day, hour: i64) -> i64 {
    at(hour, day.below(60), day.below(60))
}

/// The VPC's flow records of the day, in time order; story 4's drawn from `story_4`.
pub fn records(day: &mut Day, story_4: &mut Day) -> Vec<Flow> {
    let mut out = Vec::new();
    story(day, &mut out);
    reverse_shell(story_4, &mut out);
    for hour in 0..24 {
        for node in [&NODE, &ORDERS_NODE] {
            hourly(day, &mut out, node, hour);
        }
        if hour % 3 == 1 {
            scan(day, &mut out, hour);
        }
    }
    out.sort_by(|a, b| (a.start, &a.line).cmp(&(b.start, &b.line)));
    out
}

/// Story 3, step 5: the node's connection to the intruder's listener, five minutes long.
fn story(day: &mut Day, out: &mut Vec<Flow>) {
    call_back(day, out, &NODE, INTRUDER_IP, at(19, 22, 7), 5);
}

/// Story 4, step 1: the orders API's reverse shell, seven minutes long.
fn reverse_shell(day: &mut Day, out: &mut Vec<Flow>) {
    call_back(day, out, &ORDERS_NODE, ATTACKER_IP, at(20, 5, 41), 7);
}

/// A shell's connection from `node` to `listener`'s port 4444, with its replies, in `minutes`
/// one-minute windows from `start`.
fn call_back(day: &mut Day, out: &mut Vec<Flow>, node: &Node, listener: &str, start: i64, minutes: i64) {
    let port = ephemeral(day);
    for minute in 0..minutes {
        let callback = Traffic {
            node,
            src: (node.ip, port),
            dst: (listener, LISTENER_PORT),
            protocol: TCP,
            packets: 40 + day.below(200),
            bytes: 4_000 + day.below(60_000),
            accepted: true,
        };
        out.extend(callback.both_ways(day, start + 60 * minute));
    }
}

/// A node's usual hour: HTTPS to an endpoint, DNS; the orders node also talks to its database.
fn hourly(day: &mut Day, out: &mut Vec<Flow>, node: &Node, hour: i64) {
    let endpoint = day.pick(&ENDPOINTS);
    let https = Traffic {
        node,
        src: (node.ip, ephemeral(day)),
        dst: (endpoint, 443),
        protocol: TCP,
        packets: 8 + day.below(40),
        bytes: 1_200 + day.below(9_000),
        accepted: true,
    };
    let start = some_time_in(day, hour);
    out.extend(https.both_ways(day, start));
    let dns = Traffic {
        node,
        src: (node.ip, ephemeral(day)),
        dst: (RESOLVER, 53),
        protocol: UDP,
        packets: 1 + day.below(4),
        bytes: 70 + day.below(200),
        accepted: true,
    };
    let start = some_time_in(day, hour);
    out.extend(dns.both_ways(day, start));
    if node.name == ORDERS_NODE.name {
        let database = Traffic {
            node,
            src: (node.ip, ephemeral(day)),
            dst: (DATABASE, 5432),
            protocol: TCP,
            packets: 20 + day.below(300),
            bytes: 3_000 + day.below(80_000),
            accepted: true,
        };
        let start = some_time_in(day, hour);
        out.extend(database.both_ways(day, start));
    }
}

/// A scanner probing a node's SSH, Telnet or RDP port, refused.
fn scan(day: &mut Day, out: &mut Vec<Flow>, hour: i64) {
    let node = day.pick(&[&NODE, &ORDERS_NODE]);
    let probe = Traffic {
        node,
        src: (day.pick(&SCANNERS), ephemeral(day)),
        dst: (node.ip, day.pick(&[22, 23, 3389])),
        protocol: TCP,
        packets: 1 + day.below(3),
        bytes: 40 + day.below(140),
        accepted: false,
    };
    out.push(probe.flow(some_time_in(day, hour)));
}
