//! Choosing the guest toolchains, and installing them through `scripts/setup.sh` when
//! they are missing.
//!
//! Rust: a rustup toolchain with a wasm target is used as is. Without one, Debian's
//! `rustc-web`/`cargo-web` build std for `wasm32-unknown-unknown` from `rust-web-src`
//! (`-Zbuild-std`, allowed on a stable compiler by `RUSTC_BOOTSTRAP=1`) and link with
//! `wasm-ld` from `lld`; that compiler must be at least the workspace's `rust-version`, as
//! the guests' dependencies require a recent Rust. Python: componentize-py, importable
//! by `python3`. JavaScript: componentize-js, pinned, installed by npm into a folder of the
//! user's cache that `scripts/setup.sh js` names.
//! Each toolchain carries a version string that goes into the cache key.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use super::{process, BuildError};

/// rustup targets that work, best first. `wasm32-unknown-unknown` yields a core module
/// with no imports beyond the detector world. `wasm32-wasip2` yields a component
/// directly. `wasm32-wasip1` is not used: its modules import `wasi_snapshot_preview1`,
/// which needs an adapter module the project does not ship.
const RUSTUP_TARGETS: [&str; 2] = ["wasm32-unknown-unknown", "wasm32-wasip2"];

/// Where Debian's `cargo-web` and `rustc-web` put their binaries.
const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";

/// The componentize-py entry point, run through `python3 -c` so it works wherever pip
/// put the console script (user site, pyenv, /usr/local) as long as python3 imports it.
const COMPONENTIZE_PY: &str =
    "import sys; from componentize_py import script; sys.argv[0] = 'componentize-py'; sys.exit(script())";

/// setup.sh may call apt-get, which allows one caller at a time; Rust and Python
/// builds run in parallel, so their installs take turns.
static SETUP: Mutex<()> = Mutex::new(());

/// How Rust guests are compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RustGuest {
    /// A rustup toolchain with a prebuilt std for `target`.
    Rustup { target: &'static str },
    /// Debian's compiler, with std built from source for `wasm32-unknown-unknown`.
    BuildStd { cargo: PathBuf, rustc: PathBuf },
}

impl RustGuest {
    pub(crate) fn target(&self) -> &'static str {
        match self {
            RustGuest::Rustup { target } => target,
            RustGuest::BuildStd { .. } => "wasm32-unknown-unknown",
        }
    }
}

/// A guest toolchain and the version text that identifies its output.
#[derive(Debug, Clone)]
pub(crate) struct Toolchain<T> {
    pub(crate) tool: T,
    pub(crate) version: String,
}

/// The Rust guest toolchain, installed first when the machine has none.
pub(crate) fn rust(workspace: &Path) -> Result<Toolchain<RustGuest>, BuildError> {
    if let Some(found) = find_rust(workspace) {
        return Ok(found);
    }
    setup(workspace, "guest-rust")?;
    find_rust(workspace).ok_or_else(|| BuildError::Toolchain {
        what: format!(
            "scripts/setup.sh guest-rust finished, but neither rustup has one of {} nor do {DEBIAN_CARGO}, \
             {DEBIAN_RUSTC} (at least the workspace's rust-version) and wasm-ld work",
            RUSTUP_TARGETS.join(", ")
        ),
        tail: String::new(),
    })
}

fn find_rust(workspace: &Path) -> Option<Toolchain<RustGuest>> {
    if let Some(target) = rustup_target(workspace) {
        // `rustc` is rustup's proxy here, so it answers for the toolchain cargo will use.
        let version = process::run(Command::new("rustc").arg("-vV").current_dir(workspace)).ok()?;
        let version = format!("{target}\n{}", String::from_utf8_lossy(&version));
        return Some(Toolchain { tool: RustGuest::Rustup { target }, version });
    }
    let (cargo, rustc) = (PathBuf::from(DEBIAN_CARGO), PathBuf::from(DEBIAN_RUSTC));
    let rustc_version = process::run(Command::new(&rustc).arg("-vV")).ok()?;
    let rustc_version = String::from_utf8_lossy(&rustc_version).into_owned();
    if let Some(minimum) = workspace_rust_version(workspace) {
        let release = rustc_release(&rustc_version)?;
        if release < minimum {
            tracing::info!(
                "{DEBIAN_RUSTC} is Rust {}, older than the workspace's rust-version {}",
                dotted(release),
                dotted(minimum)
            );
            return None;
        }
    }
    let cargo_version = process::first_line(Command::new(&cargo).arg("-V")).ok()?;
    process::run(Command::new("wasm-ld").arg("--version")).ok()?;
    let version = format!("build-std\n{cargo_version}\n{rustc_version}");
    Some(Toolchain { tool: RustGuest::BuildStd { cargo, rustc }, version })
}

/// A Rust release as (major, minor, patch).
type Release = (u32, u32, u32);

/// The `rust-version` of the workspace's root `Cargo.toml`, if it names one.
fn workspace_rust_version(workspace: &Path) -> Option<Release> {
    let manifest: toml::Table = std::fs::read_to_string(workspace.join("Cargo.toml")).ok()?.parse().ok()?;
    let version = manifest.get("workspace")?.get("package")?.get("rust-version")?.as_str()?;
    parse_release(version)
}

/// The `release:` line of `rustc -vV`.
fn rustc_release(verbose_version: &str) -> Option<Release> {
    verbose_version.lines().find_map(|line| line.strip_prefix("release: ")).and_then(parse_release)
}

/// "1.96.0", "1.95" or "1.97.0-nightly" as a comparable release.
fn parse_release(text: &str) -> Option<Release> {
    let numbers = text.trim().split(['-', '+']).next()?;
    let mut parts = numbers.split('.').map(|part| part.parse::<u32>());
    let major = parts.next()?.ok()?;
    let minor = parts.next()?.ok()?;
    let patch = parts.next().transpose().ok()?.unwrap_or(0);
    Some((major, minor, patch))
}

fn dotted((major, minor, patch): Release) -> String {
    format!("{major}.{minor}.{patch}")
}

/// The first usable wasm target rustup has installed, if rustup exists at all.
fn rustup_target(workspace: &Path) -> Option<&'static str> {
    let out =
        process::run(Command::new("rustup").args(["target", "list", "--installed"]).current_dir(workspace))
            .ok()?;
    let installed = String::from_utf8_lossy(&out);
    RUSTUP_TARGETS.into_iter().find(|t| installed.lines().any(|l| l.trim() == *t))
}

/// A command that runs componentize-py.
pub(crate) fn componentize_py() -> Command {
    let mut cmd = Command::new("python3");
    cmd.args(["-c", COMPONENTIZE_PY]);
    cmd
}

/// componentize-py, installed first when python3 cannot import it.
pub(crate) fn python(workspace: &Path) -> Result<Toolchain<()>, BuildError> {
    let version = || process::first_line(componentize_py().arg("--version"));
    if let Ok(version) = version() {
        return Ok(Toolchain { tool: (), version });
    }
    setup(workspace, "python")?;
    let version = version().map_err(|tail| BuildError::Toolchain {
        what: "scripts/setup.sh python finished, but python3 still cannot run componentize-py".into(),
        tail,
    })?;
    Ok(Toolchain { tool: (), version })
}

/// componentize-js: `scripts/setup.sh js` installs it when missing (quickly returning
/// otherwise) and prints the folder it is in, so the pinned version is written in one place.
/// The tool is `node_modules/.bin/componentize-js` there.
pub(crate) fn javascript(workspace: &Path) -> Result<Toolchain<PathBuf>, BuildError> {
    let prefix = setup(workspace, "js")?;
    let prefix = PathBuf::from(String::from_utf8_lossy(&prefix).lines().last().unwrap_or_default().trim());
    let tool = prefix.join("node_modules/.bin/componentize-js");
    let package = prefix.join("node_modules/@bytecodealliance/componentize-js/package.json");
    let version = std::fs::read_to_string(&package)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json.get("version").and_then(|v| v.as_str()).map(str::to_string));
    let node = process::first_line(Command::new("node").arg("--version"));
    match (version, node) {
        (Some(version), Ok(node)) if tool.exists() => Ok(Toolchain {
            tool,
            version: format!(
                "componentize-js {version}
node {node}"
            ),
        }),
        (_, node) => Err(BuildError::Toolchain {
            what: format!("scripts/setup.sh js finished, but {} or node does not run", tool.display()),
            tail: node.err().unwrap_or_default(),
        }),
    }
}

/// Runs `scripts/setup.sh WHAT`; its standard output.
fn setup(workspace: &Path, what: &str) -> Result<Vec<u8>, BuildError> {
    let _turn = SETUP.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let script = workspace.join("scripts").join("setup.sh");
    tracing::info!("guest toolchain for {what} missing; running {} {what}", script.display());
    let mut cmd = Command::new("bash");
    cmd.arg(&script).arg(what).current_dir(workspace).env("DEBIAN_FRONTEND", "noninteractive");
    process::run(&mut cmd).map_err(|tail| BuildError::Toolchain {
        what: format!("installing the {what} toolchain with {} {what} failed:", script.display()),
        tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustc_releases_compare_by_number() {
        let debian = "rustc 1.85.0 (4d91de4e4 2025-02-17) (built from a source tarball)\nbinary: rustc\nrelease: 1.85.0\nLLVM version: 19.1.7";
        assert_eq!(rustc_release(debian), Some((1, 85, 0)));
        assert!(rustc_release(debian).unwrap() < parse_release("1.95").unwrap());
        assert!(parse_release("1.96.0+dfsg1").unwrap() > parse_release("1.95").unwrap());
        assert_eq!(parse_release("1.97.0-nightly"), Some((1, 97, 0)));
        assert_eq!(parse_release("one.two"), None);
    }

    #[test]
    fn the_workspace_names_its_rust_version() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        assert!(workspace_rust_version(root).is_some());
    }
}
