//! One attempt of an automation run's action, in the deliverer (API.md, "Automations",
//! "Actions"): load the automation and its run, start the attempt with a conditional write on
//! the run (the exactly-once step: a duplicated message finds it taken), act, and finish the run
//! and the automation's failure count.
//!
//! `publish_post` creates a post through `PostService`, the path `POST /v1/posts` takes, so the
//! post is then delivered like any other. `webhook` delivers `automation.webhook` to the channel
//! with the same sender, signing keys, retry schedule and channel health rules as a post; a
//! retry is the same message sent again, delayed, for the next attempt.

use std::time::Duration;

use chrono::TimeDelta;
use serde_json::{Map, Value};

use super::deliverer::{Delivered, Deliverer, Ended};
use super::message::RunJob;
use super::plan::{plan, Next};
use crate::automation_runner::{run_event, RunAttempt, RunEnd};
use crate::delivery_queue::MAX_DELAY;
use crate::domain::{
    Action, Attempt, Automation, ChannelStatus, MediaUrls, NewPost, PublishPostAction,
    TemplateContext, TemplateEvent, Timestamp, WebhookAction, WebhookId,
};
use crate::post_service::CreatePostError;
use crate::repo::{Occurrence, RunRecord, RunState, StorageError};
use crate::schedule::delay_until;
use crate::webhook::retry_delay;

/// The `type` of an automation's webhook.
pub const AUTOMATION_WEBHOOK: &str = "automation.webhook";

const CHANNEL_DELETED: &str = "channel deleted";
const CHANNEL_DISABLED: &str = "channel disabled";

/// A message that arrives this little before its `not_before` is close enough: SQS rounds
/// delays to whole seconds.
const EARLY_TOLERANCE: TimeDelta = TimeDelta::seconds(1);

/// What a run's action has to work with: the automation, the run, and the event behind it.
struct Context {
    automation: Automation,
    run: RunRecord,
    occurrence: Occurrence,
    /// For event runs: the event, if it still exists (a deleted one renders empty).
    event: Option<EventData>,
}

struct EventData {
    id: String,
    event_type: String,
    properties: Map<String, Value>,
}

impl Context {
    fn template(&self, now: Timestamp) -> TemplateContext<'_> {
        TemplateContext {
            automation_name: self.automation.name.as_str(),
            now,
            scheduled_for: (self.occurrence == Occurrence::Scheduled)
                .then_some(self.run.scheduled_for),
            event: self.event.as_ref().map(|event| TemplateEvent {
                id: &event.id,
                event_type: &event.event_type,
                properties: &event.properties,
            }),
        }
    }
}

/// The run and attempt a message names.
fn attempt_of(job: &RunJob) -> RunAttempt<'_> {
    RunAttempt {
        tenant: &job.tenant,
        automation: job.automation,
        scheduled_for: job.scheduled_for,
        occurrence: &job.occurrence,
        run: job.run,
        attempt: job.attempt,
    }
}

impl Deliverer {
    pub(super) async fn run_automation(&self, job: &RunJob) -> Result<Delivered, StorageError> {
        let p = &self.parts;
        let now = Timestamp::now();
        if let Some(at) = job.not_before {
            if at > now.plus(EARLY_TOLERANCE) {
                return self.wait_longer(job, at, now).await;
            }
        }
        let Some(record) = p
            .automations
            .get_record(&job.tenant, job.automation)
            .await?
        else {
            return Ok(Delivered::stale());
        };
        let Some(occurrence) = Occurrence::parse(&job.occurrence) else {
            return Ok(Delivered::stale());
        };
        let Some(run) = p
            .automations
            .get_run(&job.tenant, job.automation, job.scheduled_for, &occurrence)
            .await?
        else {
            return Ok(Delivered::stale());
        };
        // The attempt after the last one started, or that same one again: a copy of the
        // message that finds its deliverer died takes the attempt over (`start` decides).
        let next_or_same =
            run.attempts.saturating_add(1) == job.attempt || run.attempts == job.attempt;
        if run.id != job.run || run.status != RunState::Running || !next_or_same {
            return Ok(Delivered::stale());
        }
        let event = match &occurrence {
            Occurrence::Event(id) => p.event_store.get(&job.tenant, *id).await?.map(|event| {
                let properties = match serde_json::to_value(&event.properties) {
                    Ok(Value::Object(map)) => map,
                    _ => Map::new(),
                };
                EventData {
                    id: event.id,
                    event_type: event.event_type.as_str().to_owned(),
                    properties,
                }
            }),
            _ => None,
        };
        let context = Context {
            automation: record.automation,
            run,
            occurrence,
            event,
        };
        match &context.automation.action {
            Action::PublishPost(action) => self.publish_post(job, &context, action, now).await,
            Action::Webhook(action) => self.webhook(job, &context, action, now).await,
        }
    }

    /// Counts this attempt as started; `false` when another copy of the message got there.
    async fn start(&self, job: &RunJob, now: Timestamp) -> Result<bool, StorageError> {
        self.parts.run_attempts.start(attempt_of(job), now).await
    }

    async fn publish_post(
        &self,
        job: &RunJob,
        context: &Context,
        action: &PublishPostAction,
        now: Timestamp,
    ) -> Result<Delivered, StorageError> {
        if !self.start(job, now).await? {
            return Ok(Delivered::stale());
        }
        let end = match action.render_content(&context.template(now)) {
            Err(error) => RunEnd::Failed { error },
            Ok(content) => {
                let new_post = NewPost {
                    channel_id: action.channel_id,
                    content,
                    media_urls: MediaUrls::default(),
                    scheduled_at: Some(now),
                };
                match self
                    .parts
                    .post_service
                    .create_run_post(&job.tenant, new_post, job.automation, job.run, now)
                    .await
                {
                    Ok(post) => RunEnd::Succeeded {
                        post_id: Some(post.id),
                    },
                    Err(
                        error
                        @ (CreatePostError::ChannelMissing | CreatePostError::ChannelDisabled),
                    ) => RunEnd::Failed {
                        error: error.to_string(),
                    },
                    Err(CreatePostError::Storage(error)) => {
                        // The attempt is started, so this message cannot act again: the run
                        // fails now rather than stay running for ever.
                        tracing::error!(tenant = job.tenant.as_str(), automation = %job.automation, run = %job.run, %error, "publish_post could not create its post");
                        RunEnd::Failed {
                            error: "the post could not be created (storage unavailable)".into(),
                        }
                    }
                }
            }
        };
        let mut events = Vec::new();
        let ended = self.end_run(job, context, end, &mut events).await?;
        Ok(Delivered { ended, events })
    }

    async fn webhook(
        &self,
        job: &RunJob,
        context: &Context,
        action: &WebhookAction,
        now: Timestamp,
    ) -> Result<Delivered, StorageError> {
        let p = &self.parts;
        let mut events = Vec::new();
        let channel = match p.channels.get(&job.tenant, action.channel_id).await? {
            None => {
                let end = RunEnd::Failed {
                    error: CHANNEL_DELETED.into(),
                };
                let ended = self.end_run(job, context, end, &mut events).await?;
                return Ok(Delivered { ended, events });
            }
            Some(stored) if stored.channel.status == ChannelStatus::Disabled => {
                let end = RunEnd::Failed {
                    error: CHANNEL_DISABLED.into(),
                };
                let ended = self.end_run(job, context, end, &mut events).await?;
                return Ok(Delivered { ended, events });
            }
            Some(stored) => stored,
        };
        // Before the attempt is counted: a secret that cannot be read is an outage, retried
        // with the message, not an attempt that never went out.
        let keys = p
            .secrets
            .signing_keys(&job.tenant, channel.channel.id, channel.secret_version, now)
            .await?;
        let data = action.render_data(&context.template(now));
        if !self.start(job, now).await? {
            return Ok(Delivered::stale());
        }
        let outcome = p
            .sender
            .send(
                &channel.channel.url,
                &WebhookId::for_run(job.run),
                AUTOMATION_WEBHOOK,
                data,
                &keys,
            )
            .await;
        let attempt = Attempt {
            n: job.attempt,
            at: outcome.at,
            status_code: outcome.status_code,
            latency_ms: outcome.latency_ms,
            error: outcome.error.clone(),
        };
        let now = Timestamp::now();
        let plan = plan(&outcome, job.attempt, attempt.summary(), now, retry_delay);
        self.channel_health(&job.tenant, &channel, plan.channel, now, &mut events)
            .await;
        let ended = match plan.next {
            Next::Published => {
                self.end_run(
                    job,
                    context,
                    RunEnd::Succeeded { post_id: None },
                    &mut events,
                )
                .await?
            }
            Next::Failed { error } => {
                self.end_run(job, context, RunEnd::Failed { error }, &mut events)
                    .await?
            }
            Next::RetryAt(at) | Next::RetrySoon(at) => {
                let message = job.message.next_attempt(at);
                let delay = delay_until(at, Timestamp::now()).min(MAX_DELAY);
                match p.queue.send(&message, delay).await {
                    Ok(()) => {
                        if let Err(error) = p.run_attempts.release(attempt_of(job)).await {
                            // Only a late copy of this message after the lease could act again,
                            // and it would send with the same webhook-id.
                            tracing::warn!(tenant = job.tenant.as_str(), automation = %job.automation, run = %job.run, %error, "a retried attempt kept its lease");
                        }
                        Ended::Retrying
                    }
                    Err(error) => {
                        tracing::error!(tenant = job.tenant.as_str(), automation = %job.automation, run = %job.run, %error, "webhook retry not enqueued; the run fails");
                        let end = RunEnd::Failed {
                            error: format!(
                                "{}; the retry could not be scheduled",
                                attempt
                                    .summary()
                                    .unwrap_or_else(|| "delivery failed".into())
                            ),
                        };
                        self.end_run(job, context, end, &mut events).await?
                    }
                }
            }
        };
        Ok(Delivered { ended, events })
    }

    /// A retry whose wait is longer than SQS can delay a message came back early: it goes back
    /// on the queue for the rest of its wait, untouched.
    async fn wait_longer(
        &self,
        job: &RunJob,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<Delivered, StorageError> {
        let delay: Duration = delay_until(at, now).min(MAX_DELAY);
        self.parts.queue.send(&job.message, delay).await?;
        Ok(Delivered {
            ended: Ended::Retrying,
            events: Vec::new(),
        })
    }

    /// Finishes the run (conditional on it still running), counts the outcome on the
    /// automation (which pauses it after too many failures in a row), and adds the run's
    /// domain event. A run another message finished first is stale.
    async fn end_run(
        &self,
        job: &RunJob,
        context: &Context,
        end: RunEnd,
        events: &mut Vec<crate::bus::DomainEvent>,
    ) -> Result<Ended, StorageError> {
        let p = &self.parts;
        let now = Timestamp::now();
        let finished = p
            .automations
            .finish_run(
                &job.tenant,
                job.automation,
                job.scheduled_for,
                &context.occurrence,
                end.status(),
                end.error(),
                end.post_id(),
                now,
            )
            .await?;
        if !finished {
            return Ok(Ended::Stale);
        }
        let succeeded = end.succeeded();
        match p
            .automations
            .record_outcome(&job.tenant, job.automation, succeeded, now)
            .await
        {
            Ok(Some(paused)) => {
                tracing::warn!(tenant = job.tenant.as_str(), automation = %paused.id, failures = paused.consecutive_failures, "automation paused after failing runs in a row");
            }
            Ok(None) => {}
            Err(error) => {
                // The run is finished; only the automation's counters missed this outcome.
                tracing::error!(tenant = job.tenant.as_str(), automation = %job.automation, %error, "run outcome not counted on the automation");
                crate::telemetry::count("run_outcome_failures", 1);
            }
        }
        let mut run = context.run.clone();
        end.apply(&mut run, now);
        events.extend(run_event(&job.tenant, job.automation, &run));
        Ok(Ended::Ran { succeeded })
    }
}
