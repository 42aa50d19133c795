//! What a selection tests on an event: a field (the action, a projected value, or the raw
//! record's text for keywords) against its values, each compiled with its modifiers.
//!
//! A projected value that is a JSON array (a path through a list, or a field holding one)
//! matches when the whole text or any of its elements does, as Sigma's backends match a
//! multi-valued field.

use std::net::IpAddr;

use trailhound_sdk::Event;

use crate::fields::Model;
use crate::pattern::Pattern;

/// Where a test reads its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    Model(Model),
    /// Indexes of projected fields (the plugin's declared paths), the first present one read.
    Slots(Vec<usize>),
    /// The raw record's text, for keyword searches.
    Raw,
}

impl Read {
    pub fn value<'a>(&self, event: &Event<'a>) -> Option<&'a str> {
        match self {
            Read::Model(Model::Action) => Some(event.action()).filter(|a| !a.is_empty()),
            Read::Model(Model::Service) => Some(event.service()).filter(|s| !s.is_empty()),
            Read::Model(Model::ErrorCode) => event.error_code(),
            Read::Model(Model::ErrorMessage) => event.error_message(),
            Read::Model(Model::SourceIp) => event.source_ip(),
            Read::Model(Model::UserAgent) => event.user_agent(),
            Read::Slots(slots) => slots.iter().find_map(|&slot| event.field_at(slot)),
            Read::Raw => event.raw(),
        }
    }
}

/// One value of a test, compiled.
#[derive(Debug, Clone)]
pub enum Matcher {
    Text(Pattern),
    Regex(Regex),
    Cidr(Cidr),
    /// `exists: true|false`.
    Exists(bool),
    /// `null`: the field is absent (or null).
    Null,
    /// `fieldref`: equal to another field's value.
    FieldRef(Read),
}

impl Matcher {
    fn matches(&self, value: Option<&str>, event: &Event<'_>) -> bool {
        match self {
            Matcher::Null => value.is_none(),
            Matcher::Exists(wanted) => value.is_some() == *wanted,
            Matcher::FieldRef(other) => value.is_some() && value == other.value(event),
            Matcher::Text(pattern) => value.is_some_and(|v| any_value(v, |s| pattern.matches(s))),
            Matcher::Regex(regex) => value.is_some_and(|v| any_value(v, |s| regex.is_match(s))),
            Matcher::Cidr(cidr) => value.is_some_and(|v| any_value(v, |s| cidr.contains(s))),
        }
    }
}

/// Whether `test` accepts the text or, when it is a JSON array, one of its elements.
fn any_value(value: &str, test: impl Fn(&str) -> bool) -> bool {
    if test(value) {
        return true;
    }
    if !value.starts_with('[') {
        return false;
    }
    let Ok(elements) = serde_json::from_str::<Vec<serde_json::Value>>(value) else { return false };
    elements.iter().any(|element| match element {
        serde_json::Value::String(s) => test(s),
        serde_json::Value::Null => false,
        other => test(&other.to_string()),
    })
}

/// One field of a selection and its values: one of them must match (all with `|all`).
#[derive(Debug, Clone)]
pub struct FieldTest {
    /// The field as the rule names it (empty for keywords).
    pub name: String,
    pub read: Read,
    pub matchers: Vec<Matcher>,
    pub all: bool,
}

impl FieldTest {
    pub fn matches(&self, event: &Event<'_>) -> bool {
        let value = self.read.value(event);
        let one = |m: &Matcher| m.matches(value, event);
        if self.all {
            self.matchers.iter().all(one)
        } else {
            self.matchers.iter().any(one)
        }
    }
}

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub network: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    /// # Errors
    /// A value that is not `address/prefix` (a bare address is a full-length prefix).
    pub fn parse(text: &str) -> Result<Self, String> {
        let (address, prefix) = text.split_once('/').unwrap_or((text, ""));
        let network: IpAddr =
            address.trim().parse().map_err(|_| format!("'{text}' is not a network (address/prefix)"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix.trim() {
            "" => max,
            p => p
                .parse()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("'{text}': prefix must be 0 to {max}"))?,
        };
        Ok(Cidr { network, prefix })
    }

    pub fn contains(&self, text: &str) -> bool {
        let Ok(address) = text.trim().parse::<IpAddr>() else { return false };
        let (net, addr, bits) = match (self.network, address) {
            (IpAddr::V4(n), IpAddr::V4(a)) => (u128::from(u32::from(n)), u128::from(u32::from(a)), 32),
            (IpAddr::V6(n), IpAddr::V6(a)) => (u128::from(n), u128::from(a), 128),
            _ => return false,
        };
        let shift = bits - u32::from(self.prefix);
        shift >= bits || (net >> shift) == (addr >> shift)
    }
}

/// A `re` value, with the longest literal every match contains: most values lack it, and a
/// substring search rejects them before the regex engine is started.
#[derive(Debug, Clone)]
pub struct Regex {
    regex: regex::Regex,
    required: Option<String>,
}

impl Regex {
    /// # Errors
    /// The regex crate's reason when the pattern does not compile.
    pub fn new(pattern: &str, insensitive: bool, multi_line: bool, dot_all: bool) -> Result<Self, String> {
        let regex = regex::RegexBuilder::new(pattern)
            .case_insensitive(insensitive)
            .multi_line(multi_line)
            .dot_matches_new_line(dot_all)
            .build()
            .map_err(|e| format!("'{pattern}' is not a regular expression the regex crate reads: {e}"))?;
        let required = regex_syntax::ParserBuilder::new()
            .case_insensitive(insensitive)
            .multi_line(multi_line)
            .dot_matches_new_line(dot_all)
            .build()
            .parse(pattern)
            .ok()
            .and_then(|hir| required_literal(&hir));
        Ok(Regex { regex, required })
    }

    pub fn as_str(&self) -> &str {
        self.regex.as_str()
    }

    pub fn is_match(&self, text: &str) -> bool {
        let cased = |a: &[u8], b: &[u8]| a == b;
        self.required
            .as_ref()
            .is_none_or(|lit| crate::pattern::find(text.as_bytes(), lit.as_bytes(), &cased).is_some())
            && self.regex.is_match(text)
    }
}

/// The longest literal that is a part of every match: one in the regex's top-level sequence
/// (a case-insensitive letter is a class, not a literal, so it is never required as written).
fn required_literal(hir: &regex_syntax::hir::Hir) -> Option<String> {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Literal(lit) => std::str::from_utf8(&lit.0).ok().map(str::to_string),
        HirKind::Capture(capture) => required_literal(&capture.sub),
        HirKind::Concat(parts) => parts.iter().filter_map(required_literal).max_by_key(String::len),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_contains() {
        let net = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(net.contains("10.200.3.4"));
        assert!(!net.contains("11.0.0.1"));
        assert!(!net.contains("not an address"));
        assert!(!net.contains("::1"));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("8.8.8.8"));
        assert!(Cidr::parse("2001:db8::/32").unwrap().contains("2001:db8::1"));
        assert!(Cidr::parse("192.0.2.7").unwrap().contains("192.0.2.7"));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("ten/8").is_err());
    }

    #[test]
    fn regexes_require_their_literal() {
        let regex = Regex::new(".+:assumed-role/aws:.+", false, false, false).unwrap();
        assert_eq!(regex.required.as_deref(), Some(":assumed-role/aws:"));
        assert!(regex.is_match("arn:aws:sts::1:assumed-role/aws:ec2/i-1"));
        assert!(!regex.is_match("arn:aws:sts::1:assumed-role/admin/x"));
        let insensitive = Regex::new("ADMIN", true, false, false).unwrap();
        assert_eq!(insensitive.required, None);
        assert!(insensitive.is_match("the admin"));
        assert_eq!(Regex::new("a|b", false, false, false).unwrap().required, None);
    }

    #[test]
    fn arrays_match_by_element() {
        assert!(any_value(r#"["a","storage.buckets.get"]"#, |s| s == "storage.buckets.get"));
        assert!(any_value("[1,403]", |s| s == "403"));
        assert!(!any_value("[oops", |s| s == "oops"));
    }
}
