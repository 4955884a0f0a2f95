//! Cron in an IANA time zone, with the daylight-saving rules API.md takes from the Open Cron
//! Pattern Specification, and rates counted in elapsed UTC minutes.
//!
//! croner (pinned in the workspace) parses the pattern and evaluates it, with chrono-tz for the
//! zone. Its own DST handling was checked case by case (see the tests) and is right for what it
//! calls interval jobs, so those are evaluated by croner as they are. Fixed-time jobs are not,
//! for two reasons found in testing croner 4.0.3:
//!
//! * croner calls a job "fixed" only when minute and hour hold one value each. API.md says a
//!   *fixed time* runs once in a repeated hour and is moved out of a gap, and only *wildcard and
//!   stepped* fields run in both passes or skip: `30 1,13 * * *` ran twice at 01:30 on a
//!   fall-back night, and `30 2,14 * * *` skipped 02:30 on a spring-forward day.
//! * A fixed time in a gap that ends at midnight (America/Nuuk, 2026-03-28 23:00 to 00:00) is
//!   moved to 00:00 of the next day, and croner then checks the day fields against that next
//!   day: `30 23 * * SAT` did not run at all that Saturday.
//!
//! So a pattern whose minute and hour fields use neither `*` nor `/` is a fixed-time pattern and
//! is evaluated here: croner lists its matching wall-clock times (on a clock without daylight
//! saving), and each is placed in the zone by [`resolve_fixed`]. That mapping never goes back in
//! time as the wall clock goes forward, so the first wall time after `after`'s own wall time that
//! lands after `after` is the answer.

use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;
use serde::Serialize;

use crate::domain::time::Timestamp;

pub const MAX_CRON_CHARS: usize = 100;
pub const MIN_EVERY_MINUTES: u32 = 1;
/// One week.
pub const MAX_EVERY_MINUTES: u32 = 10_080;

const FIELD_NAMES: [&str; 5] = ["minute", "hour", "day-of-month", "month", "day-of-week"];
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
/// How far past a gap's first wall time its end is looked for; real gaps last at most a day.
const MAX_GAP_MINUTES: i64 = 48 * 60;
/// Bounds the walk over a fall-back repeat for dense fixed lists (60 values an hour at most).
const MAX_WALL_STEPS: usize = 10_000;

/// A 5-field cron expression: minute, hour, day of month, month, day of week.
///
/// Accepted: numbers, `*`, ranges `a-b`, lists `a,b`, steps `*/n` and `a-b/n`, month names
/// JAN–DEC and weekday names SUN–SAT (any case), 0 and 7 both Sunday. Refused, because API.md
/// does not offer them and each has meanings that differ between cron dialects: a seconds or a
/// year field, `?`, `L`, `W`, `#`, `+`, and `@daily`-style nicknames. A day of month and a day of
/// week that are both restricted (neither is exactly `*`) match when either matches, as in
/// Vixie cron and OCPS. An expression that can never match (`0 0 31 2 *`) is refused too.
#[derive(Debug, Clone)]
pub struct CronExpr {
    source: String,
    /// Boxed: a parsed pattern is a few hundred bytes, and triggers are passed around by value.
    cron: Box<Cron>,
    /// Minute and hour fields use neither `*` nor `/`: the DST rules for fixed times apply.
    fixed: bool,
}

impl PartialEq for CronExpr {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for CronExpr {}

impl CronExpr {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.chars().count() > MAX_CRON_CHARS {
            return Err(format!("must be at most {MAX_CRON_CHARS} characters"));
        }
        let fields: Vec<&str> = raw.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "must have 5 fields (minute hour day-of-month month day-of-week), not {}",
                fields.len()
            ));
        }
        for (i, field) in fields.iter().enumerate() {
            check_field(i, field)?;
        }
        let source = fields.join(" ");
        let cron = Box::new(
            CronParser::builder()
                .seconds(Seconds::Disallowed)
                .year(Year::Disallowed)
                .build()
                .parse(&source)
                .map_err(|e| format!("is not a valid cron expression: {e}"))?,
        );
        let fixed = fields[..2].iter().all(|f| !f.contains(['*', '/']));
        let expr = Self {
            source,
            cron,
            fixed,
        };
        // Every date pattern recurs within 28 years (leap days on a weekday included).
        let probe = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).single();
        let matches_once = probe.is_some_and(|start| {
            expr.cron
                .find_next_occurrence(&start, false)
                .is_ok_and(|at| at < start + TimeDelta::days(366 * 28))
        });
        if !matches_once {
            return Err("never matches any date".into());
        }
        Ok(expr)
    }

    /// The expression with its fields separated by single spaces, as stored and shown.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the fixed-time DST rules apply (no `*` or `/` in minute and hour).
    pub fn is_fixed_time(&self) -> bool {
        self.fixed
    }

    /// The first occurrence strictly after `after`, in `zone`.
    pub fn next_after(&self, zone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let found = if self.fixed {
            self.next_fixed(zone, after)?
        } else {
            let start = after.with_timezone(&zone);
            self.cron
                .find_next_occurrence(&start, false)
                .ok()?
                .with_timezone(&Utc)
        };
        // croner works in whole seconds; never hand back `after` itself for a sub-second start.
        if found > after {
            Some(found)
        } else {
            self.next_after(zone, after + TimeDelta::seconds(1))
        }
    }

    fn next_fixed(&self, zone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Wall times are walked on UTC, a clock without daylight saving.
        let mut wall = after.with_timezone(&zone).naive_local().and_utc();
        for _ in 0..MAX_WALL_STEPS {
            wall = self.cron.find_next_occurrence(&wall, false).ok()?;
            let at = resolve_fixed(zone, wall.naive_utc())?;
            if at > after {
                return Some(at);
            }
        }
        None
    }
}

/// Where a fixed wall time runs in `zone`: at that time when it exists once; at its first
/// occurrence when the clocks go back and it exists twice; at the first valid minute after the
/// gap when the clocks go forward over it.
pub fn resolve_fixed(zone: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    if let Some(at) = zone.from_local_datetime(&wall).earliest() {
        return Some(at.with_timezone(&Utc));
    }
    (1..=MAX_GAP_MINUTES).find_map(|m| {
        zone.from_local_datetime(&(wall + TimeDelta::minutes(m)))
            .earliest()
            .map(|at| at.with_timezone(&Utc))
    })
}

fn check_field(index: usize, field: &str) -> Result<(), String> {
    let name = FIELD_NAMES[index];
    let names: &[&str] = match index {
        3 => &MONTHS,
        4 => &WEEKDAYS,
        _ => &[],
    };
    for atom in field.split([',', '-', '/']) {
        let ok = atom == "*"
            || (!atom.is_empty() && atom.bytes().all(|b| b.is_ascii_digit()))
            || (!names.is_empty() && names.iter().any(|n| n.eq_ignore_ascii_case(atom)));
        if !ok {
            let allowed = match index {
                3 => "numbers, JAN-DEC, *, ranges, lists and steps",
                4 => "numbers (0-7), SUN-SAT, *, ranges, lists and steps",
                _ => "numbers, *, ranges, lists and steps",
            };
            return Err(format!(
                "the {name} field `{field}` is not valid: it may use only {allowed}"
            ));
        }
    }
    Ok(())
}

/// An IANA time zone name known to the pinned tz database (case-sensitive, as the database
/// spells it): `Europe/Paris`, `UTC`. Abbreviations such as `EST` that the database still
/// carries are accepted as it defines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

impl Zone {
    pub fn parse(raw: &str) -> Result<Self, String> {
        Tz::from_str(raw)
            .map(Self)
            .map_err(|_| "must be an IANA time zone name, e.g. America/New_York".into())
    }

    pub fn tz(&self) -> Tz {
        self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl Serialize for Zone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// 1–10080 minutes of elapsed time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct EveryMinutes(u32);

/// The instant every rate counts from. A rate fires at whole multiples of its period since the
/// Unix epoch, in UTC: no anchor is stored, so the dispatcher, the preview and a resumed
/// automation all compute the same instants, and a run's key (automation, occurrence) never
/// depends on when the automation was created or resumed. Runs are exactly `every_minutes`
/// apart; the first one comes at most one period after creation (or resume).
pub const RATE_ANCHOR: DateTime<Utc> = DateTime::UNIX_EPOCH;

impl EveryMinutes {
    pub fn parse(value: &serde_json::Value) -> Result<Self, String> {
        let message =
            || format!("must be an integer from {MIN_EVERY_MINUTES} to {MAX_EVERY_MINUTES}");
        let n = value.as_u64().ok_or_else(message)?;
        u32::try_from(n)
            .ok()
            .filter(|n| (MIN_EVERY_MINUTES..=MAX_EVERY_MINUTES).contains(n))
            .map(Self)
            .ok_or_else(message)
    }

    pub fn get(&self) -> u32 {
        self.0
    }

    /// The first multiple of the period after `anchor` that is strictly after `after`.
    pub fn next_after_anchored(
        &self,
        anchor: DateTime<Utc>,
        after: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let period = i64::from(self.0) * 60_000;
        let elapsed = (after - anchor).num_milliseconds();
        let k = if elapsed < 0 { 1 } else { elapsed / period + 1 };
        anchor + TimeDelta::milliseconds(k * period)
    }

    pub fn next_after(&self, after: DateTime<Utc>) -> DateTime<Utc> {
        self.next_after_anchored(RATE_ANCHOR, after)
    }
}

/// One upcoming run as `POST /v1/automations/preview` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PreviewRun {
    /// UTC.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The wall time in the trigger's zone (UTC for rates), `YYYY-MM-DDTHH:MM:SS`, no offset.
    #[schema(example = "2026-03-08T03:00:00")]
    pub local: String,
    /// The zone's UTC offset at that instant, `+HH:MM` or `-HH:MM`.
    #[schema(example = "-04:00")]
    pub offset: String,
}

impl PreviewRun {
    pub fn new(at: Timestamp, zone: Tz) -> Self {
        let local = at.datetime().with_timezone(&zone);
        let seconds = local.offset().fix().local_minus_utc();
        let sign = if seconds < 0 { '-' } else { '+' };
        let minutes = seconds.unsigned_abs() / 60;
        Self {
            at,
            local: local.format("%Y-%m-%dT%H:%M:%S").to_string(),
            offset: format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60),
        }
    }
}
