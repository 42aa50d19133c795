//! {{name}}: flags calls made by the AWS root user itself (MITRE T1078.004, valid cloud
//! accounts). Change `on_event` to detect what you need; `cargo test -p {{name}} --release`
//! runs the tests below natively, `trailhound plugin test plugins/{{name}}/cases.yaml` runs
//! the cases through the real host.

use trailhound_sdk::prelude::*;

#[derive(Default)]
pub struct {{type}};

impl Detector for {{type}} {
    fn info() -> Info {
        Info::new("{{name}}", "0.1.0").source("aws-cloudtrail")
    }

    fn on_event(&mut self, event: &Event, findings: &mut Vec<Finding>) {
        if event.actor().kind() == "Root" && event.actor().invoked_by().is_none() {
            let title = format!("Root account called {}", event.action());
            findings.push(
                Finding::new("{{name}}.root-activity", title, Severity::High).technique("T1078.004").event(event),
            );
        }
    }
}

trailhound_sdk::export_detector!({{type}});

#[cfg(test)]
mod tests {
    use super::*;
    use trailhound_sdk::model;
    use trailhound_sdk::testing::{Harness, TestEvent};

    #[test]
    fn a_root_call_fires_and_a_user_call_does_not() {
        let root =
            model::Actor { id: "arn:aws:iam::111111111111:root".into(), kind: "Root".into(), ..model::Actor::default() };
        let mut harness = Harness::<{{type}}>::new();
        let findings = harness.events(&[
            TestEvent::new("iam.amazonaws.com", "CreateUser").id("by-root").actor(root),
            TestEvent::new("iam.amazonaws.com", "CreateUser").id("by-user"),
        ]);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].rule_id, "{{name}}.root-activity");
        assert_eq!(findings[0].event_ids, ["by-root"]);
    }
}
