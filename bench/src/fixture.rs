//! The labeled fixtures next to the repository (`../shared/fixtures/`, never copied into it),
//! for the bench's tests: the same rule as the integration tests' `support::fixture`, which
//! lives in another crate. Absent, a test prints that it is skipped; under `CI`, absence
//! fails it.

use std::path::{Path, PathBuf};

/// The fixture at `path` under `../shared/fixtures/`, or `None` (printed) when it is absent.
///
/// # Panics
/// Under `CI` (set), when the fixture is absent.
pub fn fixture(path: &str) -> Option<PathBuf> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures").join(path);
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
