//! What a detection carried by an event adds to a trail: a Falco alert on a host or in a
//! container (an escape, a shell, a read of the instance's credentials), or a finding of
//! another plugin offered back on the finding plane.

use trailhound_sdk::Event;

use crate::signals::Signal;

/// The finding's proving events and its title, as the host writes its OCSF record.
pub const FINDING_EVENTS: &str = "$.finding_info.related_events[*].uid";
pub const FINDING_TITLE: &str = "$.finding_info.title";

/// The behavior a Falco alert shows, by its MITRE tags and the words of its rule: Falco's
/// own rules name what they catch (`Terminal shell in container`, `Detect release_agent File
/// Container Escapes`, `Contact EC2 Instance Metadata Service From Container`).
pub fn falco_behavior(event: &Event) -> Option<Signal> {
    let alert = event.alert()?;
    let rule = alert.rule().to_ascii_lowercase();
    let tagged = |wanted: &[&str]| alert.tags().any(|t| wanted.iter().any(|w| t.eq_ignore_ascii_case(w)));
    if rule.contains("escape")
        || rule.contains("release_agent")
        || tagged(&["T1611", "mitre_privilege_escalation"])
    {
        return Some(Signal::ContainerEscape);
    }
    if rule.contains("metadata") || rule.contains("imds") || tagged(&["T1552.005"]) {
        return Some(Signal::MetadataCredentials);
    }
    if rule.contains("shell") || tagged(&["T1059", "T1059.004"]) {
        return Some(Signal::Shell);
    }
    None
}

/// Technique ids among an alert's tags (`T1611`, `T1098.001`).
pub fn techniques<'a>(tags: impl Iterator<Item = &'a str>) -> Vec<String> {
    tags.filter(|t| {
        t.strip_prefix('T')
            .is_some_and(|rest| rest.len() >= 4 && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
    })
    .map(str::to_string)
    .collect()
}

/// The ids of the events that prove a finding offered back.
pub fn finding_events(event: &Event) -> Vec<String> {
    event.field_texts(FINDING_EVENTS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_tags_are_told_from_other_tags() {
        let tags = ["T1611", "mitre_privilege_escalation", "T1098.001", "Tomcat", "container"];
        assert_eq!(techniques(tags.into_iter()), ["T1611", "T1098.001"]);
    }
}
