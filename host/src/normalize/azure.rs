//! (being written)

use super::{Read, TopKeys};

pub fn recognizes_activity(_keys: &TopKeys) -> bool {
    false
}

pub fn recognizes_audit(_keys: &TopKeys) -> bool {
    false
}

pub fn read_activity(_json: &str) -> Result<Read, String> {
    Err("not read yet".into())
}

pub fn read_audit(_json: &str) -> Result<Read, String> {
    Err("not read yet".into())
}
