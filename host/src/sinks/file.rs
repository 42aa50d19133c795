//! The file sink: OCSF Detection Findings appended to a file as JSON lines.
//!
//! The file is opened for appending (earlier runs' findings stay) and its folder is created.
//! Each detection is handed to the OS as one write as soon as it is delivered, so a crash of
//! the host loses none; [`Sink::flush`] also asks the OS to put it on disk.
//!
//! With `max_bytes`, the file rotates by size as logrotate would: once a write takes it to
//! `max_bytes` or past, it is synced and renamed `PATH.1` (older ones move to `PATH.2`, …,
//! and the one past `keep` is deleted), and a new file is started. A line is never split
//! across two files.

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
    /// Rotate once the file reaches this size, in bytes. Default: none, never rotate.
    pub max_bytes: Option<u64>,
    /// Rotated files kept (`PATH.1` … `PATH.keep`). Default: 5.
    #[serde(default = "default_keep")]
    pub keep: usize,
}

fn default_keep() -> usize {
    5
}

impl SinkSettings for FileConfig {
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    fn build(&self) -> anyhow::Result<Box<dyn Sink>> {
        let mut sink = FileSink::open(&self.path)?;
        sink.rotation = self.max_bytes.map(|max_bytes| Rotation { max_bytes, keep: self.keep });
        Ok(Box::new(sink))
    }

    fn check(&self) -> Result<(), Invalid> {
        if self.path.as_os_str().is_empty() {
            return Err(Invalid { key: "path", message: "must name a file".into() });
        }
        if self.max_bytes == Some(0) {
            return Err(Invalid { key: "max_bytes", message: "must be at least 1".into() });
        }
        if self.keep == 0 {
            return Err(Invalid {
                key: "keep",
                message: "must be at least 1 (the file rotated away is kept)".into(),
            });
        }
        Ok(())
    }

    fn resolve_paths(&mut self, base: &Path) {
        super::resolve(&mut self.path, base);
    }
}

/// Appends detections to a file as JSON lines.
pub struct FileSink {
    path: PathBuf,
    out: BufWriter<File>,
    /// Bytes in the current file.
    written: u64,
    rotation: Option<Rotation>,
}

#[derive(Debug, Clone, Copy)]
struct Rotation {
    max_bytes: u64,
    keep: usize,
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
        let file = append(path)?;
        let written = file.metadata().map_or(0, |m| m.len());
        Ok(FileSink { path: path.to_path_buf(), out: BufWriter::new(file), written, rotation: None })
    }

    /// `PATH.n`.
    fn rotated(&self, n: usize) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    /// Closes the file, shifts the rotated ones, and starts a new one.
    fn rotate(&mut self, keep: usize) -> anyhow::Result<()> {
        self.flush()?;
        let context = |what: &str| format!("file sink: cannot rotate {} ({what})", self.path.display());
        match std::fs::remove_file(self.rotated(keep)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| context("removing the oldest"))
            }
            _ => {}
        }
        for n in (1..keep).rev() {
            let from = self.rotated(n);
            if from.exists() {
                std::fs::rename(&from, self.rotated(n + 1)).with_context(|| context("shifting"))?;
            }
        }
        std::fs::rename(&self.path, self.rotated(1)).with_context(|| context("renaming"))?;
        self.out = BufWriter::new(append(&self.path)?);
        self.written = 0;
        Ok(())
    }

    /// The file written to.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn append(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("file sink: cannot open {} for appending", path.display()))
}

impl Sink for FileSink {
    fn deliver(&mut self, detection: &Detection) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(&ocsf::to_json(detection))?;
        line.push(b'\n');
        self.out
            .write_all(&line)
            .and_then(|()| self.out.flush())
            .with_context(|| format!("file sink: cannot write to {}", self.path.display()))?;
        self.written += line.len() as u64;
        match self.rotation {
            Some(Rotation { max_bytes, keep }) if self.written >= max_bytes => self.rotate(keep),
            _ => Ok(()),
        }
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        self.out
            .flush()
            .and_then(|()| self.out.get_ref().sync_data())
            .with_context(|| format!("file sink: cannot flush {}", self.path.display()))
    }
}
