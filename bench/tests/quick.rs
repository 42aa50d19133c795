//! The harness's short mode runs end to end and prints a table that parses. Speeds are never
//! asserted here: this machine is shared and noisy; the figures belong in BENCHMARKS.md.

use std::process::Command;

#[path = "../src/fixture.rs"]
mod fixture;

#[test]
fn quick_mode_prints_a_parsable_table_with_every_group() {
    let work = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_trailhound-bench"))
        .args(["--quick", "--work-dir"])
        .arg(work.path())
        .env("CI", "true")
        .output()
        .expect("trailhound-bench runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "exit {:?}\n{stderr}", output.status);

    let mut lines = stdout.lines().skip_while(|l| !l.starts_with("| group |"));
    let header: Vec<&str> = cells(lines.next().expect("a table header"));
    assert_eq!(header[..4], ["group", "row", "events", "events/s"]);
    lines.next().expect("the separator line");
    let rows: Vec<Vec<&str>> = lines.take_while(|l| l.starts_with('|')).map(cells).collect();
    for row in &rows {
        assert_eq!(row.len(), header.len(), "{row:?}");
        let events: u64 = row[2].parse().unwrap_or_else(|_| panic!("events in {row:?}"));
        let rate: f64 = row[3].parse().unwrap_or_else(|_| panic!("events/s in {row:?}"));
        assert!(events > 0 && rate > 0.0, "{row:?}");
        row[5].parse::<f64>().unwrap_or_else(|_| panic!("ns/event in {row:?}"));
        row[6].parse::<f64>().unwrap_or_else(|_| panic!("peak RSS in {row:?}"));
    }
    let groups: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[0]).collect();
    for group in ["stages", "scan", "boundary"] {
        assert!(groups.contains(group), "no {group} rows in\n{stdout}");
    }
    if fixture::fixture("sigma").is_some() {
        assert!(groups.contains("peer"), "no peer row in\n{stdout}");
    }
    assert!(stdout.contains("WASM/native"), "the targets are read against the run:\n{stdout}");
}

fn cells(line: &str) -> Vec<&str> {
    line.trim().trim_matches('|').split('|').map(str::trim).collect()
}
