//! Records that arrive wrapped in a log service's event: a CloudWatch Logs log event
//! (`{"id","timestamp","message"}`, as the framer splits them out of a subscription payload's
//! `logEvents`, or as `aws logs filter-log-events` prints them) or a Logs Insights export
//! (`{"@timestamp","@message","@log"}`). The message is the JSON text of one record of any
//! source (EKS writes each Kubernetes audit event so; CloudTrail can be delivered so too), or
//! a VPC flow log's text line in the default format.
//!
//! The record inside is read in the wrapper's place and kept as the record's text, so field
//! projection sees the record, not the wrapper. The wrapper lends it what it lacks: the log
//! event's time, and the cluster an EKS log group is named after
//! (`/aws/eks/CLUSTER/cluster`). CloudWatch Logs' own control messages, and messages that are
//! plain text (EKS's authenticator and scheduler logs share the audit log's group), are
//! skipped with a reason.

use serde::Deserialize;

use super::lenient::{text, Loose};
use super::time;
use crate::decode::flow_log;

/// A log event, as far as unwrapping needs it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LogEvent<'a> {
    #[serde(borrow, alias = "@message")]
    message: Option<Loose<'a>>,
    #[serde(borrow, alias = "@timestamp")]
    timestamp: Option<Loose<'a>>,
    #[serde(borrow, rename = "logGroup", alias = "@log")]
    log_group: Option<Loose<'a>>,
}

/// What a wrapper holds.
pub enum Wrapped {
    /// The JSON text of one record, and what the wrapper says about it.
    Record { text: String, time: Option<i64>, cluster: Option<String> },
    /// Not a record, and what it is instead.
    Skip(&'static str),
}

/// What the log event given as JSON text wraps; `None` when the text is no log event (it has
/// no `message` string).
///
/// # Errors
/// The log event's `timestamp` is not a time.
pub fn unwrapped(json: &str) -> Option<Result<Wrapped, String>> {
    let event: LogEvent = serde_json::from_str(json).ok()?;
    let message = text(&event.message)?.trim();
    let time = match time::optional(&event.timestamp, "timestamp") {
        Ok(time) => time,
        Err(reason) => return Some(Err(reason)),
    };
    let record = if message.starts_with('{') {
        message.to_string()
    } else if flow_log::is_default_line(message) {
        match flow_log::Format::default_v2().record(message) {
            Ok(record) => record,
            Err(reason) => return Some(Err(format!("message: {reason}"))),
        }
    } else if message.starts_with("CWL CONTROL MESSAGE") {
        return Some(Ok(Wrapped::Skip("a CloudWatch Logs control message (a delivery check, not an event)")));
    } else {
        return Some(Ok(Wrapped::Skip("a log message that is plain text, not a record")));
    };
    let cluster = text(&event.log_group).and_then(eks_cluster).map(str::to_string);
    Some(Ok(Wrapped::Record { text: record, time, cluster }))
}

/// The cluster of an EKS control-plane log group: `/aws/eks/CLUSTER/cluster`, also as Logs
/// Insights writes it (`ACCOUNT:/aws/eks/CLUSTER/cluster`).
fn eks_cluster(log_group: &str) -> Option<&str> {
    let (_, rest) = log_group.split_once("/aws/eks/")?;
    rest.split('/').next().filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::eks_cluster;

    #[test]
    fn clusters_of_eks_log_groups() {
        assert_eq!(eks_cluster("/aws/eks/prod-east/cluster"), Some("prod-east"));
        assert_eq!(eks_cluster("111122223333:/aws/eks/prod-east/cluster"), Some("prod-east"));
        assert_eq!(eks_cluster("/aws/lambda/f"), None);
    }
}
