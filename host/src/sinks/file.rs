//! The file sink: OCSF Detection Findings appended to a file as JSON lines.
//!
//! The file is opened for appending (earlier runs' findings stay) and its folder is created.
//! Each detection is handed to the OS as one write as soon as it is delivered, so a crash of
//! the host loses none; [`Sink::flush`] also asks the OS to put it on disk.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use super::{Invalid, Sink, SinkSettings};
use crate::findings::{ocsf, Detection};

/// `[[sinks]] type = "file"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// What routes call the sink. Default: none.
    pub name: Option<String>,
    /// Where findings are appended, one OCSF JSON object per line; relative to the config
    /// file's folder. Required.
    pub path: PathBuf,
}

impl SinkSettings for FileConfig {
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    fn build(&self) -> anyhow::Result<Box<dyn Sink>> {
        Ok(Box::new(FileSink::open(&self.path)?))
    }

    fn check(&self) -> Result<(), Invalid> {
        if self.path.as_os_str().is_empty() {
            return Err(Invalid { key: "path", message: "must name a file".into() });
        }
        Ok(())
    }

    fn resolve_paths(&mut self, base: &Path) {
        if self.path.is_relative() {
            self.path = base.join(&self.path);
        }
    }
}

/// Appends detections to a file as JSON lines.
pub struct FileSink {
    path: PathBuf,
    out: BufWriter<File>,
}

impl FileSink {
    /// Opens `path` for appending, creating it and its folders.
    ///
    /// # Errors
    /// The folder cannot be created or the file cannot be opened for writing.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("file sink: cannot create folder {}", folder.display()))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("file sink: cannot open {} for appending", path.display()))?;
        Ok(FileSink { path: path.to_path_buf(), out: BufWriter::new(file) })
    }

    /// The file written to.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Sink for FileSink {
    fn deliver(&mut self, detection: &Detection) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(&ocsf::to_json(detection))?;
        line.push(b'\n');
        self.out
            .write_all(&line)
            .and_then(|()| self.out.flush())
            .with_context(|| format!("file sink: cannot write to {}", self.path.display()))
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        self.out
            .flush()
            .and_then(|()| self.out.get_ref().sync_data())
            .with_context(|| format!("file sink: cannot flush {}", self.path.display()))
    }
}
