//! Running the external tools a build needs (cargo, rustup, componentize-py, setup.sh)
//! and keeping the end of their output for error messages.

use std::ffi::OsString;
use std::process::{Command, Stdio};

/// How many trailing lines of a tool's output an error shows: enough for rustc's
/// first error with its context, short enough to read.
const TAIL_LINES: usize = 40;

/// The cargo that built this process when there is one (`$CARGO`), else the one on PATH.
pub(crate) fn cargo() -> OsString {
    std::env::var_os("CARGO").filter(|v| !v.is_empty()).unwrap_or_else(|| "cargo".into())
}

/// Runs `cmd` with no stdin, returning its stdout, or a description of the failure
/// ending with the tail of its stderr (and stdout, which some tools use for errors).
pub(crate) fn run(cmd: &mut Command) -> Result<Vec<u8>, String> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if out.status.success() {
        return Ok(out.stdout);
    }
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !stdout.trim().is_empty() {
        text.push_str(&stdout);
    }
    Err(format!("{program} exited with {}:\n{}", out.status, tail(&text)))
}

/// Like [`run`], but the output is text and only the first line matters (version strings).
pub(crate) fn first_line(cmd: &mut Command) -> Result<String, String> {
    let out = run(cmd)?;
    Ok(String::from_utf8_lossy(&out).lines().next().unwrap_or_default().trim().to_string())
}

/// The last [`TAIL_LINES`] lines of `text`.
pub(crate) fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let start = lines.len().saturating_sub(TAIL_LINES);
    let mut shown = lines[start..].join("\n");
    if start > 0 {
        shown = format!("[... {start} earlier lines]\n{shown}");
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines_and_says_how_many_were_cut() {
        let text: String = (1..=100).map(|i| format!("line {i}\n")).collect();
        let shown = tail(&text);
        assert!(shown.starts_with("[... 60 earlier lines]\nline 61\n"), "{shown}");
        assert!(shown.ends_with("line 100"));
        assert_eq!(tail("short\n"), "short");
    }

    #[test]
    fn a_failing_command_reports_its_stderr() {
        let err = run(Command::new("sh").args(["-c", "echo oops >&2; exit 3"])).unwrap_err();
        assert!(err.contains("oops") && err.contains('3'), "{err}");
    }
}
