//! The `trailhound` command line.
fn main() {}
