//! Tests: the `composite` component through the real host, on its declarative cases
//! (`plugins/composite/cases.yaml`, run by `trailhound plugin test`): Falco alerts as Falco
//! writes them, normalized, projected and sent to the plugin, correlate on their host.

use std::path::Path;
use std::process::Command;

use crate::support;

#[test]
fn composite_cases_pass_through_the_component() {
    let component = support::component("composite");
    let cases = support::workspace().join("plugins/composite/cases.yaml");
    let output = Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(["plugin", "test", "--plugins-dir"])
        .arg(component.parent().unwrap())
        .arg(&cases)
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("composite-cache"))
        .output()
        .expect("trailhound runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("3 passed, 0 failed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
