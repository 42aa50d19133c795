//! The shape of a story: what a storyline or a composite alert puts in its finding so that
//! the host can draw it (`trailhound story`) and a reader can follow it.
//!
//! A story is about one *key* (an origin actor, a host, an access key) and grows over time:
//! each time it is reported again it carries a higher `revision`, and the host gives every
//! revision of one key the same finding uid (see [`crate::Finding::story`]). It holds the
//! entities the trail went through ([`Node`]: principals, role sessions, instances, hosts,
//! containers, keys, accounts), the moves between them ([`Hop`]), and what happened on the
//! way, in time order ([`Step`]: a behavior that added risk, a finding of another plugin).
//!
//! The story travels as JSON text in the finding's evidence under [`STORY_EVIDENCE`]; the
//! text carries [`STORY_VERSION`], so a reader can tell a shape it does not know.

use serde::{Deserialize, Serialize};

use crate::Severity;

/// The evidence key whose value is the story, as JSON text.
pub const STORY_EVIDENCE: &str = "story";
/// The evidence key that names what every revision of a finding is about; the host derives
/// the finding uid from it instead of from the event ids, which grow between revisions.
pub const REVISION_OF: &str = "revision.of";
/// The evidence key of the revision number, 1 for the first report.
pub const REVISION: &str = "revision";

/// The version of the shape below.
pub const STORY_VERSION: u32 = 1;

/// What kind of story it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoryKind {
    /// One actor followed from its origin across hops, with the risk on its trail.
    #[default]
    Storyline,
    /// Findings of several detectors on one entity, tied together.
    Composite,
}

/// One storyline or composite alert.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Story {
    pub version: u32,
    pub kind: StoryKind,
    /// What the story is about: the origin actor, the entity a composite correlates on.
    pub key: String,
    /// 1 for the first report, one more each time the story is reported again.
    pub revision: u32,
    /// The entities, the origin first.
    pub nodes: Vec<Node>,
    /// Moves between nodes, in time order.
    pub hops: Vec<Hop>,
    /// What happened, in time order.
    pub steps: Vec<Step>,
    /// Resources the trail touched (ARNs or provider ids).
    #[serde(default)]
    pub resources: Vec<String>,
    /// How close the trail came to the resources the config calls sensitive.
    #[serde(default)]
    pub sensitive: Vec<Proximity>,
    /// Accumulated risk and the threshold it is measured against (0 when not scored).
    #[serde(default)]
    pub risk: u32,
    #[serde(default)]
    pub threshold: u32,
}

/// An entity on the trail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Unique within the story: an ARN, a principal email, `host:NAME`, an instance id.
    pub id: String,
    /// A short name to print (the last part of an ARN, a host name).
    pub label: String,
    /// `principal`, `role-session`, `instance`, `host`, `container`, `access-key`,
    /// `service-account`, `account`, ...
    pub kind: String,
    /// The plane it belongs to, as [`crate::Plane::as_str`] names it: `cloud`,
    /// `kubernetes`, `network`, `host`, `finding`.
    pub plane: String,
    /// Account, project, subscription or cluster.
    #[serde(default)]
    pub account: String,
    /// First time the trail was at this node (ms since the epoch).
    #[serde(default)]
    pub first_seen: i64,
}

/// A move from one node to another.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    /// [`Node::id`]s.
    pub from: String,
    pub to: String,
    /// How: `sts:AssumeRole`, `ssm:StartSession`, `instance role`, `container escape`, ...
    pub via: String,
    pub time: i64,
    #[serde(default)]
    pub event_id: String,
}

/// Something that happened on the trail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub time: i64,
    /// The [`Node::id`] it happened at.
    pub node: String,
    /// What it was, in words: `reconnaissance burst`, the title of a finding.
    pub label: String,
    pub severity: Severity,
    /// Risk it added (0 when not scored).
    #[serde(default)]
    pub weight: u32,
    /// As [`Node::plane`].
    pub plane: String,
    #[serde(default)]
    pub event_ids: Vec<String>,
    /// For a finding of another plugin: the plugin and its rule id.
    #[serde(default)]
    pub reporter: Option<String>,
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(default)]
    pub techniques: Vec<String>,
}

/// How near the trail came to one sensitive resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proximity {
    /// The resource, or the pattern of the config that names it.
    pub resource: String,
    /// `touched` (an event on it), `listed` (a discovery call of its kind), `same account`.
    pub reach: String,
    #[serde(default)]
    pub event_id: String,
}

impl Story {
    /// Parses a story from a finding's evidence value.
    ///
    /// # Errors
    /// Text that is not a story, or a story of a version this build cannot read.
    pub fn from_json(text: &str) -> Result<Story, String> {
        let story: Story = serde_json::from_str(text).map_err(|e| format!("story: {e}"))?;
        if story.version != STORY_VERSION {
            return Err(format!("story has version {}, this build reads {STORY_VERSION}", story.version));
        }
        Ok(story)
    }

    /// The story as JSON text.
    pub fn to_json(&self) -> String {
        let story = Story { version: STORY_VERSION, ..self.clone() };
        serde_json::to_string(&story).unwrap_or_default()
    }
}
