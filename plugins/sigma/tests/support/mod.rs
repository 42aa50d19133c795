//! Shared by the plugin's tests: the SigmaHQ fixture rules, read from the workspace's
//! `../shared/fixtures/sigma` when it is there.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use trailhound_sdk::File;

pub mod generate;

/// The fixture rules as the host would give them (every file under the folder, sorted), or
/// `None` after printing why they are skipped. Under `CI` a missing folder fails the test.
pub fn fixture_rules() -> Option<Vec<File>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/sigma/rules");
    if !root.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the Sigma fixture rules are missing at {}",
            root.display()
        );
        println!("SKIPPED: no Sigma fixture rules at {}", root.display());
        return None;
    }
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    paths.sort();
    Some(
        paths
            .into_iter()
            .map(|path| File {
                contents: std::fs::read(&path).expect("fixture rule readable"),
                path: path.strip_prefix(&root).unwrap_or(&path).display().to_string(),
            })
            .collect(),
    )
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("fixture folder readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// A rule file given to the plugin.
pub fn file(path: &str, text: &str) -> File {
    File { path: path.into(), contents: text.as_bytes().to_vec() }
}
