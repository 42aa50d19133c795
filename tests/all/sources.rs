//! Tests: sources.
