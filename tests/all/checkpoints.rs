//! Tests: checkpoints. `trailhound run` is killed with SIGKILL in the middle of a folder of
//! logs and started again: every event's finding is delivered, the events before the last
//! committed checkpoint exactly once, and only those after it may be delivered twice.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;
use trailhound::engine::state::file;

use crate::service::{root_event, Service};
use crate::support;

const FILES: usize = 40;
const EVENTS_PER_FILE: usize = 250;

fn log_name(file: usize) -> String {
    format!("{file:03}.jsonl")
}

/// Writes log `file` beside the folder and moves it in whole, as a sync tool does.
fn drop_log(logs: &Path, file: usize) {
    let text: String = (0..EVENTS_PER_FILE).map(|n| root_event(&format!("e-{file}-{n}")) + "\n").collect();
    let beside = logs.parent().unwrap().join(log_name(file));
    std::fs::write(&beside, text).unwrap();
    std::fs::rename(&beside, logs.join(log_name(file))).unwrap();
}

/// The event each finding in the file sink's output cites, with how often.
fn delivered(output: &Path) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    let text = std::fs::read_to_string(output).unwrap_or_default();
    // A line still being written is not delivered yet.
    for line in text.split_inclusive('\n').filter_map(|line| line.strip_suffix('\n')) {
        let finding: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let event = finding["finding_info"]["related_events"][0]["uid"].as_str().unwrap().to_string();
        *counts.entry(event).or_insert(0) += 1;
    }
    counts
}

/// The events the committed checkpoint says were read: each file's complete lines before its
/// saved offset.
fn committed_events(state: &Path, logs: &Path) -> Vec<String> {
    let Some((_, payload)) = file::read(&state.join("current/sources.state")).unwrap() else {
        return Vec::new();
    };
    let positions: HashMap<String, Value> =
        serde_json::from_value(serde_json::from_slice::<Value>(&payload).unwrap()["files"].take()).unwrap();
    let mut events = Vec::new();
    for (path, position) in positions {
        let file: usize = Path::new(&path).file_stem().unwrap().to_str().unwrap().parse().unwrap();
        let offset = position["settled"]["offset"].as_u64().unwrap() as usize;
        let text = std::fs::read(logs.join(log_name(file))).unwrap();
        let lines = text[..offset].iter().filter(|b| **b == b'\n').count();
        events.extend((0..lines).map(|n| format!("e-{file}-{n}")));
    }
    events
}

#[test]
fn killed_mid_folder_and_restarted_every_finding_arrives_and_only_the_uncommitted_tail_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (logs, state, output) =
        (dir.path().join("logs"), dir.path().join("state"), dir.path().join("findings.jsonl"));
    std::fs::create_dir(&logs).unwrap();
    let config = format!(
        "[engine]\nworkers = 2\nbatch_size = 64\nlinger_ms = 100\nstate_dir = \"state\"\n\
         checkpoint_interval_secs = 1\n\
         [[sources]]\ntype = \"files\"\npaths = [\"logs\"]\nwatch = true\n\
         [[plugins]]\nname = \"p\"\npath = {:?}\nconfig = {{ per_event = true, label = \"v1\" }}\n\
         [[sinks]]\ntype = \"file\"\npath = \"findings.jsonl\"\n",
        support::component("misbehaving").display().to_string()
    );
    let total = FILES * EVENTS_PER_FILE;

    let mut first = Service::with_config(dir.path(), &config);
    for file in 0..FILES / 2 {
        drop_log(&logs, file);
    }
    first.wait_until("the first half delivered and a checkpoint committed", || {
        delivered(&output).len() == total / 2 && !committed_events(&state, &logs).is_empty()
    });
    for file in FILES / 2..FILES {
        drop_log(&logs, file);
    }
    first.wait_until("some of the second half delivered", || delivered(&output).len() > total / 2);
    first.signal("KILL");
    let (code, _, _) = first.wait();
    assert_eq!(code, None, "killed by the signal");

    let committed = committed_events(&state, &logs);
    let before_restart = delivered(&output);
    assert!(committed.len() >= total / 2, "{} committed", committed.len());
    for event in &committed {
        assert_eq!(before_restart.get(event), Some(&1), "{event}: committed, so delivered once");
    }

    let mut second = Service::with_config(dir.path(), &config);
    second.wait_for_log("resuming from the last checkpoint");
    second.wait_until("every event's finding", || delivered(&output).len() == total);
    second.signal("TERM");
    let (code, stderr, _) = second.wait();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("state: plugins restored: p"), "{stderr}");

    let after = delivered(&output);
    assert_eq!(after.len(), total);
    for event in &committed {
        assert_eq!(after.get(event), Some(&1), "{event}: committed before the kill, so read once");
    }
    let twice = after.values().filter(|n| **n > 1).count();
    assert!(after.values().all(|n| *n <= 2), "no finding three times");
    let bound = total - committed.len();
    assert!(
        twice <= bound,
        "{twice} findings delivered twice, more than the {bound} events after the checkpoint"
    );
    eprintln!(
        "kill -9 after {} of {total} findings; {} events committed; {twice} delivered twice (bound {bound})",
        before_restart.len(),
        committed.len()
    );
}
