//! What a detector reports, and a builder to make one in a line.

use serde::{Deserialize, Serialize};

use crate::Event;

/// How bad a finding is; maps onto OCSF `severity_id` 1..=5.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] =
        [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|sev| {
                sev.as_str().eq_ignore_ascii_case(s)
                    || (s.eq_ignore_ascii_case("informational") && *sev == Severity::Info)
            })
            .ok_or_else(|| format!("unknown severity {s:?}: expected info, low, medium, high or critical"))
    }
}

/// One piece of key/value evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub key: String,
    pub value: String,
}

/// What a detector reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub summary: String,
    pub actor: Option<String>,
    /// Ids of the events that prove the finding.
    pub event_ids: Vec<String>,
    /// MITRE ATT&CK technique ids.
    pub techniques: Vec<String>,
    pub tags: Vec<String>,
    pub evidence: Vec<Evidence>,
}

impl Finding {
    pub fn new(rule_id: impl Into<String>, title: impl Into<String>, severity: Severity) -> Self {
        Finding { rule_id: rule_id.into(), title: title.into(), severity, ..Finding::default() }
    }

    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = summary.into();
        self
    }

    /// Adds the event as proof, and takes its actor when none is set yet.
    pub fn event(mut self, event: &Event<'_>) -> Self {
        self.event_ids.push(event.id().to_string());
        let actor = event.actor().id();
        if self.actor.is_none() && !actor.is_empty() {
            self.actor = Some(actor.to_string());
        }
        self
    }

    /// Adds several event ids as proof.
    pub fn events<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.event_ids.extend(ids.into_iter().map(Into::into));
        self
    }

    pub fn actor(mut self, actor: impl Into<String>) -> Self {
        self.actor = Some(actor.into());
        self
    }

    /// Adds a MITRE ATT&CK technique id, e.g. `T1098.001`.
    pub fn technique(mut self, id: impl Into<String>) -> Self {
        self.techniques.push(id.into());
        self
    }

    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    pub fn evidence(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.evidence.push(Evidence { key: key.into(), value: value.into() });
        self
    }

    /// Marks this finding as revision `revision` (1 for the first) of the finding about `key`:
    /// the host gives every revision of one key the same uid, and reports the later ones as
    /// updates of the first.
    pub fn revision(self, key: impl Into<String>, revision: u32) -> Self {
        self.evidence(crate::story::REVISION_OF, key).evidence(crate::story::REVISION, revision.to_string())
    }

    /// Attaches a story (as JSON text under [`crate::story::STORY_EVIDENCE`]), and makes the
    /// finding the story's revision of its key.
    pub fn story(self, story: &crate::story::Story) -> Self {
        self.revision(story.key.clone(), story.revision)
            .evidence(crate::story::STORY_EVIDENCE, story.to_json())
    }

    /// The value of the first evidence item with this key.
    pub fn evidence_value(&self, key: &str) -> Option<&str> {
        self.evidence.iter().find(|e| e.key == key).map(|e| e.value.as_str())
    }

    /// The story this finding carries, if any.
    ///
    /// # Errors
    /// Story evidence that does not parse (see [`crate::story::Story::from_json`]).
    pub fn story_of(&self) -> Option<Result<crate::story::Story, String>> {
        self.evidence_value(crate::story::STORY_EVIDENCE).map(crate::story::Story::from_json)
    }
}
