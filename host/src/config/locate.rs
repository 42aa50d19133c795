//! Pointing at a place in the config text: a field path (`plugins[1].name`) and the byte
//! span it occupies, turned into a 1-based line and column.
//!
//! serde reports a span for most errors, but for a table whose type is picked by its `type`
//! key (sources, sinks) it reports the whole table, and semantic checks know only the field.
//! So both are resolved here against the spanned document tree the `toml` crate parses.

use std::fmt;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One step into the document: a key of a table or an index into an array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// Where a value sits in the document, as a path of keys and indexes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    /// The document itself.
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// `self.key`.
    pub fn key(&self, key: &str) -> Self {
        let mut path = self.clone();
        path.0.push(Segment::Key(key.to_string()));
        path
    }

    /// `self[index]`.
    pub fn index(&self, index: usize) -> Self {
        let mut path = self.clone();
        path.0.push(Segment::Index(index));
        path
    }

    /// A path from a key: `FieldPath::of("engine").key("workers")`.
    pub fn of(key: &str) -> Self {
        Self::root().key(key)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// The span of the value at `path`, or of the nearest enclosing value that exists (a missing
/// key points at its table). `None` when the text does not parse.
pub fn span_of(text: &str, path: &FieldPath) -> Option<Range<usize>> {
    let document = DeTable::parse(text).ok()?;
    let mut span = 0..0;
    let mut table = Some(document.get_ref());
    let mut array: Option<&[Spanned<DeValue<'_>>]> = None;
    for segment in &path.0 {
        let next = match (segment, table, array) {
            (Segment::Key(key), Some(t), _) => t.iter().find(|(k, _)| k.get_ref() == key).map(|(_, v)| v),
            (Segment::Index(index), _, Some(items)) => items.get(*index),
            _ => None,
        };
        let Some(value) = next else { break };
        span = value.span();
        (table, array) = match value.get_ref() {
            DeValue::Table(t) => (Some(t), None),
            DeValue::Array(items) => (None, Some(&items[..])),
            _ => (None, None),
        };
    }
    Some(span)
}

/// Checks one element of an array whose elements are picked by a `type` key, by
/// deserializing it alone (see [`refine`]).
pub type ElementCheck = fn(Spanned<DeValue<'_>>) -> Result<(), toml::de::Error>;

/// What a deserialize error points at, refined to the field at fault. Returns the field's
/// path (when found) and the span to report.
///
/// serde reports an error inside a `type`-tagged table of an array (`[[sinks]]`) with the
/// span of the whole array, so for the arrays in `tagged` each element is deserialized
/// alone to find the one that fails. Within a table, "unknown field `k`" points at key `k`
/// and "unknown variant `v`" at the value `v`.
pub fn refine(
    text: &str,
    span: Range<usize>,
    message: &str,
    tagged: &[(&str, ElementCheck)],
) -> (Option<FieldPath>, Range<usize>) {
    let Ok(document) = DeTable::parse(text) else { return (None, span) };
    for (key, check) in tagged {
        let Some((_, value)) = document.get_ref().iter().find(|(k, _)| k.get_ref() == key) else { continue };
        let DeValue::Array(items) = value.get_ref() else { continue };
        if value.span() != span && !items.iter().any(|item| item.span() == span) {
            continue;
        }
        for (index, item) in items.iter().enumerate() {
            if check(item.clone()).is_err() {
                let (path, span) = within(item, FieldPath::of(key).index(index), message);
                return (Some(path), span);
            }
        }
    }
    let mut found = None;
    find_in_table(document.get_ref(), &FieldPath::root(), &span, message, &mut found);
    match found {
        Some((path, span)) => (Some(path), span),
        None => (None, span),
    }
}

/// The key or value inside `value` (at `path`) that `message` is about, else `value` itself.
fn within(value: &Spanned<DeValue<'_>>, path: FieldPath, message: &str) -> (FieldPath, Range<usize>) {
    let DeValue::Table(table) = value.get_ref() else { return (path, value.span()) };
    if let Some(key) = quoted_after(message, "unknown field `") {
        if let Some((k, _)) = table.iter().find(|(k, _)| k.get_ref() == key) {
            return (path.key(key), k.span());
        }
    }
    if let Some(variant) = quoted_after(message, "unknown variant `") {
        let is_variant = |v: &Spanned<DeValue<'_>>| matches!(v.get_ref(), DeValue::String(s) if s == variant);
        if let Some((k, v)) = table.iter().find(|(_, v)| is_variant(v)) {
            return (path.key(k.get_ref()), v.span());
        }
    }
    (path, value.span())
}

/// `key` in serde's "unknown field `key`, expected ..." style messages.
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?;
    Some(&rest[..rest.find('`')?])
}

type Found = Option<(FieldPath, Range<usize>)>;

fn find_in_table(
    table: &DeTable<'_>,
    path: &FieldPath,
    target: &Range<usize>,
    message: &str,
    found: &mut Found,
) {
    for (name, value) in table.iter() {
        if found.is_some() {
            return;
        }
        let here = path.key(name.get_ref());
        if name.span() == *target {
            *found = Some((here, name.span()));
            return;
        }
        find_in_value(value, &here, target, message, found);
    }
}

fn find_in_value(
    value: &Spanned<DeValue<'_>>,
    path: &FieldPath,
    target: &Range<usize>,
    message: &str,
    found: &mut Found,
) {
    // Deepest match first: an array of tables shares its first header's span with that
    // table, and the table is what the error is about.
    match value.get_ref() {
        DeValue::Table(table) => find_in_table(table, path, target, message, found),
        DeValue::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                if found.is_some() {
                    break;
                }
                find_in_value(item, &path.index(index), target, message, found);
            }
        }
        _ => {}
    }
    if found.is_none() && value.span() == *target {
        *found = Some(within(value, path.clone(), message));
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    // A span never splits a character, but be safe with foreign offsets.
    let offset = (0..=offset).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}
