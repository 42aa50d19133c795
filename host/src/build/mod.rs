//! Building plugins: Rust crates and Python modules into WebAssembly components.
//!
//! STUB: owned by the guest-build work.
