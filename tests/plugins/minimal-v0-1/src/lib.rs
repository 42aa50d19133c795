//! The minimal detector (any use of the AWS root account) written against the raw bindings of
//! the frozen contract `trailhound:detector@0.1.0`, as a plugin built before 0.2.0 was: the
//! host must keep loading and running it beside 0.2.0 plugins.

#[cfg(target_arch = "wasm32")]
mod guest {
    wit_bindgen::generate!({
        path: "../../../wit/deps/detector-0.1.0",
        world: "detector",
    });

    use trailhound::detector::types::{Severity, StateScope};

    struct RootActivity;

    impl Guest for RootActivity {
        fn info() -> Info {
            Info {
                name: "root-activity-v0-1".into(),
                version: "0.1.0".into(),
                sources: vec!["aws-cloudtrail".into()],
                actions: Vec::new(),
                fields: Vec::new(),
                wants_raw: false,
                state: StateScope::None,
            }
        }

        fn configure(_config: String) -> Result<(), String> {
            Ok(())
        }

        fn on_events(batch: Vec<Event>) -> Vec<Finding> {
            batch
                .into_iter()
                .filter(|e| e.actor.kind == "Root" && e.actor.invoked_by.is_none())
                .map(|e| Finding {
                    rule_id: "aws.root-activity".into(),
                    title: format!("Root account called {}", e.action),
                    severity: Severity::High,
                    summary: String::new(),
                    actor: Some(e.actor.id),
                    event_ids: vec![e.id],
                    techniques: vec!["T1078.004".into()],
                    tags: Vec::new(),
                    evidence: Vec::new(),
                })
                .collect()
        }

        fn on_tick(_now: i64) -> Vec<Finding> {
            Vec::new()
        }

        fn snapshot() -> Vec<u8> {
            Vec::new()
        }

        fn restore(_state: Vec<u8>) -> Result<(), String> {
            Ok(())
        }
    }

    export!(RootActivity);
}
