//! Sinks: where detections are delivered, and the `[[sinks]]` config that builds them.
//!
//! Each sink lives in its own file with its config struct (which implements
//! [`SinkSettings`]); the `type` key of a `[[sinks]]` table picks the struct. Adding a sink is
//! one new file plus one line in the `sink_types!` list below. [`MemorySink`] is not
//! configurable: tests and `plugin test` use it to collect what was delivered.

pub mod backoff;
pub mod file;
pub mod memory;
pub mod nats;
pub mod queued;
pub mod slack;
pub mod stdout;
pub mod syslog;
pub mod tls;
pub mod webhook;

use std::path::Path;

use serde::Deserialize;

use crate::findings::Detection;

pub use memory::MemorySink;

/// A destination for detections.
pub trait Sink: Send {
    /// Delivers one detection.
    ///
    /// # Errors
    /// The destination refused or failed to take it.
    fn deliver(&mut self, detection: &Detection) -> anyhow::Result<()>;

    /// Makes everything delivered so far durable or visible.
    ///
    /// # Errors
    /// The destination failed to flush.
    fn flush(&mut self) -> anyhow::Result<()>;

    /// What a sink with a queue of its own did so far, for the metrics; nothing for one that
    /// writes in place.
    fn progress(&self) -> SinkProgress {
        SinkProgress::default()
    }
}

/// A queued sink's counts ([`Sink::progress`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SinkProgress {
    /// Attempts after the first, of every batch.
    pub retries: u64,
    /// Findings written to the dead-letter file.
    pub dead_lettered: u64,
    /// Findings waiting in its queue.
    pub queued: u64,
}

/// What every sink's config struct provides.
pub trait SinkSettings {
    /// The sink's `name` key, which routes refer to it by (every sink type has one; it is
    /// optional unless a route names the sink).
    fn name(&self) -> Option<&str>;

    /// Opens the sink.
    ///
    /// # Errors
    /// The destination cannot be opened (a file in a folder that cannot be created, ...).
    fn build(&self) -> anyhow::Result<Box<dyn Sink>>;

    /// Checks what the types cannot say; on failure, the offending key and the problem.
    ///
    /// # Errors
    /// A value that cannot work, e.g. an empty path.
    fn check(&self) -> Result<(), Invalid> {
        Ok(())
    }

    /// Makes relative paths relative to the config file's folder.
    fn resolve_paths(&mut self, _base: &Path) {}
}

/// Makes `path` relative to `base` (the config file's folder) when it is relative.
pub(crate) fn resolve(path: &mut std::path::PathBuf, base: &Path) {
    if path.is_relative() {
        *path = base.join(&*path);
    }
}

/// A value in a sink's config that cannot work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The key inside the `[[sinks]]` table.
    pub key: &'static str,
    pub message: String,
}

/// Declares the sink types: the `SinkConfig` enum (tagged by `type`) and its dispatch.
macro_rules! sink_types {
    ($($(#[$doc:meta])* $variant:ident($config:ty) = $name:literal,)+) => {
        /// One `[[sinks]]` table; its `type` key picks the variant.
        #[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
        #[serde(tag = "type", deny_unknown_fields)]
        pub enum SinkConfig {
            $($(#[$doc])* #[serde(rename = $name)] $variant($config),)+
        }

        impl SinkConfig {
            /// Every `type` a `[[sinks]]` table may have.
            pub const TYPES: &'static [&'static str] = &[$($name),+];

            /// The `type` key's value.
            pub fn type_name(&self) -> &'static str {
                match self { $(SinkConfig::$variant(_) => $name,)+ }
            }

            fn settings(&self) -> &dyn SinkSettings {
                match self { $(SinkConfig::$variant(config) => config,)+ }
            }

            fn settings_mut(&mut self) -> &mut dyn SinkSettings {
                match self { $(SinkConfig::$variant(config) => config,)+ }
            }
        }
    };
}

sink_types! {
    /// Readable lines or OCSF JSON lines on standard output.
    Stdout(stdout::StdoutConfig) = "stdout",
    /// OCSF JSON lines appended to a file.
    File(file::FileConfig) = "file",
    /// OCSF JSON arrays POSTed to an HTTP(S) endpoint, retried, dead-lettered.
    Webhook(webhook::WebhookConfig) = "webhook",
    /// RFC 5424 messages over UDP, TCP or TLS.
    Syslog(syslog::SyslogConfig) = "syslog",
    /// OCSF JSON messages published to a NATS JetStream subject, deduplicated by the stream.
    Nats(nats::NatsConfig) = "nats",
}

impl SinkConfig {
    /// See [`SinkSettings::name`].
    pub fn name(&self) -> Option<&str> {
        self.settings().name()
    }

    /// See [`SinkSettings::check`].
    ///
    /// # Errors
    /// A value that cannot work.
    pub fn check(&self) -> Result<(), Invalid> {
        self.settings().check()
    }

    /// See [`SinkSettings::resolve_paths`].
    pub fn resolve_paths(&mut self, base: &Path) {
        self.settings_mut().resolve_paths(base);
    }
}

/// Opens the sink a config describes.
///
/// # Errors
/// The destination cannot be opened.
pub fn build(config: &SinkConfig) -> anyhow::Result<Box<dyn Sink>> {
    config.settings().build()
}
