//! A rule's `output`: text with `%field` or `%(field)` references, rendered for each
//! matching event. A field the event lacks renders as `<NA>` and a list field as `(a,b)`, as
//! Falco writes them.

use trailhound_sdk::Event;

use crate::fields::Field;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field(Field),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    pieces: Vec<Piece>,
}

impl Output {
    /// Splits `text` at its `%field` and `%(field)` references (a name of letters, digits,
    /// `_` and `.`, with a `[...]` taken whole; a trailing `.` ends the sentence, not the name).
    ///
    /// # Errors
    /// The reference as written and what is wrong with its field.
    pub fn parse(text: &str) -> Result<Output, (String, String)> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('%') {
            literal.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let (name, taken) = match after.strip_prefix('(') {
                Some(inner) => match inner.find(')') {
                    Some(close) => (inner[..close].trim(), close + 2),
                    None => return Err((format!("%{after}"), "unterminated '%('".to_string())),
                },
                None => {
                    let len = name_len(after);
                    (&after[..len], len)
                }
            };
            if name.is_empty() {
                literal.push('%');
                rest = after;
                continue;
            }
            let field = Field::parse(name).map_err(|what| (format!("%{}", &after[..taken]), what))?;
            if !literal.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut literal)));
            }
            pieces.push(Piece::Field(field));
            rest = &after[taken..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Output { pieces })
    }

    pub fn render(&self, event: &Event<'_>) -> String {
        self.pieces
            .iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.clone(),
                Piece::Field(field) => field.render(event).unwrap_or_else(|| "<NA>".to_string()),
            })
            .collect()
    }

    /// The fields it renders.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Field(field) => Some(field),
            Piece::Text(_) => None,
        })
    }
}

fn name_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'[' => match text[i..].find(']') {
                Some(close) => i += close + 1,
                None => break,
            },
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'$' => i += 1,
            _ => break,
        }
    }
    text[..i].trim_end_matches('.').len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::Model;

    #[test]
    fn splits_at_field_references() {
        let output =
            Output::parse("100% sure: %ct.user (%(ct.srcip)) made %jevt.value[/eventName] as %ka.verb.")
                .unwrap();
        let fields: Vec<_> = output.fields().cloned().collect();
        assert_eq!(
            fields,
            vec![
                Field::Model(Model::CloudTrailUser),
                Field::Model(Model::SourceIp),
                Field::Path("$.eventName".into()),
                Field::Path("$.verb".into())
            ]
        );
        assert_eq!(
            Output::parse("by %ct.nope").unwrap_err(),
            ("%ct.nope".into(), "unknown field 'ct.nope'".into())
        );
        assert_eq!(Output::parse("by %(ct.nope)").unwrap_err().0, "%(ct.nope)");
        assert_eq!(Output::parse("by %(ct.user").unwrap_err().1, "unterminated '%('");
    }
}
