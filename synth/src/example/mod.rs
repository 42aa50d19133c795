//! The bundled example day (`examples/data/`): one synthetic day (2026-11-03, UTC) of AWS
//! CloudTrail from three accounts of the fictional company Acme, with two attack stories
//! hidden in benign background activity:
//!
//! 1. [`insider`]: an insider who hops from an EC2 instance through a bastion and a chain of
//!    role assumptions to privilege escalation, persistence, snapshot sharing and failed
//!    cross-account assumes;
//! 2. [`bucket`]: a bucket made public whose encryption is then removed;
//!
//! and the [`background`] the detectors must stay quiet on. [`principals`] renders who signs
//! each call; [`day`] turns calls into CloudTrail records; [`layout`] writes them as CloudTrail
//! delivers them to S3 (and one account's trail as JSON lines), with the README that tells the
//! stories. A fixed seed makes every run write the same bytes.

mod background;
mod bucket;
mod day;
mod insider;
mod layout;
mod principals;

use std::path::Path;

pub use layout::{write, ExampleSummary};

/// Acme's shared dev / tools account.
const DEV: &str = "418295730164";
/// Acme production.
const PROD: &str = "738219460512";
/// Acme marketing: its trail is written as JSON lines.
const MARKETING: &str = "562014837795";
/// Not Acme's: where the insider shares a snapshot.
const FOREIGN_SNAPSHOT_TARGET: &str = "903481726654";
/// Other corporate accounts the insider probes.
const EXTERNAL_CORPORATE: [&str; 3] = ["215876403921", "664120987345", "381726504918"];
/// A monitoring vendor's account, trusted with an external id.
const VENDOR: &str = "464622532012";

// Story 1: the insider and the path they take. `tests/story-fixtures` names the same.
const INSIDER: &str = "m.hollis";
const WORKSTATION: &str = "i-0a4f19c2d7e3b5816";
const WORKSTATION_ROLE: &str = "analytics-workstation-role";
const BASTION: &str = "i-07d2e8b1c9f4a6035";
const BASTION_ROLE: &str = "bastion-host-role";
const DEV_ROLE: &str = "dev-platform-admin";
const PROD_ROLE: &str = "prod-ops-admin";
const DEV_SESSION: &str = "botocore-session-1793784262";
const PROD_SESSION: &str = "botocore-session-1793786118";
const ESCALATED_POLICY: &str = "ci-deploy-permissions";
const KEY_TARGET_USER: &str = "svc-terraform";
const SHARED_SNAPSHOT: &str = "snap-0c71e9a4b2d58f306";

// Story 2: the exposed bucket.
const EXPOSER: &str = "k.brennan";
const EXPOSED_BUCKET: &str = "acme-campaign-assets-2026";

/// Writes the example day into `out` (replacing what is there).
///
/// # Errors
/// A file or folder cannot be written.
pub fn write_example(out: &Path) -> std::io::Result<ExampleSummary> {
    let mut day = day::Day::new();
    let roles = principals::Roles::new(&mut day);
    insider::story(&mut day, &roles);
    bucket::story(&mut day);
    background::activity(&mut day, &roles);
    write(day, out)
}
