//! Tests: hostile input and tired operators, through the real binary — a poisoned event time,
//! a gzip bomb, an unreadable subfolder, a sink that cannot be written, plugins and paths
//! named twice, and flags out of range. Each case costs only what it breaks.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

use crate::support;

fn trailhound(args: &[&str]) -> Output {
    command(args).output().expect("trailhound runs")
}

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trailhound"));
    command
        .args(args)
        .env("CI", "true")
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("hardening-cache"));
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn plugin(name: &str) -> String {
    support::component(name).display().to_string()
}

fn root_event(id: &str, time: Value) -> Value {
    json!({
        "eventVersion": "1.08", "eventID": id, "eventTime": time,
        "eventSource": "iam.amazonaws.com", "eventName": "CreateUser", "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "Root", "principalId": "111122223333", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"}
    })
}

/// Copies a folder tree (the bundled example data) so records can be added to it.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A year-9999 `eventTime`, first in the stream and again in the middle of the insider's
/// story, used to move stream time forward so that the next tick expired the story.
#[test]
fn a_poisoned_event_time_cannot_expire_the_insider_story() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_tree(&support::workspace().join("examples/data"), &data);
    let day = data.join("AWSLogs/418295730164/CloudTrail/us-east-1/2026/11/03");
    let poison = |id: &str, time: Value| {
        let mut record = root_event(id, time);
        record["eventName"] = json!("ListBuckets");
        record["eventSource"] = json!("s3.amazonaws.com");
        record["userIdentity"] = json!({"type": "IAMUser", "arn": "arn:aws:iam::418295730164:user/clock-skew", "accountId": "418295730164", "principalId": "AIDAPOISON"});
        record.to_string()
    };
    // Sorted first of all files, and between the story's hours.
    let first = data.join("AWSLogs/418295730164/CloudTrail/eu-west-1/2026/11/03/000-poison.jsonl");
    std::fs::write(&first, poison("p-1", json!("9999-12-31T23:59:59Z")) + "\n").unwrap();
    let lines = [
        poison("p-2", json!("9999-12-31T23:59:59Z")),
        poison("p-3", json!(1e300)),
        poison("p-4", Value::Null),
    ];
    std::fs::write(
        day.join("418295730164_CloudTrail_us-east-1_20261103T1010Z_poison.jsonl"),
        lines.join("\n"),
    )
    .unwrap();

    let mut args = vec!["scan".to_string(), data.display().to_string(), "--format".into(), "json".into()];
    for name in ["storyline", "s3-exposure", "iam-risk"] {
        args.extend(["--plugin".to_string(), plugin(name)]);
    }
    for workers in ["1", "3"] {
        let mut run = args.clone();
        run.extend(["--workers".to_string(), workers.to_string()]);
        let out = trailhound(&run.iter().map(String::as_str).collect::<Vec<_>>());
        let stderr = text(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.contains("implausible event times: 2 delivered with their own time"), "{stderr}");
        assert!(stderr.contains("000-poison.jsonl:1"), "the first one is named: {stderr}");
        assert!(stderr.contains("records without a time: 1 (given the stream's time)"), "{stderr}");
        assert!(
            stderr.contains("malformed: 1") && stderr.contains("eventTime: cannot read 1e300"),
            "{stderr}"
        );
        let findings: Vec<Value> =
            text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        crate::stories::assert_both_stories(&findings);
    }
}

/// 1 GiB of spaces in a 1 MiB gzip file used to take 2.1 GB of memory.
#[test]
fn a_gzip_bomb_is_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.json.gz");
    let mut encoder =
        flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), flate2::Compression::best());
    encoder.write_all(root_event("before", json!("2026-11-03T10:00:00Z")).to_string().as_bytes()).unwrap();
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..1024 {
        encoder.write_all(&spaces).unwrap();
    }
    // And one string of 256 MiB: a record far over the record limit.
    encoder.write_all(b"{\"eventID\":\"huge\",\"pad\":\"").unwrap();
    let letters = vec![b'a'; 1 << 20];
    for _ in 0..256 {
        encoder.write_all(&letters).unwrap();
    }
    encoder.write_all(b"\"}\n").unwrap();
    encoder.write_all(root_event("after", json!("2026-11-03T10:00:01Z")).to_string().as_bytes()).unwrap();
    encoder.finish().unwrap();

    let out = trailhound(&["scan", path.to_str().unwrap(), "--plugin", &plugin("minimal-detector")]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("events read: 2") && stderr.contains("malformed: 1"), "{stderr}");
    assert!(stderr.contains("over the limit of 4194304 bytes (input.max_record_bytes)"), "{stderr}");
    let peak = peak_memory_mib(&stderr);
    assert!(peak < 400, "peak memory {peak} MiB for 1.25 GiB of decompressed input: {stderr}");
}

/// `scan /dev/zero` used to grow without end. It still never ends (the input does not), but
/// its memory stays flat: measured while it runs, then stopped.
#[test]
fn an_endless_input_of_zeros_is_read_in_flat_memory() {
    let mut child = command(&["scan", "/dev/zero", "--plugin", &plugin("minimal-detector")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let peak = |_: ()| -> u64 {
        let text = std::fs::read_to_string(&status).unwrap_or_default();
        let line = text.lines().find(|l| l.starts_with("VmHWM:")).unwrap_or("VmHWM: 0 kB");
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024
    };
    std::thread::sleep(std::time::Duration::from_secs(2));
    let early = peak(());
    std::thread::sleep(std::time::Duration::from_secs(3));
    let late = peak(());
    let still_running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(still_running, "an endless input is read until stopped");
    assert!(late < 200 && late <= early + 16, "peak memory {early} MiB after 2 s, {late} MiB after 5 s");
}

/// The scan summary's `peak memory: N MiB`.
fn peak_memory_mib(stderr: &str) -> u64 {
    let line = stderr.lines().find(|l| l.contains("peak memory: ")).unwrap_or_else(|| panic!("{stderr}"));
    let after = &line[line.find("peak memory: ").unwrap() + "peak memory: ".len()..];
    after.split_whitespace().next().unwrap().parse().unwrap()
}

/// Another user's folder in a scanned tree used to abort the scan with nothing read. Root
/// reads every folder, so the scan runs as `nobody` when the tests run as root.
#[test]
fn an_unreadable_subfolder_is_skipped_reported_and_fails_the_run_at_the_end() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    let locked = root.join("locked");
    std::fs::create_dir_all(&locked).unwrap();
    std::fs::write(
        locked.join("hidden.json"),
        root_event("hidden", json!("2026-11-03T10:00:00Z")).to_string(),
    )
    .unwrap();
    std::fs::write(root.join("a.json"), root_event("a", json!("2026-11-03T10:00:00Z")).to_string()).unwrap();
    let open = std::fs::Permissions::from_mode(0o755);
    for folder in [dir.path(), root.as_path()] {
        std::fs::set_permissions(folder, open.clone()).unwrap();
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let component = support::component("minimal-detector");
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(&cache).unwrap();

    let as_root = std::fs::read_dir(&locked).is_ok();
    let mut run = if as_root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_trailhound"));
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_trailhound"))
    };
    // The component must be readable by the user the scan runs as.
    let plugin_copy = dir.path().join("minimal.wasm");
    std::fs::copy(&component, &plugin_copy).unwrap();
    std::fs::set_permissions(&plugin_copy, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run
        .args(["scan", root.to_str().unwrap(), "--plugin", plugin_copy.to_str().unwrap()])
        .env("CI", "true")
        .env("HOME", &cache)
        .env("XDG_CACHE_HOME", &cache)
        .output()
        .expect("trailhound runs");
    std::fs::set_permissions(&locked, open).unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("events read: 1"), "the rest of the tree was read: {stderr}");
    assert!(stderr.contains("unreadable: cannot read") && stderr.contains("locked"), "{stderr}");
    assert_eq!(text(&out.stdout).matches("aws.root-activity").count(), 1);
}

/// `-o /dev/full`, and stdout to `/dev/full`, used to exit 0 with every finding lost.
#[test]
fn findings_that_reach_no_sink_fail_the_run_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("root.jsonl");
    let lines: Vec<String> =
        (0..3).map(|i| root_event(&format!("r{i}"), json!("2026-11-03T10:00:00Z")).to_string()).collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let component = plugin("minimal-detector");

    let out = trailhound(&["scan", input.to_str().unwrap(), "--plugin", &component, "-o", "/dev/full"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("(3 of 3 findings did not reach every sink)"), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");

    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let out = command(&["scan", input.to_str().unwrap(), "--plugin", &component])
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("3 of 3 findings did not reach every sink"), "{stderr}");
    assert!(
        stderr.lines().all(|l| l.matches("os error 28").count() <= 1),
        "each OS error said once: {stderr}"
    );
}

#[test]
fn a_plugin_named_twice_is_refused_and_a_path_named_twice_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("root.json"), root_event("r", json!("2026-11-03T10:00:00Z")).to_string())
        .unwrap();
    let component = plugin("minimal-detector");

    let out = trailhound(&["scan", sub.to_str().unwrap(), "--plugin", &component, "--plugin", &component]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("two plugins are named \"minimal-detector\""),
        "{}",
        text(&out.stderr)
    );

    let out =
        trailhound(&["scan", dir.path().to_str().unwrap(), sub.to_str().unwrap(), "--plugin", &component]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("events read: 1"), "{stderr}");
    assert!(stderr.contains("root.json was given more than once; it is read once"), "{stderr}");
    assert_eq!(text(&out.stdout).matches("aws.root-activity").count(), 1);
}

#[test]
fn scan_flags_are_range_checked_like_the_config_keys() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("x.json");
    std::fs::write(&input, "{}").unwrap();
    let component = plugin("minimal-detector");
    for (flag, value, message) in [
        ("--memory-limit-mb", "17592186044416", "must be 1 to 4096"),
        ("--batch-size", "1000000000", "must be 1 to 100000"),
        ("--batch-size", "0", "must be 1 to 100000"),
        ("--workers", "0", "must be 1 to 1024"),
        ("--deadline-ms", "18446744073709551615", "must be 10 to 600000"),
    ] {
        let out = trailhound(&["scan", input.to_str().unwrap(), "--plugin", &component, flag, value]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(stderr.contains(message) && stderr.contains(flag), "{flag} {value}: {stderr}");
    }
}

/// File names with terminal escape sequences are shown escaped.
#[test]
fn escape_sequences_in_file_names_are_not_printed_raw() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("evil\x1b]0;owned\x07\x1b[2J.jsonl");
    std::fs::write(&path, "not json\n").unwrap();
    let out = trailhound(&["scan", dir.path().to_str().unwrap(), "--plugin", &plugin("minimal-detector")]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains('\x1b') && !stderr.contains('\x07'), "{stderr:?}");
    assert!(stderr.contains("evil\\u{1b}]0;owned\\u{7}\\u{1b}[2J.jsonl:1"), "{stderr}");
}
