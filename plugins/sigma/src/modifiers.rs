//! The modifiers of a detection key (`eventName|startswith`, `userAgent|contains|all`): the
//! ones this plugin implements, and a refusal naming any other.

use crate::pattern::Anchor;

/// What a value is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// A string (with wildcards) placed by the anchor.
    Text(Anchor),
    /// `re`, with its `i`, `m` and `s` flags.
    Regex {
        insensitive: bool,
        multi_line: bool,
        dot_all: bool,
    },
    Cidr,
    /// `exists: true|false`.
    Exists,
    /// The value names another field whose value must be equal.
    FieldRef,
}

/// A key's field name and modifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key<'k> {
    /// Empty for a keyword search written as a mapping (`'|all': [...]`).
    pub field: &'k str,
    pub compare: Compare,
    /// `all`: every value of the list must match, not one of them.
    pub all: bool,
    pub cased: bool,
}

/// Modifiers Sigma defines that this plugin does not implement, with why.
const REFUSED: &[(&str, &str)] = &[
    ("windash", "it expands command-line dashes, which cloud audit records do not carry"),
    ("base64", "values encoded in base64 are not decoded from cloud records"),
    ("base64offset", "values encoded in base64 are not decoded from cloud records"),
    ("utf16le", "it encodes values as UTF-16, which cloud records are not"),
    ("utf16be", "it encodes values as UTF-16, which cloud records are not"),
    ("utf16", "it encodes values as UTF-16, which cloud records are not"),
    ("wide", "it encodes values as UTF-16, which cloud records are not"),
    ("expand", "placeholders need a value table this plugin is not given"),
    ("lt", "numeric comparisons are not implemented"),
    ("lte", "numeric comparisons are not implemented"),
    ("gt", "numeric comparisons are not implemented"),
    ("gte", "numeric comparisons are not implemented"),
];

impl<'k> Key<'k> {
    /// # Errors
    /// The modifier that is unknown, refused or combined in a way Sigma does not allow.
    pub fn parse(key: &'k str) -> Result<Self, String> {
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or_default();
        let mut parsed = Key { field, compare: Compare::Text(Anchor::Whole), all: false, cased: false };
        let set = |parsed: &mut Key<'k>, compare: Compare, name: &str| {
            if parsed.compare != Compare::Text(Anchor::Whole) {
                return Err(format!("{key}: modifier '{name}' cannot be combined with another comparison"));
            }
            parsed.compare = compare;
            Ok(())
        };
        for modifier in parts {
            match modifier {
                "contains" => set(&mut parsed, Compare::Text(Anchor::Contains), modifier)?,
                "startswith" => set(&mut parsed, Compare::Text(Anchor::StartsWith), modifier)?,
                "endswith" => set(&mut parsed, Compare::Text(Anchor::EndsWith), modifier)?,
                "re" => {
                    let flags = Compare::Regex { insensitive: false, multi_line: false, dot_all: false };
                    set(&mut parsed, flags, modifier)?;
                }
                "i" | "m" | "s" => match &mut parsed.compare {
                    Compare::Regex { insensitive, multi_line, dot_all } => {
                        *match modifier {
                            "i" => insensitive,
                            "m" => multi_line,
                            _ => dot_all,
                        } = true;
                    }
                    _ => return Err(format!("{key}: modifier '{modifier}' only follows 're'")),
                },
                "cidr" => set(&mut parsed, Compare::Cidr, modifier)?,
                "exists" => set(&mut parsed, Compare::Exists, modifier)?,
                "fieldref" => set(&mut parsed, Compare::FieldRef, modifier)?,
                "all" => parsed.all = true,
                "cased" => parsed.cased = true,
                other => {
                    return Err(match REFUSED.iter().find(|(name, _)| *name == other) {
                        Some((_, why)) => format!("{key}: modifier '{other}' is not supported: {why}"),
                        None => format!("{key}: unknown modifier '{other}'"),
                    })
                }
            }
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_modifiers() {
        let key = Key::parse("userAgent|contains|all").unwrap();
        assert_eq!((key.field, key.compare, key.all), ("userAgent", Compare::Text(Anchor::Contains), true));
        let key = Key::parse("arn|re|i").unwrap();
        assert_eq!(key.compare, Compare::Regex { insensitive: true, multi_line: false, dot_all: false });
        assert_eq!(Key::parse("|all").unwrap().field, "");
        assert!(Key::parse("a|cased").unwrap().cased);
    }

    #[test]
    fn refuses_naming_the_modifier() {
        let err = Key::parse("CommandLine|windash|contains").unwrap_err();
        assert!(err.contains("modifier 'windash' is not supported"), "{err}");
        assert!(Key::parse("a|base64offset|contains").unwrap_err().contains("'base64offset'"));
        assert!(Key::parse("a|utf16le").unwrap_err().contains("'utf16le'"));
        assert!(Key::parse("a|frobnicate").unwrap_err().contains("unknown modifier 'frobnicate'"));
        assert!(Key::parse("a|contains|startswith").unwrap_err().contains("cannot be combined"));
        assert!(Key::parse("a|i").unwrap_err().contains("only follows 're'"));
    }
}
