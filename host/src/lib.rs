//! trailhound: cloud audit events in, sandboxed WebAssembly detectors, findings out.
//!
//! The modules follow the data flow:
//! [`sources`] read files, folders and stdin ([`merge`] puts several in time order) → [`decode`] turns bytes into JSON records →
//! [`normalize`] maps each record onto the event model → [`enrich`] adds access levels, MITRE
//! ATT&CK techniques and risks → [`engine`] shards events by actor
//! and runs the detector components → [`findings`] renders what they report as OCSF →
//! [`sinks`] deliver it; [`metrics`] shows the run live. [`pipeline`] wires the stages; [`config`] describes them;
//! [`build`] turns plugin sources into components; [`pack`] is the bundled first-party pack. [`text`] makes outside text safe to print.
//! [`nats`] is the NATS JetStream client the NATS source and sink share.
//! [`story`] draws storyline and composite findings as a page an analyst can read.
//! [`plugin_cases`] is the YAML of `plugin test`; [`invariants`] are the properties the
//! fuzz targets check.

pub mod build;
pub mod config;
pub mod decode;
pub mod engine;
pub mod enrich;
pub mod event;
pub mod findings;
pub mod invariants;
pub mod merge;
pub mod metrics;
pub mod nats;
pub mod normalize;
pub mod pack;
pub mod pipeline;
pub mod plugin_cases;
pub mod projection;
pub mod record;
pub mod rulepack;
pub mod sinks;
pub mod sources;
pub mod story;
pub mod text;
