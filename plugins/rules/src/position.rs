//! Where something sits in a rules file: the file, line and column every error names, and the
//! lookup of an item's keys in the file's text (the YAML values themselves carry no positions).

use std::fmt;

/// A 1-based line and column in a named file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The text of one rules file, split at its top-level list items (`- ` at column 1, as every
/// Falco rules file writes them).
pub struct Source<'a> {
    file: &'a str,
    lines: Vec<&'a str>,
    /// The 0-based line where each top-level item starts.
    items: Vec<usize>,
}

impl<'a> Source<'a> {
    pub fn new(file: &'a str, text: &'a str) -> Self {
        let lines: Vec<&str> = text.lines().collect();
        let items = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.starts_with("- ") || **l == "-")
            .map(|(i, _)| i)
            .collect();
        Source { file, lines, items }
    }

    pub fn at(&self, line: usize, column: usize) -> Position {
        Position { file: self.file.to_string(), line, column }
    }

    fn item_lines(&self, item: usize) -> std::ops::Range<usize> {
        let start = self.items.get(item).copied().unwrap_or(0);
        let end = self.items.get(item + 1).copied().unwrap_or(self.lines.len());
        start..end
    }

    /// Where the item starts.
    pub fn item(&self, item: usize) -> Position {
        let line = self.items.get(item).copied().unwrap_or(0);
        self.at(line + 1, 1)
    }

    /// Where `key:` is written in the item, or the item's start when it is not found.
    pub fn key(&self, item: usize, key: &str) -> Position {
        self.key_line(item, key)
            .map_or_else(|| self.item(item), |(line, column)| self.at(line + 1, column + 1))
    }

    fn key_line(&self, item: usize, key: &str) -> Option<(usize, usize)> {
        self.item_lines(item).find_map(|i| {
            let line = self.lines[i];
            let body = line.trim_start_matches([' ', '-']);
            let column = line.len() - body.len();
            (body.starts_with(key) && body[key.len()..].trim_start().starts_with(':')).then_some((i, column))
        })
    }

    /// Where `needle` is first written at or after the item's `key:`, for an error inside a
    /// condition (a block scalar's lines are folded, so offsets alone cannot say).
    pub fn within(&self, item: usize, key: &str, needle: &str) -> Position {
        let Some((from, _)) = self.key_line(item, key) else { return self.item(item) };
        let found = (!needle.is_empty())
            .then(|| {
                (from..self.item_lines(item).end)
                    .find_map(|i| self.lines[i].find(needle).map(|c| self.at(i + 1, c + 1)))
            })
            .flatten();
        found.unwrap_or_else(|| self.key(item, key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_items_keys_and_text() {
        let text =
            "- list: a\n  items: [x]\n\n- rule: r\n  condition: >\n    ct.name = x\n    and bad.field = 1\n";
        let source = Source::new("f.yaml", text);
        assert_eq!(source.item(1).to_string(), "f.yaml:4:1");
        assert_eq!(source.key(1, "condition").to_string(), "f.yaml:5:3");
        assert_eq!(source.within(1, "condition", "bad.field").to_string(), "f.yaml:7:9");
        assert_eq!(source.key(0, "items").to_string(), "f.yaml:2:3");
    }
}
