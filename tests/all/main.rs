//! All integration tests, in one binary so the workspace links once.

mod support;

mod cache;
mod cli;
mod config;
mod engine;
mod enrich;
mod fuzz;
mod hardening;
mod limits;
mod normalize;
mod ocsf;
mod plugin_config;
mod python;
mod service;
mod sinks;
mod sources;
mod stories;
mod synth;
