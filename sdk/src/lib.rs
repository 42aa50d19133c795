//! The Rust SDK for trailhound detector plugins.
//!
//! A detector is a type that implements [`Detector`] and is exported with
//! [`export_detector!`]. Built for `wasm32` it becomes a component implementing the
//! `trailhound:detector` world; built natively, the same logic runs under plain
//! `cargo test` through [`testing::Harness`], with no WASM involved.
//!
//! ```
//! use trailhound_sdk::prelude::*;
//!
//! #[derive(Default)]
//! struct RootActivity;
//!
//! impl Detector for RootActivity {
//!     fn info() -> Info {
//!         Info::new("root-activity", "0.1.0")
//!     }
//!     fn on_event(&mut self, event: &Event<'_>, findings: &mut Vec<Finding>) {
//!         if event.actor().kind() == "Root" {
//!             findings.push(Finding::new("aws.root-activity", "Root account used", Severity::High).event(event));
//!         }
//!     }
//! }
//! trailhound_sdk::export_detector!(RootActivity);
//! ```

pub mod aws;
pub mod batch;
pub mod bindings;
pub mod bounded;
mod detector;
pub mod event;
mod fields;
mod finding;
pub mod host;
pub mod model;
pub mod story;
pub mod testing;

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod glue;

pub use batch::Batch;
pub use detector::{Detector, File, Info, StateScope};
pub use event::{Actor, Event, Resource};
pub use fields::declare_fields;
pub use finding::{Evidence, Finding, Severity};
pub use model::{AccessLevel, Category, Plane, Risk, Risks};

/// Everything a detector usually needs, in one import.
pub mod prelude {
    pub use crate::host::{log, LogLevel};
    pub use crate::{
        AccessLevel, Actor, Batch, Category, Detector, Event, Evidence, Finding, Info, Plane, Resource, Risk,
        Risks, Severity, StateScope,
    };
}

/// Exports a [`Detector`] type as the plugin's implementation of the `detector` world.
///
/// On `wasm32` this emits the component exports; natively it expands to nothing, so the
/// same crate also builds as an ordinary library for tests and benchmarks.
#[macro_export]
// rustfmt does not settle on one layout for the nested `export!` call.
#[rustfmt::skip]
macro_rules! export_detector {
    ($detector:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            use ::std::{result::Result, string::String, vec::Vec};

            struct Exported;

            ::std::thread_local! {
                static STATE: ::std::cell::RefCell<$detector> =
                    ::std::cell::RefCell::new(<$detector as ::std::default::Default>::default());
            }

            impl $crate::bindings::Guest for Exported {
                fn info() -> $crate::bindings::types::Info {
                    STATE.with(|s| $crate::glue::info(&*s.borrow()))
                }
                fn configure(config: String, files: Vec<$crate::bindings::types::File>) -> Result<(), String> {
                    STATE.with(|s| $crate::glue::configure(&mut *s.borrow_mut(), &config, files))
                }
                fn on_events(batch: $crate::bindings::types::Batch) -> Vec<$crate::bindings::types::Finding> {
                    STATE.with(|s| $crate::glue::on_events(&mut *s.borrow_mut(), batch))
                }
                fn on_tick(now: i64) -> Vec<$crate::bindings::types::Finding> {
                    STATE.with(|s| $crate::glue::on_tick(&mut *s.borrow_mut(), now))
                }
                fn snapshot() -> Vec<u8> {
                    STATE.with(|s| $crate::Detector::snapshot(&*s.borrow()))
                }
                fn restore(state: Vec<u8>) -> Result<(), String> {
                    STATE.with(|s| $crate::Detector::restore(&mut *s.borrow_mut(), &state))
                }
            }

            $crate::bindings::export!(Exported with_types_in $crate::bindings::generated);
        };
    };
}
