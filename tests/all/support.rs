//! Shared test support: guest components built once per test run.
