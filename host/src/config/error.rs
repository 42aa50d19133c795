//! Config errors, each naming the file, the line and column, and the field.

use std::fmt;
use std::path::{Path, PathBuf};

use super::locate::{self, ElementCheck, FieldPath};

/// Why a config file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not TOML, or TOML of the wrong shape: an unknown key, a wrong type, a missing key.
    #[error("{at}: {}{message}", field_prefix(field.as_ref()))]
    Syntax { at: Location, field: Option<FieldPath>, message: String },
    /// Well-formed, but a value cannot work (no plugin, a zero batch size, a duplicate name).
    #[error("{at}: {field}: {message}")]
    Invalid { at: Location, field: FieldPath, message: String },
}

fn field_prefix(field: Option<&FieldPath>) -> String {
    field.filter(|f| !f.0.is_empty()).map(|f| format!("{f}: ")).unwrap_or_default()
}

impl ConfigError {
    /// Where in the file the problem is; `None` when the file could not be read.
    pub fn location(&self) -> Option<&Location> {
        match self {
            ConfigError::Read { .. } => None,
            ConfigError::Syntax { at, .. } | ConfigError::Invalid { at, .. } => Some(at),
        }
    }

    /// The field at fault, when known.
    pub fn field(&self) -> Option<&FieldPath> {
        match self {
            ConfigError::Read { .. } => None,
            ConfigError::Syntax { field, .. } => field.as_ref(),
            ConfigError::Invalid { field, .. } => Some(field),
        }
    }

    /// From a `toml` parse or deserialize error, pointed at the exact key where it can be.
    pub(super) fn syntax(
        file: &Path,
        text: &str,
        error: &toml::de::Error,
        tagged: &[(&str, ElementCheck)],
    ) -> Self {
        let message = error.message().trim_end().to_string();
        let Some(span) = error.span() else {
            return ConfigError::Syntax { at: Location::at(file, text, 0), field: None, message };
        };
        let (field, span) = locate::refine(text, span, &message, tagged);
        ConfigError::Syntax { at: Location::at(file, text, span.start), field, message }
    }

    /// A problem with a value (from [`super::Config::problems`], or a dry run of the config),
    /// located at its field in the file's `text`.
    pub fn invalid(file: &Path, text: &str, problem: Problem) -> Self {
        let offset = locate::span_of(text, &problem.field).map_or(0, |span| span.start);
        ConfigError::Invalid {
            at: Location::at(file, text, offset),
            field: problem.field,
            message: problem.message,
        }
    }
}

/// A value that passed parsing but cannot work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: FieldPath,
    pub message: String,
}

impl Problem {
    pub fn new(field: FieldPath, message: impl Into<String>) -> Self {
        Problem { field, message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// `file:line:column`, 1-based, column in characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl Location {
    fn at(file: &Path, text: &str, offset: usize) -> Self {
        let (line, column) = locate::line_column(text, offset);
        Location { file: file.to_path_buf(), line, column }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}
