//! The dispatcher's tick: find what is due on the sharded due index, claim it, and hand it to the
//! delivery queue delayed until its instant (DESIGN.md, "The schedule", steps 2 to 4).
//!
//! Every shard is queried at once; entries are claimed with bounded concurrency and enqueued ten
//! to a `SendMessageBatch` call as soon as they are claimed, so one tick handles thousands of
//! items well inside its minute, and stops starting claims before its invocation would time
//! out (the rest stays due for the next tick). A failure is
//! contained to what it touches: a shard whose query fails is retried by the next tick, and an
//! item claimed but not enqueued stays leased until its lease runs out, when the next tick finds
//! it again (its `due_at` is the lease's end). The tick as a whole fails only when it could do
//! nothing at all, so that the schedule's DLQ and alarm see a dispatcher that is truly down.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::future;
use futures::stream::{self, StreamExt};

use crate::automation_runner::look_ahead;
use crate::bus::{detail_type, DomainEvent, DomainEvents};
use crate::delivery::metrics::Metrics;
use crate::delivery_queue::{DeliveryKind, DeliveryMessage};
use crate::domain::{Post, TenantId, Timestamp};
use crate::keys;
use crate::repo::{
    AutomationsRepository, Due, DueEntry, DueIndex, Finish, PostsRepository, StorageError,
    MISSED_AFTER,
};
use crate::schedule::{delay_until, LOOKAHEAD};

mod automations;
mod enqueue;

use enqueue::{BatchQueue, MAX_BATCH};

/// The `last_error` of a post found more than [`MISSED_AFTER`] after its `scheduled_at`: it is
/// failed, never sent late (API.md, "Late posts").
pub const MISSED: &str = "missed";

/// Claims in flight at once: a thousand due items take a few seconds, while DynamoDB sees a
/// steady rate rather than a burst.
const CLAIM_CONCURRENCY: usize = 16;

/// `SendMessageBatch` calls in flight at once (ten messages each).
const SEND_CONCURRENCY: usize = 2;

/// Whether a post scheduled at `scheduled_at` is missed at `now`.
pub fn is_missed(scheduled_at: Timestamp, now: Timestamp) -> bool {
    now > scheduled_at.plus(MISSED_AFTER)
}

/// The instant delays are measured from: the tick's own time, or the clock when the tick runs
/// behind it (an invocation that started late, or a long tick). Measuring from the tick's time
/// alone would add that lag to every delay; from the clock alone, a tick driven at a chosen
/// instant (tests, replays) would deliver early.
fn delay_base(tick: Timestamp, clock: Timestamp) -> Timestamp {
    tick.max(clock)
}

/// What one tick did. Counts are of due-index entries. It is also the invocation's answer,
/// which the local stack's control endpoint shows to tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TickSummary {
    pub shards: usize,
    pub shards_failed: usize,
    pub found: usize,
    /// Claimed and sent to the delivery queue.
    pub enqueued: usize,
    /// Claimed by another dispatcher (or changed by a client) first.
    pub lost: usize,
    /// Failed as `missed`.
    pub missed: usize,
    pub claim_errors: usize,
    /// Claimed but not enqueued: leased until the lease runs out.
    pub send_errors: usize,
    /// Not tried: the tick ran out of time. Still due, for the next tick.
    pub deferred: usize,
    /// How long the oldest entry found had been due (0 when none was overdue yet); `None`
    /// when nothing was found.
    pub lag_ms: Option<u64>,
    /// Of `found`, the automations (the rest are posts).
    pub automations_found: usize,
    /// Automations whose occurrences this tick claimed (moving `next_run_at` on).
    pub automations_claimed: usize,
    /// Automation runs written and sent to the delivery queue, each delayed until its
    /// occurrence.
    pub runs_enqueued: usize,
    /// Occurrences recorded as `skipped` (catch-up, or older than its window).
    pub runs_skipped: usize,
    /// Occurrences whose run was already written by someone else.
    pub runs_existing: usize,
    /// Occurrences older than the catch-up window jumped over without a run of their own:
    /// those past the `skipped` runs one claim records (`automation_runner::
    /// MAX_EXPIRED_RECORDED`), counted up to `automation_runner::MAX_EXPIRED_COUNTED` a claim.
    pub occurrences_unrecorded: usize,
}

impl TickSummary {
    /// Nothing at all could be done: every shard query failed, or nothing found could be
    /// handled. An empty index is not a failure.
    pub fn did_nothing(&self) -> bool {
        let shards_down = self.shards > 0 && self.shards_failed == self.shards;
        let handled = self.enqueued
            + self.lost
            + self.missed
            + self.automations_claimed
            + self.runs_enqueued
            + self.runs_skipped
            + self.runs_existing;
        let stuck = self.found > 0 && handled == 0;
        shards_down || stuck
    }

    fn record(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Enqueued => self.enqueued += 1,
            Outcome::RunEnqueued => self.runs_enqueued += 1,
            Outcome::AutomationClaimed { unrecorded } => {
                self.automations_claimed += 1;
                self.occurrences_unrecorded += unrecorded;
            }
            Outcome::RunSkipped => self.runs_skipped += 1,
            Outcome::RunExisted => self.runs_existing += 1,
            Outcome::Lost => self.lost += 1,
            Outcome::Missed(_) => self.missed += 1,
            Outcome::ClaimError => self.claim_errors += 1,
            Outcome::SendError => self.send_errors += 1,
        }
    }

    fn log_and_measure(&self) {
        tracing::info!(
            shards = self.shards,
            shards_failed = self.shards_failed,
            found = self.found,
            enqueued = self.enqueued,
            lost = self.lost,
            missed = self.missed,
            claim_errors = self.claim_errors,
            send_errors = self.send_errors,
            deferred = self.deferred,
            lag_ms = self.lag_ms,
            automations_found = self.automations_found,
            automations_claimed = self.automations_claimed,
            runs_enqueued = self.runs_enqueued,
            runs_skipped = self.runs_skipped,
            runs_existing = self.runs_existing,
            occurrences_unrecorded = self.occurrences_unrecorded,
            "tick"
        );
        Metrics::default()
            .count("items_found", self.found)
            .count("items_claimed", self.enqueued)
            .count("items_missed", self.missed)
            .count("shard_failures", self.shards_failed)
            .count("claim_failures", self.claim_errors)
            .count("send_failures", self.send_errors)
            .count("items_deferred", self.deferred)
            .count("automations_claimed", self.automations_claimed)
            .count("runs_enqueued", self.runs_enqueued)
            .count("runs_skipped", self.runs_skipped)
            .count("occurrences_unrecorded", self.occurrences_unrecorded)
            .millis("lag", self.lag_ms.map(|ms| ms as f64))
            .emit();
    }
}

/// The tick could do nothing; the summary says why.
#[derive(Debug, thiserror::Error)]
#[error("the dispatcher could not do anything this tick: {0:?}")]
pub struct TickFailed(pub TickSummary);

/// What became of one due entry (a post), or of one thing an automation's claim did.
#[derive(Debug)]
enum Outcome {
    Enqueued,
    /// An automation's claim succeeded (its runs are counted by the outcomes below), jumping
    /// over this many occurrences older than the catch-up window without recording them.
    AutomationClaimed {
        unrecorded: usize,
    },
    /// An automation run was written and sent to the queue.
    RunEnqueued,
    /// An occurrence was recorded `skipped`.
    RunSkipped,
    /// An occurrence's run existed already.
    RunExisted,
    Lost,
    Missed(DomainEvent),
    ClaimError,
    SendError,
}

pub struct Dispatcher {
    index: DueIndex,
    posts: PostsRepository,
    automations: AutomationsRepository,
    queue: BatchQueue,
    events: DomainEvents,
    /// How long a claim holds an item (`Config::delivery_lease`).
    lease: Duration,
}

/// A claimed item waiting for its place in a `SendMessageBatch` call.
#[derive(Debug)]
struct Ready {
    message: DeliveryMessage,
    /// When it is due: the message is delayed until then.
    due: Timestamp,
}

impl Dispatcher {
    /// `queue_url` is `DELIVERY_QUEUE_URL` (`Config::require_delivery_queue_url`).
    pub fn new(
        index: DueIndex,
        posts: PostsRepository,
        automations: AutomationsRepository,
        sqs: aws_sdk_sqs::Client,
        queue_url: &str,
        events: DomainEvents,
        lease: Duration,
    ) -> Self {
        Self {
            index,
            posts,
            automations,
            queue: BatchQueue::new(sqs, queue_url),
            events,
            lease,
        }
    }

    /// One tick at `now`, the scheduled event's time. No claim starts after `budget` (the
    /// invocation's time left, less what the claims in flight, the last sends and the events
    /// need): what is left stays due for the next tick, instead of the invocation timing out
    /// with its work half recorded and then being retried whole.
    pub async fn tick(&self, now: Timestamp, budget: Duration) -> Result<TickSummary, TickFailed> {
        let stop_claiming = Instant::now() + budget;
        let until = look_ahead(now, LOOKAHEAD);
        let shards: Vec<String> = keys::due_shards().collect();
        let mut summary = TickSummary {
            shards: shards.len(),
            ..TickSummary::default()
        };
        // One query per shard, all at once; posts and automations share the index.
        let queries = shards
            .iter()
            .map(|shard| async move { (shard, self.index.due(shard, until).await) });
        let mut due = Vec::new();
        for (shard, result) in future::join_all(queries).await {
            match result {
                Ok(entries) => {
                    summary.automations_found += entries
                        .iter()
                        .filter(|e| matches!(e, Due::Automation(_)))
                        .count();
                    due.extend(entries);
                }
                Err(error) => {
                    summary.shards_failed += 1;
                    tracing::error!(shard = %shard, %error, "due shard query failed");
                }
            }
        }
        // Oldest first, whatever the kind: what the budget leaves for the next tick is newest.
        due.sort_by_key(Due::due_at);
        summary.found = due.len();
        summary.lag_ms = lag_ms(due.iter().filter_map(Due::due_at), now);

        // Claims run side by side; whatever is claimed goes out in batches as soon as it is
        // ready, so the first posts are on the queue while the last are still being claimed.
        let started = AtomicUsize::new(0);
        let outcomes: Vec<Outcome> = stream::iter(due)
            .take_while(|_| future::ready(Instant::now() < stop_claiming))
            .map(|entry| {
                started.fetch_add(1, Ordering::Relaxed);
                self.claim_due(entry, now, until)
            })
            .buffer_unordered(CLAIM_CONCURRENCY)
            .flat_map(stream::iter)
            .ready_chunks(MAX_BATCH)
            .map(|claims| self.enqueue(claims, now))
            .buffer_unordered(SEND_CONCURRENCY)
            .flat_map(stream::iter)
            .collect()
            .await;
        summary.deferred = summary.found - started.into_inner();
        let mut events = Vec::new();
        for outcome in outcomes {
            summary.record(&outcome);
            if let Outcome::Missed(event) = outcome {
                events.push(event);
            }
        }
        if let Err(error) = self.events.publish(events).await {
            // Each lost event is logged and counted by the bus; the posts' state is committed.
            tracing::error!(%error, "post.failed events not all published");
        }
        summary.log_and_measure();
        if summary.did_nothing() {
            Err(TickFailed(summary))
        } else {
            Ok(summary)
        }
    }

    /// Claims one entry: messages ready to enqueue (a post has one; an automation one per
    /// occurrence to run), and what else became of it.
    async fn claim_due(
        &self,
        entry: Due,
        now: Timestamp,
        until: Timestamp,
    ) -> Vec<Result<Ready, Outcome>> {
        match entry {
            Due::Post(entry) => vec![self.claim(entry, now).await],
            Due::Automation(entry) => self.claim_automation(entry, now, until).await,
        }
    }

    /// Claims one post: ready to enqueue, or already done with (lost, missed, failed).
    async fn claim(&self, entry: DueEntry, now: Timestamp) -> Result<Ready, Outcome> {
        // `due_at` is never before `scheduled_at`, so an entry this old is missed whatever the
        // post says: fail it without claiming it first.
        if entry.is_missed(now) {
            return Err(match self.posts.mark_missed(&entry, now).await {
                Ok(Some((tenant, post))) => Outcome::Missed(failed_event(&tenant, &post)),
                Ok(None) => Outcome::Lost,
                Err(error) => claim_error(&error),
            });
        }
        let claimed = match self.posts.claim(&entry, now, self.lease).await {
            Ok(Some(claimed)) => claimed,
            Ok(None) => return Err(Outcome::Lost),
            Err(error) => return Err(claim_error(&error)),
        };
        let (tenant, id) = (&claimed.tenant, claimed.post.id);
        if claimed
            .post
            .scheduled_at
            .is_some_and(|at| is_missed(at, now))
        {
            let failed = Finish::Failed {
                error: MISSED.into(),
            };
            return Err(
                match self
                    .posts
                    .finish(tenant, id, &claimed.claim, failed, None, now)
                    .await
                {
                    Ok(Some(post)) => Outcome::Missed(failed_event(tenant, &post)),
                    Ok(None) => Outcome::Lost,
                    Err(error) => claim_error(&error),
                },
            );
        }
        Ok(Ready {
            message: DeliveryMessage::post(tenant, id, &claimed.claim),
            due: claimed.next_attempt_at,
        })
    }

    /// Sends the claimed ones of `claims` in one call, each delayed until its attempt is due
    /// (measured when the call is made). One not sent stays leased until its lease runs out.
    async fn enqueue(&self, claims: Vec<Result<Ready, Outcome>>, now: Timestamp) -> Vec<Outcome> {
        let mut ready = Vec::new();
        let mut outcomes = Vec::new();
        for claim in claims {
            match claim {
                Ok(claimed) => ready.push(claimed),
                Err(outcome) => outcomes.push(outcome),
            }
        }
        if ready.is_empty() {
            return outcomes;
        }
        let base = delay_base(now, Timestamp::now());
        let batch: Vec<(DeliveryMessage, Duration)> = ready
            .iter()
            .map(|r| (r.message.clone(), delay_until(r.due, base)))
            .collect();
        for (ready, result) in ready.iter().zip(self.queue.send(&batch).await) {
            outcomes.push(match (result, ready.message.kind) {
                (Ok(()), DeliveryKind::Post) => Outcome::Enqueued,
                (Ok(()), DeliveryKind::AutomationRun) => Outcome::RunEnqueued,
                (Err(error), DeliveryKind::Post) => {
                    tracing::error!(tenant = %ready.message.tenant, post = %ready.message.id, %error, "claimed but not enqueued; retried when the lease ends");
                    Outcome::SendError
                }
                (Err(error), DeliveryKind::AutomationRun) => {
                    tracing::error!(tenant = %ready.message.tenant, automation = %ready.message.id, run = %ready.message.claim, %error, "an automation run was written but not enqueued");
                    self.fail_unqueued(&ready.message).await;
                    Outcome::SendError
                }
            });
        }
        outcomes
    }
}

fn claim_error(error: &StorageError) -> Outcome {
    tracing::error!(%error, "claiming a due item failed");
    Outcome::ClaimError
}

/// The `post.failed` domain event for a post that has just failed.
pub(crate) fn failed_event(tenant: &TenantId, post: &Post) -> DomainEvent {
    post_event(detail_type::POST_FAILED, tenant, post)
}

pub(crate) fn post_event(detail_type: &str, tenant: &TenantId, post: &Post) -> DomainEvent {
    DomainEvent::new(
        detail_type,
        tenant,
        serde_json::to_value(post).unwrap_or_default(),
    )
}

/// How long the oldest of `due` has been due at `now`, in milliseconds (zero when it is not yet
/// due); `None` when nothing was found.
fn lag_ms(due: impl Iterator<Item = Timestamp>, now: Timestamp) -> Option<u64> {
    due.min()
        .map(|oldest| now.millis().saturating_sub(oldest.millis()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> Timestamp {
        Timestamp::parse(raw).unwrap()
    }

    #[test]
    fn missed_is_more_than_an_hour_late() {
        let scheduled = at("2026-06-01T12:00:00Z");
        assert!(!is_missed(scheduled, at("2026-06-01T12:59:59.999Z")));
        assert!(!is_missed(scheduled, at("2026-06-01T13:00:00Z")));
        assert!(is_missed(scheduled, at("2026-06-01T13:00:00.001Z")));
        assert!(!is_missed(scheduled, at("2026-06-01T11:00:00Z")));
    }

    #[test]
    fn delays_count_from_the_clock_when_the_tick_runs_behind() {
        let tick = at("2026-06-01T12:00:00Z");
        let due = at("2026-06-01T12:00:30Z");
        let late_clock = at("2026-06-01T12:00:04Z");
        assert_eq!(delay_until(due, delay_base(tick, late_clock)).as_secs(), 26);
        // A tick driven ahead of the clock keeps its own time.
        let early_clock = at("2026-06-01T11:00:00Z");
        assert_eq!(
            delay_until(due, delay_base(tick, early_clock)).as_secs(),
            30
        );
    }

    #[test]
    fn lag_is_how_long_the_oldest_entry_has_been_due() {
        let now = at("2026-06-01T12:00:00Z");
        let due = [
            at("2026-06-01T12:00:30Z"),
            at("2026-06-01T11:59:57.500Z"),
            at("2026-06-01T11:59:59Z"),
        ];
        assert_eq!(lag_ms(due.into_iter(), now), Some(2500));
        assert_eq!(
            lag_ms([at("2026-06-01T12:00:30Z")].into_iter(), now),
            Some(0)
        );
        assert_eq!(lag_ms(std::iter::empty(), now), None);
    }

    #[test]
    fn a_tick_fails_only_when_it_could_do_nothing() {
        let base = TickSummary {
            shards: 16,
            ..TickSummary::default()
        };
        assert!(!base.did_nothing(), "an empty index is fine");
        let some_shards_down = TickSummary {
            shards_failed: 15,
            found: 1,
            enqueued: 1,
            ..base.clone()
        };
        assert!(!some_shards_down.did_nothing());
        let all_shards_down = TickSummary {
            shards_failed: 16,
            ..base.clone()
        };
        assert!(all_shards_down.did_nothing());
        let every_claim_failed = TickSummary {
            found: 3,
            claim_errors: 2,
            send_errors: 1,
            ..base.clone()
        };
        assert!(every_claim_failed.did_nothing());
        let others_won = TickSummary {
            found: 3,
            lost: 3,
            ..base
        };
        assert!(!others_won.did_nothing());
    }
}
