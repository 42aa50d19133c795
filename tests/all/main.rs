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
mod normalize_falco;
mod normalize_k8s;
mod normalize_vpcflow;
mod ocsf;
mod plugin_config;
mod python;
mod service;
mod sinks;
mod sources;
mod stories;
mod synth;
