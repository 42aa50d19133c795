//! The per-instance memory cap, and a record of whether it was hit so a failure can be
//! reported as out-of-memory rather than as an anonymous trap.

use wasmtime::ResourceLimiter;

/// Refuses linear-memory growth past `max_bytes` and remembers that it did.
#[derive(Debug)]
pub struct MemoryCap {
    pub max_bytes: usize,
    pub exceeded: bool,
    /// Largest size any memory of the instance reached.
    pub peak_bytes: usize,
}

impl MemoryCap {
    pub fn new(max_bytes: usize) -> Self {
        MemoryCap { max_bytes, exceeded: false, peak_bytes: 0 }
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            self.exceeded = true;
            // An error (not `Ok(false)`) traps at once: a guest allocator that sees a failed
            // grow may otherwise loop or abort with a less clear message.
            wasmtime::bail!(
                "memory limit of {} MiB exceeded (wanted {} MiB)",
                self.max_bytes >> 20,
                desired >> 20
            );
        }
        self.peak_bytes = self.peak_bytes.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold function references; a million is far beyond any real detector.
        Ok(desired <= 1_000_000)
    }
}
