//! Text from outside (file names, record contents, a plugin's log lines and findings) made safe
//! to print: control characters, terminal escape sequences among them, are shown escaped, so
//! a hostile file name cannot rewrite the operator's terminal or forge log lines.

use std::borrow::Cow;

/// `text` with every control character escaped (`\u{1b}`, `\n`, ...); unchanged, and not
/// copied, when it has none.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// An error and its causes, each said once: most errors here already name their cause in
/// their own message (`cannot read x.json: No such file`), so a cause whose text is already
/// there is not repeated.
pub fn chain(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::{chain, printable};

    #[test]
    fn a_cause_already_named_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory (os error 2)");
        let error =
            anyhow::Error::new(io).context("cannot read x.json: No such file or directory (os error 2)");
        assert_eq!(chain(&error), "cannot read x.json: No such file or directory (os error 2)");
        let error = anyhow::anyhow!("inner").context("outer");
        assert_eq!(chain(&error), "outer: inner");
    }

    #[test]
    fn escapes_only_control_characters() {
        assert_eq!(printable("plain/ünïcode name.json"), "plain/ünïcode name.json");
        assert!(matches!(printable("plain"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(printable("evil\x1b[2J\x1b]0;title\x07.json"), "evil\\u{1b}[2J\\u{1b}]0;title\\u{7}.json");
        assert_eq!(printable("two\nlines\r"), "two\\nlines\\r");
    }
}
