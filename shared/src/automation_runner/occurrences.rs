//! Which occurrences one dispatcher claim of an automation covers, which of them run and which
//! are recorded `skipped`, and where `next_run_at` moves: a pure function of the trigger, the
//! catch-up policy, the `next_run_at` the dispatcher saw, and the tick.
//!
//! The occurrences are exactly `Trigger::occurrences` from the seen `next_run_at` on, the same
//! `next_after` that preview shows, so the dispatcher fires the instants preview promised.

use chrono::TimeDelta;

use crate::domain::{
    plan_catchup, Catchup, SkipReason, Timestamp, Trigger, CATCHUP_WINDOW, ON_TIME_GRACE,
};

/// The most occurrences one claim covers. An automation that missed more (a one-minute rate
/// after a long outage) is worked through over several ticks: the claim moves `next_run_at`
/// past this many, which leaves it due, and the next tick takes the next slice.
pub const MAX_PER_CLAIM: usize = 240;

/// The most expired occurrences one claim records as `skipped` runs: a whole day of a
/// one-minute rate. Past that an outage's oldest occurrences would cost a write each for a
/// history nobody reads; they are jumped over, logged and counted instead.
pub const MAX_EXPIRED_RECORDED: usize = 1440;

/// How many expired occurrences past [`MAX_EXPIRED_RECORDED`] are counted one by one for the
/// log and the metric; past this the count is "at least".
pub const MAX_EXPIRED_COUNTED: usize = 10_000;

/// What one claim does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OccurrencePlan {
    /// Occurrences older than the catch-up window ([`CATCHUP_WINDOW`]) when found, oldest first
    /// and at most [`MAX_EXPIRED_RECORDED`]: never run, each recorded `skipped`
    /// ([`SkipReason::Expired`]).
    pub expired: Vec<Timestamp>,
    /// Expired occurrences after those, jumped over without a run of their own (counted up to
    /// [`MAX_EXPIRED_COUNTED`]); the dispatcher logs and counts them.
    pub expired_unrecorded: usize,
    /// Run these, oldest first: each gets a `running` run and a message delayed until it.
    pub run: Vec<Timestamp>,
    /// Record these as `skipped`, oldest first, for [`Self::skip_reason`].
    pub skip: Vec<Timestamp>,
    pub skip_reason: SkipReason,
    /// The automation's next occurrence after this claim (what `next_run_at` becomes); `None`
    /// when the trigger has none left.
    pub next_run_at: Option<Timestamp>,
}

/// Plans the claim of an automation found on the due index at tick `now` with `next_run_at =
/// seen`, looking ahead to `until` (the tick's look-ahead).
///
/// * Occurrences older than [`CATCHUP_WINDOW`] are expired: recorded `skipped` (up to
///   [`MAX_EXPIRED_RECORDED`], the rest only counted) and never run.
/// * Occurrences due within [`ON_TIME_GRACE`] before `now`, or ahead up to `until`, are on
///   time: they run, each with its own message delayed until it.
/// * Older ones were missed (the dispatcher was down or late). Catch-up decides them with
///   `plan_catchup`, given the missed ones plus the first on-time one: so `latest` runs only the
///   on-time one when there is one (an outage never adds a second run beside the current one),
///   `none` runs nothing missed, and `all` runs every missed one within the 24 h window.
/// * In a slice cut at [`MAX_PER_CLAIM`] newer occurrences follow, so `latest` and `none` skip
///   every missed one of it, and `all` runs those within the window.
pub fn plan_occurrences(
    trigger: &Trigger,
    catchup: Catchup,
    seen: Timestamp,
    now: Timestamp,
    until: Timestamp,
) -> OccurrencePlan {
    let skip_reason = SkipReason::Missed(catchup);
    // Whatever is older than the window is past catching up: record it, then go on from the
    // window's first occurrence.
    let window_start = now.plus(-CATCHUP_WINDOW);
    let mut expired = Vec::new();
    let mut expired_unrecorded = 0;
    let mut seen = seen;
    if seen < window_start {
        let before = window_start.plus(-TimeDelta::milliseconds(1));
        expired.push(seen);
        expired.extend(trigger.occurrences(seen, before, MAX_EXPIRED_RECORDED - 1));
        if let Some(&last) = expired
            .last()
            .filter(|_| expired.len() == MAX_EXPIRED_RECORDED)
        {
            expired_unrecorded = trigger.occurrences(last, before, MAX_EXPIRED_COUNTED).len();
        }
        match trigger.next_after(before) {
            Some(first) => seen = first,
            None => {
                return OccurrencePlan {
                    expired,
                    expired_unrecorded,
                    run: Vec::new(),
                    skip: Vec::new(),
                    skip_reason,
                    next_run_at: None,
                }
            }
        }
    }
    // `seen` is itself an occurrence (it was `next_after` of something); the ones after it follow.
    let mut occurrences = Vec::with_capacity(8);
    if seen <= until {
        occurrences.push(seen);
        occurrences.extend(trigger.occurrences(seen, until, MAX_PER_CLAIM - 1));
    }
    let last = occurrences.last().copied().unwrap_or(seen);
    let next_run_at = if occurrences.is_empty() {
        Some(seen)
    } else {
        trigger.next_after(last)
    };
    let truncated = occurrences.len() == MAX_PER_CLAIM && next_run_at.is_some_and(|n| n <= until);
    let on_time_from = now.plus(-ON_TIME_GRACE);
    let (missed, on_time): (Vec<Timestamp>, Vec<Timestamp>) =
        occurrences.iter().partition(|at| **at < on_time_from);
    let (run, skip) = if truncated {
        // Newer missed ones follow in the next slice, so none of these is the latest.
        let (mut run, skip) = match catchup {
            Catchup::All => {
                let plan = plan_catchup(catchup, &missed, now);
                (plan.run, plan.skip)
            }
            Catchup::Latest | Catchup::None => (Vec::new(), missed),
        };
        run.extend(on_time);
        (run, skip)
    } else {
        let mut considered = missed;
        considered.extend(on_time.first());
        let plan = plan_catchup(catchup, &considered, now);
        let mut run = plan.run;
        run.extend(on_time.iter().skip(1));
        (run, plan.skip)
    };
    OccurrencePlan {
        expired,
        expired_unrecorded,
        run,
        skip,
        skip_reason,
        next_run_at,
    }
}

/// The tick's look-ahead end.
pub fn look_ahead(now: Timestamp, lookahead: std::time::Duration) -> Timestamp {
    now.plus(TimeDelta::from_std(lookahead).unwrap_or(TimeDelta::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::LOOKAHEAD;
    use serde_json::json;

    fn at(raw: &str) -> Timestamp {
        Timestamp::parse(raw).unwrap()
    }

    fn trigger(value: serde_json::Value) -> Trigger {
        Trigger::parse(value, "trigger").unwrap()
    }

    fn every(minutes: u32) -> Trigger {
        trigger(json!({"kind": "rate", "every_minutes": minutes}))
    }

    fn plan(trigger: &Trigger, catchup: Catchup, seen: &str, now: &str) -> OccurrencePlan {
        let now = at(now);
        plan_occurrences(trigger, catchup, at(seen), now, look_ahead(now, LOOKAHEAD))
    }

    fn times(list: &[Timestamp]) -> Vec<String> {
        list.iter().map(|t| t.to_rfc3339()).collect()
    }

    #[test]
    fn an_on_time_occurrence_runs_and_the_next_one_is_due_later() {
        let daily = trigger(
            json!({"kind": "schedule", "cron": "0 9 * * *", "timezone": "America/New_York"}),
        );
        let p = plan(
            &daily,
            Catchup::Latest,
            "2026-07-01T13:00:00Z",
            "2026-07-01T12:59:10Z",
        );
        assert_eq!(times(&p.run), ["2026-07-01T13:00:00.000Z"]);
        assert!(p.skip.is_empty());
        assert_eq!(p.next_run_at, Some(at("2026-07-02T13:00:00Z")));
    }

    #[test]
    fn every_occurrence_within_the_look_ahead_runs() {
        // A one-minute rate: the tick's 70 s window can hold two.
        let p = plan(
            &every(1),
            Catchup::Latest,
            "2026-07-01T12:00:05Z",
            "2026-07-01T12:00:00Z",
        );
        // Rates are anchored; take what the trigger says rather than assume.
        let expected =
            every(1).occurrences(at("2026-07-01T12:00:05Z"), at("2026-07-01T12:01:10Z"), 10);
        let mut all = vec![at("2026-07-01T12:00:05Z")];
        all.extend(expected);
        assert_eq!(p.run, all);
        assert!(p.skip.is_empty());
        assert!(p.next_run_at.unwrap() > at("2026-07-01T12:01:10Z"));
    }

    #[test]
    fn a_late_tick_within_the_grace_still_runs_the_occurrence() {
        for catchup in [Catchup::Latest, Catchup::All, Catchup::None] {
            let p = plan(
                &every(60),
                catchup,
                "2026-07-01T12:00:00Z",
                "2026-07-01T12:01:30Z",
            );
            assert_eq!(times(&p.run), ["2026-07-01T12:00:00.000Z"], "{catchup:?}");
            assert!(p.skip.is_empty());
        }
    }

    #[test]
    fn after_two_silent_hours_catch_up_follows_the_policy() {
        // Every 30 min; last claimed occurrence was 10:00, the dispatcher comes back at 12:10.
        let half_hourly = every(30);
        let seen = "2026-07-01T10:30:00Z";
        let now = "2026-07-01T12:10:00Z";
        let missed = [
            "2026-07-01T10:30:00.000Z",
            "2026-07-01T11:00:00.000Z",
            "2026-07-01T11:30:00.000Z",
            "2026-07-01T12:00:00.000Z",
        ];

        let latest = plan(&half_hourly, Catchup::Latest, seen, now);
        assert_eq!(times(&latest.run), ["2026-07-01T12:00:00.000Z"]);
        assert_eq!(times(&latest.skip), missed[..3]);

        let all = plan(&half_hourly, Catchup::All, seen, now);
        assert_eq!(times(&all.run), missed);
        assert!(all.skip.is_empty());

        let none = plan(&half_hourly, Catchup::None, seen, now);
        assert!(none.run.is_empty());
        assert_eq!(times(&none.skip), missed);

        for p in [latest, all, none] {
            assert_eq!(p.next_run_at, Some(at("2026-07-01T12:30:00Z")));
        }
    }

    #[test]
    fn with_an_on_time_occurrence_latest_runs_only_that_one() {
        // Back at 11:59:30 with 12:00 inside the look-ahead: the current run is the catch-up.
        let p = plan(
            &every(30),
            Catchup::Latest,
            "2026-07-01T10:30:00Z",
            "2026-07-01T11:59:30Z",
        );
        assert_eq!(times(&p.run), ["2026-07-01T12:00:00.000Z"]);
        assert_eq!(p.skip.len(), 3);
        let all = plan(
            &every(30),
            Catchup::All,
            "2026-07-01T10:30:00Z",
            "2026-07-01T11:59:30Z",
        );
        assert_eq!(all.run.len(), 4);
        let none = plan(
            &every(30),
            Catchup::None,
            "2026-07-01T10:30:00Z",
            "2026-07-01T11:59:30Z",
        );
        assert_eq!(times(&none.run), ["2026-07-01T12:00:00.000Z"]);
        assert_eq!(none.skip.len(), 3);
    }

    #[test]
    fn occurrences_older_than_a_day_are_recorded_skipped_and_never_run() {
        // Every 6 h from 06-29 12:00; found at 07-01 12:00:30: 06-29 12:00 … 06-30 12:00 are
        // more than a day old (5 of them), 06-30 18:00 … 07-01 12:00 are within it (4).
        let p = plan(
            &every(360),
            Catchup::All,
            "2026-06-29T12:00:00Z",
            "2026-07-01T12:00:30Z",
        );
        assert_eq!(
            times(&p.expired),
            [
                "2026-06-29T12:00:00.000Z",
                "2026-06-29T18:00:00.000Z",
                "2026-06-30T00:00:00.000Z",
                "2026-06-30T06:00:00.000Z",
                "2026-06-30T12:00:00.000Z"
            ]
        );
        assert_eq!(p.expired_unrecorded, 0);
        assert!(p.skip.is_empty());
        assert_eq!(
            times(&p.run),
            [
                "2026-06-30T18:00:00.000Z",
                "2026-07-01T00:00:00.000Z",
                "2026-07-01T06:00:00.000Z",
                "2026-07-01T12:00:00.000Z"
            ]
        );
        let latest = plan(
            &every(360),
            Catchup::Latest,
            "2026-06-29T12:00:00Z",
            "2026-07-01T12:00:30Z",
        );
        assert_eq!(
            (latest.expired.len(), latest.skip.len(), latest.run.len()),
            (5, 3, 1)
        );
        assert_eq!(latest.skip_reason, SkipReason::Missed(Catchup::Latest));
        assert_eq!(latest.next_run_at, Some(at("2026-07-01T18:00:00Z")));
    }

    #[test]
    fn a_long_outage_records_a_day_of_expired_occurrences_and_counts_the_rest() {
        // A one-minute rate down since 2026-06-27 00:00, found at 07-01 12:00:30: the window
        // starts at 06-30 12:00:30, so 3.5 days (5,040 occurrences) are expired.
        let minutely = plan(
            &every(1),
            Catchup::Latest,
            "2026-06-27T00:00:00Z",
            "2026-07-01T12:00:30Z",
        );
        assert_eq!(minutely.expired.len(), MAX_EXPIRED_RECORDED);
        assert_eq!(minutely.expired[0], at("2026-06-27T00:00:00Z"));
        assert!(minutely.expired.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            MAX_EXPIRED_RECORDED + minutely.expired_unrecorded,
            5041,
            "every expired occurrence is recorded or counted"
        );
        assert!(minutely.skip.len() + minutely.run.len() <= MAX_PER_CLAIM);
        // Six months: the count stops at its cap.
        let long = plan(
            &every(1),
            Catchup::Latest,
            "2026-01-01T00:00:00Z",
            "2026-07-01T12:00:30Z",
        );
        assert_eq!(long.expired_unrecorded, MAX_EXPIRED_COUNTED);
    }

    #[test]
    fn a_long_outage_is_worked_through_in_slices_and_nothing_is_lost() {
        let minutely = every(1);
        let now = at("2026-07-01T12:00:00Z");
        let until = look_ahead(now, LOOKAHEAD);
        for catchup in [Catchup::Latest, Catchup::All, Catchup::None] {
            let mut seen = at("2026-07-01T02:00:00Z");
            let (mut ran, mut skipped, mut claims) = (Vec::new(), Vec::new(), 0);
            while seen <= until {
                let p = plan_occurrences(&minutely, catchup, seen, now, until);
                ran.extend(p.run);
                skipped.extend(p.skip);
                seen = p.next_run_at.unwrap();
                claims += 1;
            }
            assert!(claims > 2, "{catchup:?} took {claims} claims");
            let mut all: Vec<_> = ran.iter().chain(&skipped).copied().collect();
            all.sort();
            all.dedup();
            assert_eq!(all.len(), ran.len() + skipped.len(), "each occurrence once");
            let expected = 1 + minutely
                .occurrences(at("2026-07-01T02:00:00Z"), until, 10_000)
                .len();
            assert_eq!(all.len(), expected, "{catchup:?}");
            let on_time: Vec<_> = all
                .iter()
                .filter(|t| **t >= now.plus(-ON_TIME_GRACE))
                .collect();
            match catchup {
                Catchup::All => assert!(skipped.is_empty()),
                Catchup::Latest | Catchup::None => {
                    assert_eq!(
                        ran.len(),
                        on_time.len(),
                        "{catchup:?}: only the on-time ones run"
                    )
                }
            }
        }
    }

    #[test]
    fn an_occurrence_beyond_the_look_ahead_is_not_claimed() {
        let p = plan(
            &every(60),
            Catchup::All,
            "2026-07-01T13:00:00Z",
            "2026-07-01T12:00:00Z",
        );
        assert!(p.run.is_empty() && p.skip.is_empty());
        assert_eq!(p.next_run_at, Some(at("2026-07-01T13:00:00Z")));
    }

    #[test]
    fn dst_gap_and_repeat_fire_what_preview_shows() {
        let gap = trigger(
            json!({"kind": "schedule", "cron": "30 2 * * *", "timezone": "America/New_York"}),
        );
        let previewed = gap.preview(at("2026-03-07T12:00:00Z"), 2);
        let first = previewed[0].at;
        let p = plan(
            &gap,
            Catchup::Latest,
            &first.to_rfc3339(),
            &first.plus(TimeDelta::seconds(-30)).to_rfc3339(),
        );
        assert_eq!(p.run, [first]);
        assert_eq!(p.next_run_at, Some(previewed[1].at));
    }
}
