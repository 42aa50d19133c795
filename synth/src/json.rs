//! A minimal JSON writer straight into a byte buffer: the generator emits a million records
//! in seconds, which building `serde_json::Value` trees first would not allow. Keys come out
//! in the order written, as CloudTrail writes them.

use std::fmt::Write as _;

/// Appends JSON to `out`. Commas are placed by tracking whether a value was just written.
pub struct Json<'a> {
    out: &'a mut Vec<u8>,
    comma: bool,
}

impl<'a> Json<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        Json { out, comma: false }
    }

    fn sep(&mut self) {
        if self.comma {
            self.out.push(b',');
        }
    }

    pub fn begin(&mut self) -> &mut Self {
        self.sep();
        self.out.push(b'{');
        self.comma = false;
        self
    }

    pub fn end(&mut self) -> &mut Self {
        self.out.push(b'}');
        self.comma = true;
        self
    }

    pub fn begin_array(&mut self) -> &mut Self {
        self.sep();
        self.out.push(b'[');
        self.comma = false;
        self
    }

    pub fn end_array(&mut self) -> &mut Self {
        self.out.push(b']');
        self.comma = true;
        self
    }

    /// A key; the next call writes its value.
    pub fn key(&mut self, key: &str) -> &mut Self {
        self.sep();
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.comma = false;
        self
    }

    /// A string value, escaped.
    pub fn str<V: AsRef<str> + ?Sized>(&mut self, value: &V) -> &mut Self {
        let value = value.as_ref();
        self.sep();
        self.out.push(b'"');
        escape_into(self.out, value);
        self.out.push(b'"');
        self.comma = true;
        self
    }

    /// A string value built from format arguments, escaped.
    pub fn fmt(&mut self, args: std::fmt::Arguments<'_>) -> &mut Self {
        match args.as_str() {
            Some(s) => self.str(s),
            None => {
                let mut text = String::with_capacity(64);
                let _ = text.write_fmt(args);
                self.str(&text)
            }
        }
    }

    pub fn bool(&mut self, value: bool) -> &mut Self {
        self.raw(if value { "true" } else { "false" })
    }

    pub fn num(&mut self, value: u64) -> &mut Self {
        self.sep();
        let _ = std::io::Write::write_fmt(self.out, format_args!("{value}"));
        self.comma = true;
        self
    }

    pub fn null(&mut self) -> &mut Self {
        self.raw("null")
    }

    /// Already-serialized JSON.
    pub fn raw(&mut self, json: &str) -> &mut Self {
        self.sep();
        self.out.extend_from_slice(json.as_bytes());
        self.comma = true;
        self
    }

    pub fn kv<V: AsRef<str> + ?Sized>(&mut self, key: &str, value: &V) -> &mut Self {
        self.key(key).str(value)
    }

    pub fn kv_fmt(&mut self, key: &str, args: std::fmt::Arguments<'_>) -> &mut Self {
        self.key(key).fmt(args)
    }

    pub fn kv_bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key).bool(value)
    }

    pub fn kv_num(&mut self, key: &str, value: u64) -> &mut Self {
        self.key(key).num(value)
    }

    /// An array of strings.
    pub fn kv_strs<S: AsRef<str>>(&mut self, key: &str, values: &[S]) -> &mut Self {
        self.key(key).begin_array();
        for value in values {
            self.str(value.as_ref());
        }
        self.end_array()
    }
}

fn escape_into(out: &mut Vec<u8>, value: &str) {
    let bytes = value.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                let _ = std::io::Write::write_fmt(out, format_args!("\\u{b:04x}"));
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escaped);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::Json;

    #[test]
    fn writes_valid_json_with_escapes_and_nesting() {
        let mut out = Vec::new();
        let mut j = Json::new(&mut out);
        j.begin().kv("a", "q\"uote\\ \n\u{1}").key("b").begin_array().num(1).bool(true).null().end_array();
        j.key("c").begin().kv_fmt("d", format_args!("{}-{}", 1, 2)).end().end();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["a"], "q\"uote\\ \n\u{1}");
        assert_eq!(value["b"], serde_json::json!([1, true, null]));
        assert_eq!(value["c"]["d"], "1-2");
    }
}
