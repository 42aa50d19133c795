//! A Sigma string value compiled for matching: its `*` and `?` wildcards (with `\` escaping
//! them), wrapped by the `contains`, `startswith` and `endswith` modifiers, and classified so
//! the common shapes (whole value, prefix, suffix, substring, anything) are compared directly
//! and only the rest go through the glob matcher.
//!
//! Sigma compares strings case-insensitively unless `|cased` is given. Case folding is
//! ASCII's: the values of SigmaHQ's cloud rules are ASCII, and folding bytes keeps a
//! comparison free of allocation.

/// A piece of a value: text, `*` (any run of characters) or `?` (one character).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Star,
    One,
}

/// Where the modifiers place the value within the field's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Whole,
    Contains,
    StartsWith,
    EndsWith,
}

/// A compiled string value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    Equals(String),
    StartsWith(String),
    EndsWith(String),
    Contains(String),
    /// A value with wildcards inside it.
    Glob(Vec<Piece>),
    /// `*`: any text at all (the field must still be present).
    Any,
}

/// A compiled string value and whether its case matters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub text: Text,
    pub cased: bool,
}

/// The pieces of a Sigma value: `*` and `?` are wildcards, `\*`, `\?` and `\\` their literal
/// characters, and a backslash before anything else is itself.
pub fn pieces(value: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('*' | '?' | '\\')) => text.extend(chars.next()),
            '*' | '?' => {
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                let wildcard = if c == '*' { Piece::Star } else { Piece::One };
                // `**` is `*`.
                if !(wildcard == Piece::Star && pieces.last() == Some(&Piece::Star)) {
                    pieces.push(wildcard);
                }
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    pieces
}

impl Pattern {
    pub fn new(value: &str, anchor: Anchor, cased: bool) -> Self {
        let mut pieces = pieces(value);
        if matches!(anchor, Anchor::Contains | Anchor::EndsWith) && pieces.first() != Some(&Piece::Star) {
            pieces.insert(0, Piece::Star);
        }
        if matches!(anchor, Anchor::Contains | Anchor::StartsWith) && pieces.last() != Some(&Piece::Star) {
            pieces.push(Piece::Star);
        }
        let text = match pieces.as_slice() {
            [] => Text::Equals(String::new()),
            [Piece::Star] => Text::Any,
            [Piece::Text(t)] => Text::Equals(t.clone()),
            [Piece::Text(t), Piece::Star] => Text::StartsWith(t.clone()),
            [Piece::Star, Piece::Text(t)] => Text::EndsWith(t.clone()),
            [Piece::Star, Piece::Text(t), Piece::Star] => Text::Contains(t.clone()),
            _ => Text::Glob(pieces),
        };
        Pattern { text, cased }
    }

    pub fn matches(&self, value: &str) -> bool {
        let eq = |a: &[u8], b: &[u8]| if self.cased { a == b } else { a.eq_ignore_ascii_case(b) };
        let value_bytes = value.as_bytes();
        match &self.text {
            Text::Any => true,
            Text::Equals(t) => eq(value_bytes, t.as_bytes()),
            Text::StartsWith(t) => value_bytes.get(..t.len()).is_some_and(|head| eq(head, t.as_bytes())),
            Text::EndsWith(t) => value_bytes
                .len()
                .checked_sub(t.len())
                .is_some_and(|start| eq(&value_bytes[start..], t.as_bytes())),
            Text::Contains(t) => find(value_bytes, t.as_bytes(), &eq).is_some(),
            Text::Glob(pieces) => glob(pieces, value, self.cased),
        }
    }
}

/// Where `needle` first occurs in `haystack`, comparing with `eq`: candidates are found by
/// their first byte, so most positions cost one byte comparison.
pub fn find(haystack: &[u8], needle: &[u8], eq: &impl Fn(&[u8], &[u8]) -> bool) -> Option<usize> {
    let Some(&first) = needle.first() else { return Some(0) };
    let last_start = haystack.len().checked_sub(needle.len())?;
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    // `eq` folds case or not; either way a byte equal to neither case of the first cannot start a match.
    (0..=last_start).find(|&i| {
        let b = haystack[i];
        (b == lower || b == upper || b == first) && eq(&haystack[i..i + needle.len()], needle)
    })
}

/// Whether `value` matches the pieces, backtracking to the last `*` on a mismatch.
fn glob(pieces: &[Piece], value: &str, cased: bool) -> bool {
    let same = |a: char, b: char| if cased { a == b } else { a.eq_ignore_ascii_case(&b) };
    // One element per character to match: `None` for `?`, `Some(c)` for a literal, and `*`
    // kept as a marker.
    let mut wanted: Vec<Option<Option<char>>> = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Text(t) => wanted.extend(t.chars().map(|c| Some(Some(c)))),
            Piece::One => wanted.push(Some(None)),
            Piece::Star => wanted.push(None),
        }
    }
    let chars: Vec<char> = value.chars().collect();
    let (mut p, mut v) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while v < chars.len() {
        match wanted.get(p) {
            Some(None) => {
                star = Some((p, v));
                p += 1;
            }
            Some(Some(one)) if one.is_none_or(|c| same(c, chars[v])) => {
                p += 1;
                v += 1;
            }
            _ => match star {
                Some((sp, sv)) => {
                    p = sp + 1;
                    v = sv + 1;
                    star = Some((sp, sv + 1));
                }
                None => return false,
            },
        }
    }
    wanted[p..].iter().all(Option::is_none)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(value: &str) -> Pattern {
        Pattern::new(value, Anchor::Whole, false)
    }

    #[test]
    fn wildcards_escapes_and_shapes() {
        assert_eq!(plain("abc").text, Text::Equals("abc".into()));
        assert_eq!(plain("abc*").text, Text::StartsWith("abc".into()));
        assert_eq!(plain("*abc").text, Text::EndsWith("abc".into()));
        assert_eq!(plain("*abc*").text, Text::Contains("abc".into()));
        assert_eq!(plain("*").text, Text::Any);
        assert_eq!(plain(r"a\*b").text, Text::Equals("a*b".into()));
        assert_eq!(plain(r"a\b").text, Text::Equals(r"a\b".into()));
        assert_eq!(Pattern::new("*", Anchor::Contains, false).text, Text::Any);
        assert_eq!(Pattern::new("x", Anchor::EndsWith, false).text, Text::EndsWith("x".into()));
    }

    #[test]
    fn matching_folds_case_unless_cased() {
        assert!(plain("DeleteTrail").matches("deletetrail"));
        assert!(!Pattern::new("DeleteTrail", Anchor::Whole, true).matches("deletetrail"));
        assert!(Pattern::new("trail", Anchor::Contains, false).matches("StopTrailLogging"));
        assert!(Pattern::new("Stop", Anchor::StartsWith, false).matches("stopLogging"));
        assert!(!Pattern::new("Stop", Anchor::StartsWith, false).matches("St"));
        assert!(Pattern::new("ing", Anchor::EndsWith, false).matches("StopLoggING"));
        assert!(plain("").matches(""));
        assert!(!plain("").matches("x"));
    }

    #[test]
    fn globs_backtrack() {
        let glob = plain("a*b?d*");
        assert!(matches!(glob.text, Text::Glob(_)));
        assert!(glob.matches("aXXbcdYY"));
        assert!(glob.matches("abbcd"));
        assert!(!glob.matches("aXXbd"));
        assert!(plain("?").matches("é"));
        assert!(!plain("a?c").matches("ac"));
        assert!(plain(r"*\?*").matches("what?"));
        assert!(!plain(r"*\?*").matches("what"));
    }
}
