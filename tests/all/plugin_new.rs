//! Tests: `trailhound plugin new` in each language, in a workspace of its own (the contract,
//! the SDKs and the scripts of this one): the new detector builds, passes its native test and
//! its `cases.yaml` through the real host, as it is.

use std::path::Path;
use std::process::Command;

use crate::support;

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn succeeds(command: &mut Command) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let tail: Vec<&str> = text.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
    assert!(output.status.success(), "{command:?} failed:\n{}", tail.join("\n"));
    text
}

/// The test run's own target folder, so the new workspace's builds reuse its compiled crates.
fn target_dir() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("the tmp folder is in the target folder")
}

fn trailhound(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trailhound"));
    command.current_dir(dir).env("CI", "true").env("CARGO_TARGET_DIR", target_dir());
    command
}

#[test]
fn a_new_detector_in_each_language_builds_and_passes_its_tests_as_it_is() {
    let real = support::workspace();
    let temp = tempfile::tempdir().unwrap();
    let ws = temp.path();
    for folder in ["wit", "sdk", "scripts"] {
        copy_tree(&real.join(folder), &ws.join(folder));
    }
    for file in ["package.json", "Cargo.lock"] {
        std::fs::copy(real.join(file), ws.join(file)).unwrap();
    }
    // The root manifest, with only the SDK as a member: `plugin new` adds the Rust detector.
    let manifest = std::fs::read_to_string(real.join("Cargo.toml")).unwrap();
    let (head, rest) = manifest.split_once("members = [").unwrap();
    let (_, tail) = rest.split_once(']').unwrap();
    std::fs::write(ws.join("Cargo.toml"), format!("{head}members = [\n  \"sdk\",\n]{tail}")).unwrap();

    for lang in ["rust", "python", "js"] {
        let name = format!("new-{lang}");
        let said = succeeds(trailhound(ws).args(["plugin", "new", &name, "--lang", lang]));
        assert!(said.contains(&format!("trailhound plugin test plugins/{name}/cases.yaml")), "{said}");
    }
    let refused = trailhound(ws).args(["plugin", "new", "new-js", "--lang", "js"]).output().unwrap();
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("exists already"));
    assert!(std::fs::read_to_string(ws.join("Cargo.toml")).unwrap().contains("\"plugins/new-rust\""));

    let out = ws.join("built");
    let built = succeeds(trailhound(ws).args(["plugin", "build", "--out"]).arg(&out).args([
        "new-rust",
        "new-python",
        "new-js",
    ]));
    assert!(built.contains("3 plugin(s) ready"), "{built}");
    for lang in ["rust", "python", "js"] {
        let cases = ws.join(format!("plugins/new-{lang}/cases.yaml"));
        let tested =
            succeeds(trailhound(ws).args(["plugin", "test"]).arg(&cases).arg("--plugins-dir").arg(&out));
        assert!(tested.contains("2 passed, 0 failed"), "{lang}: {tested}");
    }
    succeeds(Command::new("node").args(["--test", "plugins/new-js/"]).current_dir(ws));
    let native = succeeds(
        Command::new(env!("CARGO"))
            .args(["test", "--release", "-p", "new-rust", "--manifest-path"])
            .arg(ws.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", target_dir())
            .current_dir(ws),
    );
    assert!(native.contains("a_root_call_fires_and_a_user_call_does_not ... ok"), "{native}");
}
