//! Which projected field sits at which index.
//!
//! The host passes projected values positionally, in the order of [`crate::Info::fields`].
//! The glue (or the test harness) declares that order once, so detectors can read a value
//! by the path they asked for instead of by index.

use std::cell::RefCell;

thread_local! {
    static DECLARED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Declares the projected paths, in the order their values arrive in [`crate::Event::fields`].
/// The glue and [`crate::testing::Harness`] call this; hosts running a detector natively do too.
pub fn declare_fields(paths: &[String]) {
    DECLARED.with(|d| *d.borrow_mut() = paths.to_vec());
}

pub(crate) fn index_of(path: &str) -> Option<usize> {
    DECLARED.with(|d| d.borrow().iter().position(|p| p == path))
}

/// How many paths are declared.
pub(crate) fn declared_count() -> usize {
    DECLARED.with(|d| d.borrow().len())
}
