//! A sink that keeps detections in memory, for tests and `plugin test`: clone it, hand one
//! clone to the pipeline, and read what arrived through the other.

use std::sync::{Arc, Mutex, PoisonError};

use super::Sink;
use crate::findings::Detection;

/// Collects every delivered detection, in delivery order.
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    store: Arc<Mutex<Vec<Detection>>>,
}

impl MemorySink {
    pub fn new() -> Self {
        Self::default()
    }

    /// The shared store itself, for callers that want to drain or lock it.
    pub fn shared(&self) -> Arc<Mutex<Vec<Detection>>> {
        Arc::clone(&self.store)
    }

    /// A copy of what was delivered so far.
    pub fn detections(&self) -> Vec<Detection> {
        // A panic elsewhere while holding the lock leaves the Vec intact; keep reading it.
        self.store.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Sink for MemorySink {
    fn deliver(&mut self, detection: &Detection) -> anyhow::Result<()> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner).push(detection.clone());
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}
