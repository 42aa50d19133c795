//! Tests: the shipped systemd unit runs the service as its own user with the hardening a
//! security daemon should have, and what it runs is a command line the binary accepts.

use std::process::Command;

use crate::support;

fn unit() -> Vec<(String, String)> {
    let text =
        std::fs::read_to_string(support::workspace().join("packaging/systemd/trailhound.service")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('['))
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.trim().to_string(), v.trim().to_string())))
        .collect()
}

#[test]
fn the_unit_runs_unprivileged_hardened_and_with_a_valid_command_line() {
    let unit = unit();
    let value = |key: &str| unit.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    assert_eq!(value("User"), Some("trailhound"));
    for (key, wanted) in [
        ("NoNewPrivileges", "yes"),
        ("CapabilityBoundingSet", ""),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("RestrictNamespaces", "yes"),
        ("StateDirectory", "trailhound"),
        ("CacheDirectory", "trailhound"),
        ("UMask", "0077"),
        ("KillSignal", "SIGTERM"),
    ] {
        assert_eq!(value(key), Some(wanted), "{key}");
    }
    // The plugins' machine code is written, then executed: W^X enforcement would stop them.
    assert_eq!(value("MemoryDenyWriteExecute"), Some("no"));
    let exec = value("ExecStart").unwrap();
    let args: Vec<&str> = exec.split_whitespace().skip(1).collect();
    assert_eq!(args, ["--log-format", "json", "run", "--config", "/etc/trailhound/trailhound.toml"]);
    // The binary accepts that command line (a missing config is the only complaint).
    let out = Command::new(env!("CARGO_BIN_EXE_trailhound")).args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/etc/trailhound/trailhound.toml"), "{stderr}");
    assert!(!stderr.contains("unexpected argument") && !stderr.contains("Usage:"), "{stderr}");
}
