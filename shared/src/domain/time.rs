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
    #[error("must not be after {}", LAST_INSTANT)]
    AfterLastInstant,
}

/// The last instant the API accepts or writes. RFC 3339 years have four digits: past this,
/// chrono writes `+10000-…`, which is not RFC 3339 and which sorts *before* `9999-…` in the
/// string keys of the store, so a window reaching past it reversed its own key range.
pub const LAST_INSTANT: &str = "9999-12-31T23:59:59.999Z";
const LAST_MILLIS: i64 = 253_402_300_799_999;
const LAST: DateTime<Utc> = match DateTime::from_timestamp_millis(LAST_MILLIS) {
    Some(at) => at,
    // Evaluated at compile time, so this arm can never be reached at run time.
    None => panic!("LAST_MILLIS is outside chrono's range"),
};

impl Timestamp {
    pub fn now() -> Self {
        Self::from_datetime(Utc::now())
    }

    /// Truncates to the millisecond; callers that need sub-millisecond bounds round explicitly.
    /// Clamps to the epoch and `LAST_INSTANT`, so that every `Timestamp` can be written as
    /// RFC 3339 and made into an id: only the server clock comes in unchecked, and it is in range.
    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        let at = truncate_to_millis(at);
        match Self(at).in_range() {
            Ok(at) => at,
            Err(TimestampError::BeforeEpoch) => Self(DateTime::UNIX_EPOCH),
            Err(_) => Self(LAST),
        }
    }

    pub fn parse(raw: &str) -> Result<Self, TimestampError> {
        Self(truncate_to_millis(read_rfc3339(raw)?)).in_range()
    }

    /// Parses and rounds *up* to the next millisecond, so an inclusive lower bound given with
    /// microseconds never admits an event that happened before it. The rounding can itself step
    /// past `LAST_INSTANT` (`…23:59:59.9999Z`), so the result is checked again.
    pub fn parse_ceil(raw: &str) -> Result<Self, TimestampError> {
        let utc = read_rfc3339(raw)?;
        let floor = Self(truncate_to_millis(utc)).in_range()?;
        if floor.0 == utc {
            Ok(floor)
        } else {
            Self(floor.0 + TimeDelta::milliseconds(1)).in_range()
        }
    }

    pub fn from_millis(ms: u64) -> Option<Self> {
        let ms = i64::try_from(ms).ok()?;
        Self(DateTime::from_timestamp_millis(ms)?).in_range().ok()
    }

    /// The one check every constructor goes through: from the epoch (event ids are ULIDs, whose
    /// time part is unsigned) to `LAST_INSTANT`.
    fn in_range(self) -> Result<Self, TimestampError> {
        match self.0.timestamp_millis() {
            ms if ms < 0 => Err(TimestampError::BeforeEpoch),
            ms if ms > LAST_MILLIS => Err(TimestampError::AfterLastInstant),
            _ => Ok(self),
        }
    }

    pub fn millis(&self) -> u64 {
        // Construction guarantees the instant is not before the epoch.
        u64::try_from(self.0.timestamp_millis()).unwrap_or(0)
    }

    pub fn datetime(&self) -> DateTime<Utc> {
        self.0
    }

    /// Saturates at the ends of the range rather than leave it: callers add a margin to make a
    /// bound, and no instant past the end can be accepted anyway.
    pub fn plus(&self, delta: TimeDelta) -> Self {
        match self.0.checked_add_signed(delta) {
            Some(at) => Self::from_datetime(at),
            None if delta < TimeDelta::zero() => Self(DateTime::UNIX_EPOCH),
            None => Self(LAST),
        }
    }

    /// The canonical wire form: `2026-01-02T03:04:05.678Z`.
    pub fn to_rfc3339(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

const NANOS_PER_MILLI: u32 = 1_000_000;
const NANOS_PER_SEC: u32 = 1_000_000_000;

fn read_rfc3339(raw: &str) -> Result<DateTime<Utc>, TimestampError> {
    let parsed = DateTime::parse_from_rfc3339(raw).map_err(|_| TimestampError::NotRfc3339)?;
    Ok(without_leap_second(parsed.with_timezone(&Utc)))
}

fn truncate_to_millis(at: DateTime<Utc>) -> DateTime<Utc> {
    let at = without_leap_second(at);
    // Not `duration_trunc`: it works in i64 nanoseconds and gives up after 2262-04-11.
    let millis_only = at.nanosecond() / NANOS_PER_MILLI * NANOS_PER_MILLI;
    at.with_nanosecond(millis_only).unwrap_or(at)
}

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
    fn the_last_instant_is_the_last_four_digit_year_millisecond() {
        let last = Timestamp::parse(LAST_INSTANT).unwrap();
        assert_eq!(last.to_rfc3339(), LAST_INSTANT);
        assert_eq!(last, Timestamp(LAST));
        assert_eq!(Timestamp::parse_ceil(LAST_INSTANT), Ok(last));
        // An upper bound rounds down onto it, which is fine.
        assert_eq!(Timestamp::parse("9999-12-31T23:59:59.9999Z"), Ok(last));
        assert_eq!(Timestamp::from_millis(last.millis()), Some(last));
        assert_eq!(Timestamp::from_millis(last.millis() + 1), None);
    }

    #[test]
    fn instants_in_year_10000_are_refused_whatever_their_spelling() {
        for raw in [
            "9999-12-31T23:59:59-01:00",
            "9999-12-31T23:30:00-23:59",
            "9999-12-31T23:59:60Z",
            "9999-12-31T23:59:60.999Z",
        ] {
            assert_eq!(
                Timestamp::parse(raw),
                Err(TimestampError::AfterLastInstant),
                "{raw}"
            );
            assert_eq!(
                Timestamp::parse_ceil(raw),
                Err(TimestampError::AfterLastInstant),
                "{raw}"
            );
        }
        // A lower bound rounds up, and here rounding up would reach year 10000.
        assert_eq!(
            Timestamp::parse_ceil("9999-12-31T23:59:59.9999Z"),
            Err(TimestampError::AfterLastInstant)
        );
        assert!(TimestampError::AfterLastInstant
            .to_string()
            .contains(LAST_INSTANT));
    }

    #[test]
    fn nothing_computed_from_a_timestamp_leaves_the_range() {
        let last = Timestamp::parse(LAST_INSTANT).unwrap();
        assert_eq!(last.plus(TimeDelta::minutes(5)), last);
        assert_eq!(last.plus(TimeDelta::MAX), last);
        let epoch = Timestamp::parse("1970-01-01T00:00:00Z").unwrap();
        assert_eq!(epoch.plus(TimeDelta::minutes(-5)), epoch);
        assert_eq!(epoch.plus(TimeDelta::MIN), epoch);
        let year_10000 = DateTime::parse_from_rfc3339("9999-12-31T23:00:00-02:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(Timestamp::from_datetime(year_10000), last);
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
