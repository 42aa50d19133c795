//! The service config file (TOML): sources, engine settings, plugins with their config, sinks.
//!
//! STUB: owned by the findings/sinks/config work.
