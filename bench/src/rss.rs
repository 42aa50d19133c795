//! Resident memory of this process, from `/proc/self/status`, and resetting its peak so each
//! row of the table reports the peak of its own stage.

/// Current and peak resident set size, in bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Resident {
    pub now: u64,
    pub peak: u64,
}

/// Reads `VmRSS` and `VmHWM`; zeros where the platform has no `/proc`.
pub fn resident() -> Resident {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    Resident { now: kib("VmRSS:"), peak: kib("VmHWM:") }
}

/// Returns the memory the allocator holds freed to the system now. mimalloc otherwise returns
/// it after a delay, which, falling inside a measurement, would hide the growth being measured.
pub fn settle() {
    // SAFETY: `mi_collect` takes no pointers and may be called at any time from any thread.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

/// Resets the peak to the current resident size (Linux: writing 5 to `clear_refs`).
/// Returns false where that is not possible; peaks then accumulate over the run.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
