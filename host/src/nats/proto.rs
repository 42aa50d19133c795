//! The NATS client protocol's frames as bytes: what the server sends (`INFO`, `MSG`, `HMSG`,
//! `PING`, `PONG`, `+OK`, `-ERR`) parsed from a buffer that may hold a frame only in part,
//! and what the client sends written out.
//!
//! Parsing never blocks and never consumes a partial frame: a read that timed out in the
//! middle of a message leaves the buffer as it was, to be completed by the next read.

use std::fmt::Write as _;

/// The longest control line taken (the server's own default limit is 4 KiB).
pub const MAX_CONTROL_LINE: usize = 8 * 1024;

/// One frame from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Info(serde_json::Value),
    Msg(Message),
    Ping,
    Pong,
    Ok,
    Err(String),
}

/// A message delivered to a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    pub subject: String,
    pub reply: Option<String>,
    /// The status of a header block's first line (`NATS/1.0 404 No Messages`): JetStream
    /// answers a pull request with these.
    pub status: Option<u16>,
    /// The status line's words after the code.
    pub description: String,
    pub headers: Vec<(String, String)>,
    pub payload: Vec<u8>,
}

impl Message {
    /// The value of header `name` (compared without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The server sent something that is not the protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server sent {0}")]
pub struct ProtocolError(pub String);

/// The first whole frame in `buf`, and how many bytes it took; `None` until one is whole.
///
/// # Errors
/// The bytes are not a frame of the protocol (or one larger than the limits).
pub fn parse(buf: &[u8], max_payload: usize) -> Result<Option<(Frame, usize)>, ProtocolError> {
    let Some(end) = memchr::memmem::find(buf, b"\r\n") else {
        if buf.len() > MAX_CONTROL_LINE {
            return Err(ProtocolError(format!("a control line longer than {MAX_CONTROL_LINE} bytes")));
        }
        return Ok(None);
    };
    let line = std::str::from_utf8(&buf[..end])
        .map_err(|_| ProtocolError("a control line that is not UTF-8".into()))?;
    let after = end + 2;
    let (op, rest) = line.split_once([' ', '\t']).unwrap_or((line, ""));
    let rest = rest.trim();
    let frame = match op.to_ascii_uppercase().as_str() {
        "PING" => Frame::Ping,
        "PONG" => Frame::Pong,
        "+OK" => Frame::Ok,
        "-ERR" => Frame::Err(rest.trim_matches('\'').to_string()),
        "INFO" => Frame::Info(
            serde_json::from_str(rest)
                .map_err(|e| ProtocolError(format!("an INFO that is not JSON: {e}")))?,
        ),
        "MSG" => return message(buf, after, rest, false, max_payload),
        "HMSG" => return message(buf, after, rest, true, max_payload),
        other => {
            return Err(ProtocolError(format!("an unknown operation {:?}", crate::text::printable(other))))
        }
    };
    Ok(Some((frame, after)))
}

/// `MSG <subject> <sid> [reply] <size>` or `HMSG <subject> <sid> [reply] <header size> <size>`,
/// then the body and `\r\n`.
fn message(
    buf: &[u8],
    start: usize,
    args: &str,
    with_headers: bool,
    max_payload: usize,
) -> Result<Option<(Frame, usize)>, ProtocolError> {
    let words: Vec<&str> = args.split_ascii_whitespace().collect();
    let sizes = if with_headers { 2 } else { 1 };
    let bad = || ProtocolError(format!("a malformed message line {:?}", crate::text::printable(args)));
    if words.len() != 2 + sizes && words.len() != 3 + sizes {
        return Err(bad());
    }
    let number = |word: &str| word.parse::<usize>().map_err(|_| bad());
    let total = number(words[words.len() - 1])?;
    let header_len = if with_headers { number(words[words.len() - 2])? } else { 0 };
    if header_len > total || total > max_payload.saturating_add(MAX_CONTROL_LINE) {
        return Err(bad());
    }
    let end = start + total;
    if buf.len() < end + 2 {
        return Ok(None);
    }
    if &buf[end..end + 2] != b"\r\n" {
        return Err(ProtocolError("a message whose body does not end where its size says".into()));
    }
    let mut msg = Message {
        subject: words[0].to_string(),
        reply: (words.len() == 3 + sizes).then(|| words[2].to_string()),
        payload: buf[start + header_len..end].to_vec(),
        ..Message::default()
    };
    if with_headers {
        read_headers(&buf[start..start + header_len], &mut msg)?;
    }
    Ok(Some((Frame::Msg(msg), end + 2)))
}

/// `NATS/1.0[ code[ description]]\r\nName: value\r\n...\r\n\r\n`.
fn read_headers(block: &[u8], msg: &mut Message) -> Result<(), ProtocolError> {
    let text = std::str::from_utf8(block).map_err(|_| ProtocolError("headers that are not UTF-8".into()))?;
    let mut lines = text.split("\r\n");
    let status = lines.next().unwrap_or_default();
    let Some(status) = status.strip_prefix("NATS/1.0") else {
        return Err(ProtocolError(format!("a header block starting {:?}", crate::text::printable(status))));
    };
    let mut words = status.trim().splitn(2, ' ');
    if let Some(code) = words.next().filter(|w| !w.is_empty()) {
        msg.status = code.parse().ok();
        msg.description = words.next().unwrap_or_default().trim().to_string();
    }
    for line in lines.filter(|l| !l.is_empty()) {
        if let Some((name, value)) = line.split_once(':') {
            msg.headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    Ok(())
}

/// Appends `PUB` (or `HPUB` when there are headers) of `payload` to `out`.
pub fn publish(
    out: &mut Vec<u8>,
    subject: &str,
    reply: Option<&str>,
    headers: &[(&str, &str)],
    payload: &[u8],
) {
    let reply = reply.map(|r| format!(" {r}")).unwrap_or_default();
    if headers.is_empty() {
        out.extend_from_slice(format!("PUB {subject}{reply} {}\r\n", payload.len()).as_bytes());
    } else {
        let mut block = String::from("NATS/1.0\r\n");
        for (name, value) in headers {
            let _ = write!(block, "{name}: {value}\r\n");
        }
        block.push_str("\r\n");
        let total = block.len() + payload.len();
        out.extend_from_slice(format!("HPUB {subject}{reply} {} {total}\r\n", block.len()).as_bytes());
        out.extend_from_slice(block.as_bytes());
    }
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
}

/// Whether `subject` can be published to: tokens of printable ASCII without spaces, none
/// empty (a subject with a space would split the control line).
pub fn valid_subject(subject: &str) -> bool {
    !subject.is_empty()
        && subject.split('.').all(|token| !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(bytes: &[u8]) -> (Frame, usize) {
        parse(bytes, 1 << 20).unwrap().unwrap()
    }

    #[test]
    fn control_frames() {
        assert_eq!(whole(b"PING\r\n"), (Frame::Ping, 6));
        assert_eq!(whole(b"pong\r\nPING\r\n"), (Frame::Pong, 6));
        assert_eq!(whole(b"+OK\r\n").0, Frame::Ok);
        assert_eq!(
            whole(b"-ERR 'Authorization Violation'\r\n").0,
            Frame::Err("Authorization Violation".into())
        );
        let (Frame::Info(info), _) = whole(b"INFO {\"max_payload\":1048576,\"headers\":true}\r\n") else {
            panic!()
        };
        assert_eq!(info["max_payload"], 1_048_576);
    }

    #[test]
    fn a_message_with_and_without_reply_and_headers() {
        let (Frame::Msg(m), n) = whole(b"MSG a.b 1 5\r\nhello\r\nPING\r\n") else { panic!() };
        assert_eq!((m.subject.as_str(), m.reply, m.payload.as_slice(), n), ("a.b", None, &b"hello"[..], 20));
        let (Frame::Msg(m), _) = whole(b"MSG a 9 r.1 2\r\nhi\r\n") else { panic!() };
        assert_eq!(m.reply.as_deref(), Some("r.1"));
        let hmsg = b"HMSG _INBOX.x 1 16 16\r\nNATS/1.0 404 No\r\n\r\n\r\n";
        let (Frame::Msg(m), _) = whole(b"HMSG _INBOX.x 1 28 28\r\nNATS/1.0 404 No Messages\r\n\r\n\r\n")
        else {
            panic!()
        };
        assert_eq!((m.status, m.description.as_str(), m.payload.len()), (Some(404), "No Messages", 0));
        assert!(parse(hmsg, 1 << 20).is_err(), "a header block cut short by its size is refused");
        let (Frame::Msg(m), _) = whole(b"HMSG s 1 r 28 30\r\nNATS/1.0\r\nNats-Msg-Id: 7\r\n\r\nok\r\n")
        else {
            panic!()
        };
        assert_eq!((m.status, m.header("nats-msg-id"), m.payload.as_slice()), (None, Some("7"), &b"ok"[..]));
    }

    #[test]
    fn a_frame_in_part_waits_and_garbage_is_refused() {
        for cut in [3, 10, 15, 17] {
            assert_eq!(parse(&b"MSG a.b 1 5\r\nhello\r\n"[..cut], 1 << 20).unwrap(), None, "cut at {cut}");
        }
        assert!(parse(b"MSG a.b 1 5\r\nhelloXX", 1 << 20).is_err());
        assert!(parse(b"BOGUS x\r\n", 1 << 20).is_err());
        assert!(parse(b"MSG a 1 zz\r\n", 1 << 20).is_err());
        assert!(parse(b"MSG a 1 99999999\r\n", 1 << 20).is_err(), "a body over the payload limit");
        assert!(parse(&vec![b'x'; MAX_CONTROL_LINE + 1], 1 << 20).is_err());
    }

    #[test]
    fn what_the_client_writes_parses_back() {
        let mut out = Vec::new();
        publish(&mut out, "f.x", Some("_INBOX.1"), &[("Nats-Msg-Id", "abc")], b"{}");
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.starts_with("HPUB f.x _INBOX.1 "), "{text}");
        // The server's HMSG has the same shape after the operation and sid.
        let as_msg = text.replacen("HPUB f.x", "HMSG f.x 1", 1);
        let (Frame::Msg(m), _) = whole(as_msg.as_bytes()) else { panic!() };
        assert_eq!((m.header("Nats-Msg-Id"), m.payload.as_slice()), (Some("abc"), &b"{}"[..]));
        out.clear();
        publish(&mut out, "a", None, &[], b"x");
        assert_eq!(out, b"PUB a 1\r\nx\r\n");
        assert!(
            valid_subject("findings.high")
                && !valid_subject("a b")
                && !valid_subject("a..b")
                && !valid_subject("")
        );
    }
}
