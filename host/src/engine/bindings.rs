//! The host side of the `trailhound:detector` world, generated once here.
//!
//! Every import may trap: that is how a plugin over its budget (a log line too many, one
//! metric name too many) is stopped at the call that overran it (see [`super::budget`]).

wasmtime::component::bindgen!({
    path: "../wit",
    world: "detector",
    imports: { default: trappable },
});

pub use self::trailhound::detector::types as wit;
