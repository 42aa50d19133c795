//! The end-of-run summary, on stderr.

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
    for bad in &summary.malformed_samples {
        eprintln!("malformed: {bad}");
    }
    if summary.malformed > summary.malformed_samples.len() as u64 {
        eprintln!(
            "malformed: … and {} more (see the log)",
            summary.malformed - summary.malformed_samples.len() as u64
        );
    }
    for input in &summary.unreadable {
        eprintln!("unreadable: {input}");
    }
    if summary.sink_failures > 0 {
        eprintln!("sink failures: {}", summary.sink_failures);
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
        let faults = s.timeouts + s.out_of_memory + s.traps;
        if faults > 0 {
            line.push_str(&format!(
                "; faults: {} timeouts, {} out-of-memory, {} traps ({} recovered); {} events failed",
                s.timeouts, s.out_of_memory, s.traps, s.recovered, s.events_failed
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
