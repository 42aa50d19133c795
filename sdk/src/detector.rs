//! The trait a detector implements, and the self-description it gives the host.

use crate::{Batch, Event, Finding};

/// What a detector tells the host about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Info {
    pub name: String,
    pub version: String,
    /// Log sources wanted (e.g. `aws-cloudtrail`); empty means all.
    pub sources: Vec<String>,
    /// Actions wanted (CloudTrail `eventName`); empty means all. The host only sends these,
    /// so a detector interested in a few actions costs nothing on the rest of the stream.
    pub actions: Vec<String>,
    /// JSONPath expressions the host evaluates for every event; read them with [`Event::field`].
    pub fields: Vec<String>,
    /// Whether [`Event::raw`] should be filled.
    pub wants_raw: bool,
    /// What the detector keeps state about; the host routes related events to one instance.
    pub state: StateScope,
    /// Whether the findings of other plugins should be offered as events of the finding
    /// plane (never the detector's own).
    pub wants_findings: bool,
}

/// A rule or data file the plugin's config names, read by the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// The path as the config wrote it.
    pub path: String,
    pub contents: Vec<u8>,
}

/// What a detector keeps state about across events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StateScope {
    /// Nothing: any instance may see any event.
    #[default]
    None,
    /// Each actor: every event of one origin actor, followed across AssumeRole hops and
    /// instance sessions, reaches one instance, in order.
    Actor,
    /// Each resource: every event on one resource (the first the event names, e.g. a bucket),
    /// whoever the actor, reaches one instance, in order.
    Resource,
}

impl Info {
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Info { name: name.into(), version: version.into(), ..Info::default() }
    }

    /// Only receive events from this log source (may be called several times).
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.sources.push(source.into());
        self
    }

    /// Only receive events of these actions (may be called several times).
    pub fn actions<S: Into<String>>(mut self, actions: impl IntoIterator<Item = S>) -> Self {
        self.actions.extend(actions.into_iter().map(Into::into));
        self
    }

    /// Whether the host sends an event of this source and action to the detector.
    pub fn wants(&self, source: &str, action: &str) -> bool {
        (self.sources.is_empty() || self.sources.iter().any(|s| s == source))
            && (self.actions.is_empty() || self.actions.iter().any(|a| a == action))
    }

    /// Ask the host to project this JSONPath out of every event's raw record.
    pub fn field(mut self, path: impl Into<String>) -> Self {
        self.fields.push(path.into());
        self
    }

    /// Ask for the raw record as JSON text on every event.
    pub fn raw(mut self) -> Self {
        self.wants_raw = true;
        self
    }

    /// Declare that the detector keeps state per actor.
    pub fn stateful(mut self) -> Self {
        self.state = StateScope::Actor;
        self
    }

    /// Ask for the findings of other plugins, as events of the finding plane (source
    /// `finding`; see [`crate::testing::TestEvent::finding`] for their shape). They are
    /// offered whatever [`Info::sources`] and [`Info::actions`] say.
    pub fn findings(mut self) -> Self {
        self.wants_findings = true;
        self
    }

    /// Declare that the detector keeps state per resource (a bucket, a role, an instance).
    pub fn stateful_per_resource(mut self) -> Self {
        self.state = StateScope::Resource;
        self
    }
}

/// A detector's logic. Implement [`Detector::on_event`] (or [`Detector::on_events`] to see
/// the whole batch), then export the type with [`crate::export_detector!`].
pub trait Detector: Default {
    /// Name, version, wanted sources and projected fields.
    fn info() -> Info;

    /// What the detector declares once configured, which the host reads after
    /// [`Detector::configure`]: by default [`Detector::info`]. A detector whose rules come
    /// from its files or config (a rules engine) adds here the fields its rules read, so the
    /// host projects them, and the actions they can match, so the host sends no other events.
    fn declared(&self) -> Info {
        Self::info()
    }

    /// Receives the rule and data files the plugin's config names (`files` of its
    /// `[[plugins]]` entry), once, before [`Detector::configure`].
    ///
    /// # Errors
    /// A message naming the bad file; the host refuses to load the plugin with it. By
    /// default a detector reads no files and refuses any.
    fn load_files(&mut self, files: &[File]) -> Result<(), String> {
        match files {
            [] => Ok(()),
            [first, ..] => Err(format!("this detector reads no files, but was given {}", first.path)),
        }
    }

    /// Receives the plugin's config (JSON; `null` when none is given) once, before any event.
    ///
    /// # Errors
    /// A message naming the bad setting; the host refuses to load the plugin with it.
    fn configure(&mut self, config: &serde_json::Value) -> Result<(), String> {
        let _ = config;
        Ok(())
    }

    /// Looks at one event and pushes what it finds.
    fn on_event(&mut self, event: &Event<'_>, findings: &mut Vec<Finding>) {
        let _ = (event, findings);
    }

    /// Looks at one batch; by default calls [`Detector::on_event`] for each event.
    fn on_events(&mut self, events: &Batch, findings: &mut Vec<Finding>) {
        for event in events.iter() {
            self.on_event(&event, findings);
        }
    }

    /// Called periodically with the stream time (ms since the epoch) for window logic.
    fn on_tick(&mut self, now: i64, findings: &mut Vec<Finding>) {
        let _ = (now, findings);
    }

    /// Serializes state so it survives hot reloads and restarts.
    fn snapshot(&self) -> Vec<u8> {
        Vec::new()
    }

    /// Restores state written by [`Detector::snapshot`].
    ///
    /// # Errors
    /// A message saying why the bytes cannot be restored.
    fn restore(&mut self, state: &[u8]) -> Result<(), String> {
        let _ = state;
        Ok(())
    }
}
