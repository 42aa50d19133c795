#![no_main]
//! See `trailhound::invariants::config` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| trailhound::invariants::config(data));
