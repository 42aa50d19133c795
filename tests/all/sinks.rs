//! Tests: sinks.
