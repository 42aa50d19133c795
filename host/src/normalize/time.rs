//! Event timestamps: ISO-8601 (CloudTrail's `eventTime`, GCP's `timestamp`, Azure's `time`, with
//! up to nine fraction digits) and the variants exports produce.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::lenient::Loose;

/// Milliseconds since the Unix epoch for an `eventTime` value: RFC 3339
/// (`2026-03-01T12:00:00Z`, with or without fraction or offset), the space-separated form
/// (`2026-03-01 12:00:00`, read as UTC), or a number of seconds or milliseconds.
pub fn parse_event_time(value: &Loose<'_>) -> Option<i64> {
    match value {
        Loose::Str(text) => parse_text(text.trim()),
        &Loose::Number(n) => {
            // Seconds until the year 5138; anything larger is milliseconds.
            let ms = if n.abs() < 1e11 { n * 1000.0 } else { n };
            // A number is a time only between years 1 and 9999, as a text time is: `1e300`
            // would otherwise become `i64::MAX` (the float cast saturates) and pass for one.
            (ms.is_finite() && (EARLIEST_MS..=LATEST_MS).contains(&(ms as i64))).then_some(ms as i64)
        }
        _ => None,
    }
}

/// The time of an optional timestamp field named `key`: `None` when absent or `null`, an
/// error naming the field when present but unreadable (a wrong time would corrupt every time
/// window downstream, so it is never guessed).
pub fn optional(field: &Option<Loose<'_>>, key: &str) -> Result<Option<i64>, String> {
    match field {
        None => Ok(None),
        Some(t) => {
            parse_event_time(t).map(Some).ok_or_else(|| format!("{key}: cannot read {t} as a timestamp"))
        }
    }
}

/// The time of a record that says it in `field` (named `key`), else in one of `fallbacks`
/// (where trimmed or exported copies that lack the field keep a time): an unreadable `field`
/// is an error, as for [`optional`]; an unreadable fallback counts as absent, since the
/// record's own time is missing either way and the engine gives it the stream's.
pub fn with_fallbacks(
    field: &Option<Loose<'_>>,
    key: &str,
    fallbacks: &[&Option<Loose<'_>>],
) -> Result<Option<i64>, String> {
    match optional(field, key)? {
        Some(time) => Ok(Some(time)),
        None => Ok(fallbacks.iter().find_map(|fallback| fallback.as_ref().and_then(parse_event_time))),
    }
}

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z, the range RFC 3339 can write.
const EARLIEST_MS: i64 = -62_135_596_800_000;
const LATEST_MS: i64 = 253_402_300_799_999;

fn parse_text(text: &str) -> Option<i64> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(millis(t));
    }
    // `2026-03-01 12:00:00[.fff][Z]`: make it RFC 3339, defaulting to UTC.
    let date_time = text.get(..10).zip(text.get(11..))?;
    let mut candidate = format!("{}T{}", date_time.0, date_time.1);
    let has_offset = candidate.ends_with('Z') || candidate[11..].contains(['+', '-']);
    if !has_offset {
        candidate.push('Z');
    }
    OffsetDateTime::parse(&candidate, &Rfc3339).ok().map(millis)
}

fn millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::super::lenient::Loose;
    use serde::Deserialize;
    use serde_json::{json, Value};

    fn parse_event_time(value: &Value) -> Option<i64> {
        super::parse_event_time(&Loose::deserialize(value).unwrap())
    }

    #[test]
    fn reads_the_forms_found_in_the_wild() {
        let at = 1_735_732_800_000; // 2025-01-01T12:00:00Z
        assert_eq!(parse_event_time(&json!("2025-01-01T12:00:00Z")), Some(at));
        assert_eq!(parse_event_time(&json!("2025-01-01T12:00:00.250Z")), Some(at + 250));
        assert_eq!(parse_event_time(&json!("2025-01-01T14:00:00+02:00")), Some(at));
        assert_eq!(parse_event_time(&json!("2025-01-01 12:00:00")), Some(at));
        assert_eq!(parse_event_time(&json!("2025-01-01 12:00:00Z")), Some(at));
        assert_eq!(parse_event_time(&json!(1_735_732_800)), Some(at));
        assert_eq!(parse_event_time(&json!(at)), Some(at));
        assert_eq!(parse_event_time(&json!("redacted")), None);
        assert_eq!(parse_event_time(&json!("...")), None);
        assert_eq!(parse_event_time(&json!(1e300)), None, "no time, not i64::MAX");
        assert_eq!(parse_event_time(&json!(-1e300)), None);
        assert_eq!(parse_event_time(&json!("9999-12-31T00:00:00Z")), Some(253_402_214_400_000));
    }
}
