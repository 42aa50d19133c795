//! Normalize: map a raw provider record onto the event model.
//!
//! STUB: owned by the sources/normalize work; the signature below is the contract.

use crate::record::{Malformed, RawRecord, Record};

/// Maps one raw record onto the event model.
///
/// # Errors
/// A [`Malformed`] naming the missing or mistyped field.
pub fn normalize(raw: RawRecord) -> Result<Record, Malformed> {
    Err(Malformed { origin: raw.origin, reason: "normalization not implemented".into() })
}
