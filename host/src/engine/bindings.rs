//! The host side of every contract version a plugin may be built against, generated here:
//! `trailhound:detector@0.2.0` (the current `wit/`) and the frozen `@0.1.0`
//! (`wit/deps/detector-0.1.0`). One linker serves both: a component imports the host
//! interface of its own version, and the engine picks the bindings by what it exports.
//!
//! Every import may trap: that is how a plugin over its budget (a log line too many, one
//! metric name too many) is stopped at the call that overran it (see [`super::budget`]).

/// `trailhound:detector@0.1.0`: exports bare functions; the event carries its strings.
pub mod v0_1 {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "trailhound:detector/detector@0.1.0",
        imports: { default: trappable },
    });

    // Two versions of one package: the generated modules carry the version in their names.
    pub use self::trailhound::detector0_1_0::{host, types as wit};
}

/// `trailhound:detector@0.2.0`: exports the `detector` interface; a batch crosses as
/// columns and one string table.
pub mod v0_2 {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "trailhound:detector/plugin@0.2.0",
        imports: { default: trappable },
    });

    pub use self::trailhound::detector0_2_0::{host, types as wit};

    /// The exported interface's name, where its functions are looked up.
    pub const DETECTOR_INTERFACE: &str = "trailhound:detector/detector@0.2.0";
}
