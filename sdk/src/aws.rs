//! AWS vocabulary shared by detectors, so plugins agree on what the same words mean.

/// Substrings of role names that mark a role as privileged, unless a plugin is configured
/// with its own list.
pub const PRIVILEGED_ROLE_PATTERNS: [&str; 6] =
    ["admin", "poweruser", "fullaccess", "privileged", "breakglass", "owner"];

/// [`PRIVILEGED_ROLE_PATTERNS`] as an owned list, the usual default of a config field.
pub fn default_privileged_role_patterns() -> Vec<String> {
    PRIVILEGED_ROLE_PATTERNS.map(String::from).to_vec()
}

/// Whether the role named by `role` (an ARN or a bare name) matches any of `patterns`,
/// ignoring case. Only the name is compared: `arn:aws:iam::1:role/ops/Admin` → `admin`.
pub fn is_privileged_role(role: &str, patterns: &[String]) -> bool {
    let name = role_name(role).to_ascii_lowercase();
    patterns.iter().any(|p| name.contains(&p.to_ascii_lowercase()))
}

/// The last path segment of a role ARN, or the input when it has none.
pub fn role_name(role: &str) -> &str {
    role.rsplit('/').next().unwrap_or(role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_name_not_the_path_ignoring_case() {
        let patterns = default_privileged_role_patterns();
        assert!(is_privileged_role("arn:aws:iam::1:role/ops/Prod-Admin", &patterns));
        assert!(!is_privileged_role("arn:aws:iam::1:role/admin/reader", &patterns));
        assert_eq!(role_name("reader"), "reader");
    }
}
