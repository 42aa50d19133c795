//! The syslog sink: one RFC 5424 message per finding, over UDP (a datagram each), TCP
//! (octet-counted frames, RFC 6587) or TLS (the same frames, RFC 5425; see [`super::tls`]),
//! from the sink's own thread ([`super::queued`]).
//!
//! `<PRI>1 TIMESTAMP HOSTNAME trailhound PROCID MSGID [trailhound@32473 …] MESSAGE`: the
//! priority from the facility and the finding's severity (critical → crit, high → err, medium
//! → warning, low → notice, info → info), the finding's time, the rule id as MSGID, the
//! plugin, rule, severity and finding uid as structured data, and the finding's message. A
//! TCP or TLS connection that fails is opened again and the message resent, a few times; then
//! the batch goes to the dead-letter file like any queued sink's.

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;
use serde_json::Value;

use super::queued::{Batches, QueuedSink};
use super::tls::{TlsClient, TlsConfig};
use super::{Invalid, Sink, SinkSettings};

/// The structured-data id: RFC 5612's example enterprise number, as the project has none.
const SD_ID: &str = "trailhound@32473";
/// The longest message sent: what every receiver must take over UDP is smaller (RFC 5426
/// says 480 octets for IPv4, and most take 8 KiB); the message part is cut to fit.
const MAX_MESSAGE: usize = 8 * 1024;
/// Attempts at a TCP or TLS send, reconnecting between them.
const TCP_ATTEMPTS: u32 = 3;

/// `[[sinks]] type = "syslog"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogConfig {
    /// What routes call the sink. Default: none.
    pub name: Option<String>,
    /// The collector, `host:port`. Required.
    pub address: String,
    /// `udp` (default), `tcp` or `tls`.
    #[serde(default)]
    pub protocol: Protocol,
    /// With `protocol = "tls"`: the CA file, server name and client certificate (see
    /// [`TlsConfig`]). Default: the Mozilla roots, the address's host, no client certificate.
    pub tls: Option<TlsConfig>,
    /// The syslog facility number, 0–23. Default: 10 (authpriv: security messages).
    #[serde(default = "default_facility")]
    pub facility: u8,
    /// The HOSTNAME field. Default: the machine's host name.
    pub hostname: Option<String>,
    /// Findings waiting for the sender before delivery waits for it. Default: 10000.
    #[serde(default = "default_queue")]
    pub queue: usize,
    /// Where messages that could not be sent are appended (as OCSF JSON lines); relative to
    /// the config file's folder. Default: none (they are counted as lost).
    pub dead_letter: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    #[default]
    Udp,
    Tcp,
    Tls,
}

fn default_facility() -> u8 {
    10
}

fn default_queue() -> usize {
    10_000
}

impl SinkSettings for SyslogConfig {
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    fn build(&self) -> anyhow::Result<Box<dyn Sink>> {
        let target = self
            .address
            .to_socket_addrs()
            .with_context(|| format!("syslog sink: cannot resolve {}", self.address))?
            .next()
            .with_context(|| format!("syslog sink: {} resolves to no address", self.address))?;
        let hostname = self.hostname.clone().unwrap_or_else(machine_hostname);
        let tls = match self.protocol {
            Protocol::Tls => Some(
                self.tls
                    .clone()
                    .unwrap_or_default()
                    .client(&self.address)
                    .context("syslog sink: TLS settings")?,
            ),
            Protocol::Udp | Protocol::Tcp => None,
        };
        let sender = Sender { config: self.clone(), target, hostname, tls, udp: None, stream: None };
        Ok(Box::new(QueuedSink::start(sender, self.queue, 1, self.dead_letter.clone())?))
    }

    fn check(&self) -> Result<(), Invalid> {
        if !self
            .address
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
        {
            return Err(Invalid { key: "address", message: format!("{:?} is not host:port", self.address) });
        }
        if self.facility > 23 {
            return Err(Invalid {
                key: "facility",
                message: format!("{} is not a facility (0–23)", self.facility),
            });
        }
        if self.queue == 0 {
            return Err(Invalid { key: "queue", message: "must be at least 1".into() });
        }
        match &self.tls {
            Some(_) if self.protocol != Protocol::Tls => {
                Err(Invalid { key: "tls", message: "is for protocol = \"tls\" only".into() })
            }
            Some(tls) => tls.check(),
            None => Ok(()),
        }
    }

    fn resolve_paths(&mut self, base: &Path) {
        if let Some(path) = &mut self.dead_letter {
            super::resolve(path, base);
        }
        if let Some(tls) = &mut self.tls {
            tls.resolve_paths(base);
        }
    }
}

fn machine_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "-".into())
}

struct Sender {
    config: SyslogConfig,
    target: std::net::SocketAddr,
    hostname: String,
    /// With `protocol = "tls"`.
    tls: Option<TlsClient>,
    udp: Option<UdpSocket>,
    /// The TCP or TLS connection, while it is open.
    stream: Option<Box<dyn Write + Send>>,
}

impl Sender {
    fn send_one(&mut self, message: &str, retries: &AtomicU64) -> anyhow::Result<()> {
        match self.config.protocol {
            Protocol::Udp => {
                if self.udp.is_none() {
                    let local = if self.target.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
                    self.udp = Some(UdpSocket::bind(local).context("binding a UDP socket")?);
                }
                let socket = self.udp.as_ref().expect("bound above");
                socket.send_to(message.as_bytes(), self.target).context("sending the datagram")?;
                Ok(())
            }
            Protocol::Tcp | Protocol::Tls => {
                let frame = format!("{} {message}", message.len());
                let mut last = None;
                for attempt in 0..TCP_ATTEMPTS {
                    if attempt > 0 {
                        retries.fetch_add(1, Ordering::Relaxed);
                    }
                    if self.stream.is_none() {
                        match self.connect() {
                            Ok(stream) => self.stream = Some(stream),
                            Err(e) => {
                                last = Some(e);
                                std::thread::sleep(Duration::from_millis(200));
                                continue;
                            }
                        }
                    }
                    let stream = self.stream.as_mut().expect("connected above");
                    match stream.write_all(frame.as_bytes()).and_then(|()| stream.flush()) {
                        Ok(()) => return Ok(()),
                        Err(e) => {
                            self.stream = None;
                            last = Some(anyhow::Error::new(e).context("writing"));
                        }
                    }
                }
                bail!(
                    "after {TCP_ATTEMPTS} attempts: {:#}",
                    last.unwrap_or_else(|| anyhow::anyhow!("no attempt"))
                )
            }
        }
    }
}

impl Sender {
    /// A TCP connection to the collector, with the TLS handshake done when TLS is asked.
    fn connect(&self) -> anyhow::Result<Box<dyn Write + Send>> {
        let tcp = TcpStream::connect_timeout(&self.target, Duration::from_secs(5)).context("connecting")?;
        match &self.tls {
            Some(tls) => tls.connect(tcp),
            None => Ok(Box::new(tcp)),
        }
    }
}

impl Batches for Sender {
    fn describe(&self) -> String {
        let protocol = match self.config.protocol {
            Protocol::Udp => "udp",
            Protocol::Tcp => "tcp",
            Protocol::Tls => "tls",
        };
        format!("syslog {protocol}://{}", self.config.address)
    }

    fn send(&mut self, batch: &[Value], retries: &AtomicU64) -> anyhow::Result<()> {
        for finding in batch {
            let message = message(finding, self.config.facility, &self.hostname);
            self.send_one(&message, retries)?;
        }
        Ok(())
    }
}

/// The RFC 5424 message for one finding (its OCSF JSON).
pub fn message(finding: &Value, facility: u8, hostname: &str) -> String {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let severity = match finding["severity_id"].as_u64() {
        Some(5) => 2,
        Some(4) => 3,
        Some(3) => 4,
        Some(2) => 5,
        _ => 6,
    };
    let time = finding["time"]
        .as_i64()
        .and_then(|ms| time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok())
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| "-".into());
    let rule = text(&finding["finding_info"]["analytic"]["uid"]);
    let data = [
        ("plugin", text(&finding["unmapped"]["plugin"])),
        ("rule", rule.clone()),
        ("severity", text(&finding["severity"])),
        ("uid", text(&finding["finding_info"]["uid"])),
    ];
    let params: Vec<String> = data.iter().map(|(k, v)| format!("{k}=\"{}\"", sd_escape(v))).collect();
    let head = format!(
        "<{}>1 {time} {} trailhound {} {} [{SD_ID} {}] ",
        u32::from(facility) * 8 + severity,
        header_field(hostname, 255),
        std::process::id(),
        header_field(&rule, 32),
        params.join(" ")
    );
    let mut body: String = text(&finding["message"]).chars().filter(|c| !c.is_control()).collect();
    let room = MAX_MESSAGE.saturating_sub(head.len());
    if body.len() > room {
        let mut cut = room;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    }
    head + &body
}

/// A header field: printable ASCII without spaces, at most `max` characters, `-` when empty.
fn header_field(value: &str, max: usize) -> String {
    let field: String = value.chars().filter(|c| c.is_ascii_graphic()).take(max).collect();
    if field.is_empty() {
        "-".into()
    } else {
        field
    }
}

/// A structured-data parameter value: `"`, `\` and `]` escaped (RFC 5424 §6.3.3).
fn sd_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars().filter(|c| !c.is_control()) {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_finding_as_an_rfc5424_message() {
        let finding = json!({
            "severity_id": 4, "severity": "High", "time": 1_793_700_000_000i64,
            "message": "root \"did\" things\nhere",
            "finding_info": {"uid": "abc", "analytic": {"uid": "aws.root-activity"}},
            "unmapped": {"plugin": "root]x"}
        });
        let m = message(&finding, 10, "host a");
        assert_eq!(
            m,
            format!(
                "<83>1 2026-11-03T10:00:00Z hosta trailhound {} aws.root-activity [trailhound@32473 plugin=\"root\\]x\" \
                 rule=\"aws.root-activity\" severity=\"High\" uid=\"abc\"] root \"did\" thingshere",
                std::process::id()
            )
        );
        let long = json!({"message": "é".repeat(10_000)});
        let m = message(&long, 4, "h");
        assert!(m.len() <= MAX_MESSAGE && m.starts_with("<38>1 - h trailhound"), "{}", &m[..40]);
    }

    #[test]
    fn checks() {
        let c: SyslogConfig = toml::from_str("address = \"127.0.0.1:514\"").unwrap();
        assert_eq!((c.protocol, c.facility), (Protocol::Udp, 10));
        assert!(c.check().is_ok());
        assert_eq!(
            SyslogConfig { address: "nohost".into(), ..c.clone() }.check().unwrap_err().key,
            "address"
        );
        assert_eq!(SyslogConfig { facility: 24, ..c }.check().unwrap_err().key, "facility");
    }
}
