//! Tests: ocsf.
