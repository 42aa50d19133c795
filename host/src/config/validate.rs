//! The checks serde cannot express: values in range, names unique, at least one of each
//! stage. Each problem names the field it is about, so the error can point at its line.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Config, FieldPath, Problem, SourceConfig};
use crate::sinks::SinkConfig;

/// Above this, one call's batch is more memory than a plugin instance should need to hold.
const MAX_BATCH_SIZE: usize = 100_000;
/// Deadlines are checked on epoch ticks of 10 ms; a shorter deadline cannot be honoured.
const MIN_DEADLINE_MS: u64 = 10;
/// wasm32 linear memory cannot exceed 4 GiB.
const MAX_MEMORY_LIMIT_MB: usize = 4096;
/// Each worker holds an instance of every plugin; more workers than this is a typo.
const MAX_WORKERS: usize = 1024;

impl Config {
    /// Checks what the types cannot: at least one source, one enabled plugin and one sink;
    /// engine values in range; plugin names unique and well-formed; no two sinks writing the
    /// same place.
    ///
    /// # Errors
    /// The first problem found, naming its field.
    pub fn validate(&self) -> Result<(), Problem> {
        self.check_engine()?;
        self.check_sources()?;
        self.check_plugins()?;
        self.check_sinks()
    }

    fn check_engine(&self) -> Result<(), Problem> {
        let engine = &self.engine;
        let field = |key| FieldPath::of("engine").key(key);
        if let Some(workers) = engine.workers {
            in_range(field("workers"), workers as u64, 1, MAX_WORKERS as u64)?;
        }
        in_range(field("batch_size"), engine.batch_size as u64, 1, MAX_BATCH_SIZE as u64)?;
        if engine.deadline_ms < MIN_DEADLINE_MS {
            return Err(Problem::new(
                field("deadline_ms"),
                format!("must be at least {MIN_DEADLINE_MS} (deadlines are checked every 10 ms)"),
            ));
        }
        in_range(field("memory_limit_mb"), engine.memory_limit_mb as u64, 1, MAX_MEMORY_LIMIT_MB as u64)?;
        if engine.max_failures == 0 {
            return Err(Problem::new(field("max_failures"), "must be at least 1"));
        }
        if engine.quarantine_secs == 0 {
            return Err(Problem::new(field("quarantine_secs"), "must be at least 1"));
        }
        Ok(())
    }

    fn check_sources(&self) -> Result<(), Problem> {
        if self.sources.is_empty() {
            return Err(Problem::new(
                FieldPath::of("sources"),
                "no source: add a [[sources]] table with type = \"files\" or \"stdin\"",
            ));
        }
        let mut stdin = None;
        for (i, source) in self.sources.iter().enumerate() {
            let field = FieldPath::of("sources").index(i);
            match source {
                SourceConfig::Files(files) => {
                    if files.paths.is_empty() {
                        return Err(Problem::new(
                            field.key("paths"),
                            "must name at least one file or folder",
                        ));
                    }
                    if let Some(j) = files.paths.iter().position(|p| p.as_os_str().is_empty()) {
                        return Err(Problem::new(field.key("paths").index(j), "must not be empty"));
                    }
                }
                SourceConfig::Stdin(_) => {
                    if let Some(first) = stdin.replace(i) {
                        return Err(Problem::new(
                            field.key("type"),
                            format!("stdin can be read once; sources[{first}] already reads it"),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn check_plugins(&self) -> Result<(), Problem> {
        if self.plugins.is_empty() {
            return Err(Problem::new(
                FieldPath::of("plugins"),
                "no plugin: add a [[plugins]] table with a name and the path of its component",
            ));
        }
        let mut names: HashMap<&str, usize> = HashMap::new();
        for (i, plugin) in self.plugins.iter().enumerate() {
            let field = FieldPath::of("plugins").index(i);
            if plugin.name.is_empty()
                || !plugin.name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                return Err(Problem::new(
                    field.key("name"),
                    format!("{:?} is not a plugin name: use letters, digits, '-', '_' and '.'", plugin.name),
                ));
            }
            if let Some(first) = names.insert(&plugin.name, i) {
                return Err(Problem::new(
                    field.key("name"),
                    format!("duplicate plugin name {:?}: plugins[{first}] already uses it", plugin.name),
                ));
            }
            if plugin.path.as_os_str().is_empty() {
                return Err(Problem::new(field.key("path"), "must name a component file (.wasm)"));
            }
        }
        if !self.plugins.iter().any(|p| p.enabled) {
            return Err(Problem::new(
                FieldPath::of("plugins").index(0).key("enabled"),
                "every plugin is disabled: enable at least one",
            ));
        }
        Ok(())
    }

    fn check_sinks(&self) -> Result<(), Problem> {
        if self.sinks.is_empty() {
            return Err(Problem::new(
                FieldPath::of("sinks"),
                format!(
                    "no sink, findings would go nowhere: add a [[sinks]] table (type = {:?})",
                    SinkConfig::TYPES
                ),
            ));
        }
        let mut stdout = None;
        let mut files: HashMap<&PathBuf, usize> = HashMap::new();
        for (i, sink) in self.sinks.iter().enumerate() {
            let field = FieldPath::of("sinks").index(i);
            sink.check().map_err(|invalid| Problem::new(field.key(invalid.key), invalid.message))?;
            match sink {
                SinkConfig::Stdout(_) => {
                    if let Some(first) = stdout.replace(i) {
                        return Err(Problem::new(
                            field.key("type"),
                            format!("only one stdout sink: sinks[{first}] already writes to stdout"),
                        ));
                    }
                }
                SinkConfig::File(file) => {
                    if let Some(first) = files.insert(&file.path, i) {
                        return Err(Problem::new(
                            field.key("path"),
                            format!("sinks[{first}] already writes to {}", file.path.display()),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

fn in_range(field: FieldPath, value: u64, min: u64, max: u64) -> Result<(), Problem> {
    if value < min || value > max {
        return Err(Problem::new(field, format!("{value} is out of range: must be {min} to {max}")));
    }
    Ok(())
}
