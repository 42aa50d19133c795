//! Field access on raw records that tolerates the lower-cased keys some exporters write
//! (Athena, Security Lake and SIEM exports turn `eventName` into `eventname`).

use serde_json::Value;

/// A view of one JSON object that finds keys exactly, or ignoring ASCII case when the record
/// was written with folded keys. The mode is decided once per record so that the common,
/// exact-case record never pays for a scan of its keys.
#[derive(Clone, Copy)]
pub struct Fields<'a> {
    value: &'a Value,
    folded: bool,
}

impl<'a> Fields<'a> {
    /// A view of a whole record; `probe` is a key every record of its kind carries, used to
    /// tell exact-case records from folded ones.
    pub fn of_record(value: &'a Value, probe: &str) -> Self {
        let folded = value.get(probe).is_none();
        Fields { value, folded }
    }

    /// The value under `key`, when present and not `null`.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        let object = self.value.as_object()?;
        let found = match object.get(key) {
            Some(v) => Some(v),
            None if self.folded => object.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v),
            None => None,
        };
        found.filter(|v| !v.is_null())
    }

    /// The nested object under `key` (an empty view when absent).
    pub fn object(&self, key: &str) -> Fields<'a> {
        Fields { value: self.get(key).unwrap_or(&Value::Null), folded: self.folded }
    }

    /// A non-empty string under `key`.
    pub fn str(&self, key: &str) -> Option<&'a str> {
        self.get(key)?.as_str().filter(|s| !s.is_empty())
    }

    /// `str` as an owned string.
    pub fn string(&self, key: &str) -> Option<String> {
        self.str(key).map(str::to_string)
    }

    /// A boolean under `key`, also when written as the string `"true"`/`"false"`.
    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    pub fn is_present(&self) -> bool {
        self.value.is_object()
    }
}
