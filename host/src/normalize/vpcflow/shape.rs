//! The shape of a VPC flow log record: the documented field names (`srcaddr`,
//! `interface-id`, `log-status`, as the text decoder keys its lines and AWS's format
//! strings name them), the camel-cased names of JSON exports (`srcAddr`, `interfaceId`) and
//! the snake-cased ones of Athena tables (`interface_id`); and the OCSF Network Activity form
//! Security Lake writes (`src_endpoint.ip`, `traffic.bytes`). Every field is read leniently
//! ([`crate::normalize::lenient`]).

use serde::Deserialize;

use crate::normalize::lenient::{Loose, Object};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Flow<'a> {
    #[serde(borrow, rename = "account-id", alias = "accountId", alias = "account_id")]
    pub account_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "interface-id", alias = "interfaceId", alias = "interface_id")]
    pub interface_id: Option<Loose<'a>>,
    #[serde(borrow, alias = "srcAddr", alias = "src_addr")]
    pub srcaddr: Option<Loose<'a>>,
    #[serde(borrow, alias = "dstAddr", alias = "dst_addr")]
    pub dstaddr: Option<Loose<'a>>,
    #[serde(borrow, alias = "srcPort", alias = "src_port")]
    pub srcport: Option<Loose<'a>>,
    #[serde(borrow, alias = "dstPort", alias = "dst_port")]
    pub dstport: Option<Loose<'a>>,
    #[serde(borrow)]
    pub protocol: Option<Loose<'a>>,
    #[serde(borrow)]
    pub packets: Option<Loose<'a>>,
    #[serde(borrow)]
    pub bytes: Option<Loose<'a>>,
    #[serde(borrow)]
    pub start: Option<Loose<'a>>,
    #[serde(borrow)]
    pub end: Option<Loose<'a>>,
    #[serde(borrow)]
    pub action: Option<Loose<'a>>,
    #[serde(borrow, rename = "log-status", alias = "logStatus", alias = "log_status")]
    pub log_status: Option<Loose<'a>>,
    #[serde(borrow)]
    pub region: Option<Loose<'a>>,
    #[serde(borrow, rename = "vpc-id", alias = "vpcId", alias = "vpc_id")]
    pub vpc_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "subnet-id", alias = "subnetId", alias = "subNetId", alias = "subnet_id")]
    pub subnet_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "instance-id", alias = "instanceId", alias = "instance_id")]
    pub instance_id: Option<Loose<'a>>,
    // OCSF Network Activity (Security Lake).
    #[serde(borrow)]
    pub src_endpoint: Object<Endpoint<'a>>,
    #[serde(borrow)]
    pub dst_endpoint: Object<Endpoint<'a>>,
    #[serde(borrow)]
    pub connection_info: Object<ConnectionInfo<'a>>,
    #[serde(borrow)]
    pub traffic: Object<Traffic<'a>>,
    #[serde(borrow)]
    pub start_time: Option<Loose<'a>>,
    #[serde(borrow)]
    pub end_time: Option<Loose<'a>>,
    #[serde(borrow)]
    pub cloud: Object<Cloud<'a>>,
}

/// OCSF `src_endpoint` / `dst_endpoint`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Endpoint<'a> {
    #[serde(borrow)]
    pub ip: Option<Loose<'a>>,
    #[serde(borrow)]
    pub port: Option<Loose<'a>>,
    #[serde(borrow)]
    pub interface_uid: Option<Loose<'a>>,
    #[serde(borrow)]
    pub instance_uid: Option<Loose<'a>>,
    #[serde(borrow)]
    pub vpc_uid: Option<Loose<'a>>,
    #[serde(borrow)]
    pub subnet_uid: Option<Loose<'a>>,
}

/// OCSF `connection_info`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConnectionInfo<'a> {
    #[serde(borrow)]
    pub protocol_num: Option<Loose<'a>>,
}

/// OCSF `traffic`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Traffic<'a> {
    #[serde(borrow)]
    pub bytes: Option<Loose<'a>>,
    #[serde(borrow)]
    pub packets: Option<Loose<'a>>,
}

/// OCSF `cloud`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Cloud<'a> {
    #[serde(borrow)]
    pub account: Object<CloudAccount<'a>>,
    #[serde(borrow)]
    pub region: Option<Loose<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CloudAccount<'a> {
    #[serde(borrow)]
    pub uid: Option<Loose<'a>>,
}
