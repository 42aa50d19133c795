//! What a detector may ask of the host: logging and metrics.
//!
//! Inside a component these call the host's imports. Natively (tests, benchmarks) they are
//! recorded in a per-thread journal that [`crate::testing::Harness`] exposes.

use std::cell::RefCell;

/// Log levels, from chattiest to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// One call a detector made to the host, as recorded natively.
#[derive(Debug, Clone, PartialEq)]
pub enum HostCall {
    Log(LogLevel, String),
    CounterAdd(String, u64),
    GaugeSet(String, f64),
}

thread_local! {
    static JOURNAL: RefCell<Vec<HostCall>> = const { RefCell::new(Vec::new()) };
}

/// Writes a line to the host's log, tagged with the plugin's name.
pub fn log(level: LogLevel, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::glue::host_log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    JOURNAL.with(|j| j.borrow_mut().push(HostCall::Log(level, message.to_string())));
}

/// Adds to a counter the host keeps for this plugin.
pub fn counter_add(name: &str, delta: u64) {
    #[cfg(target_arch = "wasm32")]
    crate::glue::host_counter_add(name, delta);
    #[cfg(not(target_arch = "wasm32"))]
    JOURNAL.with(|j| j.borrow_mut().push(HostCall::CounterAdd(name.to_string(), delta)));
}

/// Sets a gauge the host keeps for this plugin.
pub fn gauge_set(name: &str, value: f64) {
    #[cfg(target_arch = "wasm32")]
    crate::glue::host_gauge_set(name, value);
    #[cfg(not(target_arch = "wasm32"))]
    JOURNAL.with(|j| j.borrow_mut().push(HostCall::GaugeSet(name.to_string(), value)));
}

/// Takes the calls recorded on this thread so far (native builds only record).
pub fn take_journal() -> Vec<HostCall> {
    JOURNAL.with(|j| std::mem::take(&mut *j.borrow_mut()))
}
