//! IAM's wildcard matching: `*` for any run of characters, `?` for one, compared without
//! regard to ASCII case, as IAM compares action names.

/// Whether `text` matches the IAM wildcard `pattern`, ignoring ASCII case.
///
/// Greedy with one backtrack point (the last `*`), so the cost stays linear in practice
/// and never recurses, whatever a hostile policy writes.
pub fn matches(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi].eq_ignore_ascii_case(&t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn wildcards_and_case_follow_iam() {
        assert!(matches("iam:Create*", "iam:createaccesskey"));
        assert!(matches("IAM:*", "iam:passrole"));
        assert!(matches("*", "s3:getobject"));
        assert!(matches("iam:*Policy", "iam:putrolepolicy"));
        assert!(matches("s3:Get?bject", "s3:getobject"));
        assert!(matches("iam:PassRole", "iam:passrole"));
        assert!(!matches("iam:Create*", "iam:deleteuser"));
        assert!(!matches("iam:Pass", "iam:passrole"));
        assert!(!matches("s3:*", "s3x:getobject"));
        assert!(!matches("", "iam:passrole"));
        assert!(matches("**a*b*c**", "xxaxxbxxc"));
        // A long run of stars against a long text still ends quickly.
        let stars = "*a".repeat(2000);
        assert!(!matches(&stars, &"b".repeat(4000)));
    }
}
