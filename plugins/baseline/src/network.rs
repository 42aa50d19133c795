//! Source addresses as networks: the prefix an address belongs to at a given length, written
//! as CIDR text, and the ranges of the config. Callers named by a service (`ec2.amazonaws.com`,
//! `AWS Internal`) have no address and so no network.

use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// An address range: `10.0.0.0/8`, `2001:db8::/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    base: IpAddr,
    len: u8,
}

impl Cidr {
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.base, address) {
            (IpAddr::V4(b), IpAddr::V4(a)) => mask_v4(u32::from(a), self.len) == u32::from(b),
            (IpAddr::V6(b), IpAddr::V6(a)) => mask_v6(u128::from(a), self.len) == u128::from(b),
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?} is not an address range (e.g. 10.0.0.0/8)");
        let (address, len) = text.split_once('/').ok_or_else(bad)?;
        let address: IpAddr = address.trim().parse().map_err(|_| bad())?;
        let len: u8 = len.trim().parse().map_err(|_| bad())?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        if len > max {
            return Err(bad());
        }
        Ok(Cidr { base: masked(address, len), len })
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Where a call came from, as the baseline keeps it: the network and the ASN-sized range of
/// its source address, at the config's prefix lengths, and whether a trusted range holds it.
/// Worked out once per call, for the key's profile and the principal's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub network: String,
    pub range: String,
    pub trusted: bool,
}

impl Place {
    pub fn of(address: IpAddr, config: &crate::config::Config) -> Place {
        Place {
            network: prefix(address, config.network_prefix_v4, config.network_prefix_v6),
            range: prefix(address, config.range_prefix_v4, config.range_prefix_v6),
            trusted: config.trusted(address),
        }
    }
}

/// An event's source address, when it is one (not a service name).
pub fn address(source_ip: Option<&str>) -> Option<IpAddr> {
    source_ip?.trim().parse().ok()
}

/// The prefix of `address` at `v4` bits (IPv4) or `v6` bits (IPv6), as CIDR text.
pub fn prefix(address: IpAddr, v4: u8, v6: u8) -> String {
    let len = if address.is_ipv4() { v4 } else { v6 };
    format!("{}/{len}", masked(address, len))
}

fn masked(address: IpAddr, len: u8) -> IpAddr {
    match address {
        IpAddr::V4(a) => IpAddr::V4(mask_v4(u32::from(a), len).into()),
        IpAddr::V6(a) => IpAddr::V6(mask_v6(u128::from(a), len).into()),
    }
}

fn mask_v4(bits: u32, len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        bits & (u32::MAX << (32 - u32::from(len.min(32))))
    }
}

fn mask_v6(bits: u128, len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        bits & (u128::MAX << (128 - u32::from(len.min(128))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_ranges() {
        let a = address(Some("198.51.100.94")).unwrap();
        assert_eq!(prefix(a, 24, 48), "198.51.100.0/24");
        assert_eq!(prefix(a, 16, 32), "198.51.0.0/16");
        assert_eq!(prefix(a, 32, 48), "198.51.100.94/32");
        let v6 = address(Some("2001:db8:1234:5678::1")).unwrap();
        assert_eq!(prefix(v6, 24, 48), "2001:db8:1234::/48");
        assert_eq!(address(Some("ec2.amazonaws.com")), None);
        assert_eq!(address(None), None);
        let private: Cidr = "172.16.0.0/12".parse().unwrap();
        assert!(private.contains("172.31.9.9".parse().unwrap()));
        assert!(!private.contains("172.32.0.1".parse().unwrap()));
        assert!(!private.contains(v6));
        let everything: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(everything.contains(a));
        assert!("10.0.0.0".parse::<Cidr>().is_err());
        assert!("10.0.0.0/x".parse::<Cidr>().is_err());
    }
}
