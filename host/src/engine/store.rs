//! Per-instance host state: the memory cap, the budget used so far, what the plugin counted,
//! and an empty WASI context for components whose language runtime imports WASI (CPython does).
//!
//! The WASI context grants nothing: no files, no environment, no arguments, no sockets, and
//! clocks frozen at the epoch, so a detector stays deterministic and replayable.

use std::collections::BTreeMap;
use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use super::bindings::{v0_1, v0_2};
use super::budget::{Budget, Usage};
use super::limits::MemoryCap;

/// What one plugin instance's store holds.
pub struct HostState {
    pub plugin: String,
    pub cap: MemoryCap,
    pub usage: Usage,
    pub counters: BTreeMap<String, u64>,
    pub gauges: BTreeMap<String, f64>,
    wasi: WasiCtx,
    table: ResourceTable,
}

impl HostState {
    pub fn new(plugin: &str, memory_limit: usize, budget: Budget) -> Self {
        let wasi = WasiCtx::builder()
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            // Seeded so that hash-randomizing runtimes behave the same on every run.
            .insecure_random_seed(0x7472_6169_6c68_6f75_6e64)
            .build();
        HostState {
            plugin: plugin.to_string(),
            cap: MemoryCap::new(memory_limit),
            usage: Usage::new(budget),
            counters: BTreeMap::new(),
            gauges: BTreeMap::new(),
            wasi,
            table: ResourceTable::new(),
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// The host interface of one contract version: the same three imports, each version with
/// its own generated trait and log-level enum.
macro_rules! host_interface {
    ($version:ident) => {
        impl $version::wit::Host for HostState {}

        impl $version::host::Host for HostState {
            fn log(&mut self, level: $version::host::LogLevel, message: String) -> wasmtime::Result<()> {
                use $version::host::LogLevel as L;
                let level = match level {
                    L::Trace => tracing::Level::TRACE,
                    L::Debug => tracing::Level::DEBUG,
                    L::Info => tracing::Level::INFO,
                    L::Warn => tracing::Level::WARN,
                    L::Error => tracing::Level::ERROR,
                };
                Ok(HostState::log(self, level, &message)?)
            }

            fn counter_add(&mut self, name: String, delta: u64) -> wasmtime::Result<()> {
                Ok(HostState::counter_add(self, name, delta)?)
            }

            fn gauge_set(&mut self, name: String, value: f64) -> wasmtime::Result<()> {
                Ok(HostState::gauge_set(self, name, value)?)
            }
        }
    };
}

host_interface!(v0_1);
host_interface!(v0_2);

/// The imports, the same for every contract version.
impl HostState {
    fn log(&mut self, level: tracing::Level, message: &str) -> Result<(), super::budget::Overrun> {
        self.usage.log(message.len())?;
        let plugin = self.plugin.as_str();
        // A plugin's text goes to the operator's terminal and log files: no control characters.
        let message = crate::text::printable(message);
        match level {
            tracing::Level::TRACE => tracing::trace!(plugin, "{message}"),
            tracing::Level::DEBUG => tracing::debug!(plugin, "{message}"),
            tracing::Level::INFO => tracing::info!(plugin, "{message}"),
            tracing::Level::WARN => tracing::warn!(plugin, "{message}"),
            _ => tracing::error!(plugin, "{message}"),
        }
        Ok(())
    }

    fn counter_add(&mut self, name: String, delta: u64) -> Result<(), super::budget::Overrun> {
        self.metric_name(&name)?;
        let counter = self.counters.entry(name).or_default();
        *counter = counter.saturating_add(delta);
        Ok(())
    }

    fn gauge_set(&mut self, name: String, value: f64) -> Result<(), super::budget::Overrun> {
        self.metric_name(&name)?;
        self.gauges.insert(name, value);
        Ok(())
    }
}

impl HostState {
    /// Counters and gauges share one budget of names.
    fn metric_name(&mut self, name: &str) -> Result<(), super::budget::Overrun> {
        let known = self.counters.contains_key(name) || self.gauges.contains_key(name);
        self.usage.metric(name, known, self.counters.len() + self.gauges.len())
    }
}

/// A clock that always reads the Unix epoch: detectors get time from events, not the host.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}
