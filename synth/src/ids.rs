//! Identifiers in the shapes AWS writes them: account ids, access keys, principal ids,
//! UUIDs, hex resource ids, IP addresses. All drawn from the seeded generator.

use rand::{Rng, RngExt};

use super::Rng8;

const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &[u8] = b"0123456789abcdef";

/// A 12-digit account id that does not start with 0.
pub fn account(rng: &mut Rng8) -> String {
    format!("{}", rng.random_range(100_000_000_000u64..1_000_000_000_000))
}

/// `AKIA...`/`ASIA...`: 20 characters.
pub fn access_key(rng: &mut Rng8, prefix: &str) -> String {
    with_alphabet(rng, prefix, BASE32, 16)
}

/// `AIDA...`/`AROA...`: 21 characters.
pub fn principal(rng: &mut Rng8, prefix: &str) -> String {
    with_alphabet(rng, prefix, BASE32, 17)
}

pub fn hex(rng: &mut Rng8, len: usize) -> String {
    with_alphabet(rng, "", HEX, len)
}

pub fn base64(rng: &mut Rng8, len: usize) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = with_alphabet(rng, "", B64, len - 1);
    s.push('=');
    s
}

/// Lower-case alphanumerics (the random tail of CloudTrail log file names).
pub fn alnum(rng: &mut Rng8, len: usize) -> String {
    with_alphabet(rng, "", b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", len)
}

pub(crate) fn with_alphabet(rng: &mut Rng8, prefix: &str, alphabet: &[u8], len: usize) -> String {
    let mut s = String::with_capacity(prefix.len() + len);
    s.push_str(prefix);
    let mut bits = rng.next_u64();
    for i in 0..len {
        if i % 10 == 9 {
            bits = rng.next_u64();
        }
        s.push(alphabet[(bits % alphabet.len() as u64) as usize] as char);
        bits /= alphabet.len() as u64;
    }
    s
}

/// A version-4 UUID, lower case.
pub fn uuid(rng: &mut Rng8) -> String {
    let mut out = String::with_capacity(36);
    uuid_into(rng, &mut out, false);
    out
}

/// Appends a version-4 UUID (upper case when asked, as some services write request ids).
pub fn uuid_into(rng: &mut Rng8, out: &mut String, upper: bool) {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let alphabet: &[u8] = if upper { b"0123456789ABCDEF" } else { HEX };
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(alphabet[(b >> 4) as usize] as char);
        out.push(alphabet[(b & 15) as usize] as char);
    }
}

/// An address from ranges ISPs and offices use.
pub fn public_ip(rng: &mut Rng8) -> String {
    const PREFIXES: &[(u8, u8)] =
        &[(72, 21), (104, 28), (98, 207), (81, 2), (86, 140), (203, 0), (24, 6), (195, 154)];
    let (a, b) = PREFIXES[rng.random_range(0..PREFIXES.len())];
    format!("{a}.{b}.{}.{}", rng.random_range(0..=255u8), rng.random_range(1..=254u8))
}

/// An address inside AWS (functions, NAT gateways).
pub fn aws_ip(rng: &mut Rng8) -> String {
    const PREFIXES: &[(u8, u8)] = &[(3, 87), (54, 211), (18, 205), (52, 23), (35, 171), (44, 192)];
    let (a, b) = PREFIXES[rng.random_range(0..PREFIXES.len())];
    format!("{a}.{b}.{}.{}", rng.random_range(0..=255u8), rng.random_range(1..=254u8))
}

/// An address of the kind attackers come from (anonymising VPNs, hosting providers).
pub fn hostile_ip(rng: &mut Rng8) -> String {
    const PREFIXES: &[(u8, u8)] = &[(185, 220), (45, 155), (193, 142), (91, 219), (5, 188)];
    let (a, b) = PREFIXES[rng.random_range(0..PREFIXES.len())];
    format!("{a}.{b}.{}.{}", rng.random_range(0..=255u8), rng.random_range(1..=254u8))
}
