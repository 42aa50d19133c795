//! All integration tests, in one binary so the workspace links once.

mod support;

mod cache;
mod cli;
mod config;
mod engine;
mod fuzz;
mod hardening;
mod limits;
mod normalize;
mod normalize_azure;
mod normalize_gcp;
mod ocsf;
mod panther;
mod plugin_config;
mod python;
mod service;
mod sinks;
mod sources;
mod stories;
mod synth;
