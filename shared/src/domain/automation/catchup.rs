//! What runs after an outage. API.md: the occurrences missed within the last 24 h run once in
//! all (`latest`), each (`all`, oldest first) or not at all (`none`), and every occurrence that
//! does not run is still recorded as a `skipped` run.

use chrono::TimeDelta;
use serde::Serialize;

use crate::domain::time::Timestamp;

/// Occurrences older than this when found are never run, whatever the policy.
pub const CATCHUP_WINDOW: TimeDelta = TimeDelta::hours(24);
/// An occurrence found at most this long after its time is on time, not missed: the dispatcher
/// ticks every minute and claims ahead, so only a late or failed tick leaves one behind. Two
/// ticks' worth keeps one late tick from skipping a `none` automation's current run.
pub const ON_TIME_GRACE: TimeDelta = TimeDelta::minutes(2);

#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Catchup {
    #[default]
    Latest,
    All,
    None,
}

impl Catchup {
    pub fn as_str(self) -> &'static str {
        match self {
            Catchup::Latest => "latest",
            Catchup::All => "all",
            Catchup::None => "none",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        [Catchup::Latest, Catchup::All, Catchup::None]
            .into_iter()
            .find(|c| c.as_str() == raw)
            .ok_or_else(|| "must be one of latest, all, none".into())
    }
}

/// Why an occurrence was recorded `skipped` rather than run: the run's `error` says so, so
/// that a gap in the history explains itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// Found more than [`CATCHUP_WINDOW`] after its time: never run, whatever the policy.
    Expired,
    /// Missed, and catch-up (`latest` or `none`) did not run it.
    Missed(Catchup),
}

impl SkipReason {
    pub fn message(self) -> &'static str {
        match self {
            SkipReason::Expired => "missed by more than 24 h, past the catch-up window",
            SkipReason::Missed(Catchup::Latest) => {
                "missed; catch-up \"latest\" ran only the newest missed occurrence"
            }
            SkipReason::Missed(Catchup::None) => "missed; catch-up is \"none\"",
            SkipReason::Missed(Catchup::All) => "missed",
        }
    }
}

/// Which due occurrences to run and which to record as `skipped`; together they are exactly
/// the occurrences given, each once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatchupPlan {
    /// Oldest first.
    pub run: Vec<Timestamp>,
    /// Oldest first.
    pub skip: Vec<Timestamp>,
}

/// Plans the due occurrences that have not run yet (`due`, oldest first; the caller bounds how
/// many it reads), as found at `now`:
///
/// * older than [`CATCHUP_WINDOW`]: skipped, whatever the policy;
/// * `latest`: the newest of the rest runs (an on-time one included, so an outage never adds a
///   second run next to the current one), the others are skipped;
/// * `all`: each of the rest runs, oldest first;
/// * `none`: only the newest runs, and only when it is on time (within [`ON_TIME_GRACE`]);
///   everything missed is skipped.
pub fn plan_catchup(policy: Catchup, due: &[Timestamp], now: Timestamp) -> CatchupPlan {
    let cutoff = now.plus(-CATCHUP_WINDOW);
    let (mut skip, recent): (Vec<_>, Vec<_>) = due.iter().partition(|at| **at < cutoff);
    let mut run = Vec::new();
    match policy {
        Catchup::All => run = recent,
        Catchup::Latest | Catchup::None => {
            let newest = recent.last().copied();
            let keep = match (policy, newest) {
                (Catchup::None, Some(at)) => at >= now.plus(-ON_TIME_GRACE),
                (_, newest) => newest.is_some(),
            };
            let take = usize::from(keep);
            let split = recent.len() - take;
            skip.extend_from_slice(&recent[..split]);
            run.extend_from_slice(&recent[split..]);
        }
    }
    skip.sort();
    CatchupPlan { run, skip }
}
