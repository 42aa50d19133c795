//! The host's event model is the SDK's ([`trailhound_sdk::model`]): the normalizers fill it,
//! the enrichment stage completes it, and the SDK's batch builder lays it out for detectors,
//! so the shape is written once.

pub use trailhound_sdk::model::*;
