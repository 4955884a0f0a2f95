//! Where a moment falls: its rate window, the lease item that window's counter lives in, and its
//! quota day. Pure arithmetic on a clock reading, so that it is tested with any instant.

use chrono::{DateTime, NaiveDate, Utc};

/// Windows whose counters share one lease item. One item per window would make an instance that
/// leases a few windows ahead write once per window; one item per day would grow without bound.
/// 32 windows (64 s for the 2 s standard window) keep the item small and let one `UpdateItem`
/// lease the current window and the next ones together.
pub(super) const EPOCH_WINDOWS: i64 = 32;
/// Expired items linger until TTL sweeps them; an hour (a day for quota items) of slack is plenty.
const WINDOW_ITEM_SLACK_SECS: i64 = 3_600;
const DAY_SECS: i64 = 86_400;

/// One fixed rate window: `length_secs` long, admitting a tier's burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Window {
    pub index: i64,
    pub length_secs: i64,
}

impl Window {
    /// The window holding the instant `now_ms` (Unix milliseconds).
    pub fn at(length_secs: i64, now_ms: i64) -> Self {
        Self {
            index: now_ms.div_euclid(length_secs * 1_000),
            length_secs,
        }
    }

    pub fn start_ms(self) -> i64 {
        self.index * self.length_secs * 1_000
    }

    pub fn end_ms(self) -> i64 {
        self.start_ms() + self.length_secs * 1_000
    }

    pub fn next(self) -> Self {
        Self {
            index: self.index + 1,
            ..self
        }
    }

    /// Whole seconds until the window ends, as `RateLimit-Reset` and `Retry-After` give them:
    /// rounded up, so that a client waiting that long is in the next window.
    pub fn reset_secs(self, now_ms: i64) -> u64 {
        ceil_secs(self.end_ms() - now_ms)
    }

    /// The Unix second the lease item holding this window's counter is keyed by.
    pub fn epoch_start_secs(self) -> i64 {
        self.index.div_euclid(EPOCH_WINDOWS) * EPOCH_WINDOWS * self.length_secs
    }

    /// The counter attribute of this window in its lease item.
    pub fn attribute(self) -> String {
        format!("g{}", self.index.rem_euclid(EPOCH_WINDOWS))
    }

    pub fn same_item_as(self, other: Self) -> bool {
        self.epoch_start_secs() == other.epoch_start_secs()
    }

    /// When DynamoDB may delete the lease item this window's counter is in.
    pub fn item_expires_at(self) -> i64 {
        self.epoch_start_secs() + EPOCH_WINDOWS * self.length_secs + WINDOW_ITEM_SLACK_SECS
    }
}

/// The UTC day a daily quota counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Day {
    pub date: NaiveDate,
    start_secs: i64,
}

impl Day {
    pub fn at(now: DateTime<Utc>) -> Self {
        let secs = now.timestamp();
        Self {
            date: now.date_naive(),
            start_secs: secs - secs.rem_euclid(DAY_SECS),
        }
    }

    pub fn reset_secs(self, now_ms: i64) -> u64 {
        ceil_secs((self.start_secs + DAY_SECS) * 1_000 - now_ms)
    }

    pub fn item_expires_at(self) -> i64 {
        self.start_secs + 2 * DAY_SECS
    }
}

/// Milliseconds as whole seconds, rounded up, at least 1.
fn ceil_secs(ms: i64) -> u64 {
    u64::try_from(ms.max(1)).unwrap_or(1).div_ceil(1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_window_is_aligned_and_resets_at_its_end() {
        let now = at("2026-01-01T00:00:03.250Z");
        let w = Window::at(2, now.timestamp_millis());
        assert_eq!(w.start_ms(), now.timestamp_millis() - 1_250);
        assert_eq!(w.end_ms() - w.start_ms(), 2_000);
        // 0.75 s left: the client is told 1 s, which lands it in the next window.
        assert_eq!(w.reset_secs(now.timestamp_millis()), 1);
        assert_eq!(w.reset_secs(w.start_ms()), 2);
        assert_eq!(w.next().start_ms(), w.end_ms());
    }

    #[test]
    fn windows_of_one_epoch_share_an_item_under_distinct_attributes() {
        let first = Window::at(2, 1_767_225_600_000);
        assert_eq!(
            first.index.rem_euclid(EPOCH_WINDOWS),
            0,
            "2026-01-01 starts an epoch"
        );
        let mut w = first;
        let mut attributes = std::collections::BTreeSet::new();
        for _ in 0..EPOCH_WINDOWS {
            assert!(w.same_item_as(first));
            assert_eq!(w.epoch_start_secs(), 1_767_225_600);
            attributes.insert(w.attribute());
            w = w.next();
        }
        assert_eq!(attributes.len(), EPOCH_WINDOWS as usize);
        assert!(
            !w.same_item_as(first),
            "the 33rd window starts the next item"
        );
        assert_eq!(w.attribute(), "g0");
        assert_eq!(first.item_expires_at(), 1_767_225_600 + 64 + 3_600);
    }

    #[test]
    fn the_day_resets_at_utc_midnight() {
        let now = at("2026-01-01T23:59:58.500Z");
        let day = Day::at(now);
        assert_eq!(day.date, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(day.reset_secs(now.timestamp_millis()), 2);
        assert_eq!(
            day.item_expires_at(),
            at("2026-01-03T00:00:00Z").timestamp()
        );
    }
}
