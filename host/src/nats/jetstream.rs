//! The JetStream API over a [`Connection`]: requests to `$JS.API.…` and their errors, streams
//! made when missing, durable pull consumers, the acknowledgement subjects of delivered
//! messages, and publish acknowledgements.

use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::{json, Value};

use super::{Connection, Message};

/// How long an API request may take.
const API_TIMEOUT: Duration = Duration::from_secs(5);
/// JetStream's `err_code`s that mean "not there".
const STREAM_NOT_FOUND: u64 = 10059;
const CONSUMER_NOT_FOUND: u64 = 10014;
/// How long the stream remembers message ids to drop a message published twice: a retry
/// after a lost acknowledgement is stored once.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// JetStream answered a request with an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("JetStream refused {what}: {description} (code {code}, err_code {err_code})")]
pub struct ApiError {
    pub what: String,
    pub code: u64,
    pub err_code: u64,
    pub description: String,
}

/// One `$JS.API.<what>` request.
///
/// # Errors
/// The connection failed, JetStream is not enabled, or it answered with an error
/// ([`ApiError`]).
pub fn api(connection: &mut Connection, what: &str, body: &Value) -> anyhow::Result<Value> {
    let body = if body.is_null() { Vec::new() } else { body.to_string().into_bytes() };
    let msg = connection.request(&format!("$JS.API.{what}"), &body, API_TIMEOUT)?;
    if msg.status == Some(503) {
        bail!("JetStream is not enabled on nats://{} (nothing answers $JS.API)", connection.address());
    }
    let answer: Value = serde_json::from_slice(&msg.payload)
        .with_context(|| format!("JetStream's answer to {what} is not JSON"))?;
    if let Some(error) = answer.get("error") {
        return Err(ApiError {
            what: what.to_string(),
            code: error["code"].as_u64().unwrap_or(0),
            err_code: error["err_code"].as_u64().unwrap_or(0),
            description: error["description"].as_str().unwrap_or("no description").to_string(),
        }
        .into());
    }
    Ok(answer)
}

fn is_api_error(error: &anyhow::Error, err_code: u64) -> bool {
    error.downcast_ref::<ApiError>().is_some_and(|e| e.err_code == err_code)
}

/// Which stream a name stands for: a stream deleted and made again under the same name (or
/// kept by a server that lost its store) starts its sequences over, and is told apart by this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamIdentity {
    /// When the server made it (RFC 3339, as the server gives it).
    pub created: String,
    /// The last sequence it holds (0 when empty).
    pub last_sequence: u64,
}

impl StreamIdentity {
    fn of(info: &Value) -> Self {
        StreamIdentity {
            created: info["created"].as_str().unwrap_or_default().to_string(),
            last_sequence: info["state"]["last_seq"].as_u64().unwrap_or(0),
        }
    }
}

/// Makes sure stream `name` exists: when it does not and `subjects` are given, it is created
/// on them (file storage, kept by limits, with a window for dropping duplicates).
///
/// # Errors
/// It does not exist and no subjects were given, or it cannot be created.
pub fn ensure_stream(
    connection: &mut Connection,
    name: &str,
    subjects: &[String],
) -> anyhow::Result<StreamIdentity> {
    match api(connection, &format!("STREAM.INFO.{name}"), &Value::Null) {
        Ok(info) => Ok(StreamIdentity::of(&info)),
        Err(e) if is_api_error(&e, STREAM_NOT_FOUND) && !subjects.is_empty() => {
            let config = json!({
                "name": name, "subjects": subjects, "storage": "file", "retention": "limits",
                "discard": "old", "duplicate_window": DUPLICATE_WINDOW.as_nanos() as u64,
            });
            let info = api(connection, &format!("STREAM.CREATE.{name}"), &config)?;
            tracing::info!(stream = name, ?subjects, "JetStream stream created");
            Ok(StreamIdentity::of(&info))
        }
        Err(e) if is_api_error(&e, STREAM_NOT_FOUND) => Err(e.context(format!(
            "stream {name} does not exist on nats://{}; create it, or give `subjects` to have it created",
            connection.address()
        ))),
        Err(e) => Err(e),
    }
}

/// Where a durable consumer is: what it acknowledged and what it has out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsumerState {
    /// The stream sequence up to which every message was acknowledged.
    pub ack_floor: u64,
    /// Messages delivered and not acknowledged.
    pub ack_pending: u64,
}

/// The state of durable consumer `durable` of `stream`; `None` when there is none.
///
/// # Errors
/// The request failed.
pub fn consumer(
    connection: &mut Connection,
    stream: &str,
    durable: &str,
) -> anyhow::Result<Option<ConsumerState>> {
    match api(connection, &format!("CONSUMER.INFO.{stream}.{durable}"), &Value::Null) {
        Ok(info) => Ok(Some(ConsumerState {
            ack_floor: info["ack_floor"]["stream_seq"].as_u64().unwrap_or(0),
            ack_pending: info["num_ack_pending"].as_u64().unwrap_or(0),
        })),
        Err(e) if is_api_error(&e, CONSUMER_NOT_FOUND) => Ok(None),
        Err(e) => Err(e),
    }
}

/// How a durable pull consumer is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerSettings {
    pub durable: String,
    /// Only messages on this subject (a stream may hold several).
    pub filter_subject: Option<String>,
    /// How long a delivered message may go unacknowledged before it is delivered again.
    pub ack_wait: Duration,
    /// Messages delivered and unacknowledged at most; then delivery waits.
    pub max_ack_pending: u64,
    /// Messages up to this stream sequence are not delivered (0: from the stream's start).
    pub start_after: u64,
}

/// Creates a durable pull consumer that acknowledges each message on its own.
///
/// # Errors
/// JetStream refused it (one of that name exists with another configuration, ...).
pub fn create_consumer(
    connection: &mut Connection,
    stream: &str,
    settings: &ConsumerSettings,
) -> anyhow::Result<()> {
    let mut config = json!({
        "durable_name": settings.durable,
        "ack_policy": "explicit",
        "ack_wait": settings.ack_wait.as_nanos() as u64,
        "max_ack_pending": settings.max_ack_pending,
        "max_deliver": -1,
        "replay_policy": "instant",
        "deliver_policy": "all",
    });
    if settings.start_after > 0 {
        config["deliver_policy"] = "by_start_sequence".into();
        config["opt_start_seq"] = (settings.start_after + 1).into();
    }
    if let Some(filter) = &settings.filter_subject {
        config["filter_subject"] = filter.clone().into();
    }
    let what = format!("CONSUMER.DURABLE.CREATE.{stream}.{}", settings.durable);
    api(connection, &what, &json!({ "stream_name": stream, "config": config }))?;
    Ok(())
}

/// Deletes durable consumer `durable` of `stream`.
///
/// # Errors
/// The request failed.
pub fn delete_consumer(connection: &mut Connection, stream: &str, durable: &str) -> anyhow::Result<()> {
    match api(connection, &format!("CONSUMER.DELETE.{stream}.{durable}"), &Value::Null) {
        Err(e) if !is_api_error(&e, CONSUMER_NOT_FOUND) => Err(e),
        _ => Ok(()),
    }
}

/// Asks for up to `batch` messages, delivered to the subject returned; the request ends
/// (with a 408 status message) after `expires` when fewer were there.
///
/// # Errors
/// The connection failed.
pub fn pull(
    connection: &mut Connection,
    stream: &str,
    durable: &str,
    batch: usize,
    expires: Duration,
) -> anyhow::Result<String> {
    let reply = connection.new_reply();
    let body = json!({ "batch": batch, "expires": expires.as_nanos() as u64 }).to_string();
    connection.publish(
        &format!("$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}"),
        Some(&reply),
        &[],
        body.as_bytes(),
    )?;
    connection.flush()?;
    Ok(reply)
}

/// The stream sequence of a delivered message, from its acknowledgement subject:
/// `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>`, or
/// the longer form with a domain and an account hash first (two more tokens, and a token
/// after the rest).
pub fn stream_sequence(ack_subject: &str) -> Option<u64> {
    let tokens: Vec<&str> = ack_subject.split('.').collect();
    if tokens.len() < 2 || tokens[0] != "$JS" || tokens[1] != "ACK" {
        return None;
    }
    let at = match tokens.len() {
        9 => 5,
        n if n >= 11 => 7,
        _ => return None,
    };
    tokens[at].parse().ok()
}

/// Acknowledges a delivered message (sent with the next flush).
///
/// # Errors
/// The subject is not one a message was delivered with.
pub fn ack(connection: &mut Connection, ack_subject: &str) -> anyhow::Result<()> {
    connection.publish(ack_subject, None, &[], b"+ACK")
}

/// What a publish acknowledgement says: the message's sequence in the stream, or why it was
/// not stored.
///
/// # Errors
/// No stream takes the subject, or the stream refused the message.
pub fn publish_ack(msg: &Message) -> Result<u64, String> {
    if msg.status == Some(503) {
        return Err("no JetStream stream takes the subject".into());
    }
    let answer: Value = serde_json::from_slice(&msg.payload)
        .map_err(|e| format!("an acknowledgement that is not JSON: {e}"))?;
    if let Some(error) = answer.get("error") {
        return Err(error["description"].as_str().unwrap_or("refused").to_string());
    }
    answer["seq"].as_u64().ok_or_else(|| format!("an acknowledgement without seq: {answer}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_sequence_of_both_ack_subject_forms() {
        assert_eq!(stream_sequence("$JS.ACK.EVENTS.th.1.42.40.1700000000000000000.7"), Some(42));
        assert_eq!(
            stream_sequence("$JS.ACK.hub.ACCHASH.EVENTS.th.1.42.40.1700000000000000000.7.r"),
            Some(42)
        );
        assert_eq!(stream_sequence("$JS.ACK.EVENTS.th.1"), None);
        assert_eq!(stream_sequence("_INBOX.x.1"), None);
    }

    #[test]
    fn publish_acknowledgements() {
        let ok = Message { payload: br#"{"stream":"F","seq":12}"#.to_vec(), ..Message::default() };
        assert_eq!(publish_ack(&ok), Ok(12));
        let dup = Message {
            payload: br#"{"stream":"F","seq":12,"duplicate":true}"#.to_vec(),
            ..Message::default()
        };
        assert_eq!(publish_ack(&dup), Ok(12));
        let refused = Message {
            payload: br#"{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}"#
                .to_vec(),
            ..Message::default()
        };
        assert_eq!(publish_ack(&refused), Err("maximum messages exceeded".into()));
        let none = Message { status: Some(503), ..Message::default() };
        assert!(publish_ack(&none).unwrap_err().contains("no JetStream stream"));
    }
}
