//! A sink that keeps the findings of a run that carry a story, for `scan --story`: clone
//! it, hand one clone to the pipeline, and read the stories through the other.

use std::sync::{Arc, Mutex, PoisonError};

use trailhound_sdk::story::STORY_EVIDENCE;

use super::read::{Collector, Stories};
use crate::findings::{ocsf, Detection};
use crate::sinks::Sink;

/// Collects the stories delivered, as OCSF findings, exactly as a file of them would be read.
#[derive(Debug, Clone, Default)]
pub struct StorySink {
    collected: Arc<Mutex<(usize, Collector)>>,
}

impl StorySink {
    pub fn new() -> Self {
        Self::default()
    }

    /// The latest revision of every story delivered so far.
    pub fn stories(&self) -> Stories {
        let collected = self.collected.lock().unwrap_or_else(PoisonError::into_inner);
        collected.1.clone().finish()
    }
}

impl Sink for StorySink {
    fn deliver(&mut self, detection: &Detection) -> anyhow::Result<()> {
        if detection.finding.evidence_value(STORY_EVIDENCE).is_none() {
            return Ok(());
        }
        let mut collected = self.collected.lock().unwrap_or_else(PoisonError::into_inner);
        // The "line" of a run's finding is its place among the stories delivered.
        collected.0 += 1;
        let number = collected.0;
        collected.1.add(number, &ocsf::to_json(detection));
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}
