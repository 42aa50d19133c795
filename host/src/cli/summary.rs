//! The end-of-run summary, on stderr, and the exit status it implies.

use std::process::ExitCode;

use trailhound::pipeline::RunSummary;
use trailhound_sdk::Severity;

pub fn print(summary: &RunSummary) {
    let secs = summary.elapsed.as_secs_f64();
    eprintln!();
    eprintln!(
        "events read: {}   malformed: {}   findings: {}   elapsed: {:.2} s ({:.0} events/s)",
        summary.events,
        summary.malformed,
        summary.findings(),
        secs,
        summary.rate()
    );
    let by_severity: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .map(|s| format!("{s}: {}", summary.findings_by_severity.get(s).copied().unwrap_or(0)))
        .collect();
    eprintln!("findings by severity: {}", by_severity.join("  "));
    if !summary.events_by_source.is_empty() {
        let by_provider: Vec<String> =
            summary.events_by_provider.iter().map(|(provider, n)| format!("{provider}: {n}")).collect();
        eprintln!("events by provider: {}", by_provider.join("  "));
        let by_source: Vec<String> =
            summary.events_by_source.iter().map(|(source, n)| format!("{source}: {n}")).collect();
        eprintln!("events by source: {}", by_source.join("  "));
    }
    for (what, n) in &summary.skipped {
        eprintln!("skipped, not events: {n} × {what}");
    }
    if let Some(peak) = peak_memory_mib() {
        eprintln!("peak memory: {peak} MiB");
    }
    for bad in &summary.malformed_samples {
        eprintln!("malformed: {bad}");
    }
    if summary.malformed > summary.malformed_samples.len() as u64 {
        eprintln!(
            "malformed: … and {} more (see the log)",
            summary.malformed - summary.malformed_samples.len() as u64
        );
    }
    let clock = &summary.engine.clock;
    if clock.implausible > 0 {
        let first = clock
            .first_implausible
            .as_ref()
            .map_or(String::new(), |(at, time)| format!(" (first: {at}, {})", iso_time(*time)));
        eprintln!(
            "implausible event times: {} delivered with their own time, not used as stream time{first}",
            clock.implausible
        );
    }
    if summary.late > 0 {
        eprintln!(
            "late events: {} older than events already delivered (the inputs were too large to merge in time order)",
            summary.late
        );
    }
    if clock.missing > 0 {
        eprintln!("records without a time: {} (given the stream's time)", clock.missing);
    }
    for input in &summary.unreadable {
        eprintln!("unreadable: {input}");
    }
    if summary.sink_failures > 0 {
        eprintln!(
            "sink failures: {} ({} of {} findings did not reach every sink)",
            summary.sink_failures,
            summary.findings_lost,
            summary.findings()
        );
    }
    for error in &summary.sink_errors {
        eprintln!("sink error: {error}");
    }
    for plugin in &summary.engine.plugins {
        let s = &plugin.stats;
        let mut line = format!(
            "plugin {} {}: {} events, {} findings",
            plugin.name, plugin.version, s.events, s.findings
        );
        let faults = s.timeouts + s.out_of_memory + s.over_budget + s.traps;
        if faults > 0 {
            line.push_str(&format!(
                "; faults: {} timeouts, {} out-of-memory, {} over budget, {} traps ({} recovered); {} events failed",
                s.timeouts, s.out_of_memory, s.over_budget, s.traps, s.recovered, s.events_failed
            ));
        }
        if plugin.quarantined() {
            line.push_str(&format!(
                "; QUARANTINED {} time(s), {} events skipped",
                s.quarantines, s.events_skipped
            ));
        }
        if let Some(fault) = &s.last_fault {
            line.push_str(&format!("; last fault: {fault}"));
        }
        eprintln!("{line}");
    }
}

/// 0 when everything was read and every finding delivered; 1 when an input could not be read
/// or a finding did not reach a sink (the summary says which).
pub fn exit_code(summary: &RunSummary) -> ExitCode {
    if summary.unreadable.is_empty() && summary.sink_failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Milliseconds since the epoch as RFC 3339, or the number when it is no representable time.
fn iso_time(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| format!("{ms} ms"))
}

/// The process's peak resident memory (Linux `VmHWM`), in MiB.
fn peak_memory_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}
