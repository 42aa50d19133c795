//! All integration tests, in one binary so the workspace links once.

mod support;

mod cache;
mod cli;
mod config;
mod contract;
mod engine;
mod enrich;
mod example_data;
mod example_escape;
mod fuzz;
mod hardening;
mod iam_risk;
mod limits;
mod lineage;
mod log_type;
mod normalize;
mod normalize_azure;
mod normalize_falco;
mod normalize_gcp;
mod normalize_k8s;
mod normalize_vpcflow;
mod ocsf;
mod pack;
mod pack_rules;
mod panther;
mod panther_agreement;
mod plugin_config;
mod python;
mod service;
mod sinks;
mod sources;
mod stories;
mod synth;
