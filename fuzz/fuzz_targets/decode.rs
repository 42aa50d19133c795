#![no_main]
//! See `trailhound::invariants::decode` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| trailhound::invariants::decode(data));
