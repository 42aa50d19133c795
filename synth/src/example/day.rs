//! The day's clock, its seeded randomness, and [`Call`]: one API call rendered as the
//! CloudTrail record AWS writes for it. The other planes' logs draw from a [`Day`] of their
//! own ([`Day::other_planes`]).

use rand::{RngExt, SeedableRng};
use serde_json::{json, Map, Value};

use super::principals::Principal;
use crate::ids;
use crate::Rng8;

/// The same seed writes the same bytes.
const SEED: u64 = 20_261_103;
/// The other planes draw from a stream of their own, so that what they hold never moves a
/// CloudTrail id.
const OTHER_PLANES_SEED: u64 = 20_261_104;
/// Story 4 came after the others were written: it draws from a stream of its own, on every
/// plane, so that adding it moved none of their ids.
const STORY_4_SEED: u64 = 20_261_105;
/// 2026-11-03T00:00:00Z.
const DAY: i64 = 1_793_664_000;

pub const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const LOWER_HEX: &[u8] = b"0123456789abcdef";
pub const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Seconds since the epoch, at `hh:mm:ss` of the day.
pub fn at(hh: i64, mm: i64, ss: i64) -> i64 {
    DAY + hh * 3600 + mm * 60 + ss
}

/// `2026-11-03T09:44:03Z`.
pub fn ts(t: i64) -> String {
    crate::iso_time(t)
}

/// `t` with the first `digits` digits of `nanos` as its fraction, as services that keep
/// sub-second times write it: `2026-11-03T18:41:07.482913Z`.
pub fn ts_fraction(t: i64, nanos: u32, digits: usize) -> String {
    let whole = ts(t);
    let fraction = format!("{nanos:09}");
    format!("{}.{}Z", whole.trim_end_matches('Z'), &fraction[..digits.min(9)])
}

/// The date format CloudTrail uses inside `responseElements`: `Nov 3, 2026, 10:44:03 AM`.
pub fn cloudtrail_date(t: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(t).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        [t.month() as usize - 1];
    let (hour, half) = match t.hour() {
        0 => (12, "AM"),
        h @ 1..=11 => (h, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    format!("{month} {}, {}, {hour}:{:02}:{:02} {half}", t.day(), t.year(), t.minute(), t.second())
}

/// The records of the day so far, and the randomness that fills in ids.
pub struct Day {
    pub rng: Rng8,
    pub records: Vec<Value>,
}

impl Day {
    pub fn new() -> Day {
        Day { rng: Rng8::seed_from_u64(SEED), records: Vec::new() }
    }

    /// The randomness of the other planes' logs; each plane keeps its own records, so these
    /// `records` stay empty.
    pub fn other_planes() -> Day {
        Day { rng: Rng8::seed_from_u64(OTHER_PLANES_SEED), records: Vec::new() }
    }

    /// The randomness of story 4, on every plane; its CloudTrail `records` join the day's.
    pub fn story_4() -> Day {
        Day { rng: Rng8::seed_from_u64(STORY_4_SEED), records: Vec::new() }
    }

    /// `prefix` then `n` characters of `alphabet`.
    pub fn rid(&mut self, prefix: &str, n: usize, alphabet: &[u8]) -> String {
        ids::with_alphabet(&mut self.rng, prefix, alphabet, n)
    }

    /// An access key id: `AKIA...` or `ASIA...`.
    pub fn key(&mut self, prefix: &str) -> String {
        self.rid(prefix, 16, UPPER_ALNUM)
    }

    pub fn uuid(&mut self) -> String {
        ids::uuid(&mut self.rng)
    }

    /// A whole number in `0..n`.
    pub fn below(&mut self, n: i64) -> i64 {
        self.rng.random_range(0..n)
    }

    /// The fraction of a second, in nanoseconds, of a time that keeps one.
    pub fn nanos(&mut self) -> u32 {
        self.rng.random_range(0..1_000_000_000)
    }

    /// One of `items`.
    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.rng.random_range(0..items.len())].clone()
    }

    /// `n` sorted random times between two `(hh, mm)` marks.
    pub fn spread(&mut self, start: (i64, i64), end: (i64, i64), n: usize) -> Vec<i64> {
        let (a, b) = (at(start.0, start.1, 0), at(end.0, end.1, 0));
        let mut times: Vec<i64> = (0..n).map(|_| a + self.below(b - a)).collect();
        times.sort_unstable();
        times
    }

    /// A session token as STS returns them.
    pub fn session_token(&mut self) -> String {
        self.rid("IQoJb3JpZ2luX2VjE", 40, ALNUM)
    }

    /// `additionalEventData` of an S3 call.
    pub fn s3_extra(&mut self) -> Value {
        json!({
            "SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0,
            "AuthenticationMethod": "AuthHeader",
            "x-amz-id-2": self.rid("", 56, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
            "bytesTransferredOut": 0
        })
    }
}

/// Actions whose names start with these read; the rest write, unless a call says otherwise.
const READ_PREFIXES: [&str; 9] =
    ["Get", "List", "Describe", "Head", "Lookup", "Search", "Scan", "BatchGet", "Query"];

const TLS_SUITES: [&str; 3] =
    ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES128-GCM-SHA256"];

/// One API call, built up and then [`Call::emit`]ted as a record of the day.
pub struct Call<'p> {
    who: &'p Principal,
    time: i64,
    source: &'static str,
    name: String,
    region: String,
    request: Value,
    response: Value,
    resources: Option<Value>,
    error: Option<(String, String)>,
    read_only: Option<bool>,
    recipient: Option<String>,
    event_type: &'static str,
    extra: Map<String, Value>,
    ip: Option<String>,
    ua: Option<String>,
}

impl<'p> Call<'p> {
    pub fn new(who: &'p Principal, time: i64, source: &'static str, name: &str) -> Call<'p> {
        Call {
            who,
            time,
            source,
            name: name.to_string(),
            region: "us-east-1".into(),
            request: Value::Null,
            response: Value::Null,
            resources: None,
            error: None,
            read_only: None,
            recipient: None,
            event_type: "AwsApiCall",
            extra: Map::new(),
            ip: None,
            ua: None,
        }
    }

    pub fn region(mut self, region: &str) -> Self {
        self.region = region.to_string();
        self
    }
    pub fn request(mut self, request: Value) -> Self {
        self.request = request;
        self
    }
    pub fn response(mut self, response: Value) -> Self {
        self.response = response;
        self
    }
    pub fn resources(mut self, resources: Value) -> Self {
        self.resources = Some(resources);
        self
    }
    pub fn error(mut self, code: &str, message: impl Into<String>) -> Self {
        self.error = Some((code.to_string(), message.into()));
        self
    }
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = Some(read_only);
        self
    }
    pub fn recipient(mut self, account: &str) -> Self {
        self.recipient = Some(account.to_string());
        self
    }
    pub fn event_type(mut self, event_type: &'static str) -> Self {
        self.event_type = event_type;
        self
    }
    pub fn extra(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_string(), value);
        self
    }
    pub fn ua(mut self, ua: impl Into<String>) -> Self {
        self.ua = Some(ua.into());
        self
    }

    /// Appends the record to the day.
    pub fn emit(self, day: &mut Day) {
        let read_only =
            self.read_only.unwrap_or_else(|| READ_PREFIXES.iter().any(|p| self.name.starts_with(p)));
        let event_version =
            if matches!(self.source, "s3.amazonaws.com" | "ssm.amazonaws.com") { "1.10" } else { "1.09" };
        let mut record = Map::new();
        let mut put = |key: &str, value: Value| {
            record.insert(key.to_string(), value);
        };
        put("eventVersion", event_version.into());
        put("userIdentity", self.who.identity.clone());
        put("eventTime", ts(self.time).into());
        put("eventSource", self.source.into());
        put("eventName", self.name.clone().into());
        put("awsRegion", self.region.clone().into());
        put("sourceIPAddress", self.ip.unwrap_or_else(|| self.who.ip.clone()).into());
        put("userAgent", self.ua.unwrap_or_else(|| self.who.ua.clone()).into());
        let failed = self.error.is_some();
        if let Some((code, message)) = self.error {
            put("errorCode", code.into());
            put("errorMessage", message.into());
        }
        put("requestParameters", self.request);
        put("responseElements", if failed { Value::Null } else { self.response });
        for (key, value) in self.extra {
            put(&key, value);
        }
        let request_id =
            if self.source == "s3.amazonaws.com" { day.rid("", 16, b"0123456789ABCDEF") } else { day.uuid() };
        let event_id = day.uuid();
        put("requestID", request_id.into());
        put("eventID", event_id.into());
        put("readOnly", read_only.into());
        if let Some(resources) = self.resources {
            put("resources", resources);
        }
        put("eventType", self.event_type.into());
        put("managementEvent", true.into());
        let recipient = self.recipient.or_else(|| self.who.account.clone()).unwrap_or_default();
        put("recipientAccountId", recipient.into());
        put("eventCategory", "Management".into());
        // Services calling on their own behalf reach AWS internally: no TLS session to describe.
        if self.who.identity["type"] != "AWSService" {
            let version = if day.rng.random::<f64>() < 0.8 { "TLSv1.3" } else { "TLSv1.2" };
            let suite = day.pick(&TLS_SUITES);
            put(
                "tlsDetails",
                json!({ "tlsVersion": version, "cipherSuite": suite,
                        "clientProvidedHostHeader": host_of(self.source, &self.region) }),
            );
        }
        day.records.push(Value::Object(record));
    }
}

/// The host a client names for a service in a region (global services have one).
fn host_of(source: &str, region: &str) -> String {
    let service = source.split('.').next().unwrap_or_default();
    if matches!(service, "iam" | "sts" | "signin" | "organizations" | "s3" | "cloudfront") {
        format!("{service}.amazonaws.com")
    } else {
        format!("{service}.{region}.amazonaws.com")
    }
}
