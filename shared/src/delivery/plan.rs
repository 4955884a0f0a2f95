//! What one attempt's outcome does to the post and to its channel: a pure function of the
//! outcome, the attempt number and the clock, so that every row of API.md's delivery rules is a
//! unit test rather than a trip through the stack.

use std::time::Duration;

use chrono::TimeDelta;

use crate::domain::Timestamp;
use crate::schedule::is_soon;
use crate::webhook::{AttemptOutcome, Verdict};

/// Where the post goes after the attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    /// 2xx: `published`, off the due index.
    Published,
    /// Never to be tried again by itself: `failed` with this `last_error`.
    Failed { error: String },
    /// Back to `scheduled`, due on the index at this instant: far enough ahead that a tick
    /// will find it in time.
    RetryAt(Timestamp),
    /// Due before the next tick could find it: it stays `publishing` under a fresh claim and
    /// goes straight back to the delivery queue, delayed until this instant.
    RetrySoon(Timestamp),
}

/// What the attempt says about the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChannelHealth {
    /// A 2xx: it works (clears `failing_since`).
    Success,
    /// A failure that counts towards disabling it after `channel_failing_after`.
    Failure,
    /// 410: disable it at once.
    Gone,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub next: Next,
    pub channel: ChannelHealth,
}

/// The `last_error` of a post whose receiver answered 410.
pub(crate) const GONE: &str = "gone";

/// `attempt` is the attempt's number (from 1); `last_error` what the attempt record says went
/// wrong (`Attempt::summary`); `delay` is `webhook::retry_delay`, passed in so that tests pin the
/// jitter. A retry due within the dispatcher's look-ahead (`schedule::is_soon`) takes the fast
/// path: a tick might find it only after it is due.
pub(crate) fn plan(
    outcome: &AttemptOutcome,
    attempt: u32,
    last_error: Option<String>,
    now: Timestamp,
    delay: impl FnOnce(u32, Option<Duration>) -> Option<Duration>,
) -> Plan {
    let error = || {
        last_error
            .clone()
            .unwrap_or_else(|| "delivery failed".into())
    };
    match outcome.verdict {
        Verdict::Delivered => Plan {
            next: Next::Published,
            channel: ChannelHealth::Success,
        },
        Verdict::Gone => Plan {
            next: Next::Failed { error: GONE.into() },
            channel: ChannelHealth::Gone,
        },
        Verdict::Permanent => Plan {
            next: Next::Failed { error: error() },
            channel: ChannelHealth::Failure,
        },
        Verdict::Retryable => {
            let next = match delay(attempt, outcome.retry_after) {
                None => Next::Failed { error: error() },
                Some(wait) => {
                    let at = now.plus(TimeDelta::from_std(wait).unwrap_or(TimeDelta::MAX));
                    if is_soon(at, now) {
                        Next::RetrySoon(at)
                    } else {
                        Next::RetryAt(at)
                    }
                }
            };
            Plan {
                next,
                channel: ChannelHealth::Failure,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::retry_delay;

    fn now() -> Timestamp {
        Timestamp::parse("2026-06-01T12:00:00Z").unwrap()
    }

    fn outcome(status: Option<u16>, verdict: Verdict, retry_after: Option<u64>) -> AttemptOutcome {
        AttemptOutcome {
            at: now(),
            status_code: status,
            latency_ms: 12,
            error: None,
            verdict,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    fn no_jitter(failed: u32, retry_after: Option<Duration>) -> Option<Duration> {
        // The schedule's own steps, without the random spread.
        retry_delay(failed, retry_after).map(|d| match retry_after {
            Some(_) => d,
            None => [5, 60, 300, 1800]
                .map(Duration::from_secs)
                .into_iter()
                .nth(failed as usize - 1)
                .unwrap_or(d),
        })
    }

    fn plan_for(outcome: &AttemptOutcome, attempt: u32, error: Option<&str>) -> Plan {
        plan(outcome, attempt, error.map(str::to_owned), now(), no_jitter)
    }

    fn secs(n: i64) -> Timestamp {
        now().plus(TimeDelta::seconds(n))
    }

    #[test]
    fn a_2xx_publishes_and_heals_the_channel() {
        let plan = plan_for(&outcome(Some(204), Verdict::Delivered, None), 3, None);
        assert_eq!(plan.next, Next::Published);
        assert_eq!(plan.channel, ChannelHealth::Success);
    }

    #[test]
    fn gone_fails_the_post_and_disables_the_channel() {
        let plan = plan_for(
            &outcome(Some(410), Verdict::Gone, None),
            1,
            Some("HTTP 410"),
        );
        assert_eq!(
            plan.next,
            Next::Failed {
                error: "gone".into()
            }
        );
        assert_eq!(plan.channel, ChannelHealth::Gone);
    }

    #[test]
    fn another_4xx_fails_at_once_and_counts_against_the_channel() {
        let plan = plan_for(
            &outcome(Some(404), Verdict::Permanent, None),
            1,
            Some("HTTP 404"),
        );
        assert_eq!(
            plan.next,
            Next::Failed {
                error: "HTTP 404".into()
            }
        );
        assert_eq!(plan.channel, ChannelHealth::Failure);
    }

    #[test]
    fn retries_follow_the_schedule_the_short_one_by_the_fast_path() {
        let retryable = outcome(Some(503), Verdict::Retryable, None);
        let next = |n| plan_for(&retryable, n, Some("HTTP 503")).next;
        assert_eq!(next(1), Next::RetrySoon(secs(5)));
        assert_eq!(next(2), Next::RetrySoon(secs(60)));
        assert_eq!(next(3), Next::RetryAt(secs(300)));
        assert_eq!(next(4), Next::RetryAt(secs(1800)));
        assert_eq!(
            next(5),
            Next::Failed {
                error: "HTTP 503".into()
            }
        );
        assert_eq!(
            plan_for(&retryable, 2, None).channel,
            ChannelHealth::Failure
        );
    }

    #[test]
    fn retry_after_replaces_the_step() {
        let asked = |secs| outcome(Some(429), Verdict::Retryable, Some(secs));
        assert_eq!(plan_for(&asked(2), 1, None).next, Next::RetrySoon(secs(2)));
        assert_eq!(
            plan_for(&asked(600), 1, None).next,
            Next::RetryAt(secs(600))
        );
        // At the look-ahead exactly, a tick is sure to see it.
        assert_eq!(plan_for(&asked(70), 1, None).next, Next::RetryAt(secs(70)));
        assert_eq!(
            plan_for(&asked(69), 1, None).next,
            Next::RetrySoon(secs(69))
        );
    }

    #[test]
    fn a_timeout_without_a_status_keeps_its_error() {
        let mut timeout = outcome(None, Verdict::Retryable, None);
        timeout.error = Some("timeout".into());
        assert_eq!(
            plan_for(&timeout, 5, Some("timeout")).next,
            Next::Failed {
                error: "timeout".into()
            }
        );
    }
}
