//! The pipeline: sources → normalize → engine → sinks, with the run's counters.
