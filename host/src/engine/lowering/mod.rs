//! The events of one batch as they cross into a plugin, per contract version: [`v0_2`]
//! sends the SDK's columns (the batch a detector run natively is given too); the frozen
//! [`v0_1`] sends each event with its own strings, borrowed from the host's events.

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
