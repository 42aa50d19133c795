//! The smallest useful detector: flags any use of the AWS root account.
use trailhound_sdk::prelude::*;

#[derive(Default)]
pub struct RootActivity;

impl Detector for RootActivity {
    fn info() -> Info {
        Info::new("root-activity", "0.1.0").source("aws-cloudtrail")
    }

    fn on_event(&mut self, event: &Event, findings: &mut Vec<Finding>) {
        if event.actor().kind() == "Root" && event.actor().invoked_by().is_none() {
            let title = format!("Root account called {}", event.action());
            findings.push(
                Finding::new("aws.root-activity", title, Severity::High).technique("T1078.004").event(event),
            );
        }
    }
}

trailhound_sdk::export_detector!(RootActivity);
