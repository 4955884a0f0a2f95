//! What an attempt's answer means, and when to try again (API.md, "Delivery").

use std::time::{Duration, SystemTime};

use rand::Rng;

/// The most attempts a message gets; after the fifth failure it has failed.
pub const MAX_ATTEMPTS: u32 = 5;
/// The waits after failed attempts 1 to 4, before jitter.
const BACKOFF: [Duration; 4] = [
    Duration::from_secs(5),
    Duration::from_secs(60),
    Duration::from_secs(300),
    Duration::from_secs(1800),
];
/// Each wait is spread by up to this fraction either way, so that a receiver that came back
/// is not hit by every waiting message in the same second.
const JITTER: f64 = 0.10;
/// A receiver's `Retry-After` is honoured up to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30 * 60);

/// What one attempt's outcome means for the message and the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// 2xx: delivered.
    Delivered,
    /// 410: the receiver is gone for good; the channel is disabled.
    Gone,
    /// Any other 4xx except 408 and 429: this message will never be accepted.
    Permanent,
    /// 3xx (redirects are not followed), 5xx, 408, 429, a timeout or a connection error.
    Retryable,
}

impl Verdict {
    pub fn of_status(status: u16) -> Self {
        match status {
            200..=299 => Verdict::Delivered,
            410 => Verdict::Gone,
            408 | 429 => Verdict::Retryable,
            400..=499 => Verdict::Permanent,
            _ => Verdict::Retryable,
        }
    }
}

/// How long to wait after failed attempt `failed_attempt` (from 1), or `None` when it was the
/// last. A receiver's `Retry-After` replaces the schedule, capped at [`MAX_RETRY_AFTER`].
pub fn retry_delay(failed_attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
    if !(1..MAX_ATTEMPTS).contains(&failed_attempt) {
        return None;
    }
    if let Some(asked) = retry_after {
        return Some(asked.min(MAX_RETRY_AFTER));
    }
    let base = BACKOFF[(failed_attempt - 1) as usize];
    let factor = rand::thread_rng().gen_range((1.0 - JITTER)..=(1.0 + JITTER));
    Some(base.mul_f64(factor))
}

/// A `Retry-After` value: delay seconds or an HTTP date, read relative to `now`. A date in the
/// past means "now"; anything unreadable is ignored (the schedule applies).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_table() {
        for (status, verdict) in [
            (200, Verdict::Delivered),
            (201, Verdict::Delivered),
            (204, Verdict::Delivered),
            (299, Verdict::Delivered),
            (300, Verdict::Retryable),
            (301, Verdict::Retryable),
            (302, Verdict::Retryable),
            (307, Verdict::Retryable),
            (308, Verdict::Retryable),
            (400, Verdict::Permanent),
            (401, Verdict::Permanent),
            (403, Verdict::Permanent),
            (404, Verdict::Permanent),
            (408, Verdict::Retryable),
            (409, Verdict::Permanent),
            (410, Verdict::Gone),
            (413, Verdict::Permanent),
            (422, Verdict::Permanent),
            (429, Verdict::Retryable),
            (499, Verdict::Permanent),
            (500, Verdict::Retryable),
            (502, Verdict::Retryable),
            (503, Verdict::Retryable),
            (504, Verdict::Retryable),
            (599, Verdict::Retryable),
        ] {
            assert_eq!(Verdict::of_status(status), verdict, "{status}");
        }
    }

    #[test]
    fn delays_follow_the_schedule_within_ten_percent() {
        for (attempt, base) in [(1, 5.0), (2, 60.0), (3, 300.0), (4, 1800.0)] {
            let mut seen_low = false;
            let mut seen_high = false;
            for _ in 0..500 {
                let delay = retry_delay(attempt, None).unwrap().as_secs_f64();
                assert!(
                    delay >= base * 0.9 - 1e-9 && delay <= base * 1.1 + 1e-9,
                    "attempt {attempt}: {delay}"
                );
                seen_low |= delay < base;
                seen_high |= delay > base;
            }
            assert!(seen_low && seen_high, "attempt {attempt}: no jitter");
        }
    }

    #[test]
    fn no_delay_after_the_last_attempt() {
        assert_eq!(retry_delay(5, None), None);
        assert_eq!(retry_delay(6, Some(Duration::from_secs(1))), None);
        assert_eq!(retry_delay(0, None), None);
    }

    #[test]
    fn retry_after_replaces_the_schedule_up_to_thirty_minutes() {
        assert_eq!(
            retry_delay(1, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            retry_delay(4, Some(Duration::from_secs(7200))),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(retry_delay(5, Some(Duration::from_secs(2))), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(parse_retry_after("3600", now), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:29:30 GMT", now),
            Some(Duration::from_secs(90))
        );
        // The two obsolete HTTP-date forms recipients must still accept.
        assert_eq!(
            parse_retry_after("Wednesday, 21-Oct-15 07:29:30 GMT", now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            parse_retry_after("Wed Oct 21 07:29:30 2015", now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Thu, 22 Oct 2015 07:28:00 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
        for junk in ["", "-5", "1.5", "soon", "120s"] {
            assert_eq!(parse_retry_after(junk, now), None, "{junk}");
        }
    }
}
