//! The events of one batch as they cross into a plugin, per contract version: [`v0_2`]
//! sends one table of the batch's distinct strings and flat events that index it; the frozen
//! [`v0_1`] sends each event with its own strings, borrowed from the host's events. A
//! detector run natively (its tests, the bench's native side) gets [`sdk_event`].

mod native;
pub mod v0_1;
pub mod v0_2;

use crate::event::Event;

/// One event as one plugin is sent it: with the values of the fields it projects, and the raw
/// record when it asked for it.
pub struct Sent<'a> {
    pub event: &'a Event,
    pub fields: Vec<Option<String>>,
    pub raw: Option<&'a str>,
}

pub use native::sdk_event;
