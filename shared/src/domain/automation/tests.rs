//! The DST table from issue 9, an independent minute-by-minute evaluator to check croner (and
//! this module's fixed-time path) against, and the parsing rules of every request type.

use chrono::{DateTime, Datelike, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde_json::{json, Map, Value};

use super::*;

fn ts(raw: &str) -> Timestamp {
    Timestamp::parse(raw).unwrap()
}

fn schedule(cron: &str, zone: &str) -> Trigger {
    Trigger::parse(
        json!({"kind": "schedule", "cron": cron, "timezone": zone}),
        "trigger",
    )
    .unwrap()
}

/// The occurrences in `[from, until]` as RFC 3339 strings.
fn fires(cron: &str, zone: &str, from: &str, until: &str) -> Vec<String> {
    schedule(cron, zone)
        .occurrences(ts(from).plus(TimeDelta::milliseconds(-1)), ts(until), 100)
        .iter()
        .map(Timestamp::to_rfc3339)
        .collect()
}

fn z(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| ts(s).to_rfc3339()).collect()
}

// ---- the DST table ----------------------------------------------------------------------

#[test]
fn nine_in_new_york_is_13z_in_summer_and_14z_in_winter_across_both_transitions() {
    assert_eq!(
        fires(
            "0 9 * * *",
            "America/New_York",
            "2026-03-07T00:00:00Z",
            "2026-03-09T23:59:00Z"
        ),
        z(&[
            "2026-03-07T14:00:00Z",
            "2026-03-08T13:00:00Z",
            "2026-03-09T13:00:00Z"
        ])
    );
    assert_eq!(
        fires(
            "0 9 * * *",
            "America/New_York",
            "2026-10-31T00:00:00Z",
            "2026-11-02T23:59:00Z"
        ),
        z(&[
            "2026-10-31T13:00:00Z",
            "2026-11-01T14:00:00Z",
            "2026-11-02T14:00:00Z"
        ])
    );
}

#[test]
fn a_fixed_time_in_the_spring_gap_runs_once_at_the_first_minute_after_it() {
    // 02:30 does not exist on 2026-03-08 in New York: it runs at 03:00 EDT, once.
    assert_eq!(
        fires(
            "30 2 * * *",
            "America/New_York",
            "2026-03-07T00:00:00Z",
            "2026-03-09T23:59:00Z"
        ),
        z(&[
            "2026-03-07T07:30:00Z",
            "2026-03-08T07:00:00Z",
            "2026-03-09T06:30:00Z"
        ])
    );
}

#[test]
fn a_fixed_time_on_the_fall_back_night_runs_once() {
    // The repeated hour in New York is 01:00-01:59; 02:30 exists once (EST, 07:30Z).
    assert_eq!(
        fires(
            "30 2 * * *",
            "America/New_York",
            "2026-10-31T00:00:00Z",
            "2026-11-02T23:59:00Z"
        ),
        z(&[
            "2026-10-31T06:30:00Z",
            "2026-11-01T07:30:00Z",
            "2026-11-02T07:30:00Z"
        ])
    );
    // 01:30 exists twice; it runs at the first (EDT, 05:30Z) only.
    assert_eq!(
        fires(
            "30 1 * * *",
            "America/New_York",
            "2026-10-31T00:00:00Z",
            "2026-11-02T23:59:00Z"
        ),
        z(&[
            "2026-10-31T05:30:00Z",
            "2026-11-01T05:30:00Z",
            "2026-11-02T06:30:00Z"
        ])
    );
    // Also when asked from inside the second pass.
    let t = schedule("30 1 * * *", "America/New_York");
    assert_eq!(
        t.next_after(ts("2026-11-01T06:10:00Z")),
        Some(ts("2026-11-02T06:30:00Z"))
    );
}

#[test]
fn stepped_minutes_run_in_both_passes_and_skip_the_missing_hour() {
    assert_eq!(
        fires(
            "*/30 * * * *",
            "America/New_York",
            "2026-11-01T04:30:00Z",
            "2026-11-01T07:00:00Z"
        ),
        z(&[
            "2026-11-01T04:30:00Z",
            "2026-11-01T05:00:00Z",
            "2026-11-01T05:30:00Z",
            "2026-11-01T06:00:00Z",
            "2026-11-01T06:30:00Z",
            "2026-11-01T07:00:00Z"
        ])
    );
    // 01:30 EST is 06:30Z; 02:00 and 02:30 do not exist; 03:00 EDT is 07:00Z.
    assert_eq!(
        fires(
            "*/30 * * * *",
            "America/New_York",
            "2026-03-08T06:30:00Z",
            "2026-03-08T07:30:00Z"
        ),
        z(&[
            "2026-03-08T06:30:00Z",
            "2026-03-08T07:00:00Z",
            "2026-03-08T07:30:00Z"
        ])
    );
    // Starting inside the second pass finds the rest of it.
    let t = schedule("*/30 * * * *", "America/New_York");
    assert_eq!(
        t.next_after(ts("2026-11-01T05:45:00Z")),
        Some(ts("2026-11-01T06:00:00Z"))
    );
}

#[test]
fn lord_howe_shifts_by_thirty_minutes_both_ways() {
    // 2026-04-05: 02:00 +11:00 becomes 01:30 +10:30, so 01:30-01:59 repeats.
    assert_eq!(
        fires(
            "45 1 * * *",
            "Australia/Lord_Howe",
            "2026-04-04T00:00:00Z",
            "2026-04-05T23:59:00Z"
        ),
        z(&["2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"])
    );
    assert_eq!(
        fires(
            "*/15 1 * * *",
            "Australia/Lord_Howe",
            "2026-04-04T14:00:00Z",
            "2026-04-04T15:00:00Z"
        ),
        z(&[
            "2026-04-04T14:00:00Z",
            "2026-04-04T14:15:00Z",
            "2026-04-04T14:30:00Z",
            "2026-04-04T14:45:00Z",
            "2026-04-04T15:00:00Z",
        ])
    );
    // ...and 15:00Z is 01:30 +10:30, the second pass; 15:15Z is 01:45 again.
    assert_eq!(
        fires(
            "*/15 1 * * *",
            "Australia/Lord_Howe",
            "2026-04-04T15:00:00Z",
            "2026-04-04T16:00:00Z"
        ),
        z(&["2026-04-04T15:00:00Z", "2026-04-04T15:15:00Z"])
    );
    // 2026-10-04: 02:00 +10:30 becomes 02:30 +11:00, so 02:00-02:29 does not exist.
    assert_eq!(
        fires(
            "15 2 * * *",
            "Australia/Lord_Howe",
            "2026-10-02T00:00:00Z",
            "2026-10-04T23:59:00Z"
        ),
        z(&[
            "2026-10-02T15:45:00Z",
            "2026-10-03T15:30:00Z",
            "2026-10-04T15:15:00Z"
        ])
    );
    assert_eq!(
        fires(
            "*/15 2 * * *",
            "Australia/Lord_Howe",
            "2026-10-03T15:00:00Z",
            "2026-10-03T16:00:00Z"
        ),
        z(&["2026-10-03T15:30:00Z", "2026-10-03T15:45:00Z"])
    );
}

#[test]
fn midnight_in_a_zone_whose_gap_is_at_midnight_runs_at_one_the_same_day() {
    // chrono-tz: America/Havana 2026-03-08 00:00 -05:00 becomes 01:00 -04:00 (05:00Z);
    // America/Santiago 2026-09-06 00:00 -04:00 becomes 01:00 -03:00 (04:00Z);
    // Asia/Beirut 2026-03-29 00:00 +02:00 becomes 01:00 +03:00 (2026-03-28T22:00Z).
    assert_eq!(
        fires(
            "0 0 * * *",
            "America/Havana",
            "2026-03-07T00:00:00Z",
            "2026-03-09T23:59:00Z"
        ),
        z(&[
            "2026-03-07T05:00:00Z",
            "2026-03-08T05:00:00Z",
            "2026-03-09T04:00:00Z"
        ])
    );
    assert_eq!(
        fires(
            "0 0 * * *",
            "America/Santiago",
            "2026-09-05T00:00:00Z",
            "2026-09-07T23:59:00Z"
        ),
        z(&[
            "2026-09-05T04:00:00Z",
            "2026-09-06T04:00:00Z",
            "2026-09-07T03:00:00Z"
        ])
    );
    assert_eq!(
        fires(
            "0 0 * * SUN",
            "Asia/Beirut",
            "2026-03-27T00:00:00Z",
            "2026-04-05T00:00:00Z"
        ),
        z(&["2026-03-28T22:00:00Z", "2026-04-04T21:00:00Z"])
    );
    let runs = schedule("0 0 * * *", "America/Havana").preview(ts("2026-03-07T12:00:00Z"), 2);
    assert_eq!(runs[0].local, "2026-03-08T01:00:00");
    assert_eq!(runs[0].offset, "-04:00");
}

#[test]
fn corrections_over_croner_for_lists_of_fixed_times_and_a_gap_ending_at_midnight() {
    // croner 4.0.3 runs `30 1,13` twice at 01:30 and skips `30 2,14` on the change days.
    assert_eq!(
        fires(
            "30 1,13 * * *",
            "America/New_York",
            "2026-11-01T00:00:00Z",
            "2026-11-01T23:59:00Z"
        ),
        z(&["2026-11-01T05:30:00Z", "2026-11-01T18:30:00Z"])
    );
    assert_eq!(
        fires(
            "30 2,14 * * *",
            "America/New_York",
            "2026-03-08T00:00:00Z",
            "2026-03-08T23:59:00Z"
        ),
        z(&["2026-03-08T07:00:00Z", "2026-03-08T18:30:00Z"])
    );
    // America/Nuuk 2026-03-28 (a Saturday): 23:00 -02:00 becomes 00:00 -01:00 (01:00Z). The
    // Saturday run moves to the first valid minute, which is already Sunday; croner dropped it.
    assert_eq!(
        fires(
            "30 23 * * SAT",
            "America/Nuuk",
            "2026-03-27T00:00:00Z",
            "2026-04-05T03:00:00Z"
        ),
        z(&["2026-03-29T01:00:00Z", "2026-04-05T00:30:00Z"])
    );
}

#[test]
fn preview_shows_wall_time_and_offset() {
    let runs = schedule("30 2 * * *", "America/New_York").preview(ts("2026-03-07T12:00:00Z"), 2);
    assert_eq!(
        runs,
        vec![
            PreviewRun {
                at: ts("2026-03-08T07:00:00Z"),
                local: "2026-03-08T03:00:00".into(),
                offset: "-04:00".into()
            },
            PreviewRun {
                at: ts("2026-03-09T06:30:00Z"),
                local: "2026-03-09T02:30:00".into(),
                offset: "-04:00".into()
            },
        ]
    );
    let runs = schedule("0 0 * * *", "Asia/Kolkata").preview(ts("2026-01-01T00:00:00Z"), 1);
    assert_eq!(runs[0].offset, "+05:30");
    assert_eq!(runs[0].at, ts("2026-01-01T18:30:00Z"));
}

#[test]
fn names_steps_ranges_and_lists() {
    let t = schedule("0 9 * JAN,jul mon-FRI", "UTC");
    assert_eq!(
        t.occurrences(ts("2026-01-01T00:00:00Z"), ts("2026-01-06T23:59:00Z"), 10),
        vec![
            ts("2026-01-01T09:00:00Z"),
            ts("2026-01-02T09:00:00Z"),
            ts("2026-01-05T09:00:00Z"),
            ts("2026-01-06T09:00:00Z")
        ]
    );
    let t = schedule("10-40/15 */6 * * *", "UTC");
    assert_eq!(
        t.occurrences(ts("2026-01-01T00:00:00Z"), ts("2026-01-01T06:30:00Z"), 10),
        vec![
            ts("2026-01-01T00:10:00Z"),
            ts("2026-01-01T00:25:00Z"),
            ts("2026-01-01T00:40:00Z"),
            ts("2026-01-01T06:10:00Z"),
            ts("2026-01-01T06:25:00Z")
        ]
    );
    // Day of month and day of week both restricted: either matches. 7 is Sunday.
    let t = schedule("0 0 13 * 5", "UTC");
    let got = t.occurrences(ts("2026-02-01T00:00:00Z"), ts("2026-02-14T00:00:00Z"), 10);
    assert_eq!(
        got,
        vec![ts("2026-02-06T00:00:00Z"), ts("2026-02-13T00:00:00Z")]
    );
    let t = schedule("0 0 * * 7", "UTC");
    assert_eq!(
        t.next_after(ts("2026-01-01T00:00:00Z")),
        Some(ts("2026-01-04T00:00:00Z"))
    );
    // next_after is strict, also within the same millisecond-truncated minute.
    let t = schedule("* * * * *", "UTC");
    assert_eq!(
        t.next_after(ts("2026-01-01T00:00:00Z")),
        Some(ts("2026-01-01T00:01:00Z"))
    );
    assert_eq!(
        t.next_after(ts("2026-01-01T00:00:59.999Z")),
        Some(ts("2026-01-01T00:01:00Z"))
    );
}

#[test]
fn rates_count_elapsed_minutes_from_the_epoch_in_utc() {
    let t = Trigger::parse(json!({"kind": "rate", "every_minutes": 90}), "trigger").unwrap();
    assert_eq!(
        t.next_after(ts("2026-01-01T00:00:00Z")),
        Some(ts("2026-01-01T01:30:00Z"))
    );
    assert_eq!(
        t.next_after(ts("2026-01-01T01:29:59.999Z")),
        Some(ts("2026-01-01T01:30:00Z"))
    );
    assert_eq!(
        t.next_after(ts("2026-01-01T01:30:00Z")),
        Some(ts("2026-01-01T03:00:00Z"))
    );
    let runs = t.preview(ts("2026-03-08T06:00:00Z"), 3);
    assert!(runs
        .windows(2)
        .all(|w| w[1].at.datetime() - w[0].at.datetime() == TimeDelta::minutes(90)));
    assert_eq!(runs[0].offset, "+00:00");
    let t = Trigger::parse(
        json!({"kind": "event", "event_type": "user.signup"}),
        "trigger",
    )
    .unwrap();
    assert_eq!(t.next_after(ts("2026-01-01T00:00:00Z")), None);
    assert!(t
        .occurrences(ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"), 5)
        .is_empty());
}

// ---- an independent evaluator -----------------------------------------------------------

/// A cron matcher written from the rules, sharing no code with croner.
struct Reference {
    sets: [Vec<bool>; 5],
    dom_star: bool,
    dow_star: bool,
    fixed: bool,
}

impl Reference {
    fn new(expr: &str) -> Self {
        let fields: Vec<&str> = expr.split_whitespace().collect();
        let bounds = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)];
        let names: [&[&str]; 5] = [
            &[],
            &[],
            &[],
            &[
                "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
            ],
            &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
        ];
        let value = |i: usize, s: &str| -> u32 {
            match names[i].iter().position(|n| n.eq_ignore_ascii_case(s)) {
                Some(p) => p as u32 + if i == 3 { 1 } else { 0 },
                None => s.parse().unwrap(),
            }
        };
        let sets = std::array::from_fn(|i| {
            let (lo, hi) = bounds[i];
            let mut set = vec![false; 60];
            for part in fields[i].split(',') {
                let (range, step) = match part.split_once('/') {
                    Some((r, s)) => (r, s.parse::<u32>().unwrap()),
                    None => (part, 1),
                };
                let (a, b) = if range == "*" {
                    (lo, hi)
                } else if let Some((a, b)) = range.split_once('-') {
                    (value(i, a), value(i, b))
                } else {
                    let a = value(i, range);
                    (a, if step > 1 { hi } else { a })
                };
                let mut v = a;
                while v <= b {
                    set[v as usize] = true;
                    v += step;
                }
            }
            if i == 4 && set[7] {
                set[0] = true;
            }
            set
        });
        Self {
            sets,
            dom_star: fields[2] == "*",
            dow_star: fields[4] == "*",
            fixed: fields[..2].iter().all(|f| !f.contains(['*', '/'])),
        }
    }

    fn matches(&self, w: NaiveDateTime) -> bool {
        let dom = self.sets[2][w.day() as usize];
        let dow = self.sets[4][w.weekday().num_days_from_sunday() as usize];
        let day = match (self.dom_star, self.dow_star) {
            (true, _) => dow,
            (false, true) => dom,
            (false, false) => dom || dow,
        };
        self.sets[0][w.minute() as usize]
            && self.sets[1][w.hour() as usize]
            && self.sets[3][w.month() as usize]
            && day
    }

    /// Minute by minute over real instants, applying API.md's rules directly.
    fn next_after(
        &self,
        zone: Tz,
        after: DateTime<Utc>,
        horizon: TimeDelta,
    ) -> Option<DateTime<Utc>> {
        let start =
            after.with_second(0).unwrap().with_nanosecond(0).unwrap() + TimeDelta::minutes(1);
        let mut t = start;
        while t <= after + horizon {
            let wall = t.with_timezone(&zone).naive_local();
            let prev = (t - TimeDelta::minutes(1))
                .with_timezone(&zone)
                .naive_local();
            if self.matches(wall) {
                let first_pass = zone.from_local_datetime(&wall).earliest().unwrap() == t;
                if !self.fixed || first_pass {
                    return Some(t);
                }
            }
            if self.fixed && wall - prev > TimeDelta::minutes(1) {
                // `t` is the first minute after a gap: the gap's fixed times run now.
                let mut w = prev + TimeDelta::minutes(1);
                while w < wall {
                    if self.matches(w) {
                        return Some(t);
                    }
                    w += TimeDelta::minutes(1);
                }
            }
            t += TimeDelta::minutes(1);
        }
        None
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn field(&mut self, lo: u64, hi: u64, names: &[&str], star_weight: u64) -> String {
        let name_or_num = |rng: &mut Rng, v: u64| -> String {
            if !names.is_empty() && rng.below(3) == 0 {
                let i = if lo == 1 { v - 1 } else { v % 7 };
                names[i as usize].to_owned()
            } else {
                v.to_string()
            }
        };
        let span = hi - lo + 1;
        match self.below(6 + star_weight) {
            0 => {
                let v = lo + self.below(span);
                name_or_num(self, v)
            }
            1 => format!("*/{}", 2 + self.below(span.min(20) - 1)),
            2 => {
                let a = lo + self.below(span);
                let b = a + self.below(hi - a + 1);
                format!("{}-{}", name_or_num(self, a), name_or_num(self, b))
            }
            3 => {
                let a = lo + self.below(span);
                let b = a + self.below(hi - a + 1);
                format!("{a}-{b}/{}", 1 + self.below(5))
            }
            4 | 5 => {
                let n = 2 + self.below(3);
                (0..n)
                    .map(|_| {
                        let v = lo + self.below(span);
                        name_or_num(self, v)
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            }
            _ => "*".into(),
        }
    }
}

const ZONES: [&str; 12] = [
    "America/New_York",
    "Europe/London",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Tokyo",
    "UTC",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Europe/Berlin",
    "Africa/Cairo",
];
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

#[test]
fn two_hundred_random_expressions_agree_with_a_minute_by_minute_reference() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let horizon = TimeDelta::days(6);
    let mut checked = 0;
    let mut compared_instants = 0;
    while checked < 200 {
        let expr = [
            rng.field(0, 59, &[], 1),
            rng.field(0, 23, &[], 2),
            rng.field(1, 31, &[], 6),
            rng.field(1, 12, &MONTHS, 6),
            rng.field(0, 6, &DAYS, 4),
        ]
        .join(" ");
        let Ok(cron) = CronExpr::parse(&expr) else {
            continue;
        };
        let zone_name = ZONES[rng.below(ZONES.len() as u64) as usize];
        let zone: Tz = zone_name.parse().unwrap();
        // Mid-January or mid-July 2026: no zone in the list changes its clocks then.
        let month = if rng.below(2) == 0 { 1 } else { 7 };
        let mut at = Utc
            .with_ymd_and_hms(
                2026,
                month,
                10,
                rng.below(24) as u32,
                rng.below(60) as u32,
                17,
            )
            .unwrap();
        let reference = Reference::new(&expr);
        for _ in 0..3 {
            let got = cron.next_after(zone, at).unwrap();
            let want = reference.next_after(zone, at, horizon);
            match want {
                Some(want) => assert_eq!(got, want, "{expr} in {zone_name} after {at}"),
                None => assert!(
                    got > at + horizon,
                    "{expr} in {zone_name} after {at}: {got}"
                ),
            }
            compared_instants += usize::from(want.is_some());
            if want.is_none() {
                break;
            }
            at = got;
        }
        checked += 1;
    }
    assert!(
        compared_instants > 300,
        "too few found: {compared_instants}"
    );
}

#[test]
fn transition_days_agree_with_the_reference_too() {
    let cases: [(&str, &str); 7] = [
        ("America/New_York", "2026-03-07T12:00:00Z"),
        ("America/New_York", "2026-10-31T12:00:00Z"),
        ("Australia/Lord_Howe", "2026-04-04T00:00:00Z"),
        ("Australia/Lord_Howe", "2026-10-03T00:00:00Z"),
        ("America/Havana", "2026-03-07T12:00:00Z"),
        ("Asia/Beirut", "2026-03-28T00:00:00Z"),
        ("America/Nuuk", "2026-03-28T00:00:00Z"),
    ];
    let patterns = [
        "0 9 * * *",
        "30 2 * * *",
        "30 1 * * *",
        "*/30 * * * *",
        "15,45 0-3 * * *",
        "0 */2 * * *",
        "30 1,2,23 * * *",
        "0 0 * * *",
        "* 2 * * *",
        "30 23 * * SAT",
    ];
    for (zone_name, from) in cases {
        let zone: Tz = zone_name.parse().unwrap();
        for expr in patterns {
            let cron = CronExpr::parse(expr).unwrap();
            let reference = Reference::new(expr);
            let mut at = ts(from).datetime();
            let end = at + TimeDelta::days(2);
            while at < end {
                let got = cron.next_after(zone, at).unwrap();
                let want = reference.next_after(zone, at, TimeDelta::days(8)).unwrap();
                assert_eq!(got, want, "{expr} in {zone_name} after {at}");
                at = got;
            }
        }
    }
}

// ---- parsing ----------------------------------------------------------------------------

fn fields_of(err: ApiError) -> Vec<String> {
    match err {
        ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected validation error, got {other:?}"),
    }
}

fn messages_of(err: ApiError) -> Vec<String> {
    match err {
        ApiError::Validation(errors) => errors.into_iter().map(|e| e.message).collect(),
        other => panic!("expected validation error, got {other:?}"),
    }
}

const CHANNEL: &str = "01JD0000000000000000000000";

fn new_automation(body: Value) -> Result<NewAutomation, ApiError> {
    NewAutomation::parse(JsonObject::parse(body.to_string().as_bytes()).unwrap())
}

fn valid_body() -> Value {
    json!({
        "name": "Monday post",
        "trigger": {"kind": "schedule", "cron": "0 9 * * MON", "timezone": "America/New_York"},
        "action": {"kind": "publish_post", "channel_id": CHANNEL, "content_template": "Hi {{automation.name}}"},
    })
}

#[test]
fn a_valid_automation_gets_its_defaults() {
    let a = new_automation(valid_body()).unwrap();
    assert!(a.enabled);
    assert_eq!(a.catchup, Catchup::Latest);
    assert_eq!(a.name.as_str(), "Monday post");
    let wire = serde_json::to_value(&a.trigger).unwrap();
    assert_eq!(
        wire,
        json!({"kind": "schedule", "cron": "0 9 * * MON", "timezone": "America/New_York"})
    );
    assert_eq!(Trigger::from_stored(wire).unwrap(), a.trigger);
    let action = serde_json::to_value(&a.action).unwrap();
    assert_eq!(action["content_template"], "Hi {{automation.name}}");
    assert_eq!(Action::from_stored(action).unwrap(), a.action);
}

#[test]
fn every_bad_field_is_named_by_its_dotted_path() {
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"kind": "schedule", "cron": "0 9 * *", "timezone": "UTC"}),
            "trigger.cron",
        ),
        (
            json!({"kind": "schedule", "cron": "0 0 9 * * *", "timezone": "UTC"}),
            "trigger.cron",
        ),
        (
            json!({"kind": "schedule", "cron": "0 9 * * 1 2026", "timezone": "UTC"}),
            "trigger.cron",
        ),
        (
            json!({"kind": "schedule", "cron": "0 9 ? * MON", "timezone": "UTC"}),
            "trigger.cron",
        ),
        (
            json!({"kind": "schedule", "cron": "0 9 L * *", "timezone": "UTC"}),
            "trigger.cron",
        ),
        (
            json!({"kind": "schedule", "cron": "0 9 15W * *", "timezone": "UTC"}),
            "trigger.cron",
        ),
        (
            json!({"kind": "schedule", "cron": "0 9 * * 5#2", "timezone": "UTC"}),
            "trigger.cron",
        ),
        (
            json!({"kind": "schedule", "cron": "0 9 * * 5L", "timezone": "UTC"}),
            "trigger.cron",
        ),
        (
            json!({"kind": "schedule", "cron": "@daily", "timezone": "UTC"}),
            "trigger.cron",
        ),
        (
            json!({"kind": "schedule", "cron": "MON 9 * * *", "timezone": "UTC"}),
            "trigger.cron",
        ),
        (
            json!({"kind": "schedule", "cron": "60 9 * * *", "timezone": "UTC"}),
            "trigger.cron",
        ),
        (
            json!({"kind": "schedule", "cron": "0 24 * * *", "timezone": "UTC"}),
            "trigger.cron",
        ),
        (
            json!({"kind": "schedule", "cron": "0 0 31 2 *", "timezone": "UTC"}),
            "trigger.cron",
        ),
        (
            json!({"kind": "schedule", "cron": 5, "timezone": "UTC"}),
            "trigger.cron",
        ),
        (
            json!({"kind": "schedule", "timezone": "UTC"}),
            "trigger.cron",
        ),
        (
            json!({"kind": "schedule", "cron": "0 9 * * *", "timezone": "Mars/Olympus"}),
            "trigger.timezone",
        ),
        (
            json!({"kind": "schedule", "cron": "0 9 * * *", "timezone": "america/new_york"}),
            "trigger.timezone",
        ),
        (
            json!({"kind": "schedule", "cron": "0 9 * * *"}),
            "trigger.timezone",
        ),
        (
            json!({"kind": "rate", "every_minutes": 0}),
            "trigger.every_minutes",
        ),
        (
            json!({"kind": "rate", "every_minutes": 10081}),
            "trigger.every_minutes",
        ),
        (
            json!({"kind": "rate", "every_minutes": 1.5}),
            "trigger.every_minutes",
        ),
        (
            json!({"kind": "rate", "every_minutes": "5"}),
            "trigger.every_minutes",
        ),
        (json!({"kind": "rate"}), "trigger.every_minutes"),
        (
            json!({"kind": "rate", "every_minutes": 5, "timezone": "UTC"}),
            "trigger.timezone",
        ),
        (
            json!({"kind": "event", "event_type": "Bad Type"}),
            "trigger.event_type",
        ),
        (
            json!({"kind": "event", "event_type": "a", "property_equals": {"k": [1]}}),
            "trigger.property_equals.k",
        ),
        (
            json!({"kind": "event", "event_type": "a", "property_equals": {"k": null}}),
            "trigger.property_equals.k",
        ),
        (
            json!({"kind": "event", "event_type": "a", "property_equals": []}),
            "trigger.property_equals",
        ),
        (json!({"kind": "cron"}), "trigger.kind"),
        (json!({"cron": "0 9 * * *"}), "trigger.kind"),
        (json!("0 9 * * *"), "trigger"),
    ];
    for (trigger, field) in cases {
        let mut body = valid_body();
        body["trigger"] = trigger.clone();
        let err = new_automation(body).unwrap_err();
        assert_eq!(fields_of(err), [field], "{trigger}");
    }
    for ok in [1, 10080] {
        let mut body = valid_body();
        body["trigger"] = json!({"kind": "rate", "every_minutes": ok});
        assert!(new_automation(body).is_ok());
    }
}

#[test]
fn action_errors_and_unknown_fields_at_every_level() {
    let mut body = valid_body();
    body["action"] = json!({"kind": "publish_post", "channel_id": "x", "content_template": "{{evnt.id}}", "extra": 1});
    body["trigger"]["extra"] = json!(true);
    body["name"] = json!("");
    body["catchup"] = json!("some");
    body["enabled"] = json!("yes");
    body["zzz"] = json!(1);
    let err = new_automation(body).unwrap_err();
    assert_eq!(
        fields_of(err),
        [
            "name",
            "enabled",
            "trigger.extra",
            "action.channel_id",
            "action.content_template",
            "action.extra",
            "catchup",
            "zzz"
        ]
    );
    let err = new_automation(json!({})).unwrap_err();
    assert_eq!(fields_of(err), ["name", "trigger", "action"]);
}

#[test]
fn an_unknown_placeholder_is_named_in_the_message() {
    let mut body = valid_body();
    body["action"]["content_template"] = json!("Hello {{ user.name }}");
    let err = new_automation(body).unwrap_err();
    let msg = messages_of(err);
    assert!(msg[0].contains("{{user.name}}"), "{msg:?}");
    let mut body = valid_body();
    body["action"]["content_template"] = json!("Hello {{event.type");
    let err = new_automation(body).unwrap_err();
    assert!(messages_of(err)[0].contains("unclosed"));
    let mut body = valid_body();
    body["action"]["content_template"] = json!("x".repeat(5001));
    assert_eq!(
        fields_of(new_automation(body).unwrap_err()),
        ["action.content_template"]
    );
    let mut body = valid_body();
    body["action"] = json!({"kind": "webhook", "channel_id": CHANNEL,
        "payload_template": {"text": "{{event.type}}", "items": ["ok", "{{nope}}"], "n": 1}});
    assert_eq!(
        fields_of(new_automation(body).unwrap_err()),
        ["action.payload_template.items[1]"]
    );
}

#[test]
fn templates_render_with_missing_values_empty() {
    let props: Map<String, Value> = serde_json::from_value(json!({
        "plan": "pro", "seats": 3, "ok": true, "nested": {"a": 1}, "nothing": null, "a.b": "dotted"
    }))
    .unwrap();
    let event = TemplateEvent {
        id: "01JD0000000000000000000001",
        event_type: "user.signup",
        properties: &props,
    };
    let ctx = TemplateContext {
        automation_name: "Welcome",
        now: ts("2026-01-01T00:00:00Z"),
        scheduled_for: None,
        event: Some(event),
    };
    let t = Template::parse(
        "{{automation.name}}: {{event.type}} {{ event.id }} {{event.properties.plan}}/{{event.properties.seats}}/{{event.properties.ok}}/{{event.properties.nested}}/{{event.properties.nothing}}/{{event.properties.missing}}/{{event.properties.a.b}} at {{now}} for [{{scheduled_for}}] }}",
    )
    .unwrap();
    assert_eq!(
        t.render(&ctx),
        "Welcome: user.signup 01JD0000000000000000000001 pro/3/true/{\"a\":1}///dotted at 2026-01-01T00:00:00.000Z for [] }}"
    );
    let scheduled = TemplateContext {
        event: None,
        scheduled_for: Some(ts("2026-01-02T09:00:00Z")),
        ..ctx
    };
    assert_eq!(
        Template::parse("[{{event.type}}] {{scheduled_for}}")
            .unwrap()
            .render(&scheduled),
        "[] 2026-01-02T09:00:00.000Z"
    );
    assert!(Template::parse("{{event.properties.}}").is_err());
    assert!(Template::parse("{{}}").is_err());

    let payload = PayloadTemplate::parse(
        json!({"text": "{{event.properties.plan}} \"quoted\"", "list": [1, "{{event.type}}"], "flag": false}),
        "p",
    )
    .unwrap();
    assert_eq!(
        payload.render(&ctx),
        json!({"text": "pro \"quoted\"", "list": [1, "user.signup"], "flag": false})
    );
    let action = WebhookAction {
        channel_id: super::super::ids::ChannelId::parse(CHANNEL).unwrap(),
        payload_template: None,
    };
    assert_eq!(
        action.render_data(&scheduled)["automation"]["name"],
        "Welcome"
    );
    assert_eq!(action.render_data(&scheduled)["event"], Value::Null);
    let post = PublishPostAction {
        channel_id: action.channel_id,
        content_template: Template::parse("{{event.id}}").unwrap(),
    };
    assert!(
        post.render_content(&scheduled).is_err(),
        "empty content fails the run"
    );
}

#[test]
fn event_triggers_match_type_and_scalars() {
    let t = Trigger::parse(
        json!({"kind": "event", "event_type": "user.signup", "property_equals": {"plan": "pro", "seats": 3, "ok": true}}),
        "trigger",
    )
    .unwrap();
    let Trigger::Event(e) = t else { panic!() };
    let props = |v: Value| -> Map<String, Value> { serde_json::from_value(v).unwrap() };
    assert!(e.matches(
        "user.signup",
        &props(json!({"plan": "pro", "seats": 3.0, "ok": true, "x": 1}))
    ));
    assert!(!e.matches(
        "user.signup",
        &props(json!({"plan": "pro", "seats": "3", "ok": true}))
    ));
    assert!(!e.matches(
        "user.login",
        &props(json!({"plan": "pro", "seats": 3, "ok": true}))
    ));
    assert!(!e.matches("user.signup", &props(json!({"plan": "pro", "seats": 3}))));
}

#[test]
fn patch_and_preview_parse() {
    let patch =
        |v: Value| AutomationPatch::parse(JsonObject::parse(v.to_string().as_bytes()).unwrap());
    assert_eq!(patch(json!({})).unwrap(), AutomationPatch::default());
    let p = patch(json!({"enabled": false, "catchup": "none"})).unwrap();
    assert_eq!((p.enabled, p.catchup), (Some(false), Some(Catchup::None)));
    assert_eq!(
        fields_of(
            patch(json!({"trigger": {"kind": "rate", "every_minutes": 0}, "id": "x"})).unwrap_err()
        ),
        ["trigger.every_minutes", "id"]
    );

    let preview =
        |v: Value| PreviewRequest::parse(JsonObject::parse(v.to_string().as_bytes()).unwrap());
    let p = preview(json!({"trigger": {"kind": "rate", "every_minutes": 5}})).unwrap();
    assert_eq!(p.count, 10);
    assert_eq!(p.runs(ts("2026-01-01T00:00:00Z")).len(), 10);
    assert_eq!(
        fields_of(preview(json!({"trigger": {"kind": "event", "event_type": "a"}})).unwrap_err()),
        ["trigger.kind"]
    );
    for bad in [0, 51] {
        assert_eq!(
            fields_of(
                preview(json!({"trigger": {"kind": "rate", "every_minutes": 5}, "count": bad}))
                    .unwrap_err()
            ),
            ["count"]
        );
    }
    assert_eq!(
        fields_of(preview(json!({"count": 5})).unwrap_err()),
        ["trigger"]
    );
}

#[test]
fn catchup_plans() {
    let now = ts("2026-01-02T12:00:00Z");
    let due: Vec<Timestamp> = [
        "2026-01-01T10:00:00Z", // more than 24 h old
        "2026-01-02T10:00:00Z",
        "2026-01-02T11:00:00Z",
        "2026-01-02T11:59:30Z", // on time
    ]
    .iter()
    .map(|s| ts(s))
    .collect();
    let latest = plan_catchup(Catchup::Latest, &due, now);
    assert_eq!(latest.run, vec![due[3]]);
    assert_eq!(latest.skip, due[..3].to_vec());
    let all = plan_catchup(Catchup::All, &due, now);
    assert_eq!(all.run, due[1..].to_vec());
    assert_eq!(all.skip, vec![due[0]]);
    let none = plan_catchup(Catchup::None, &due, now);
    assert_eq!(none.run, vec![due[3]]);
    assert_eq!(none.skip, due[..3].to_vec());
    // After a two-hour outage with nothing on time: `none` runs nothing, `latest` the newest.
    let missed = &due[1..3];
    assert!(plan_catchup(Catchup::None, missed, now).run.is_empty());
    assert_eq!(
        plan_catchup(Catchup::None, missed, now).skip,
        missed.to_vec()
    );
    assert_eq!(plan_catchup(Catchup::Latest, missed, now).run, vec![due[2]]);
    // Everything older than 24 h is skipped whatever the policy.
    for policy in [Catchup::Latest, Catchup::All, Catchup::None] {
        let plan = plan_catchup(policy, &due[..1], now);
        assert!(plan.run.is_empty());
        assert_eq!(plan.skip, due[..1].to_vec());
    }
    assert_eq!(plan_catchup(Catchup::All, &[], now), CatchupPlan::default());
}

#[test]
fn run_and_automation_wire_shapes() {
    let run = Run {
        id: RunId::generate(ts("2026-01-01T00:00:00Z")),
        trigger: RunTrigger::Schedule,
        scheduled_for: Some(ts("2026-01-01T00:00:00Z")),
        status: RunStatus::Skipped,
        started_at: None,
        finished_at: None,
        error: None,
        post_id: None,
        event_id: None,
    };
    let v = serde_json::to_value(&run).unwrap();
    assert_eq!(v["trigger"], "schedule");
    assert_eq!(v["status"], "skipped");
    assert_eq!(v["scheduled_for"], "2026-01-01T00:00:00.000Z");
    assert!(v.as_object().unwrap().contains_key("post_id"));
    assert_eq!(RunId::parse(v["id"].as_str().unwrap()), Some(run.id));
    let id = AutomationId::generate();
    assert_eq!(AutomationId::parse(&id.to_string()), Some(id));
    assert_eq!(AutomationId::parse("nope"), None);
}
