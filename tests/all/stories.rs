//! Tests: stories.
