//! Parses a condition's tokens into an expression, names unresolved: `not` binds tighter
//! than `and`, `and` tighter than `or`; parentheses group.

use super::lexer::{Spanned, Token};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Intersects,
    Contains,
    IContains,
    StartsWith,
    EndsWith,
    Glob,
    IGlob,
    Regex,
    BContains,
    BStartsWith,
    PMatch,
}

impl Op {
    /// The operator a token spells, if any.
    pub fn of(token: &Token) -> Option<Op> {
        Some(match token {
            Token::Symbol("=" | "==") => Op::Eq,
            Token::Symbol("!=") => Op::Ne,
            Token::Symbol("<") => Op::Lt,
            Token::Symbol("<=") => Op::Le,
            Token::Symbol(">") => Op::Gt,
            Token::Symbol(">=") => Op::Ge,
            Token::Word(w) => match w.as_str() {
                "in" => Op::In,
                "intersects" => Op::Intersects,
                "contains" => Op::Contains,
                "icontains" => Op::IContains,
                "startswith" => Op::StartsWith,
                "endswith" => Op::EndsWith,
                "glob" => Op::Glob,
                "iglob" => Op::IGlob,
                "regex" => Op::Regex,
                "bcontains" => Op::BContains,
                "bstartswith" => Op::BStartsWith,
                "pmatch" => Op::PMatch,
                _ => return None,
            },
            _ => return None,
        })
    }

    /// Whether the operator takes a list on its right.
    pub fn takes_list(self) -> bool {
        matches!(self, Op::In | Op::Intersects | Op::PMatch)
    }

    /// Whether the operator applies to a list field (Falco takes `in`, `intersects` and
    /// `exists` only).
    pub fn on_lists(self) -> bool {
        matches!(self, Op::In | Op::Intersects)
    }

    /// Whether the operator can compare with another field's value (`val(field)`); Falco
    /// refuses it for `regex` and `pmatch`, and lists for `in` and `intersects`.
    pub fn takes_field(self) -> bool {
        !matches!(self, Op::Regex | Op::PMatch | Op::In | Op::Intersects)
    }
}

/// A name as written (a field, macro or list), with the offset it starts at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    pub offset: usize,
}

/// The right side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// A quoted string or a number: always a value.
    Literal(String),
    /// A bare word: a value, or inside a list the name of a list to splice in.
    Bare(Name),
    List(Vec<Operand>),
    /// `val(field)`: another field's value.
    Field(Name),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare {
        field: Name,
        op: Op,
        value: Operand,
    },
    Exists(Name),
    /// A bare name standing alone: a macro.
    Macro(Name),
}

/// The expression of a whole condition.
///
/// # Errors
/// `(offset, message)` at the token that does not fit.
pub fn parse(tokens: &[Spanned], end: usize) -> Result<Expr, (usize, String)> {
    let mut parser = Parser { tokens, at: 0, end };
    let expr = parser.or()?;
    match parser.peek() {
        None => Ok(expr),
        Some(t) => Err((t.offset, format!("unexpected '{}' (expected and, or or the end)", t.text))),
    }
}

struct Parser<'t> {
    tokens: &'t [Spanned],
    at: usize,
    /// The length of the condition, where an error at its end points.
    end: usize,
}

const KEYWORDS: [&str; 3] = ["and", "or", "not"];

impl Parser<'_> {
    fn peek(&self) -> Option<&Spanned> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<&Spanned> {
        let token = self.tokens.get(self.at);
        self.at += 1;
        token
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Spanned { token: Token::Word(w), .. }) if w == word)
    }

    fn missing(&self, what: &str) -> (usize, String) {
        match self.peek() {
            Some(t) => (t.offset, format!("expected {what}, found '{}'", t.text)),
            None => (self.end, format!("expected {what}, found the end of the condition")),
        }
    }

    fn or(&mut self) -> Result<Expr, (usize, String)> {
        let mut left = self.and()?;
        while self.is_word("or") {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, (usize, String)> {
        let mut left = self.not()?;
        while self.is_word("and") {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, (usize, String)> {
        if self.is_word("not") {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, (usize, String)> {
        let Some(token) = self.peek().cloned() else { return Err(self.missing("a condition")) };
        match &token.token {
            Token::Open => {
                self.at += 1;
                let inner = self.or()?;
                match self.next() {
                    Some(Spanned { token: Token::Close, .. }) => Ok(inner),
                    _ => {
                        self.at -= 1;
                        Err(self.missing("')'"))
                    }
                }
            }
            Token::Word(word) if !KEYWORDS.contains(&word.as_str()) => {
                self.at += 1;
                let name = Name { text: word.clone(), offset: token.offset };
                if self.is_word("exists") {
                    self.at += 1;
                    return Ok(Expr::Exists(name));
                }
                let Some(op) = self.peek().and_then(|t| Op::of(&t.token)) else {
                    return match self.peek() {
                        Some(Spanned { token: Token::Word(w), offset, text })
                            if !KEYWORDS.contains(&w.as_str()) =>
                        {
                            Err((*offset, format!("unknown operator '{text}' after '{}'", name.text)))
                        }
                        _ => Ok(Expr::Macro(name)),
                    };
                };
                self.at += 1;
                let value = if op.takes_list() { self.list_operand()? } else { self.value()? };
                Ok(Expr::Compare { field: name, op, value })
            }
            _ => Err(self.missing("a field, a macro or '('")),
        }
    }

    fn value(&mut self) -> Result<Operand, (usize, String)> {
        match self.peek().cloned() {
            Some(Spanned { token: Token::Quoted(s), .. }) => {
                self.at += 1;
                Ok(Operand::Literal(s))
            }
            Some(Spanned { token: Token::Word(w), .. })
                if w == "val"
                    && matches!(self.tokens.get(self.at + 1), Some(Spanned { token: Token::Open, .. })) =>
            {
                self.at += 2;
                let field = match self.next().cloned() {
                    Some(Spanned { token: Token::Word(name), offset, .. }) => Name { text: name, offset },
                    _ => {
                        self.at -= 1;
                        return Err(self.missing("a field in val(...)"));
                    }
                };
                match self.next() {
                    Some(Spanned { token: Token::Close, .. }) => Ok(Operand::Field(field)),
                    _ => {
                        self.at -= 1;
                        Err(self.missing("')' after val(field"))
                    }
                }
            }
            Some(Spanned { token: Token::Word(w), offset, .. }) => {
                self.at += 1;
                Ok(Operand::Bare(Name { text: w, offset }))
            }
            _ => Err(self.missing("a value")),
        }
    }

    /// `(a, b, (c, d), named)` or a list's bare name.
    fn list_operand(&mut self) -> Result<Operand, (usize, String)> {
        if !matches!(self.peek(), Some(Spanned { token: Token::Open, .. })) {
            return self.value();
        }
        self.at += 1;
        let mut items = Vec::new();
        if matches!(self.peek(), Some(Spanned { token: Token::Close, .. })) {
            self.at += 1;
            return Ok(Operand::List(items));
        }
        loop {
            items.push(self.list_operand()?);
            match self.next().map(|t| &t.token) {
                Some(Token::Comma) => {}
                Some(Token::Close) => return Ok(Operand::List(items)),
                _ => {
                    self.at -= 1;
                    return Err(self.missing("',' or ')' in a list"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;
    use super::*;

    fn parsed(text: &str) -> Result<Expr, (usize, String)> {
        parse(&lex(text).unwrap(), text.len())
    }

    fn name(text: &str, offset: usize) -> Name {
        Name { text: text.into(), offset }
    }

    #[test]
    fn not_binds_tighter_than_and_and_and_than_or() {
        let expr = parsed("a or not b and c").unwrap();
        assert_eq!(
            expr,
            Expr::Or(
                Box::new(Expr::Macro(name("a", 0))),
                Box::new(Expr::And(
                    Box::new(Expr::Not(Box::new(Expr::Macro(name("b", 9))))),
                    Box::new(Expr::Macro(name("c", 15)))
                )),
            )
        );
        let grouped = parsed("(a or b) and c").unwrap();
        assert!(matches!(grouped, Expr::And(left, _) if matches!(*left, Expr::Or(..))));
    }

    #[test]
    fn comparisons_lists_and_exists() {
        let expr = parsed("ct.name in (A, 'B', (C), my_list) and ct.error exists").unwrap();
        let Expr::And(left, right) = expr else { panic!("not an and") };
        assert_eq!(
            *left,
            Expr::Compare {
                field: name("ct.name", 0),
                op: Op::In,
                value: Operand::List(vec![
                    Operand::Bare(name("A", 12)),
                    Operand::Literal("B".into()),
                    Operand::List(vec![Operand::Bare(name("C", 21))]),
                    Operand::Bare(name("my_list", 25)),
                ]),
            }
        );
        assert_eq!(*right, Expr::Exists(name("ct.error", 38)));
    }

    #[test]
    fn errors_point_at_the_offending_token() {
        assert_eq!(
            parsed("ct.name equals x").unwrap_err(),
            (8, "unknown operator 'equals' after 'ct.name'".into())
        );
        assert_eq!(parsed("(a and b").unwrap_err().0, 8);
        assert_eq!(parsed("a and").unwrap_err().0, 5);
        assert_eq!(parsed("ct.name in (a b)").unwrap_err().0, 14);
        assert_eq!(parsed("a b").unwrap_err().0, 2);
        assert_eq!(
            parsed("a = val(b").unwrap_err(),
            (9, "expected ')' after val(field, found the end of the condition".into())
        );
        assert_eq!(parsed("a = val()").unwrap_err().0, 8);
    }

    #[test]
    fn val_names_a_field() {
        assert_eq!(
            parsed("ct.user != val(ct.originaluser)").unwrap(),
            Expr::Compare {
                field: name("ct.user", 0),
                op: Op::Ne,
                value: Operand::Field(name("ct.originaluser", 15))
            }
        );
        assert!(matches!(parsed("a = val").unwrap(), Expr::Compare { value: Operand::Bare(_), .. }));
    }
}
