//! The end-of-run summary, on stderr, and the exit status it implies.

use std::process::ExitCode;

use trailhound::engine::state::StateReport;
use trailhound::engine::PluginReport;
use trailhound::metrics::SinkView;
use trailhound::pipeline::RunSummary;
use trailhound::sources::printable_path;
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
    if summary.findings_suppressed > 0 {
        eprintln!(
            "findings suppressed by throttling: {} (each counted on the next of its rule and actor delivered)",
            summary.findings_suppressed
        );
    }
    if summary.findings_unrouted > 0 {
        eprintln!("findings no route took: {} (add a route with default = true)", summary.findings_unrouted);
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
    if let Some(state) = &summary.engine.state {
        print_state(state, &summary.engine.plugins);
    }
    // Sinks that all took every finding at once need no line of their own: the findings line
    // says it.
    let uneven = summary.sinks.windows(2).any(|pair| pair[0].delivered != pair[1].delivered);
    let troubled = |s: &SinkView| s.failures + s.progress.retries + s.progress.dead_lettered > 0;
    if uneven || summary.sinks.iter().any(troubled) {
        for sink in &summary.sinks {
            eprintln!(
                "sink {}: {} delivered, {} failed; {} retried attempt(s), {} dead-lettered",
                sink.label, sink.delivered, sink.failures, sink.progress.retries, sink.progress.dead_lettered
            );
        }
    }
    let reloads = &summary.engine.reloads;
    if reloads.applied + reloads.refused > 0 {
        eprintln!("reloads: {} applied, {} refused", reloads.applied, reloads.refused);
    }
    for plugin in &summary.engine.plugins {
        let s = &plugin.stats;
        let mut line = format!(
            "plugin {} {}: {} events, {} findings",
            plugin.name, plugin.version, s.events, s.findings
        );
        if plugin.retired {
            line.push_str(" (until a reload replaced or removed it)");
        }
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

/// Where the run's state came from and went, which plugins resumed, and what was refused.
fn print_state(state: &StateReport, plugins: &[PluginReport]) {
    let dir = printable_path(&state.dir);
    match state.restored_from {
        Some(time) => eprintln!("state: restored from {dir} (stream time {})", iso_time(time)),
        None => eprintln!("state: nothing restored from {dir}; started empty"),
    }
    let restored: Vec<String> = plugins
        .iter()
        .filter(|p| p.stats.state.restored > 0)
        .map(|p| format!("{} ({} worker(s))", p.name, p.stats.state.restored))
        .collect();
    if !restored.is_empty() {
        eprintln!("state: plugins restored: {}", restored.join(", "));
    }
    for plugin in plugins.iter().filter(|p| p.stats.state.started_empty > 0) {
        let why = plugin.stats.state.why_empty.as_deref().unwrap_or("no reason given");
        eprintln!(
            "state: plugin {} started empty on {} worker(s): {why}",
            plugin.name, plugin.stats.state.started_empty
        );
    }
    for plugin in plugins.iter().filter(|p| p.stats.state.snapshot_failures > 0) {
        eprintln!(
            "state: plugin {}: {} snapshot(s) failed; its saved state is the one before",
            plugin.name, plugin.stats.state.snapshot_failures
        );
    }
    for problem in &state.problems {
        eprintln!("state: {problem}");
    }
    if let Some(why) = &state.uncommitted {
        eprintln!("state: {why}");
    }
    if state.write_failures > 0 {
        eprintln!("state: {} file(s) could not be saved to {dir}", state.write_failures);
    }
    let committed = state.committed;
    match state.saved_at {
        Some(time) => {
            eprintln!(
                "state: {committed} checkpoint(s) committed to {dir}, the last at stream time {}",
                iso_time(time)
            )
        }
        None if committed > 0 => {
            eprintln!("state: {committed} checkpoint(s) committed to {dir} (no events yet)")
        }
        None => eprintln!("state: nothing committed to {dir}"),
    }
}

/// The summary as one JSON object, for scripts: the counts, the plugins, and the state.
pub fn json(summary: &RunSummary) -> serde_json::Value {
    let plugins: Vec<serde_json::Value> = summary
        .engine
        .plugins
        .iter()
        .map(|p| {
            let s = &p.stats;
            serde_json::json!({
                "name": p.name, "version": p.version, "retired": p.retired,
                "events": s.events, "findings": s.findings,
                "quarantines": s.quarantines, "last_fault": s.last_fault,
                "state": {"restored": s.state.restored, "started_empty": s.state.started_empty,
                          "why_empty": s.state.why_empty, "snapshot_failures": s.state.snapshot_failures},
            })
        })
        .collect();
    let state = summary.engine.state.as_ref().map(|state| {
        serde_json::json!({
            "dir": printable_path(&state.dir),
            "restored_from": state.restored_from.map(iso_time),
            "saved_at": state.saved_at.map(iso_time),
            "committed": state.committed,
            "uncommitted": state.uncommitted,
            "problems": state.problems,
            "write_failures": state.write_failures,
        })
    });
    serde_json::json!({
        "events": summary.events,
        "malformed": summary.malformed,
        "findings": summary.findings(),
        "unreadable": summary.unreadable,
        "suppressed": summary.findings_suppressed,
        "unrouted": summary.findings_unrouted,
        "sink_failures": summary.sink_failures,
        "elapsed_secs": summary.elapsed.as_secs_f64(),
        "plugins": plugins,
        "reloads": {"applied": summary.engine.reloads.applied, "refused": summary.engine.reloads.refused},
        "sinks": summary.sinks.iter().map(|s| serde_json::json!({
            "sink": s.label, "delivered": s.delivered, "failed": s.failures,
            "retries": s.progress.retries, "dead_lettered": s.progress.dead_lettered,
        })).collect::<Vec<_>>(),
        "state": state,
    })
}

/// 0 when everything was read, every finding delivered and the state saved; 1 when an input
/// could not be read, a finding did not reach a sink or a state file was not written (the
/// summary says which).
pub fn exit_code(summary: &RunSummary) -> ExitCode {
    let state_saved =
        summary.engine.state.as_ref().is_none_or(|s| s.write_failures == 0 && s.uncommitted.is_none());
    if summary.unreadable.is_empty() && summary.sink_failures == 0 && state_saved {
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
