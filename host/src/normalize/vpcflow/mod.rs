//! AWS VPC flow logs: one record per flow on one network interface in one capture window,
//! from a text flow log (each line made a JSON object by [`crate::decode::flow_log`]), a
//! JSON export, or Security Lake's OCSF form ([`shape`] names the spellings).
//!
//! A flow has no principal: the actor is the network interface it was recorded on (kind
//! `NetworkInterface`, `unknown` when the record does not say), and the action is what the
//! security groups and network ACLs did (`ACCEPT`, `REJECT`; `unknown` when not recorded).
//! A record must name an endpoint (`srcaddr` or `dstaddr`). Records of a capture window
//! without traffic (`log-status` `NODATA`) or whose records were lost (`SKIPDATA`) are
//! recognised and skipped. The time is the window's start; the id is derived from the
//! record's content.

mod shape;

use super::lenient::{owned, text, Loose};
use super::{content_id, not_json, time, Read, TopKeys};
use crate::event::{Actor, Category, Event, Network, OcsfClass, Plane, Resource};
use shape::Flow;

/// Whether a record's top-level keys are a flow's, in any of its spellings.
pub fn recognizes(keys: &TopKeys) -> bool {
    let any = |names: &[&str]| names.iter().any(|k| keys.has_folded(k));
    any(&["srcaddr", "dstaddr", "src_addr", "dst_addr"])
        || (any(&["log-status", "log_status", "logstatus"])
            && any(&["interface-id", "interface_id", "interfaceid"]))
        || (keys.has("src_endpoint") && keys.has("dst_endpoint"))
}

/// The event of one flow record given as JSON text, or why there is none.
pub fn read(json: &str) -> Result<Read, String> {
    let flow: Flow = serde_json::from_str(json).map_err(|e| not_json(&e))?;
    match text(&flow.log_status) {
        Some("NODATA") => return Ok(Read::Skip("a VPC flow log window without traffic (log-status NODATA)")),
        Some("SKIPDATA") => {
            return Ok(Read::Skip("a VPC flow log window whose records were lost (log-status SKIPDATA)"))
        }
        _ => {}
    }
    let (src, dst) = (&flow.src_endpoint.0, &flow.dst_endpoint.0);
    let src_addr = owned(&flow.srcaddr).or_else(|| owned(&src.ip));
    let dst_addr = owned(&flow.dstaddr).or_else(|| owned(&dst.ip));
    if src_addr.is_none() && dst_addr.is_none() {
        return Err("not a VPC flow log record: no srcaddr or dstaddr".into());
    }
    let start = epoch(flow.start.as_ref().or(flow.start_time.as_ref()), "start")?;
    let end = epoch(flow.end.as_ref().or(flow.end_time.as_ref()), "end")?;
    let allowed = text(&flow.action).and_then(|action| match action {
        "ACCEPT" | "Allowed" => Some(true),
        "REJECT" | "Denied" => Some(false),
        _ => None,
    });
    let action = match allowed {
        Some(true) => "ACCEPT",
        Some(false) => "REJECT",
        None => text(&flow.action).unwrap_or("unknown"),
    };
    let account = id(&flow.account_id)
        .or_else(|| id(&flow.cloud.0.account.0.uid))
        .filter(|a| a != "unknown")
        .unwrap_or_else(|| "unknown".into());
    let interface = owned(&flow.interface_id).or_else(|| owned(&src.interface_uid));
    let instance = owned(&flow.instance_id).or_else(|| owned(&src.instance_uid));
    let actor = Actor {
        id: interface.clone().unwrap_or_else(|| "unknown".into()),
        kind: "NetworkInterface".into(),
        account: account.clone(),
        name: instance.clone(),
        ..Actor::default()
    };
    let network = Network {
        src_addr: src_addr.clone(),
        src_port: port(flow.srcport.as_ref().or(src.port.as_ref())),
        dst_addr,
        dst_port: port(flow.dstport.as_ref().or(dst.port.as_ref())),
        protocol: count(flow.protocol.as_ref().or(flow.connection_info.0.protocol_num.as_ref()))
            .and_then(|p| u8::try_from(p).ok()),
        bytes: count(flow.bytes.as_ref().or(flow.traffic.0.bytes.as_ref())),
        packets: count(flow.packets.as_ref().or(flow.traffic.0.packets.as_ref())),
        allowed,
        interface: interface.clone(),
        end,
    };
    let resources = [
        (interface, "AWS::EC2::NetworkInterface"),
        (instance, "AWS::EC2::Instance"),
        (owned(&flow.subnet_id).or_else(|| owned(&src.subnet_uid)), "AWS::EC2::Subnet"),
        (owned(&flow.vpc_id).or_else(|| owned(&src.vpc_uid)), "AWS::EC2::VPC"),
    ]
    .into_iter()
    .filter_map(|(id, kind)| Some(Resource { kind: kind.into(), id: id?, account: None }))
    .collect();
    let event = Event {
        id: content_id(json),
        time: start.unwrap_or_default(),
        provider: "aws".into(),
        source: super::SourceType::AwsVpcFlow.name().into(),
        plane: Plane::Network,
        class: OcsfClass::NetworkActivity,
        category: Category::Network,
        service: "ec2.amazonaws.com".into(),
        action: action.to_string(),
        success: allowed != Some(false),
        region: owned(&flow.region).or_else(|| owned(&flow.cloud.0.region)).unwrap_or_default(),
        account,
        actor,
        source_ip: src_addr,
        resources,
        network: Some(Box::new(network)),
        ..Event::default()
    };
    Ok(Read::Event { event, time_missing: start.is_none() })
}

/// A time in seconds (text flow logs) or milliseconds (OCSF), also written as a string.
fn epoch(field: Option<&Loose<'_>>, key: &str) -> Result<Option<i64>, String> {
    match field.and_then(Loose::number) {
        Some(n) => time::optional(&Some(Loose::Number(n)), key),
        None => time::optional(&field.cloned(), key),
    }
}

/// An account id written as text or as a number.
fn id(field: &Option<Loose<'_>>) -> Option<String> {
    field.as_ref()?.as_text().map(|t| t.into_owned())
}

/// A non-negative whole number, written as a number or as text.
fn count(field: Option<&Loose<'_>>) -> Option<u64> {
    let n = field?.number()?;
    (n >= 0.0 && n.fract() == 0.0 && n < u64::MAX as f64).then_some(n as u64)
}

fn port(field: Option<&Loose<'_>>) -> Option<u16> {
    count(field).and_then(|p| u16::try_from(p).ok())
}
