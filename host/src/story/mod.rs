//! The picture of a story: what `trailhound story` and `scan --story` draw. A storyline or
//! composite finding carries its [`Story`](trailhound_sdk::story::Story) as evidence; this
//! module finds the latest revision of each ([`read`]), lays its graph out ([`layout`]),
//! draws it as SVG ([`svg`]) and puts it on one self-contained HTML page ([`html`]).
//! Every text from a finding is escaped on the way ([`markup`]); the same input gives the
//! same page, byte for byte.

pub mod html;
pub mod layout;
pub mod markup;
pub mod palette;
pub mod read;
pub mod sink;
pub mod svg;

pub use read::{Drawn, Stories};
