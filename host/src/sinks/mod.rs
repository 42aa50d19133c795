//! Sinks: where detections are delivered.
//!
//! STUB: owned by the findings/sinks/config work.

use crate::findings::Detection;

/// A destination for detections.
pub trait Sink: Send {
    /// Delivers one detection.
    ///
    /// # Errors
    /// The destination refused or failed to take it.
    fn deliver(&mut self, detection: &Detection) -> anyhow::Result<()>;

    /// Makes everything delivered so far durable or visible.
    ///
    /// # Errors
    /// The destination failed to flush.
    fn flush(&mut self) -> anyhow::Result<()>;
}
