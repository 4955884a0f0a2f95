//! Timestamps the way the API writes them.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

/// Parses an RFC 3339 instant, panicking on a typo in a test.
#[track_caller]
pub fn at(raw: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(raw)
        .unwrap_or_else(|e| panic!("{raw:?} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

/// The API's canonical form for event times: UTC, milliseconds, `Z`.
pub fn millis(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The API's form for bucket starts: whole seconds, `Z`.
pub fn seconds(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn minutes(n: i64) -> TimeDelta {
    TimeDelta::minutes(n)
}

/// Is `raw` exactly `YYYY-MM-DDTHH:MM:SS.sssZ`?
pub fn is_canonical_millis(raw: &str) -> bool {
    let b = raw.as_bytes();
    b.len() == 24
        && DateTime::parse_from_rfc3339(raw).is_ok()
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[20..23].iter().all(u8::is_ascii_digit)
        && b[23] == b'Z'
}
