//! Decode: bytes to JSON records (CloudTrail `{"Records":[...]}` files, JSON lines, gzip).
//!
//! STUB: owned by the sources/normalize work.
