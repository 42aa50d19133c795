#![no_main]
//! See `trailhound::invariants::plugin_cases` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| trailhound::invariants::plugin_cases(data));
