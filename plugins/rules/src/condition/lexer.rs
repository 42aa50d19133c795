//! Splits a Falco condition into tokens, each with the byte offset it starts at.

/// One token of a condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A field name, a macro or list name, a keyword or a bare value (`CreateBucket`,
    /// `us-east-1`, `jevt.value[/eventName]`, `$.requestParameters['x-amz-acl']`).
    Word(String),
    /// A quoted string, unescaped.
    Quoted(String),
    Open,
    Close,
    Comma,
    /// `=`, `==`, `!=`, `<`, `<=`, `>`, `>=`.
    Symbol(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned {
    pub token: Token,
    pub offset: usize,
    /// The text as written, to point at it in the file.
    pub text: String,
}

/// The tokens of `text`.
///
/// # Errors
/// `(offset, message)` for an unterminated string or bracket, or a stray character.
pub fn lex(text: &str) -> Result<Vec<Spanned>, (usize, String)> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let token = match c {
            b if b.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'(' => {
                i += 1;
                Token::Open
            }
            b')' => {
                i += 1;
                Token::Close
            }
            b',' => {
                i += 1;
                Token::Comma
            }
            b'"' | b'\'' => {
                let (value, end) = quoted(text, i)?;
                i = end;
                Token::Quoted(value)
            }
            b'=' | b'!' | b'<' | b'>' => {
                let two = text.get(i..i + 2).unwrap_or("");
                let symbol = match two {
                    "==" => "==",
                    "!=" => "!=",
                    "<=" => "<=",
                    ">=" => ">=",
                    _ => match c {
                        b'=' => "=",
                        b'<' => "<",
                        b'>' => ">",
                        _ => return Err((i, "'!' must be followed by '='".to_string())),
                    },
                };
                i += symbol.len();
                Token::Symbol(symbol)
            }
            _ => {
                i = word_end(text, i)?;
                Token::Word(text[start..i].to_string())
            }
        };
        tokens.push(Spanned { token, offset: start, text: text[start..i].to_string() });
    }
    Ok(tokens)
}

/// The end of a bare word starting at `start`: up to whitespace, a parenthesis, a comma or an
/// operator symbol; a `[...]` (a JSON pointer or JSONPath index) is taken whole.
fn word_end(text: &str, start: usize) -> Result<usize, (usize, String)> {
    let bytes = text.as_bytes();
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'[' => {
                let close = text[i..].find(']').ok_or((i, "unterminated '['".to_string()))?;
                i += close + 1;
            }
            b if b.is_ascii_whitespace() => break,
            b'(' | b')' | b',' | b'=' | b'!' | b'<' | b'>' | b'"' => break,
            _ => i += text[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
    Ok(i)
}

/// A string quoted with `"` or `'` starting at `start`, with `\` escapes; its value and end.
fn quoted(text: &str, start: usize) -> Result<(String, usize), (usize, String)> {
    let quote = text.as_bytes()[start] as char;
    let mut value = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, other)) => value.push(other),
                None => break,
            },
            c if c == quote => return Ok((value, start + 1 + at + 1)),
            c => value.push(c),
        }
    }
    Err((start, "unterminated string".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<Token> {
        lex(text).unwrap().into_iter().map(|t| t.token).collect()
    }

    #[test]
    fn words_symbols_strings_and_brackets() {
        assert_eq!(
            tokens("ct.name=CreateBucket and jevt.value[/a b]!='x y' or s in (a,\"b\\\"c\")"),
            vec![
                Token::Word("ct.name".into()),
                Token::Symbol("="),
                Token::Word("CreateBucket".into()),
                Token::Word("and".into()),
                Token::Word("jevt.value[/a b]".into()),
                Token::Symbol("!="),
                Token::Quoted("x y".into()),
                Token::Word("or".into()),
                Token::Word("s".into()),
                Token::Word("in".into()),
                Token::Open,
                Token::Word("a".into()),
                Token::Comma,
                Token::Quoted("b\"c".into()),
                Token::Close,
            ]
        );
    }

    #[test]
    fn bad_input_names_its_offset() {
        assert_eq!(lex("a = 'open").unwrap_err().0, 4);
        assert_eq!(lex("a ! b").unwrap_err().0, 2);
        assert_eq!(lex("json.value[/a").unwrap_err().0, 10);
    }
}
