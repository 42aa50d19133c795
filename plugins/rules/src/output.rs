//! A rule's `output`: text with `%field` references, rendered for each matching event.
//! A field the event lacks renders as `<NA>`, as Falco writes it.

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
    /// Splits `text` at its `%field` references (a name of letters, digits, `_` and `.`,
    /// with a `[...]` taken whole; a trailing `.` ends the sentence, not the name).
    ///
    /// # Errors
    /// The name of a field no field has.
    pub fn parse(text: &str) -> Result<Output, String> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('%') {
            literal.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let len = name_len(after);
            if len == 0 {
                literal.push('%');
                rest = after;
                continue;
            }
            let name = &after[..len];
            let field = Field::parse(name).ok_or_else(|| name.to_string())?;
            if !literal.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut literal)));
            }
            pieces.push(Piece::Field(field));
            rest = &after[len..];
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
                Piece::Field(field) => {
                    field.value(event).map_or_else(|| "<NA>".to_string(), |v| v.into_owned())
                }
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

    #[test]
    fn splits_at_field_references() {
        let output = Output::parse("100% sure: %ct.user (%ct.srcip) made %jevt.value[/eventName].").unwrap();
        let fields: Vec<_> = output.fields().cloned().collect();
        assert_eq!(fields, vec![Field::ActorName, Field::SourceIp, Field::Path("$.eventName".into())]);
        assert_eq!(Output::parse("by %ct.nope").unwrap_err(), "ct.nope");
    }
}
