//! The fuzz targets' checks (`trailhound::invariants`) over every input kept in
//! `tests/data/fuzz/<target>/`: hand-written seeds and every crash or hang a fuzz run found
//! (`scripts/fuzz.sh` saves them there), so a finding stays fixed.

use std::path::{Path, PathBuf};

use trailhound::invariants;

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/fuzz").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    files
}

/// Runs `check` on every input of `target`, naming the inputs that fail.
fn run(target: &str, check: fn(&[u8])) {
    let mut failed = Vec::new();
    for path in inputs(target) {
        let data = std::fs::read(&path).expect("readable input");
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            failed.push(path.display().to_string());
        }
    }
    assert!(failed.is_empty(), "{target}: failed on {failed:#?}");
}

#[test]
fn fuzz_decode_inputs_keep_their_properties() {
    run("decode", invariants::decode);
}

#[test]
fn fuzz_normalize_inputs_keep_their_properties() {
    run("normalize", invariants::normalize);
}

#[test]
fn fuzz_config_inputs_keep_their_properties() {
    run("config", invariants::config);
}

#[test]
fn fuzz_plugin_cases_inputs_keep_their_properties() {
    run("plugin_cases", invariants::plugin_cases);
}

/// The config files of the config tests are seeds of the config target too.
#[test]
fn fuzz_config_checks_hold_for_the_config_test_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/config");
    for entry in std::fs::read_dir(dir).expect("tests/data/config") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            invariants::config(&std::fs::read(&path).expect("readable"));
        }
    }
}
