//! The host side of the `trailhound:detector` world, generated once here.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "detector",
});

pub use self::trailhound::detector::types as wit;
