//! The engine: hosts detector components in wasmtime and feeds them events.
//!
//! [`runtime`] configures wasmtime (component model, epoch interruption) and ticks epochs;
//! [`bindings`] holds the one `bindgen!` of the WIT world; [`limits`] caps instance memory;
//! [`budget`] bounds what a plugin can make the host hold or write; [`clock`] keeps stream
//! time safe from implausible event times;
//! [`store`] is the per-instance host state and its imports; [`cache`] keeps compiled
//! components on disk; [`lowering`] is the event as sent into a plugin, borrowed from the
//! host's, per contract version; [`plugin`] loads a component and runs calls under a deadline;
//! [`supervisor`] isolates faults (recreate, retry once, quarantine); [`reload`] swaps a new set of plugins in while the stream runs; [`lineage`] traces
//! each actor to its origin across role hops and impersonation; [`shard`] keys events by
//! it; [`worker`] is one thread with its own instances; [`state`] keeps plugin and host state
//! across restarts;
//! [`runner`] ties it together behind [`Engine`].

pub mod bindings;
pub mod budget;
pub mod cache;
pub mod clock;
pub mod limits;
pub mod lineage;
pub mod lowering;
pub mod plugin;
pub mod reload;
pub mod runner;
pub mod runtime;
pub mod settings;
pub mod shard;
pub mod state;
pub mod store;
pub mod supervisor;
pub mod worker;

pub use budget::Budget;
pub use plugin::{LoadedPlugin, PluginError, PluginSpec};
pub use reload::{Changes, ReloadError, Reloader, SwapTiming};
pub use runner::{Engine, EngineError, EngineReport, PluginReport, ReloadReport};
pub use settings::EngineSettings;
