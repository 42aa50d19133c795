//! A rule's `condition`: `and`, `or`, `not`, parentheses, selection names, and `1 of` /
//! `all of` a name pattern (`selection_*`) or `them`, parsed into an expression over the
//! rule's selections with `not` binding tighter than `and`, and `and` than `or`.
//! Aggregations after `|` and counts other than `1` are refused.

use crate::pattern::{Anchor, Pattern};

/// A condition, over the indexes of the rule's selections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Selection(usize),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

impl Expr {
    /// Evaluates with `selection` telling whether the selection of an index matches.
    pub fn eval(&self, selection: &impl Fn(usize) -> bool) -> bool {
        match self {
            Expr::Selection(i) => selection(*i),
            Expr::Not(inner) => !inner.eval(selection),
            Expr::And(all) => all.iter().all(|e| e.eval(selection)),
            Expr::Or(any) => any.iter().any(|e| e.eval(selection)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'c> {
    Open,
    Close,
    And,
    Or,
    Not,
    /// `1 of` or `all of`: whether all are wanted.
    Of {
        all: bool,
    },
    Name(&'c str),
}

fn tokens(text: &str) -> Result<Vec<Token<'_>>, String> {
    let mut tokens = Vec::new();
    let mut rest = text.trim_start();
    while let Some(c) = rest.chars().next() {
        let (token, len) = match c {
            '(' => (Token::Open, 1),
            ')' => (Token::Close, 1),
            '|' => return Err(format!("condition '{text}': aggregations ('| ...') are not supported")),
            _ => {
                let len = rest
                    .find(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == '|')
                    .unwrap_or(rest.len());
                let word = &rest[..len];
                let lower = word.to_ascii_lowercase();
                let operator = matches!(lower.as_str(), "and" | "or" | "not");
                if !operator && next_word(&rest[len..]).eq_ignore_ascii_case("of") {
                    let all = match lower.as_str() {
                        "1" => false,
                        "all" => true,
                        other => {
                            return Err(format!(
                                "condition '{text}': '{other} of' is not supported (only '1 of' and 'all of')"
                            ))
                        }
                    };
                    tokens.push(Token::Of { all });
                    rest = rest[len..].trim_start()[2..].trim_start();
                    continue;
                }
                let token = match lower.as_str() {
                    "and" => Token::And,
                    "or" => Token::Or,
                    "not" => Token::Not,
                    "of" => return Err(format!("condition '{text}': 'of' must follow '1' or 'all'")),
                    _ => Token::Name(word),
                };
                (token, len)
            }
        };
        tokens.push(token);
        rest = rest[len..].trim_start();
    }
    Ok(tokens)
}

fn next_word(text: &str) -> &str {
    let text = text.trim_start();
    &text[..text.find(|c: char| c.is_whitespace() || c == '(' || c == ')').unwrap_or(text.len())]
}

/// Parses `text` over the selections `names` (in the order their indexes refer to).
///
/// # Errors
/// What is wrong with the condition: a name that is no selection, a pattern no selection
/// matches, a missing operand or parenthesis, an unsupported form.
pub fn parse(text: &str, names: &[String]) -> Result<Expr, String> {
    let tokens = tokens(text)?;
    let mut parser = Parser { text, names, tokens: &tokens, at: 0 };
    let expr = parser.or()?;
    match parser.tokens.get(parser.at) {
        None => Ok(expr),
        Some(token) => Err(format!("condition '{text}': unexpected {token:?} after a complete condition")),
    }
}

struct Parser<'p> {
    text: &'p str,
    names: &'p [String],
    tokens: &'p [Token<'p>],
    at: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        format!("condition '{}': {what}", self.text)
    }

    fn eat(&mut self, token: &Token<'_>) -> bool {
        let found = self.tokens.get(self.at) == Some(token);
        self.at += usize::from(found);
        found
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut any = vec![self.and()?];
        while self.eat(&Token::Or) {
            any.push(self.and()?);
        }
        Ok(if any.len() == 1 { any.remove(0) } else { Expr::Or(any) })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut all = vec![self.not()?];
        while self.eat(&Token::And) {
            all.push(self.not()?);
        }
        Ok(if all.len() == 1 { all.remove(0) } else { Expr::And(all) })
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.eat(&Token::Not) {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.operand()
    }

    fn operand(&mut self) -> Result<Expr, String> {
        let token = self
            .tokens
            .get(self.at)
            .cloned()
            .ok_or_else(|| self.error("a selection is missing at the end"))?;
        self.at += 1;
        match token {
            Token::Open => {
                let inner = self.or()?;
                if !self.eat(&Token::Close) {
                    return Err(self.error("a ')' is missing"));
                }
                Ok(inner)
            }
            Token::Name(name) => match self.names.iter().position(|n| n == name) {
                Some(i) => Ok(Expr::Selection(i)),
                None => Err(self.error(&format!("'{name}' is not a selection of the rule"))),
            },
            Token::Of { all } => {
                let Some(Token::Name(pattern)) = self.tokens.get(self.at).cloned() else {
                    return Err(self.error("'of' must be followed by a name pattern or 'them'"));
                };
                self.at += 1;
                let chosen: Vec<Expr> = if pattern == "them" {
                    // Sigma leaves names starting with `_` out of `them`.
                    (0..self.names.len())
                        .filter(|&i| !self.names[i].starts_with('_'))
                        .map(Expr::Selection)
                        .collect()
                } else {
                    let glob = Pattern::new(pattern, Anchor::Whole, true);
                    (0..self.names.len())
                        .filter(|&i| glob.matches(&self.names[i]))
                        .map(Expr::Selection)
                        .collect()
                };
                if chosen.is_empty() {
                    return Err(self.error(&format!("no selection matches '{pattern}'")));
                }
                Ok(if all { Expr::And(chosen) } else { Expr::Or(chosen) })
            }
            other => Err(self.error(&format!("expected a selection, found {other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Expr::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn precedence_and_parentheses() {
        let n = names(&["a", "b", "c"]);
        assert_eq!(
            parse("a or b and not c", &n).unwrap(),
            Or(vec![Selection(0), And(vec![Selection(1), Not(Box::new(Selection(2)))])])
        );
        assert_eq!(
            parse("(a or b) and c", &n).unwrap(),
            And(vec![Or(vec![Selection(0), Selection(1)]), Selection(2)])
        );
        assert_eq!(parse("NOT a AND b", &n).unwrap(), And(vec![Not(Box::new(Selection(0))), Selection(1)]));
    }

    #[test]
    fn of_patterns_and_them() {
        let n = names(&["selection_a", "selection_b", "filter", "_hidden"]);
        assert_eq!(parse("1 of selection_*", &n).unwrap(), Or(vec![Selection(0), Selection(1)]));
        assert_eq!(parse("all of selection*", &n).unwrap(), And(vec![Selection(0), Selection(1)]));
        assert_eq!(parse("all of them", &n).unwrap(), And(vec![Selection(0), Selection(1), Selection(2)]));
        assert_eq!(parse("1 of them", &n).unwrap(), Or(vec![Selection(0), Selection(1), Selection(2)]));
        assert_eq!(
            parse("selection_a and not 1 of filter*", &n).unwrap(),
            And(vec![Selection(0), Not(Box::new(Or(vec![Selection(2)])))])
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let n = names(&["a"]);
        assert!(parse("a and b", &n).unwrap_err().contains("'b' is not a selection"));
        assert!(parse("1 of x*", &n).unwrap_err().contains("no selection matches 'x*'"));
        assert!(parse("(a", &n).unwrap_err().contains("')' is missing"));
        assert!(parse("a and", &n).unwrap_err().contains("missing at the end"));
        assert!(parse("a | count() > 5", &n).unwrap_err().contains("aggregations"));
        assert!(parse("2 of a", &n).unwrap_err().contains("'2 of' is not supported"));
        assert!(parse("a a", &n).unwrap_err().contains("unexpected"));
    }
}
