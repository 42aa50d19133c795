//! Text as the picture prints it: every string from a finding is hostile, so it is escaped
//! for HTML and SVG here, shortened to fit a box (the full text goes on hover), and times
//! are written one way for the whole page.

use time::macros::format_description;
use time::OffsetDateTime;

/// `text` safe inside HTML or SVG text and inside a quoted attribute: markup characters
/// become entities, control characters (which XML forbids and terminals obey) become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters of `text`: an ARN or path first loses everything up to its last
/// `/` or `:` (the name is what tells nodes apart), then the middle gives way to `…`.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let name = match text.rsplit_once(['/', ':']) {
        Some((_, name)) if !name.is_empty() => name,
        _ => text,
    };
    let count = name.chars().count();
    if count <= max {
        return name.to_string();
    }
    let tail = max.saturating_sub(1) / 3;
    let head = max.saturating_sub(1 + tail);
    let mut out: String = name.chars().take(head).collect();
    out.push('…');
    out.extend(name.chars().skip(count - tail));
    out
}

/// The width, in pixels, a text of `chars` characters takes at `font_size`: DejaVu Sans and
/// the common sans-serif fonts average a little under 0.6 em per character.
pub fn text_width(chars: usize, font_size: f64) -> f64 {
    chars as f64 * font_size * 0.6
}

/// `2026-11-03 10:00:05Z` for milliseconds since the epoch; the number itself when it is out
/// of range.
pub fn timestamp(ms: i64) -> String {
    match at(ms) {
        Some(time) => time
            .format(format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z"))
            .unwrap_or_else(|_| ms.to_string()),
        None => ms.to_string(),
    }
}

/// `10:00:05`, the clock time for labels on the graph (the header gives the dates).
pub fn clock(ms: i64) -> String {
    match at(ms) {
        Some(time) => {
            time.format(format_description!("[hour]:[minute]:[second]")).unwrap_or_else(|_| ms.to_string())
        }
        None => ms.to_string(),
    }
}

/// `3 h 12 min`, `45 s`: how long a story lasted.
pub fn duration(ms: i64) -> String {
    let seconds = ms.max(0) / 1000;
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s if s < 86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

fn at(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_makes_markup_inert() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\"\u{1b}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;\u{FFFD}"
        );
    }

    #[test]
    fn shorten_keeps_the_name_of_an_arn() {
        assert_eq!(shorten("arn:aws:iam::111122223333:role/Admin", 20), "Admin");
        assert_eq!(shorten("short", 20), "short");
        let long = shorten(&"x".repeat(50), 10);
        assert_eq!(long.chars().count(), 10);
        assert!(long.contains('…'));
    }

    #[test]
    fn times_are_utc() {
        assert_eq!(timestamp(1_762_164_005_000), "2025-11-03 10:00:05Z");
        assert_eq!(clock(1_762_164_005_000), "10:00:05");
        assert_eq!(timestamp(i64::MAX), i64::MAX.to_string());
        assert_eq!(duration(3_725_000), "1 h 2 min");
    }
}
