//! AWS IAM policy documents as CloudTrail records them: decoding the request's text and
//! reading its statements leniently (an element may be one value or a list, names in any case).
//!
//! CloudTrail logs `requestParameters.policyDocument` (and `assumeRolePolicyDocument`) as
//! the text IAM received: plain JSON, or URL-encoded JSON when the caller used the Query
//! API's form encoding. Either way the document is a JSON object once decoded.

pub mod pattern;

use serde_json::{Map, Value};

/// IAM accepts policy documents of at most 131,072 characters (the `PolicyDocument`
/// parameter's length constraint); URL-encoding writes a character as at most three, so a
/// longer text cannot be a document IAM accepted and is not decoded.
pub const MAX_DOCUMENT_BYTES: usize = 3 * 131_072;

/// The JSON object a policy document's text holds.
///
/// # Errors
/// Why the text is not a policy document: too long, not JSON even once URL-decoded, or JSON
/// that is not an object.
pub fn decode(text: &str) -> Result<Map<String, Value>, String> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(format!("{} bytes, more than IAM accepts ({MAX_DOCUMENT_BYTES})", text.len()));
    }
    let trimmed = text.trim();
    let value = if trimmed.starts_with('{') {
        serde_json::from_str(trimmed).map_err(|e| format!("not JSON: {e}"))?
    } else {
        let decoded = percent_decode(trimmed)?;
        serde_json::from_str(&decoded)
            // Form encoding writes spaces as `+`; a document that only parses so was written so.
            .or_else(|e| serde_json::from_str(&decoded.replace('+', " ")).map_err(|_| e))
            .map_err(|e| format!("not JSON once URL-decoded: {e}"))?
    };
    match value {
        Value::Object(document) => Ok(document),
        other => Err(format!("a JSON {} where a policy document is an object", kind(&other))),
    }
}

/// `%XX` escapes decoded to the bytes they stand for, read as UTF-8.
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("not URL-encoded: a bad escape at byte {i}"))?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "not URL-encoded UTF-8 text".to_string())
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The value of `key` in `object`, whatever the case it was written in.
pub fn get<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).or_else(|| object.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

/// The strings of an element that is one string or a list of them; other values are ignored.
pub fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// One statement of a document, the elements this plugin reads.
#[derive(Debug, Default)]
pub struct Statement<'a> {
    pub sid: Option<&'a str>,
    pub allow: bool,
    pub actions: Vec<&'a str>,
    pub not_actions: Vec<&'a str>,
    pub resources: Vec<&'a str>,
    pub not_resources: Vec<&'a str>,
    /// `Principal` of a trust or resource policy: `None` when absent, `Some(Value)` as written.
    pub principal: Option<&'a Value>,
    pub not_principal: Option<&'a Value>,
    pub condition: Option<&'a Map<String, Value>>,
}

impl Statement<'_> {
    /// Whether it names `NotAction`, which IAM reads as every other action.
    pub fn has_not_action(&self) -> bool {
        !self.not_actions.is_empty()
    }
}

/// The statements of a document (`Statement` is one object or a list of them).
pub fn statements(document: &Map<String, Value>) -> Vec<Statement<'_>> {
    let items: Vec<&Map<String, Value>> = match get(document, "Statement") {
        Some(Value::Object(one)) => vec![one],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    };
    items
        .into_iter()
        .map(|s| Statement {
            sid: get(s, "Sid").and_then(Value::as_str),
            allow: get(s, "Effect").and_then(Value::as_str).is_some_and(|e| e.eq_ignore_ascii_case("Allow")),
            actions: strings(get(s, "Action")),
            not_actions: strings(get(s, "NotAction")),
            resources: strings(get(s, "Resource")),
            not_resources: strings(get(s, "NotResource")),
            principal: get(s, "Principal"),
            not_principal: get(s, "NotPrincipal"),
            condition: get(s, "Condition").and_then(Value::as_object),
        })
        .collect()
}

/// Whether a resource covers every resource of its kind: `*`, or an ARN whose resource part
/// is only wildcards (`arn:aws:s3:::*`, `arn:aws:iam::123456789012:role/*`,
/// `arn:aws:lambda:*:*:function:*`). A named bucket's objects (`arn:aws:s3:::data/*`) are
/// not: S3 ARNs have no resource type before the slash.
pub fn unconstrained(resource: &str) -> bool {
    if resource == "*" {
        return true;
    }
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    let [_, _, service, _, _, rest] = parts[..] else { return false };
    if rest.chars().all(|c| c == '*' || c == '/') {
        return true;
    }
    if service.eq_ignore_ascii_case("s3") {
        return false;
    }
    // `role/*`, `function:*`: a resource type, then anything.
    ["/*", ":*"].iter().any(|tail| {
        rest.strip_suffix(tail).is_some_and(|kind| !kind.is_empty() && !kind.contains(['/', ':', '*', '?']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_decode_from_json_or_url_encoding() {
        let plain = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%7D";
        assert_eq!(decode(plain).unwrap(), decode(encoded).unwrap());
        let form = "%7B%22Statement%22%3A+%5B%5D%7D";
        assert!(decode(form).unwrap().contains_key("Statement"));
    }

    #[test]
    fn bad_documents_say_why() {
        assert!(decode("{not json").unwrap_err().starts_with("not JSON:"));
        assert!(decode("%7Bbroken").unwrap_err().starts_with("not JSON once URL-decoded"));
        assert!(decode("%ZZ").unwrap_err().starts_with("not URL-encoded"));
        assert!(decode("%7").unwrap_err().starts_with("not URL-encoded"));
        assert!(decode("%FF%FE").unwrap_err().contains("UTF-8"));
        assert!(decode("[1]").unwrap_err().contains("array"));
        assert!(decode(&"x".repeat(MAX_DOCUMENT_BYTES + 1)).unwrap_err().contains("more than IAM accepts"));
    }

    #[test]
    fn statements_are_read_in_any_shape() {
        let doc = decode(
            r#"{"statement":[{"sid":"a","effect":"allow","action":["iam:PassRole"],"resource":"*"},
            {"Effect":"Deny","NotAction":"s3:*","NotResource":["arn:aws:s3:::x"]}, 7]}"#,
        )
        .unwrap();
        let s = statements(&doc);
        assert_eq!(s.len(), 2);
        assert!(s[0].allow && s[0].sid == Some("a") && s[0].actions == ["iam:PassRole"]);
        assert!(!s[1].allow && s[1].has_not_action() && s[1].not_resources == ["arn:aws:s3:::x"]);
    }

    #[test]
    fn unconstrained_resources_are_whole_kinds() {
        for broad in [
            "*",
            "arn:aws:s3:::*",
            "arn:aws:s3:::*/*",
            "arn:aws:iam::123456789012:role/*",
            "arn:aws:lambda:*:*:function:*",
        ] {
            assert!(unconstrained(broad), "{broad}");
        }
        for scoped in [
            "arn:aws:s3:::data/*",
            "arn:aws:iam::123456789012:role/app",
            "arn:aws:iam::1:role/app-*",
            "bucket",
            "arn:aws:s3",
        ] {
            assert!(!unconstrained(scoped), "{scoped}");
        }
    }
}
