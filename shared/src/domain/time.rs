//! Wire timestamps. Everything is UTC with millisecond precision, because event ids are ULIDs
//! whose time part is milliseconds: keeping the two in step makes `from`/`to` bounds exact.

use chrono::{DateTime, SecondsFormat, TimeDelta, Timelike, Utc};
use serde::{Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TimestampError {
    #[error("must be an RFC 3339 date-time, e.g. 2026-01-02T03:04:05Z")]
    NotRfc3339,
    #[error("must not be before 1970-01-01T00:00:00Z")]
    BeforeEpoch,
}

impl Timestamp {
    pub fn now() -> Self {
        Self::from_datetime(Utc::now())
    }

    /// Truncates to the millisecond; callers that need sub-millisecond bounds round explicitly.
    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        let at = without_leap_second(at);
        // Not `duration_trunc`: it works in i64 nanoseconds and gives up after 2262-04-11.
        let millis_only = at.nanosecond() / NANOS_PER_MILLI * NANOS_PER_MILLI;
        Self(at.with_nanosecond(millis_only).unwrap_or(at))
    }

    pub fn parse(raw: &str) -> Result<Self, TimestampError> {
        let parsed = DateTime::parse_from_rfc3339(raw).map_err(|_| TimestampError::NotRfc3339)?;
        let utc = parsed.with_timezone(&Utc);
        if utc.timestamp_millis() < 0 {
            return Err(TimestampError::BeforeEpoch);
        }
        Ok(Self::from_datetime(utc))
    }

    /// Parses and rounds *up* to the next millisecond, so an inclusive lower bound given with
    /// microseconds never admits an event that happened before it.
    pub fn parse_ceil(raw: &str) -> Result<Self, TimestampError> {
        let parsed = DateTime::parse_from_rfc3339(raw).map_err(|_| TimestampError::NotRfc3339)?;
        let utc = without_leap_second(parsed.with_timezone(&Utc));
        if utc.timestamp_millis() < 0 {
            return Err(TimestampError::BeforeEpoch);
        }
        let floor = Self::from_datetime(utc);
        if floor.0 == utc {
            Ok(floor)
        } else {
            Ok(Self(floor.0 + TimeDelta::milliseconds(1)))
        }
    }

    pub fn from_millis(ms: u64) -> Option<Self> {
        DateTime::from_timestamp_millis(i64::try_from(ms).ok()?).map(Self)
    }

    pub fn millis(&self) -> u64 {
        // Construction guarantees the instant is not before the epoch.
        u64::try_from(self.0.timestamp_millis()).unwrap_or(0)
    }

    pub fn datetime(&self) -> DateTime<Utc> {
        self.0
    }

    pub fn plus(&self, delta: TimeDelta) -> Self {
        Self(self.0 + delta)
    }

    /// The canonical wire form: `2026-01-02T03:04:05.678Z`.
    pub fn to_rfc3339(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

const NANOS_PER_MILLI: u32 = 1_000_000;
const NANOS_PER_SEC: u32 = 1_000_000_000;

/// RFC 3339 allows a leap second (`23:59:60`), which chrono keeps as second 59 with a nanosecond
/// field past one billion: nothing downstream (bucket starts, millisecond bounds, the id's time
/// part) expects that. It reads as the first second of the next minute, as Unix time counts it.
fn without_leap_second(at: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = at.nanosecond();
    if nanos < NANOS_PER_SEC {
        return at;
    }
    DateTime::from_timestamp(at.timestamp() + 1, nanos - NANOS_PER_SEC).unwrap_or(at)
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_to_utc_milliseconds() {
        let ts = Timestamp::parse("2026-01-02T05:04:05.123456+02:00").unwrap();
        assert_eq!(ts.to_rfc3339(), "2026-01-02T03:04:05.123Z");
    }

    #[test]
    fn ceil_rounds_sub_millisecond_bounds_up() {
        let ts = Timestamp::parse_ceil("2026-01-02T03:04:05.1231Z").unwrap();
        assert_eq!(ts.to_rfc3339(), "2026-01-02T03:04:05.124Z");
        let exact = Timestamp::parse_ceil("2026-01-02T03:04:05.123Z").unwrap();
        assert_eq!(exact.to_rfc3339(), "2026-01-02T03:04:05.123Z");
    }

    #[test]
    fn a_leap_second_reads_as_the_next_minute() {
        let ts = Timestamp::parse("2016-12-31T23:59:60.5Z").unwrap();
        assert_eq!(ts.to_rfc3339(), "2017-01-01T00:00:00.500Z");
        assert_eq!(ts.millis(), 1_483_228_800_500);
        let ceil = Timestamp::parse_ceil("2016-12-31T23:59:60Z").unwrap();
        assert_eq!(ceil.to_rfc3339(), "2017-01-01T00:00:00.000Z");
    }

    #[test]
    fn truncates_beyond_the_nanosecond_range_too() {
        // i64 nanoseconds end in 2262; RFC 3339 years go to 9999.
        let ts = Timestamp::parse("9999-12-31T23:59:59.9999999Z").unwrap();
        assert_eq!(ts.to_rfc3339(), "9999-12-31T23:59:59.999Z");
        assert_eq!(ts.datetime().nanosecond(), 999_000_000);
        let ceil = Timestamp::parse_ceil("3000-01-01T00:00:00.0001Z").unwrap();
        assert_eq!(ceil.to_rfc3339(), "3000-01-01T00:00:00.001Z");
    }

    #[test]
    fn rejects_non_rfc3339_and_pre_epoch() {
        assert_eq!(
            Timestamp::parse("yesterday"),
            Err(TimestampError::NotRfc3339)
        );
        assert_eq!(
            Timestamp::parse("2026-01-02"),
            Err(TimestampError::NotRfc3339)
        );
        assert_eq!(
            Timestamp::parse("1969-12-31T23:59:59Z"),
            Err(TimestampError::BeforeEpoch)
        );
    }
}
