//! Glob patterns as Falco's `glob` matches them (POSIX `fnmatch` without flags): `*` any run
//! of characters, `/` included; `?` any one character; `[abc]`, `[a-z]` and `[!a-z]` (or
//! `[^a-z]`) one character of a set or outside it; `\x` the character `x`.

/// A pattern, split once into what each position matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob(Vec<Piece>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Star,
    One,
    Char(char),
    /// A bracket expression: its ranges (a single character is a range of one), negated or not.
    Set {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Glob {
    pub fn new(pattern: &str) -> Glob {
        let mut pieces = Vec::new();
        let chars: Vec<char> = pattern.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let piece = match chars[i] {
                '*' => Piece::Star,
                '?' => Piece::One,
                '\\' if i + 1 < chars.len() => {
                    i += 1;
                    Piece::Char(chars[i])
                }
                '[' => match set(&chars[i + 1..]) {
                    Some((piece, used)) => {
                        i += used;
                        piece
                    }
                    // An unclosed bracket is a literal `[`, as fnmatch takes it.
                    None => Piece::Char('['),
                },
                c => Piece::Char(c),
            };
            pieces.push(piece);
            i += 1;
        }
        Glob(pieces)
    }

    /// Whether the whole of `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        let value: Vec<char> = value.chars().collect();
        let pattern = &self.0;
        let (mut p, mut v) = (0, 0);
        // Where the last `*` was and the value position it has taken up to: backtracking
        // to it is enough, as a later `*` can match whatever an earlier one would have.
        let mut star: Option<(usize, usize)> = None;
        while v < value.len() {
            match pattern.get(p) {
                Some(Piece::Star) => {
                    star = Some((p, v));
                    p += 1;
                }
                Some(piece) if piece.takes(value[v]) => {
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
        pattern[p..].iter().all(|piece| *piece == Piece::Star)
    }
}

impl Piece {
    fn takes(&self, c: char) -> bool {
        match self {
            Piece::Star | Piece::One => true,
            Piece::Char(x) => *x == c,
            Piece::Set { negated, ranges } => {
                ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated
            }
        }
    }
}

/// The bracket expression after a `[`, and how many characters it takes with its `]`.
fn set(chars: &[char]) -> Option<(Piece, usize)> {
    let negated = matches!(chars.first(), Some('!' | '^'));
    let mut i = usize::from(negated);
    let mut ranges = Vec::new();
    // A `]` first in the set is a member, not its end.
    let mut first = true;
    while i < chars.len() {
        let c = chars[i];
        if c == ']' && !first {
            return Some((Piece::Set { negated, ranges }, i + 1));
        }
        first = false;
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|end| *end != ']') {
            ranges.push((c, chars[i + 2]));
            i += 3;
        } else {
            ranges.push((c, c));
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(pattern: &str, value: &str) -> bool {
        Glob::new(pattern).matches(value)
    }

    #[test]
    fn matches_as_fnmatch_does() {
        assert!(glob("arn:aws:iam::*:role/admin-?", "arn:aws:iam::1:role/admin-x"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b", "axxc"));
        assert!(!glob("abc", "abcd"));
        assert!(glob("/etc/*", "/etc/kubernetes/admin.conf"), "a star crosses '/'");
        assert!(glob("us-[a-z]*-[0-9]", "us-east-1"));
        assert!(!glob("us-[!e]*", "us-east-1"));
        assert!(glob("us-[^w]*", "us-east-1"));
        assert!(glob("[]x]", "]"));
        assert!(glob("a\\*", "a*") && !glob("a\\*", "ab"));
        assert!(glob("a[", "a["), "an unclosed bracket is literal");
        assert!(glob("é?", "éà"), "characters, not bytes");
    }
}
