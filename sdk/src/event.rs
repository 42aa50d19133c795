//! The normalized event a detector receives.

use serde::{Deserialize, Serialize};

/// Who performed an action, normalized across identity kinds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Stable principal id: the ARN when the log has one, else the principal id.
    pub id: String,
    /// The identity kind as the provider names it (CloudTrail `userIdentity.type`).
    pub kind: String,
    pub account: String,
    pub name: Option<String>,
    pub access_key: Option<String>,
    pub session_name: Option<String>,
    /// ARN of the role or user that issued the session.
    pub session_issuer: Option<String>,
    pub source_identity: Option<String>,
    pub mfa: bool,
    pub invoked_by: Option<String>,
}

/// A cloud resource an event touched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// Resource type, e.g. `AWS::S3::Bucket`.
    pub kind: String,
    /// ARN or provider id.
    pub id: String,
    pub account: Option<String>,
}

/// One normalized audit event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    /// Milliseconds since the Unix epoch.
    pub time: i64,
    pub provider: String,
    pub source: String,
    /// Seed category: compute, storage, network, database, identity, management, security.
    pub category: String,
    pub service: String,
    pub action: String,
    /// IAM access level: List, Read, Write, Permissions management, Tagging.
    pub access_level: String,
    pub success: bool,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub read_only: bool,
    pub management: bool,
    pub account: String,
    pub region: String,
    pub actor: Actor,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub resources: Vec<Resource>,
    /// Projected values, in the order of [`crate::Info::fields`]; read them with [`Event::field`].
    pub fields: Vec<Option<String>>,
    /// The raw record as JSON text, when [`crate::Info::raw`] was asked for.
    pub raw: Option<String>,
}

impl Event {
    /// The value the host projected for `path`, one of the paths declared in [`crate::Info::fields`].
    /// A string match comes as-is; other matches as JSON text.
    pub fn field(&self, path: &str) -> Option<&str> {
        let index = crate::fields::index_of(path)?;
        self.fields.get(index)?.as_deref()
    }

    /// The projected value at `index` of [`crate::Info::fields`].
    pub fn field_at(&self, index: usize) -> Option<&str> {
        self.fields.get(index)?.as_deref()
    }

    /// The raw record parsed as JSON, when it was asked for.
    pub fn raw_json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(self.raw.as_deref()?).ok()
    }

    /// The first resource of the given kind.
    pub fn resource(&self, kind: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.kind == kind)
    }

    /// True when the call failed with an access-denied style error.
    pub fn denied(&self) -> bool {
        matches!(self.error_code.as_deref(), Some(code) if code.contains("AccessDenied") || code.contains("Unauthorized"))
    }
}
