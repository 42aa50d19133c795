//! A native harness: run a detector's logic under plain `cargo test`, no WASM involved.
//!
//! ```
//! use trailhound_sdk::{prelude::*, testing::{Harness, TestEvent}};
//!
//! #[derive(Default)]
//! struct KeyCreated;
//! impl Detector for KeyCreated {
//!     fn info() -> Info { Info::new("key-created", "0.1.0").field("$.requestParameters.userName") }
//!     fn on_event(&mut self, e: &Event, out: &mut Vec<Finding>) {
//!         if e.action() == "CreateAccessKey" {
//!             let user = e.field("$.requestParameters.userName").unwrap_or("?");
//!             out.push(Finding::new("key-created", "Access key created", Severity::Low).summary(user).event(e));
//!         }
//!     }
//! }
//!
//! let mut harness = Harness::<KeyCreated>::new();
//! let findings = harness.events(&[TestEvent::new("iam.amazonaws.com", "CreateAccessKey")
//!     .field("$.requestParameters.userName", "alice")]);
//! assert_eq!(findings[0].summary, "alice");
//! ```

use crate::batch::{Batch, Builder};
use crate::model::{Actor, Event, Lineage};
use crate::{Detector, File, Finding};

/// Drives one detector instance the way the host does: configure, batches, ticks, snapshots.
pub struct Harness<D: Detector> {
    detector: D,
    info: crate::Info,
    /// The config this instance was configured with; a reload configures its fresh instance
    /// with the same one, as the host does.
    config: serde_json::Value,
    /// The files it was given, handed to a reloaded instance too.
    files: Vec<File>,
}

impl<D: Detector> Default for Harness<D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<D: Detector> Harness<D> {
    /// A fresh instance, configured with `null`.
    ///
    /// # Panics
    /// When the detector refuses a `null` config; use [`Harness::with_config`] then.
    pub fn new() -> Self {
        Self::with_config(serde_json::Value::Null).expect("detector refused a null config")
    }

    /// A fresh instance with the given config.
    ///
    /// # Errors
    /// The detector's own message when it refuses the config.
    pub fn with_config(config: serde_json::Value) -> Result<Self, String> {
        Self::with_files(config, Vec::new())
    }

    /// A fresh instance given these rule and data files, then the config, as the host gives
    /// them; what it declares once configured ([`Detector::declared`]) is what it is sent.
    ///
    /// # Errors
    /// The detector's own message when it refuses a file or the config.
    pub fn with_files(config: serde_json::Value, files: Vec<File>) -> Result<Self, String> {
        let detector = Self::configured(&config, &files)?;
        let info = detector.declared();
        crate::declare_fields(&info.fields);
        Ok(Harness { detector, info, config, files })
    }

    fn configured(config: &serde_json::Value, files: &[File]) -> Result<D, String> {
        let mut detector = D::default();
        detector.load_files(files)?;
        detector.configure(config)?;
        Ok(detector)
    }

    /// Runs one batch and returns its findings. As the host does, only the events whose
    /// source and action the detector declared are passed on.
    pub fn events(&mut self, events: &[TestEvent]) -> Vec<Finding> {
        let fields: Vec<Vec<Option<String>>> = events.iter().map(|e| e.project(&self.info.fields)).collect();
        let batch =
            self.prepare(events.iter().zip(&fields).map(|(e, f)| (&e.event, f.as_slice(), e.raw.as_deref())));
        self.batch(&batch)
    }

    /// The batch the host would send this detector for these events (each with its
    /// projected values and raw record): only those of the sources and actions it declared,
    /// and the finding-plane events when it asked for findings, whatever its filters say.
    pub fn prepare<'e>(
        &self,
        events: impl IntoIterator<Item = (&'e Event, &'e [Option<String>], Option<&'e str>)>,
    ) -> Batch {
        let events = events.into_iter();
        let mut builder = Builder::new(events.size_hint().0, self.info.fields.len());
        for (event, fields, raw) in events {
            let offered = self.info.wants_findings && event.plane == crate::Plane::Finding;
            if offered || self.info.wants(&event.source, &event.action) {
                builder.push(event, fields, raw.filter(|_| self.info.wants_raw));
            }
        }
        builder.finish()
    }

    /// Runs one batch built by [`Harness::prepare`]; an empty batch is not sent, as the host
    /// does not send one.
    pub fn batch(&mut self, batch: &Batch) -> Vec<Finding> {
        crate::declare_fields(&self.info.fields);
        let mut findings = Vec::new();
        if !batch.is_empty() {
            self.detector.on_events(batch, &mut findings);
        }
        findings
    }

    pub fn tick(&mut self, now: i64) -> Vec<Finding> {
        let mut findings = Vec::new();
        self.detector.on_tick(now, &mut findings);
        findings
    }

    /// Snapshots this instance and restores the bytes into a fresh one, as a hot reload does:
    /// the fresh instance is given this harness's files and config before the restore.
    ///
    /// # Errors
    /// The detector's message when it cannot restore its own snapshot.
    pub fn reload(&mut self) -> Result<(), String> {
        let state = self.detector.snapshot();
        let mut fresh = Self::configured(&self.config, &self.files)?;
        fresh.restore(&state)?;
        self.detector = fresh;
        Ok(())
    }

    pub fn detector(&self) -> &D {
        &self.detector
    }
}

/// An event under construction for a test, with projected fields given by path.
#[derive(Debug, Clone, Default)]
pub struct TestEvent {
    pub event: Event,
    fields: Vec<(String, String)>,
    /// The raw record, sent when the detector asks for it.
    raw: Option<String>,
}

impl TestEvent {
    /// A successful AWS CloudTrail event for `service` / `action` by an IAM user.
    pub fn new(service: &str, action: &str) -> Self {
        TestEvent {
            event: Event {
                id: format!("test-{action}"),
                provider: "aws".into(),
                source: "aws-cloudtrail".into(),
                service: service.into(),
                action: action.into(),
                success: true,
                account: "111111111111".into(),
                region: "us-east-1".into(),
                actor: Actor {
                    id: "arn:aws:iam::111111111111:user/test".into(),
                    kind: "IAMUser".into(),
                    account: "111111111111".into(),
                    name: Some("test".into()),
                    ..Actor::default()
                },
                ..Event::default()
            },
            fields: Vec::new(),
            raw: None,
        }
    }

    /// A finding of plugin `reporter` offered back as an event of the finding plane, as the
    /// host builds it for detectors that set `wants_findings`: its id is the finding uid, its
    /// action the rule id, its alert the rule, severity and reporter; the host copies the
    /// actor, lineage, account, region, resources, process and network of the finding's
    /// first proving event into it (set them with the other builders).
    pub fn finding(reporter: &str, rule_id: &str, severity: crate::Severity) -> Self {
        let mut test = TestEvent::new(reporter, rule_id).id(&format!("finding-{rule_id}"));
        test.event.source = "finding".into();
        test.event.plane = crate::Plane::Finding;
        test.event.class = crate::model::OcsfClass::DetectionFinding;
        test.event.category = crate::Category::Security;
        test.event.alert = Some(Box::new(crate::model::Alert {
            rule: rule_id.into(),
            severity,
            tags: Vec::new(),
            reporter: reporter.into(),
        }));
        test
    }

    pub fn id(mut self, id: &str) -> Self {
        self.event.id = id.into();
        self
    }

    pub fn time(mut self, ms: i64) -> Self {
        self.event.time = ms;
        self
    }

    pub fn actor(mut self, actor: Actor) -> Self {
        self.event.actor = actor;
        self
    }

    /// Sets the lineage the host would have traced for this event (the harness runs no
    /// lineage stage; without one, the actor is its own origin): the `origin` identity, the
    /// `hops` from it, and who obtained the temporary key in use.
    pub fn lineage(mut self, origin: &str, hops: u32, key_obtained_by: Option<&str>) -> Self {
        self.event.enrichment.lineage =
            Lineage { origin: origin.into(), hops, key_obtained_by: key_obtained_by.map(str::to_string) };
        self
    }

    pub fn error(mut self, code: &str) -> Self {
        self.event.success = false;
        self.event.error_code = Some(code.into());
        self
    }

    /// Sets the raw record (JSON text) the host would send a detector that asks for it.
    pub fn raw(mut self, json: &str) -> Self {
        self.raw = Some(json.into());
        self
    }

    /// Sets the value the host would project for `path` (again: replaces it).
    pub fn field(mut self, path: &str, value: &str) -> Self {
        self.fields.retain(|(p, _)| p != path);
        self.fields.push((path.into(), value.into()));
        self
    }

    /// The values of `paths`, as the host would project them.
    fn project(&self, paths: &[String]) -> Vec<Option<String>> {
        paths.iter().map(|p| self.fields.iter().find(|(fp, _)| fp == p).map(|(_, v)| v.clone())).collect()
    }
}
