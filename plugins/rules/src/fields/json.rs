//! Raw fields by JSON pointer, as Falco's `jevt.value[/a/b]` and `json.value[/a/b]` address
//! them, turned into the JSONPaths the host projects.

/// A JSON pointer (`/a/b~1c/0`) as the JSONPath the host projects (`$.a['b/c'][0]`).
pub fn pointer_to_path(pointer: &str) -> Option<String> {
    let rest = pointer.strip_prefix('/')?;
    let mut path = String::from("$");
    for segment in rest.split('/') {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            path.push_str(&format!("[{segment}]"));
        } else if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            path.push('.');
            path.push_str(&segment);
        } else {
            path.push_str(&format!("['{}']", segment.replace('\'', "\\'")));
        }
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_become_paths() {
        assert_eq!(pointer_to_path("/a/b~1c/0").as_deref(), Some("$.a['b/c'][0]"));
        assert_eq!(
            pointer_to_path("/annotations/authorization.k8s.io~1decision").as_deref(),
            Some("$.annotations['authorization.k8s.io/decision']")
        );
        assert_eq!(pointer_to_path("a"), None);
    }
}
