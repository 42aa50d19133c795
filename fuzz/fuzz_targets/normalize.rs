#![no_main]
//! See `trailhound::invariants::normalize` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| trailhound::invariants::normalize(data));
