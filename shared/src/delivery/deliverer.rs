//! One delivery, start to end: check the claim, the channel and the clock, count the attempt,
//! sign and send, then record what happened to the post and to its channel.
//!
//! Every write is conditional on the message's claim, so a message that lost its post (the post
//! was cancelled, or its lease ran out and another claim took it) changes nothing and is acked.
//! Only an infrastructure failure (DynamoDB, Secrets Manager or SQS unreachable) is reported to
//! SQS: the message comes back after its visibility timeout, still holding the claim, and is
//! tried again. A receiver's failure is not an SQS failure: it is rescheduled through the table.

use std::time::Duration;

use super::message::PostJob;
use super::plan::{plan, ChannelHealth, Next};
use crate::automation_runner::RunAttempts;
use crate::bus::{detail_type, DomainEvent, DomainEvents};
use crate::delivery_queue::{DeliveryMessage, DeliveryQueue};
use crate::dispatch::{failed_event, is_missed, post_event, MISSED};
use crate::domain::{
    Attempt, ChannelStatus, DisabledReason, Post, PostStatus, TenantId, Timestamp,
};
use crate::post_service::PostService;
use crate::repo::{
    AutomationsRepository, ChannelsRepository, EventsRepository, Finish, PostsRepository,
    StorageError, StoredChannel,
};
use crate::schedule::delay_until;
use crate::secrets::ChannelSecrets;
use crate::webhook::{retry_delay, WebhookSender};
use crate::DeadLetterQueue;

/// The `type` of a post's webhook.
pub const POST_PUBLISH: &str = "post.publish";

const CHANNEL_DELETED: &str = "channel deleted";
const CHANNEL_DISABLED: &str = "channel disabled";

/// What the deliverer is built from, at cold start.
pub struct DelivererParts {
    pub posts: PostsRepository,
    pub channels: ChannelsRepository,
    pub secrets: ChannelSecrets,
    pub sender: WebhookSender,
    pub queue: DeliveryQueue,
    pub events: DomainEvents,
    /// The function's own dead-letter queue, where unreadable messages are parked. Without one
    /// they are left to the queue's redrive policy.
    pub dead_letters: Option<DeadLetterQueue>,
    /// `Config::delivery_lease`.
    pub lease: Duration,
    /// `Config::channel_failing_after`.
    pub failing_after: Duration,
    /// Automation runs: the automations and their runs, the events behind event runs, the
    /// post-creation path `publish_post` shares with `POST /v1/posts`, and the run attempt
    /// starts that make each action act once.
    pub automations: AutomationsRepository,
    pub event_store: EventsRepository,
    pub post_service: PostService,
    pub run_attempts: RunAttempts,
}

pub struct Deliverer {
    pub(super) parts: DelivererParts,
}

impl Deliverer {
    pub fn new(parts: DelivererParts) -> Self {
        Self { parts }
    }
}

/// How one message ended, for the batch's summary and metrics.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Ended {
    /// Delivered: how long the receiver took, and how late the attempt started against
    /// `scheduled_at` (first attempts only: later ones are late by design).
    Delivered {
        latency_ms: u64,
        lateness_ms: Option<f64>,
    },
    /// The post failed, for good.
    Failed,
    /// The attempt failed and another is scheduled.
    Retrying,
    /// The message no longer held its post (or its run): nothing to do.
    Stale,
    /// An automation run finished.
    Ran { succeeded: bool },
}

/// One message's result: how it ended, and the domain events it produced.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Delivered {
    pub ended: Ended,
    pub events: Vec<DomainEvent>,
}

impl Delivered {
    pub(super) fn stale() -> Self {
        Self {
            ended: Ended::Stale,
            events: Vec::new(),
        }
    }
}

impl Deliverer {
    pub(super) async fn deliver(&self, job: &PostJob) -> Result<Delivered, StorageError> {
        let p = &self.parts;
        let now = Timestamp::now();
        let Some(record) = p.posts.get_record(&job.tenant, job.post).await? else {
            return Ok(Delivered::stale());
        };
        if record.post.status != PostStatus::Publishing
            || record.claim.as_deref() != Some(job.claim.as_str())
        {
            return Ok(Delivered::stale());
        }
        // A manual retry starts a new series of attempts; numbers go on counting across series.
        let series_from = record.series_from;
        let post = record.post;
        let channel = match p.channels.get(&job.tenant, post.channel_id).await? {
            None => return self.fail(job, CHANNEL_DELETED, now).await,
            Some(stored) if stored.channel.status == ChannelStatus::Disabled => {
                return self.fail(job, CHANNEL_DISABLED, now).await
            }
            Some(stored) => stored,
        };
        if post.scheduled_at.is_some_and(|at| is_missed(at, now)) {
            return self.fail(job, MISSED, now).await;
        }
        // Before the attempt is counted: a secret that cannot be read is an outage, retried
        // with the message, not an attempt that never went out.
        let keys = p
            .secrets
            .signing_keys(&job.tenant, channel.channel.id, channel.secret_version, now)
            .await?;
        let Some((post, n)) = p
            .posts
            .start_attempt(&job.tenant, job.post, &job.claim, now, p.lease)
            .await?
        else {
            return Ok(Delivered::stale());
        };
        let data = serde_json::to_value(&post)
            .map_err(|e| StorageError::Internal(format!("post does not serialise: {e}")))?;
        let outcome = p
            .sender
            .send(
                &channel.channel.url,
                &post.webhook_id,
                POST_PUBLISH,
                data,
                &keys,
            )
            .await;
        let attempt = Attempt {
            n,
            at: outcome.at,
            status_code: outcome.status_code,
            latency_ms: outcome.latency_ms,
            error: outcome.error.clone(),
        };
        let now = Timestamp::now();
        let in_series = n.saturating_sub(series_from);
        let plan = plan(&outcome, in_series, attempt.summary(), now, retry_delay);
        let mut events = Vec::new();
        let ended = self
            .record(job, &post, &attempt, plan.next, now, &mut events)
            .await?;
        self.channel_health(&job.tenant, &channel, plan.channel, now, &mut events)
            .await;
        Ok(Delivered { ended, events })
    }

    /// Writes the attempt and the post's next state, under the claim.
    async fn record(
        &self,
        job: &PostJob,
        post: &Post,
        attempt: &Attempt,
        next: Next,
        now: Timestamp,
        events: &mut Vec<DomainEvent>,
    ) -> Result<Ended, StorageError> {
        let p = &self.parts;
        let finish = |finish| {
            p.posts.finish(
                &job.tenant,
                job.post,
                &job.claim,
                finish,
                Some(attempt),
                now,
            )
        };
        let ended = match next {
            Next::Published => {
                let lateness_ms = (attempt.n == 1)
                    .then_some(post.scheduled_at)
                    .flatten()
                    .map(|at| attempt.at.millis() as f64 - at.millis() as f64);
                let Some(published) = finish(Finish::Published).await? else {
                    return Ok(self.lost(job));
                };
                events.push(post_event(
                    detail_type::POST_PUBLISHED,
                    &job.tenant,
                    &published,
                ));
                Ended::Delivered {
                    latency_ms: attempt.latency_ms,
                    lateness_ms,
                }
            }
            Next::Failed { error } => {
                let Some(failed) = finish(Finish::Failed { error }).await? else {
                    return Ok(self.lost(job));
                };
                events.push(failed_event(&job.tenant, &failed));
                Ended::Failed
            }
            Next::RetryAt(at) => {
                if finish(Finish::RetryAt(at)).await?.is_none() {
                    return Ok(self.lost(job));
                }
                Ended::Retrying
            }
            Next::RetrySoon(at) => {
                let Some(claim) = p
                    .posts
                    .requeue_soon(&job.tenant, job.post, &job.claim, attempt, at, now, p.lease)
                    .await?
                else {
                    return Ok(self.lost(job));
                };
                let message = DeliveryMessage::post(&job.tenant, job.post, &claim);
                let delay = delay_until(at, Timestamp::now());
                if let Err(error) = p.queue.send(&message, delay).await {
                    // The post is leased under the new claim: when the lease ends the dispatcher
                    // finds it again, so the retry is late but not lost.
                    tracing::error!(tenant = job.tenant.as_str(), post = %job.post, %error, "short retry not enqueued; the dispatcher takes it when the lease ends");
                    crate::telemetry::count("requeue_failures", 1);
                }
                Ended::Retrying
            }
        };
        Ok(ended)
    }

    /// The claim moved on between the attempt and its record: the lease ran out mid-send and a
    /// dispatcher re-claimed the post. Its new holder delivers it again (same `webhook-id`).
    fn lost(&self, job: &PostJob) -> Ended {
        tracing::warn!(
            tenant = job.tenant.as_str(),
            post = %job.post,
            "the claim was lost before the attempt was recorded"
        );
        Ended::Stale
    }

    /// Fails the post without an attempt (its channel or its time is gone).
    async fn fail(
        &self,
        job: &PostJob,
        error: &str,
        now: Timestamp,
    ) -> Result<Delivered, StorageError> {
        let failed = self
            .parts
            .posts
            .finish(
                &job.tenant,
                job.post,
                &job.claim,
                Finish::Failed {
                    error: error.to_owned(),
                },
                None,
                now,
            )
            .await?;
        Ok(match failed {
            Some(post) => Delivered {
                ended: Ended::Failed,
                events: vec![failed_event(&job.tenant, &post)],
            },
            None => Delivered::stale(),
        })
    }

    /// Tells the channel how the attempt went (a post's, or an automation webhook's). The outcome is already committed, so a
    /// failure here is logged and counted, never retried with the message (which would find its
    /// claim gone and do nothing).
    pub(super) async fn channel_health(
        &self,
        tenant: &TenantId,
        channel: &StoredChannel,
        health: ChannelHealth,
        now: Timestamp,
        events: &mut Vec<DomainEvent>,
    ) {
        let p = &self.parts;
        let id = channel.channel.id;
        let disabled = match health {
            // Most successes follow successes: write only to end a failing run.
            ChannelHealth::Success if channel.channel.failing_since.is_none() => Ok(None),
            ChannelHealth::Success => p.channels.record_success(tenant, id).await.map(|()| None),
            ChannelHealth::Failure => {
                p.channels
                    .record_failure(tenant, id, now, p.failing_after)
                    .await
            }
            ChannelHealth::Gone => {
                p.channels
                    .disable(tenant, id, DisabledReason::Gone, now)
                    .await
            }
        };
        match disabled {
            Ok(Some(disabled)) => {
                crate::telemetry::count("channels_disabled", 1);
                events.push(DomainEvent::new(
                    detail_type::CHANNEL_DISABLED,
                    tenant,
                    serde_json::to_value(&disabled).unwrap_or_default(),
                ));
            }
            Ok(None) => {}
            Err(error) => {
                tracing::error!(tenant = tenant.as_str(), channel = %id, %error, "channel health not recorded");
                crate::telemetry::count("channel_health_failures", 1);
            }
        }
    }

    pub(super) async fn publish(&self, events: Vec<DomainEvent>) {
        if let Err(error) = self.parts.events.publish(events).await {
            // Each lost event is logged and counted by the bus; the posts' state is committed.
            tracing::error!(%error, "domain events not all published");
        }
    }
}
