//! Test-only fixtures: the bundled example data (`examples/data`) as the events a detector is sent.
//!
//! Plugin crates use this as a dev-dependency to check, natively and without WASM, that their
//! detectors tell the dataset's stories (the insider, the public bucket, the contractor on GCP
//! and Azure) and stay quiet on its background; records of the other planes are loaded too, and the harness
//! passes a detector only those of the sources it declares, as the host does. Records are
//! read, normalized, enriched, traced to their origin and projected by the host's own sources,
//! normalizer, enrichment, lineage and projection, so a plugin's story test sees exactly the
//! events the host would give it. This crate owns only
//! the names that identify the stories' principals, which must match the
//! generator's (`trailhound_synth::example`).

use std::path::{Path, PathBuf};

use serde_json::Value;
use trailhound::engine::lineage::Lineage;
use trailhound::engine::EngineSettings;
use trailhound::projection::Projection;
use trailhound::sources::{self, Item};
use trailhound_sdk::model::Event;
use trailhound_sdk::testing::Harness;
use trailhound_sdk::{Batch, Detector};

/// The insider's IAM user.
pub const INSIDER_ARN: &str = "arn:aws:iam::418295730164:user/m.hollis";
/// Instances whose role sessions (named after the instance id) the insider drove.
pub const INSIDER_INSTANCES: [&str; 2] = ["i-0a4f19c2d7e3b5816", "i-07d2e8b1c9f4a6035"];
/// Role sessions the insider opened with AssumeRole.
pub const INSIDER_SESSIONS: [&str; 2] = ["botocore-session-1793784262", "botocore-session-1793786118"];
/// The bucket of story 2, and who exposed it.
pub const EXPOSED_BUCKET: &str = "acme-campaign-assets-2026";
pub const EXPOSER_ARN: &str = "arn:aws:iam::562014837795:user/k.brennan";
/// The contractor of story 3, in Google Workspace and Entra ID alike.
pub const CONTRACTOR: &str = "r.vance@acme.example";

/// Which story an event belongs to, by the principals and resources named above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Story {
    Insider,
    Bucket,
    /// Story 3, as far as the cloud control planes tell it: GCP and Azure.
    Contractor,
    /// Story 4: the orders node's stolen role key, and the database admin role it assumed.
    Escape,
}

/// Story 4's sessions: the orders node's instance role (when the attacker's address calls)
/// and the database admin session it opened.
const ESCAPE_INSTANCE: &str = "i-05e9c1d4a7b3f2608";
const ESCAPE_ADDRESS: &str = "198.51.100.94";
const ESCAPE_SESSION: &str = "orders-db-migrate";

/// The story an event is part of, or `None` for background.
pub fn story_of(event: &Event, raw: &Value) -> Option<Story> {
    let actor = &event.actor;
    let session = actor.session_name.as_deref().unwrap_or_default();
    if actor.id == INSIDER_ARN || INSIDER_INSTANCES.contains(&session) || INSIDER_SESSIONS.contains(&session)
    {
        return Some(Story::Insider);
    }
    if session == ESCAPE_SESSION
        || (session == ESCAPE_INSTANCE && event.source_ip.as_deref() == Some(ESCAPE_ADDRESS))
    {
        return Some(Story::Escape);
    }
    if raw["requestParameters"]["bucketName"].as_str() == Some(EXPOSED_BUCKET) {
        return Some(Story::Bucket);
    }
    // On GCP the contractor acts as a service account whose delegation names them.
    if actor.id == CONTRACTOR || actor.delegation.iter().any(|d| d == CONTRACTOR) {
        return Some(Story::Contractor);
    }
    None
}

/// One record of the dataset: its normalized event, the fields the detector under test
/// projects, and the raw record.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub event: Event,
    pub fields: Vec<Option<String>>,
    /// The raw record's text, as the host sends it.
    pub text: String,
    pub raw: Value,
    /// `file:line` or `file (Records[i])`, for failure messages.
    pub origin: String,
}

impl Loaded {
    pub fn story(&self) -> Option<Story> {
        story_of(&self.event, &self.raw)
    }
}

/// `examples/data` in this repository.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data")
}

/// Every record of `examples/data`, in the order the host reads them (files sorted by path,
/// records in file order), normalized, enriched, with its lineage traced in that order (as the
/// engine does before sharding, with its default capacity) and the fields `D` declares
/// projected.
///
/// # Panics
/// When the data is missing, unreadable or holds a malformed record: the data is part of the
/// repository and must be clean.
pub fn load_for<D: Detector>() -> Vec<Loaded> {
    let info = D::info();
    let mut projection = Projection::default();
    let fields =
        projection.register(&info.name, &info.fields).unwrap_or_else(|e| panic!("{}: {e}", info.name));
    let inputs = sources::expand(&[data_dir()]).unwrap_or_else(|e| panic!("{e}")).inputs;
    assert!(!inputs.is_empty(), "no log files under {}", data_dir().display());
    let mut lineage = Lineage::new(EngineSettings::default().lineage_capacity);
    let mut out = Vec::new();
    for input in &inputs {
        sources::read(input, Default::default(), &mut |item| {
            let raw = match item {
                Item::Record(raw) => raw,
                Item::Malformed(bad) => panic!("{}: {}", bad.origin, bad.reason),
            };
            let mut record = trailhound::enrich::normalized(raw, None)
                .unwrap_or_else(|bad| panic!("{}: {}", bad.origin, bad.reason))
                .into_record()
                .expect("the bundled data holds events only");
            lineage.trace(&mut record);
            let raw = record.json();
            let projected = fields.pick(&projection.evaluate(&record.raw));
            out.push(Loaded {
                event: record.event,
                fields: projected,
                text: record.raw.to_string(),
                raw,
                origin: record.origin.to_string(),
            });
        })
        .unwrap_or_else(|e| panic!("{e}"));
    }
    out
}

/// The batch the host would send `harness`'s detector for `loaded`.
pub fn batch<D: Detector>(harness: &Harness<D>, loaded: &[Loaded]) -> Batch {
    harness.prepare(loaded.iter().map(|l| (&l.event, l.fields.as_slice(), Some(l.text.as_str()))))
}
