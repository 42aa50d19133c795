//! Tests: a `trailhound run` whose config is edited while it runs applies the new sinks and
//! sources without a restart and without losing a finding: a sink configured as before goes
//! on, a removed one has every finding it took and takes no more, a new one takes the
//! findings from then on; an HTTP source added starts listening and, removed, stops; a new
//! watched folder is read; a sink that cannot open refuses the change and the running ones
//! stay.

use std::net::TcpStream;
use std::path::Path;

use crate::http_ingest::{address_after, post};
use crate::service::{root_event, Service};
use crate::support;

/// A config of these sources and sinks (TOML tables), with the minimal detector.
fn config(sources: &str, sinks: &str) -> String {
    format!(
        "[engine]\nworkers = 1\nbatch_size = 512\nlinger_ms = 100\n{sources}\n\
         [[plugins]]\nname = \"p\"\npath = {:?}\n{sinks}",
        support::component("minimal-detector").display().to_string()
    )
}

fn file_sink(name: &str, path: &str) -> String {
    format!("[[sinks]]\nname = \"{name}\"\ntype = \"file\"\npath = \"{path}\"\n")
}

fn watched(folder: &str) -> String {
    format!("[[sources]]\ntype = \"files\"\npaths = [\"{folder}\"]\nwatch = true\n")
}

const HTTP: &str = "[[sources]]\ntype = \"http\"\nlisten = \"127.0.0.1:0\"\n";

/// Replaces the config as a deploy tool does: written beside, renamed into place.
fn deploy(dir: &Path, text: &str) {
    std::fs::write(dir.join(".service.toml.tmp"), text).unwrap();
    std::fs::rename(dir.join(".service.toml.tmp"), dir.join("service.toml")).unwrap();
}

/// Root calls `ids` as a JSON-lines file landing in `folder`.
fn land(folder: &Path, name: &str, ids: &[&str]) {
    std::fs::create_dir_all(folder).unwrap();
    let mut text = String::new();
    for id in ids {
        text.push_str(&root_event(id));
        text.push('\n');
    }
    std::fs::write(folder.join(format!(".{name}.tmp")), text).unwrap();
    std::fs::rename(folder.join(format!(".{name}.tmp")), folder.join(name)).unwrap();
}

/// The event ids of the findings in a file sink's file, in order.
fn ids_in(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|line| {
            let finding: serde_json::Value = serde_json::from_str(line).unwrap();
            finding["finding_info"]["related_events"][0]["uid"]
                .as_str()
                .unwrap_or_else(|| panic!("no event id in {line}"))
                .to_string()
        })
        .collect()
}

#[test]
fn sinks_and_sources_changed_in_the_config_apply_while_the_run_goes_on_and_no_finding_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (kept, old, new) = (root.join("kept.jsonl"), root.join("old.jsonl"), root.join("new.jsonl"));
    let first =
        config(&watched("incoming"), &(file_sink("kept", "kept.jsonl") + &file_sink("old", "old.jsonl")));
    std::fs::create_dir(root.join("incoming")).unwrap();
    let mut service = Service::with_config(root, &first);
    std::thread::sleep(std::time::Duration::from_millis(300));

    land(&root.join("incoming"), "a.jsonl", &["a0", "a1", "a2"]);
    service.wait_until("3 findings in each sink", || ids_in(&kept).len() == 3 && ids_in(&old).len() == 3);

    // `old` goes, `new` comes, `kept` stays as it is; an HTTP source and a second watched
    // folder are added.
    let second = config(
        &(watched("incoming") + HTTP + &watched("second")),
        &(file_sink("kept", "kept.jsonl") + &file_sink("new", "new.jsonl")),
    );
    std::fs::create_dir(root.join("second")).unwrap();
    deploy(root, &second);
    service.wait_for_log("reloaded outputs: 1 sink(s) kept, 1 opened, 1 closed");
    service.wait_for_log("http source listening on");
    service.wait_for_log("reloaded sources: started http 127.0.0.1:0, watched files second");
    let address = address_after(&service.logged().join("\n"), "http source listening on ");
    let body = format!("{}\n{}\n", root_event("h0"), root_event("h1"));
    assert_eq!(post(address, &["Content-Type: application/json"], body.as_bytes()).status, 202);
    land(&root.join("second"), "b.jsonl", &["b0"]);
    land(&root.join("incoming"), "c.jsonl", &["c0"]);
    service.wait_until("7 findings in the kept sink", || ids_in(&kept).len() == 7);
    service.wait_until("4 findings in the new sink", || ids_in(&new).len() == 4);
    let mut after: Vec<String> = ids_in(&new);
    after.sort();
    assert_eq!(after, ["b0", "c0", "h0", "h1"]);
    assert_eq!(ids_in(&old), ["a0", "a1", "a2"], "the removed sink took none after it closed");

    // The HTTP source is removed: it stops listening.
    let third = config(
        &(watched("incoming") + &watched("second")),
        &(file_sink("kept", "kept.jsonl") + &file_sink("new", "new.jsonl")),
    );
    deploy(root, &third);
    service.wait_for_log("reloaded sources: stopped http 127.0.0.1:0");
    service.wait_until("the HTTP source to stop listening", || TcpStream::connect(address).is_err());

    // A sink that cannot open (its folder is a file): refused whole, the running sinks stay.
    let broken = config(
        &(watched("incoming") + &watched("second")),
        &(file_sink("kept", "kept.jsonl") + &file_sink("new", "kept.jsonl/inside.jsonl")),
    );
    deploy(root, &broken);
    service.wait_for_log("reload refused: sink new cannot be opened");
    land(&root.join("second"), "d.jsonl", &["d0"]);
    service.wait_until("the finding in both running sinks", || {
        ids_in(&kept).len() == 8 && ids_in(&new).len() == 5
    });

    service.signal("TERM");
    let (code, stderr, _) = service.wait();
    assert_eq!(code, Some(0), "{stderr}");
    let mut all = ids_in(&kept);
    all.sort();
    assert_eq!(all, ["a0", "a1", "a2", "b0", "c0", "d0", "h0", "h1"], "each finding once");
    assert!(stderr.contains("http 127.0.0.1:"), "the removed source is in the summary: {stderr}");
}
