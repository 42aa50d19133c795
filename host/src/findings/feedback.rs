//! Findings offered back to plugins: a detection turned into an event of the finding plane,
//! for the plugins that ask for other plugins' findings (`info.wants-findings`) — composite
//! alerts, storylines that count other detectors' findings as behaviors on a trail.
//!
//! The event is about what the finding's proof was about: its actor, lineage, account,
//! region, resources and host part are copied from the finding's latest proving event the
//! worker still holds in full (one of the batch that produced it), so a plugin correlates
//! findings on the same entities as events. Its raw record is the finding as the sinks write
//! it (OCSF Detection Finding JSON), so JSONPath fields such as `$.finding_info.title` work
//! on it like on any log record.

use std::sync::Arc;

use trailhound_sdk::model::{Actor, Alert, Category, Lineage, OcsfClass, Plane};

use super::ocsf;
use super::Detection;
use crate::event::Event;
use crate::record::{Origin, Record};

/// The log source of finding events.
pub const SOURCE: &str = "finding";

/// The detection as an event of the finding plane; `proving` is its latest proving event
/// the caller holds, if any.
pub fn as_record(detection: &Detection, proving: Option<&Event>) -> Record {
    let finding = &detection.finding;
    let json = ocsf::to_json(detection);
    let uid = json["finding_info"]["uid"].as_str().unwrap_or_default().to_string();
    let base = proving.cloned().unwrap_or_else(|| {
        let actor = finding.actor.clone().unwrap_or_default();
        let related = detection.related.last();
        Event {
            account: related.map(|r| r.account.clone()).unwrap_or_default(),
            region: related.map(|r| r.region.clone()).unwrap_or_default(),
            source_ip: related.and_then(|r| r.source_ip.clone()),
            enrichment: trailhound_sdk::model::Enrichment {
                lineage: Lineage { origin: actor.clone(), hops: 0, key_obtained_by: None },
                ..Default::default()
            },
            actor: Actor { id: actor, kind: "Unknown".into(), ..Actor::default() },
            ..Event::default()
        }
    });
    let tags = finding.tags.iter().chain(&finding.techniques).cloned().collect();
    let event = Event {
        id: uid,
        time: detection.time,
        source: SOURCE.into(),
        plane: Plane::Finding,
        class: OcsfClass::DetectionFinding,
        category: Category::Security,
        service: detection.plugin.clone(),
        action: finding.rule_id.clone(),
        access_level: None,
        success: true,
        error_code: None,
        error_message: None,
        read_only: false,
        management: false,
        alert: Some(Box::new(Alert {
            rule: finding.rule_id.clone(),
            severity: finding.severity,
            tags,
            reporter: detection.plugin.clone(),
        })),
        ids: Default::default(),
        enrichment: trailhound_sdk::model::Enrichment {
            techniques: &[],
            risks: Default::default(),
            lineage: base.enrichment.lineage.clone(),
        },
        ..base
    };
    Record {
        origin: Origin::whole(Arc::from(format!("finding of {}", detection.plugin))),
        event,
        raw: Arc::from(json.to_string()),
        time_missing: false,
    }
}

#[cfg(test)]
mod tests {
    use trailhound_sdk::{Finding, Severity};

    use super::*;
    use crate::findings::RelatedEvent;

    fn detection() -> Detection {
        Detection {
            plugin: "iam-risk".into(),
            plugin_version: "1".into(),
            finding: Finding::new("aws.iam.admin-policy", "Admin policy", Severity::High)
                .actor("arn:aws:iam::1:user/a")
                .events(["e1"])
                .technique("T1098")
                .tag("iam"),
            related: vec![RelatedEvent {
                uid: "e1".into(),
                time: 5,
                provider: "aws".into(),
                service: "iam.amazonaws.com".into(),
                action: "CreatePolicy".into(),
                account: "1".into(),
                region: "us-east-1".into(),
                actor: "arn:aws:iam::1:user/a".into(),
                source_ip: None,
            }],
            time: 5,
        }
    }

    #[test]
    fn a_finding_event_copies_its_proving_event_and_names_the_finding() {
        let mut proving =
            Event { id: "e1".into(), provider: "aws".into(), account: "1".into(), ..Event::default() };
        proving.enrichment.lineage.origin = "arn:aws:iam::1:user/origin".into();
        proving.actor.access_key = Some("AKIA1".into());
        let record = as_record(&detection(), Some(&proving));
        let event = &record.event;
        assert_eq!(
            (event.plane, event.source.as_str(), event.action.as_str()),
            (Plane::Finding, SOURCE, "aws.iam.admin-policy")
        );
        assert_eq!(event.enrichment.lineage.origin, "arn:aws:iam::1:user/origin");
        assert_eq!(event.actor.access_key.as_deref(), Some("AKIA1"));
        let alert = event.alert.as_deref().unwrap();
        assert_eq!(
            (alert.reporter.as_str(), alert.severity, alert.tags.clone()),
            ("iam-risk", Severity::High, vec!["iam".to_string(), "T1098".into()])
        );
        let raw: serde_json::Value = serde_json::from_str(&record.raw).unwrap();
        assert_eq!(raw["finding_info"]["uid"].as_str(), Some(event.id.as_str()));
        assert_eq!(raw["finding_info"]["title"], "Admin policy");
    }

    #[test]
    fn without_its_proving_event_the_finding_event_is_about_the_finding_actor() {
        let record = as_record(&detection(), None);
        assert_eq!(record.event.actor.id, "arn:aws:iam::1:user/a");
        assert_eq!(record.event.enrichment.lineage.origin, "arn:aws:iam::1:user/a");
        assert_eq!(record.event.account, "1");
    }
}
