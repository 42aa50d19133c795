//! The stdout sink: one readable line per detection (severity coloured on a terminal), or
//! one OCSF JSON object per line for other programs.
//!
//! Each detection is written into a buffer and flushed at once, so it reaches the reader as
//! one write (lines from several sinks or processes do not interleave mid-line) and appears
//! promptly in service mode, where the run may last for days. Detections are rare next to
//! events, so a write per detection costs nothing that matters.

use std::io::{self, BufWriter, IsTerminal, Write};

use anyhow::bail;
use serde::Deserialize;

use super::{Sink, SinkSettings};
use crate::findings::{ocsf, Detection};
use trailhound_sdk::Severity;

/// `[[sinks]] type = "stdout"`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StdoutConfig {
    /// What routes call the sink. Default: none.
    pub name: Option<String>,
    /// `text` (default): one readable line per finding; `json`: OCSF JSON lines.
    #[serde(default)]
    pub format: Format,
}

/// How detections are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// [`ocsf::to_line`].
    #[default]
    Text,
    /// [`ocsf::to_json`], one object per line.
    Json,
}

impl SinkSettings for StdoutConfig {
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    fn build(&self) -> anyhow::Result<Box<dyn Sink>> {
        Ok(Box::new(StdoutSink::stdout(self.format)))
    }
}

/// Writes detections to standard output, or to any writer (for tests).
pub struct StdoutSink<W: Write + Send = io::Stdout> {
    out: BufWriter<W>,
    format: Format,
    color: bool,
    /// Set once the reader went away, so later deliveries fail fast with the same reason.
    closed: bool,
}

impl StdoutSink<io::Stdout> {
    /// Readable lines on stdout.
    pub fn text() -> Self {
        Self::stdout(Format::Text)
    }

    /// OCSF JSON lines on stdout.
    pub fn json() -> Self {
        Self::stdout(Format::Json)
    }

    /// Colour only when a person is likely reading: stdout is a terminal and `NO_COLOR`
    /// (<https://no-color.org>) is unset.
    pub fn stdout(format: Format) -> Self {
        let out = io::stdout();
        let color = out.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Self::new(out, format, color)
    }
}

impl<W: Write + Send> StdoutSink<W> {
    /// A sink writing to `out`; `color` adds ANSI colours to the severity of text lines.
    pub fn new(out: W, format: Format, color: bool) -> Self {
        StdoutSink { out: BufWriter::new(out), format, color, closed: false }
    }

    fn write(&mut self, detection: &Detection) -> io::Result<()> {
        match self.format {
            Format::Json => {
                serde_json::to_writer(&mut self.out, &ocsf::to_json(detection))?;
                self.out.write_all(b"\n")?;
            }
            Format::Text => {
                let line = ocsf::to_line(detection);
                let label = ocsf::severity_label(detection.finding.severity);
                match self.color.then(|| color(detection.finding.severity)) {
                    // The label is the line's first word; only it is coloured.
                    Some(code) => write!(self.out, "\x1b[{code}m{label}\x1b[0m{}", &line[label.len()..])?,
                    None => self.out.write_all(line.as_bytes())?,
                }
                self.out.write_all(b"\n")?;
            }
        }
        self.out.flush()
    }

    fn failed(&mut self, error: io::Error) -> anyhow::Error {
        if error.kind() == io::ErrorKind::BrokenPipe {
            self.closed = true;
            anyhow::anyhow!(
                "stdout sink: the reader closed the pipe (broken pipe); findings are no longer shown"
            )
        } else {
            anyhow::anyhow!("stdout sink: write failed: {error}")
        }
    }
}

impl<W: Write + Send> Sink for StdoutSink<W> {
    fn deliver(&mut self, detection: &Detection) -> anyhow::Result<()> {
        if self.closed {
            bail!(
                "stdout sink: the reader closed the pipe (broken pipe); finding {} not shown",
                detection.finding.rule_id
            );
        }
        self.write(detection).map_err(|e| self.failed(e))
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        if self.closed {
            return Ok(());
        }
        self.out.flush().map_err(|e| self.failed(e))
    }
}

/// ANSI SGR code per severity: the worse, the louder.
fn color(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "2",
        Severity::Low => "36",
        Severity::Medium => "33",
        Severity::High => "1;31",
        Severity::Critical => "1;37;41",
    }
}
