//! Shared test support: guest components built once per test run, and the labeled fixtures
//! next to the repository.
//!
//! The first test that asks for a component builds every plugin in the workspace with
//! [`trailhound::build`] (a cache hit when nothing changed) into the test target folder;
//! later calls reuse that result.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use trailhound::build::{self, BuildOptions, BuiltPlugin};

/// The workspace root: the host crate's parent folder.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("host/ has a parent").to_path_buf()
}

/// The labeled fixture at `path` under `../shared/fixtures/` (next to the repository, never
/// copied into it), or `None` when it is absent: the test then prints that it is skipped and
/// returns.
///
/// # Panics
/// Under `CI` (set), an absent fixture fails the test: CI has them, so absence is a broken
/// setup, not a reason to pass.
pub fn fixture(path: &str) -> Option<PathBuf> {
    let full = workspace().join("../shared/fixtures").join(path);
    if full.exists() {
        return Some(full);
    }
    let test = std::thread::current().name().unwrap_or("a test").to_string();
    if std::env::var_os("CI").is_some() {
        panic!("{test}: fixture {} is absent, and CI is set", full.display());
    }
    eprintln!("SKIPPED {test}: fixture {} is absent", full.display());
    None
}

/// Build options for tests: output under cargo's test scratch folder, the user's cache.
pub fn build_options() -> BuildOptions {
    BuildOptions {
        out_dir: Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugins"),
        ..BuildOptions::new(workspace())
    }
}

/// Every plugin, built once per test run; the build error text when the build failed.
fn built() -> &'static Result<Vec<BuiltPlugin>, String> {
    static BUILT: OnceLock<Result<Vec<BuiltPlugin>, String>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let started = std::time::Instant::now();
        let result = build::build(&build_options()).map_err(|e| e.to_string());
        if let Ok(plugins) = &result {
            let cached = plugins.iter().filter(|p| p.from_cache).count();
            eprintln!(
                "built {} plugin components ({cached} from cache) in {:.1?}",
                plugins.len(),
                started.elapsed()
            );
        }
        result
    })
}

/// The component file of plugin `name` (a Rust package name or a Python plugin folder).
///
/// # Panics
/// When the plugins do not build, or none is called `name`.
pub fn component(name: &str) -> PathBuf {
    match built() {
        Ok(plugins) => match plugins.iter().find(|p| p.name == name) {
            Some(plugin) => plugin.path.clone(),
            None => {
                let names: Vec<&str> = plugins.iter().map(|p| p.name.as_str()).collect();
                panic!("no plugin named {name:?}; built: {}", names.join(", "))
            }
        },
        Err(error) => panic!("building the plugin components failed:\n{error}"),
    }
}

/// `n` CloudTrail calls by the root user of 111122223333 (`root-0` …), one a minute from
/// 10:00, as JSON lines in `dir/root.jsonl`: each is one finding of the minimal detector.
pub fn root_calls(dir: &Path, n: usize) {
    let lines: Vec<String> = (0..n)
        .map(|i| {
            serde_json::json!({
                "eventVersion": "1.08", "eventID": format!("root-{i}"),
                "eventTime": format!("2026-11-03T{:02}:{:02}:00Z", 10 + i / 60, i % 60),
                "eventSource": "iam.amazonaws.com", "eventName": "CreateUser", "awsRegion": "us-east-1",
                "recipientAccountId": "111122223333",
                "userIdentity": {"type": "Root", "principalId": "111122223333",
                                 "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"}
            })
            .to_string()
        })
        .collect();
    std::fs::write(dir.join("root.jsonl"), lines.join("\n") + "\n").unwrap();
}

/// `trailhound run` to the end on `dir/root.jsonl` ([`root_calls`]) with the minimal detector
/// and `sinks` (`[[sinks]]` tables), from `dir` with `env` set; its output.
pub fn run_root_calls(dir: &Path, sinks: &str, env: &[(&str, &str)]) -> std::process::Output {
    let config = format!(
        "[engine]\nworkers = 1\n[[sources]]\ntype = \"files\"\npaths = [\"root.jsonl\"]\n\
         [[plugins]]\nname = \"root\"\npath = {:?}\n{sinks}",
        component("minimal-detector").display().to_string()
    );
    std::fs::write(dir.join("service.toml"), config).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(["run", "--config", "service.toml"])
        .current_dir(dir)
        .env("CI", "true")
        .envs(env.iter().copied())
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("sink-cache"))
        .output()
        .expect("trailhound runs")
}
