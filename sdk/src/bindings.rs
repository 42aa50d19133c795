//! The types of contract 0.2.0, generated from `wit/` on every target: a detector built for
//! `wasm32` exchanges them with the host, and a native build (tests, the bench, the host
//! running a detector in-process) builds the same batches, so one shape serves both.

#[allow(clippy::all, missing_docs)]
#[doc(hidden)]
pub mod generated {
    wit_bindgen::generate!({
        path: "../wit",
        world: "trailhound:detector/plugin@0.2.0",
        pub_export_macro: true,
        default_bindings_module: "trailhound_sdk::bindings::generated",
        additional_derives: [Hash],
    });
}

#[doc(hidden)]
pub use generated::export;
#[doc(hidden)]
pub use generated::exports::trailhound::detector0_2_0::detector::Guest;
// Two versions of the package sit in `wit/`: the generated modules carry the version.
#[cfg(target_arch = "wasm32")]
pub(crate) use generated::trailhound::detector0_2_0::host;
pub use generated::trailhound::detector0_2_0::types;

use crate::Severity;

impl From<Severity> for types::Severity {
    fn from(severity: Severity) -> Self {
        match severity {
            Severity::Info => types::Severity::Info,
            Severity::Low => types::Severity::Low,
            Severity::Medium => types::Severity::Medium,
            Severity::High => types::Severity::High,
            Severity::Critical => types::Severity::Critical,
        }
    }
}

impl From<types::Severity> for Severity {
    fn from(severity: types::Severity) -> Self {
        match severity {
            types::Severity::Info => Severity::Info,
            types::Severity::Low => Severity::Low,
            types::Severity::Medium => Severity::Medium,
            types::Severity::High => Severity::High,
            types::Severity::Critical => Severity::Critical,
        }
    }
}
