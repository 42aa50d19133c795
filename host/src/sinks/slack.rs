//! The Slack-compatible message of a finding, for the webhook sink's `format = "slack"`: one
//! readable message per finding (`{"text": …}`, which Slack's incoming webhooks and the
//! chat tools that copy them — Mattermost, Rocket.Chat, Teams' connectors — all take): the
//! severity, the title, the rule and plugin, the actor, the account and the time.
//!
//! Text from plugins is escaped for Slack's markup (`&`, `<`, `>`), so a finding cannot ping a
//! channel or forge a link.

use serde_json::{json, Value};

/// The message for one finding (its OCSF JSON).
pub fn message(finding: &Value) -> Value {
    let text = |v: &Value| escape(v.as_str().unwrap_or_default());
    let info = &finding["finding_info"];
    let mut lines = vec![format!("*{}* {}", text(&finding["severity"]).to_uppercase(), text(&info["title"]))];
    let message = text(&finding["message"]);
    if !message.is_empty() && message != text(&info["title"]) {
        lines.push(message);
    }
    let mut facts = vec![format!("rule `{}`", text(&info["analytic"]["uid"]))];
    facts.push(format!("plugin {}", text(&finding["unmapped"]["plugin"])));
    if let Some(actor) =
        finding["actor"]["user"]["uid"].as_str().or(finding["actor"]["user"]["name"].as_str())
    {
        facts.push(format!("actor {}", escape(actor)));
    }
    if let Some(account) = finding["cloud"]["account"]["uid"].as_str() {
        facts.push(format!("account {}", escape(account)));
    }
    if let Some(time) = finding["time"].as_i64().and_then(rfc3339) {
        facts.push(time);
    }
    lines.push(facts.join(" · "));
    json!({ "text": lines.join("\n") })
}

fn rfc3339(ms: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()?;
    t.format(&time::format_description::well_known::Rfc3339).ok()
}

/// Slack's three escapes: the rest of the text is shown as written.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_readable_message_with_its_markup_escaped() {
        let finding = json!({
            "severity": "High", "time": 1_793_700_000_000i64, "message": "root <!channel> did it",
            "finding_info": {"title": "Root activity", "analytic": {"uid": "aws.root-activity"}},
            "unmapped": {"plugin": "root"},
            "actor": {"user": {"uid": "arn:aws:iam::1:root"}},
            "cloud": {"account": {"uid": "111122223333"}}
        });
        assert_eq!(
            message(&finding)["text"],
            "*HIGH* Root activity\nroot &lt;!channel&gt; did it\nrule `aws.root-activity` · plugin root · \
             actor arn:aws:iam::1:root · account 111122223333 · 2026-11-03T10:00:00Z"
        );
    }
}
