//! Tests: `trailhound run` as an operator runs it for days — findings delivered within the
//! linger while the input stays open, a stop signal that drains and flushes, a second that
//! exits at once, files written in place read once, a watched folder removed and recreated.
//!
//! Every wait is bounded: a test that does not see what it waits for within its deadline
//! fails with what it saw.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support;

/// How long any one step may take before the test fails (generous: CI machines are shared).
const PATIENCE: Duration = Duration::from_secs(30);

pub(super) fn root_event(id: &str) -> String {
    json!({
        "eventVersion": "1.08", "eventID": id, "eventTime": "2026-11-03T10:00:00Z",
        "eventSource": "iam.amazonaws.com", "eventName": "CreateUser", "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "Root", "principalId": "111122223333", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"}
    })
    .to_string()
}

/// A running `trailhound run`, its stdout lines arriving on a channel.
pub(super) struct Service {
    child: Child,
    pub(super) stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    errors: mpsc::Receiver<String>,
    logged: Vec<String>,
}

impl Service {
    pub(super) fn start(dir: &Path, sources: &str, plugin: (&str, serde_json::Value)) -> Service {
        let component = support::component(plugin.0);
        let plugins = format!(
            "[[plugins]]\nname = \"p\"\npath = {:?}\nconfig = {}\n",
            component.display().to_string(),
            toml_inline(&plugin.1),
        );
        Service::with_plugins(dir, sources, &plugins)
    }

    /// A service of `sources` and `plugins` (TOML tables) printing findings as JSON lines.
    pub(super) fn with_plugins(dir: &Path, sources: &str, plugins: &str) -> Service {
        let config = format!(
            "[engine]\nworkers = 1\nbatch_size = 512\nlinger_ms = 200\n{sources}\n{plugins}\n\
             [[sinks]]\ntype = \"stdout\"\nformat = \"json\"\n"
        );
        Service::with_config(dir, &config)
    }

    /// A service of the config `config` (TOML), written to `service.toml` in `dir`.
    pub(super) fn with_config(dir: &Path, config: &str) -> Service {
        Service::with_config_and_env(dir, config, &[])
    }

    /// [`Service::with_config`], the process given these environment variables too.
    pub(super) fn with_config_and_env(dir: &Path, config: &str, env: &[(&str, &str)]) -> Service {
        std::fs::write(dir.join("service.toml"), config).unwrap();
        // Run from the config's folder with a relative path, as an operator does: relative
        // source paths stay relative to the working folder.
        let mut child = Command::new(env!("CARGO_BIN_EXE_trailhound"))
            .args(["run", "--config", "service.toml"])
            .current_dir(dir)
            .env("CI", "true")
            .envs(env.iter().copied())
            .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("service-cache"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("trailhound runs");
        let lines = forward_lines(child.stdout.take().unwrap());
        let errors = forward_lines(child.stderr.take().unwrap());
        let stdin = child.stdin.take();
        let mut service = Service { child, stdin, lines, seen: Vec::new(), errors, logged: Vec::new() };
        service.wait_for_log("running: ");
        service
    }

    /// Waits for a line on stderr containing `needle`.
    pub(super) fn wait_for_log(&mut self, needle: &str) {
        self.wait_for_logs(needle, 1);
    }

    /// Waits until `n` lines on stderr in all contain `needle`.
    pub(super) fn wait_for_logs(&mut self, needle: &str, n: usize) {
        let deadline = Instant::now() + PATIENCE;
        while self.logged.iter().filter(|l| l.contains(needle)).count() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.errors.recv_timeout(left) {
                Ok(line) => self.logged.push(line),
                Err(_) => panic!("no {needle:?} on stderr within {PATIENCE:?}: {:?}", self.logged),
            }
        }
    }

    /// The lines on stderr so far.
    pub(super) fn logged(&self) -> &[String] {
        &self.logged
    }

    /// The findings printed so far.
    pub(super) fn findings(&self) -> &[String] {
        &self.seen
    }

    /// Waits until `n` findings have been printed in all.
    pub(super) fn wait_for_findings(&mut self, n: usize) {
        let deadline = Instant::now() + PATIENCE;
        while self.seen.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!("{} of {n} findings within {PATIENCE:?}: {:?}", self.seen.len(), self.seen),
            }
        }
    }

    /// Waits until `done` holds (checked every 20 ms); panics with `what` after the patience.
    pub(super) fn wait_until(&mut self, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !done() {
            assert!(Instant::now() < deadline, "{what} not within {PATIENCE:?}; stderr: {:?}", self.logged);
            self.logged.extend(self.errors.try_iter());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(super) fn signal(&self, name: &str) {
        let status =
            Command::new("kill").args([&format!("-{name}"), &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// Waits for the process to end; its exit code and stderr.
    pub(super) fn wait(mut self) -> (Option<i32>, String, Vec<String>) {
        drop(self.stdin.take());
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the service did not stop within {PATIENCE:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The readers end with the process's pipes.
        self.logged.extend(self.errors.iter());
        self.seen.extend(self.lines.iter());
        (status.code(), self.logged.join("\n"), self.seen)
    }
}

fn forward_lines(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn toml_inline(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => {
            let pairs: Vec<String> = map.iter().map(|(k, v)| format!("{k} = {}", toml_inline(v))).collect();
            format!("{{ {} }}", pairs.join(", "))
        }
        other => other.to_string(),
    }
}

/// Findings from a partial batch on an open stdin arrive within the linger, and SIGTERM then
/// drains, flushes and exits 0 with the summary (it used to die with none written).
#[test]
fn stdin_findings_arrive_while_the_input_is_open_and_sigterm_drains_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut service =
        Service::start(dir.path(), "[[sources]]\ntype = \"stdin\"\n", ("minimal-detector", json!({})));
    let stdin = service.stdin.as_mut().unwrap();
    for i in 0..11 {
        writeln!(stdin, "{}", root_event(&format!("r{i}"))).unwrap();
    }
    stdin.flush().unwrap();
    // 11 events is far from a batch of 512: only the linger sends them.
    service.wait_for_findings(11);
    service.signal("TERM");
    let (code, stderr, seen) = service.wait();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(seen.len(), 11, "{seen:?}");
    assert!(stderr.contains("events read: 11") && stderr.contains("findings: 11"), "{stderr}");
}

/// The first signal starts a drain that cannot finish (a plugin stuck in a long call); the
/// second exits at once.
#[test]
fn a_second_signal_exits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = ("misbehaving", json!({"spin": 4_000_000_000_u64}));
    let mut service = Service::start(dir.path(), "[[sources]]\ntype = \"stdin\"\n", plugin);
    let stdin = service.stdin.as_mut().unwrap();
    writeln!(stdin, "{}", root_event("r0")).unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    service.signal("INT");
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    service.signal("INT");
    let (code, stderr, _) = service.wait();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(signalled.elapsed() < Duration::from_secs(5), "took {:?}", signalled.elapsed());
    assert!(stderr.contains("second signal: exiting now"), "{stderr}");
}

pub(super) fn watch_sources(folder: &Path) -> String {
    format!("[[sources]]\ntype = \"files\"\npaths = [{:?}]\nwatch = true\n", folder.display().to_string())
}

fn write_lines(path: &PathBuf, ids: std::ops::Range<usize>, append: bool) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(append)
        .write(true)
        .truncate(!append)
        .open(path)
        .unwrap();
    for i in ids {
        writeln!(file, "{}", root_event(&format!("w{i}"))).unwrap();
    }
}

/// A file that lands is read within the linger; a file written in place, in several writes,
/// is read once (each record once, none malformed); a removed and recreated folder is
/// watched again.
#[test]
fn watched_files_are_read_once_as_they_grow_and_a_recreated_folder_is_watched_again() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("incoming");
    std::fs::create_dir_all(&folder).unwrap();
    let mut service = Service::start(dir.path(), &watch_sources(&folder), ("minimal-detector", json!({})));
    std::thread::sleep(Duration::from_millis(500));

    let file = folder.join("trail.jsonl");
    write_lines(&file, 0..5, false);
    service.wait_for_findings(5);
    // Written in place: appended twice, the second time with a record cut in the middle.
    write_lines(&file, 5..8, true);
    service.wait_for_findings(8);
    let half = root_event("w8");
    let (head, tail) = half.split_at(half.len() / 2);
    std::fs::OpenOptions::new().append(true).open(&file).unwrap().write_all(head.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(600));
    std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap()
        .write_all(format!("{tail}\n").as_bytes())
        .unwrap();
    service.wait_for_findings(9);

    std::fs::remove_dir_all(&folder).unwrap();
    std::thread::sleep(Duration::from_millis(600));
    std::fs::create_dir_all(&folder).unwrap();
    std::thread::sleep(Duration::from_millis(600));
    write_lines(&folder.join("again.jsonl"), 100..102, false);
    service.wait_for_findings(11);

    // An incomplete record left at the end is reported when the service stops.
    std::fs::write(folder.join("partial.jsonl"), &root_event("w200")[..40]).unwrap();
    std::thread::sleep(Duration::from_millis(600));
    service.signal("TERM");
    let (code, stderr, seen) = service.wait();
    assert!(stderr.contains("was removed; it is watched again"), "{stderr}");
    assert!(stderr.contains("events read: 11 ") && stderr.contains("findings: 11 "), "{stderr}");
    assert!(stderr.contains("malformed: 1 "), "{stderr}");
    assert!(
        stderr.contains("partial.jsonl:1") && stderr.contains("40 bytes that are not a complete record"),
        "{stderr}"
    );
    assert_eq!(code, Some(0), "{stderr}");
    let mut ids: Vec<String> = seen
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["finding_info"]["related_events"][0]["uid"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 11, "each record once: {ids:?}");
}

/// A file already in a watched folder when the service starts, then appended to, is read on
/// from where the first read stopped. With a relative folder, the first read used to name the
/// file relatively and the watcher absolutely, so the append read the whole file again.
#[test]
fn a_file_read_at_start_then_appended_is_read_on_not_again() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("incoming");
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join("trail.jsonl");
    write_lines(&file, 0..2, false);
    let mut service =
        Service::start(dir.path(), &watch_sources(Path::new("incoming")), ("minimal-detector", json!({})));
    service.wait_for_findings(2);
    write_lines(&file, 2..3, true);
    service.wait_for_findings(3);
    std::thread::sleep(Duration::from_millis(600));
    service.signal("TERM");
    let (code, stderr, seen) = service.wait();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("events read: 3 ") && stderr.contains("findings: 3 "), "{stderr}\n{seen:?}");
}

/// A second run on the state folder of a running one is refused with the folder and the
/// holder named (they would remove each other's cuts); once the first stops, a run starts.
#[test]
fn a_second_run_on_a_state_folder_in_use_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sources = "state_dir = \"state\"\n[[sources]]\ntype = \"stdin\"\n";
    let service = Service::start(dir.path(), sources, ("minimal-detector", json!({})));
    let second = || {
        Command::new(env!("CARGO_BIN_EXE_trailhound"))
            .args(["run", "--config", "service.toml"])
            .current_dir(dir.path())
            .env("CI", "true")
            .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("service-cache"))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let refused = second();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(stderr.contains("is in use by another run"), "{stderr}");
    assert!(stderr.contains(&format!("(process {})", service.child.id())), "{stderr}");
    service.signal("TERM");
    let (code, stderr, _) = service.wait();
    assert_eq!(code, Some(0), "{stderr}");
    let after = second();
    assert!(after.status.success(), "{}", String::from_utf8_lossy(&after.stderr));
}
