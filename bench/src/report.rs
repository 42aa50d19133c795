//! The table: rows rendered as Markdown, the machine they were measured on, the targets they
//! are read against, and `BENCHMARKS.md` written from the same text.

use std::fmt::Write as _;

use crate::measure::Row;

/// Column headers; the CI check parses rows by these.
pub const HEADER: [&str; 9] =
    ["group", "row", "events", "events/s", "MB/s", "ns/event", "peak RSS MiB", "vs", "note"];

/// A row of the table that is not a throughput: memory per instance, start-up time.
pub struct Figure {
    pub name: String,
    pub value: String,
}

/// Renders the rows as one Markdown table. `vs` is each row's events/s as a share of a named
/// reference row (e.g. WASM over native for the same detector), filled by the caller.
pub fn table(rows: &[(Row, String)]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", HEADER.join(" | "));
    let _ = writeln!(out, "|{}", HEADER.iter().map(|_| "---|").collect::<String>());
    for (row, vs) in rows {
        let mb = if row.bytes > 0 { format!("{:.1}", row.mb_per_sec()) } else { "-".into() };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {} | {:.0} | {:.0} | {} | {} |",
            row.group,
            row.name,
            row.events,
            row.events_per_sec(),
            mb,
            row.ns_per_event(),
            row.peak_rss as f64 / (1 << 20) as f64,
            if vs.is_empty() { "-" } else { vs },
            if row.note.is_empty() { "-" } else { row.note.trim_start_matches(", ") },
        );
    }
    out
}

/// The figures that are not rows, as a bullet list.
pub fn figures(figures: &[Figure]) -> String {
    figures.iter().map(|f| format!("- {}: {}\n", f.name, f.value)).collect()
}

/// The machine: CPU model, cores, memory, OS.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or("?".into(), |kib| format!("{:.0}", kib / (1 << 20) as f64));
    format!("{model}, {cores} cores, {mem_gib} GiB RAM, {} {}", std::env::consts::OS, std::env::consts::ARCH)
}

/// The whole report: what was run, on what, the table, the figures, the targets.
pub struct Report<'a> {
    pub command: &'a str,
    pub data: &'a str,
    pub table: &'a str,
    pub figures: &'a str,
    pub targets: &'a str,
}

impl Report<'_> {
    pub fn markdown(&self) -> String {
        format!(
            "# Benchmarks\n\n\
             Written by `{command}`; every figure below comes from that one run. Rerun it to \
             regenerate this file; never edit the numbers by hand.\n\n\
             Machine: {machine}.\n\n\
             Data: {data}\n\n\
             {table}\n\
             {figures}\n\
             ## Targets\n\n{targets}\n\
             ## What the rows mean\n\n{legend}",
            command = self.command,
            machine = machine(),
            data = self.data,
            table = self.table,
            figures = self.figures,
            targets = self.targets,
            legend = LEGEND,
        )
    }
}

const LEGEND: &str = "\
- **stages / read + decode**: files read from the page cache, gzip inflated, records framed \
as text: one per line, or split out of a `Records` array (parsed for that into slices of \
itself). A single record is not parsed here; MB/s counts uncompressed JSON.
- **stages / decode + normalize**: the same, plus parsing each record into the fields the \
event model needs (the rest is skipped unbuilt), mapping them onto it (actor, resources, \
category) and enriching the event (access level, ATT&CK techniques, risks).
- **scan**: a whole `trailhound scan` run in-process: read, normalize, shard by actor, \
project fields, call the plugin components in batches of 512 on N worker threads, collect \
findings. The reading thread is one of the process's threads, so 2 workers on 2 cores share \
them with it.
- **boundary**: one detector on events already normalized in memory, one thread. *native* is \
the plugin crate compiled natively and called through the SDK's test harness; *WASM* is the \
same crate as a component in one wasmtime instance, including the host's conversion of \
events into WIT values. `vs` on a WASM row is WASM time over native time for the same \
detector and batch size (1.00× means no boundary cost); on other batch sizes it is relative \
to batch 512.
- **principals**: the stateful plugins under a stream where every call is another principal \
with its own access key and address (nothing is seen twice, the worst case for their state), \
in batches of 512 with a tick after each: the baseline gets the calls, the storyline calls it \
weighs (a policy's default version changed), the composite a finding about each principal. \
The note says what the state held at the end; the figures below give one instance's peak \
linear memory and the RSS the native state grew by: both stay at the plugin's cap however \
many principals come.
- **peer**: a native Sigma engine from crates.io evaluating the SigmaHQ CloudTrail rules on \
the same records, already parsed into JSON values; then trailhound's sigma plugin on the same \
rules and events (their fields projected, as the host hands them over), natively and as WASM, \
with `vs` its events/s over the peer's.
- **peak RSS**: the process's peak resident memory during that row alone (reset before each \
row), so it includes the loaded components and the events held in memory.
";
