//! The dispatcher's automation path: an automation on the due index has occurrences to claim.
//!
//! The automation is read, its occurrences up to the tick's look-ahead are planned
//! (`automation_runner::plan_occurrences`: catch-up, `skipped` runs, where `next_run_at` moves),
//! and the claim moves `next_run_at` on, conditional on the due time seen: of several
//! dispatchers on the same tick only one claim succeeds, and only its holder writes runs. Each
//! occurrence to run is then written as a `running` run, conditional on its key not existing,
//! and only a run this call created is sent to the delivery queue, delayed until its instant.
//! The deliverer starts each run's action with a conditional write of its own, so even a
//! duplicated message acts once.

use futures::stream::{self, StreamExt};

use super::{claim_error, Dispatcher, Outcome, Ready};
use crate::automation_runner::plan_occurrences;
use crate::delivery_queue::DeliveryMessage;
use crate::domain::{AutomationId, RunStatus, SkipReason, TenantId, Timestamp};
use crate::repo::{AutomationDueEntry, Occurrence, RunRecord, RunState};

/// The error of a run that was written but could not be sent to the delivery queue.
const NOT_QUEUED: &str = "the run could not be queued";

/// Run writes in flight at once for one automation's claim (a catch-up can write hundreds of
/// `skipped` runs, an outage of more than a day up to `MAX_EXPIRED_RECORDED` more).
const RUN_WRITES: usize = 16;

impl Dispatcher {
    /// Claims one automation's due occurrences: a message ready for each run it created, and
    /// one outcome for each other thing it did.
    pub(super) async fn claim_automation(
        &self,
        entry: AutomationDueEntry,
        now: Timestamp,
        until: Timestamp,
    ) -> Vec<Result<Ready, Outcome>> {
        let Some(seen) = entry.due_at() else {
            tracing::error!("an automation's due entry has a bad due_at");
            return vec![Err(Outcome::ClaimError)];
        };
        let record = match self.automations.get_due(&entry).await {
            Ok(Some(record)) => record,
            Ok(None) => return vec![Err(Outcome::Lost)],
            Err(error) => return vec![Err(claim_error(&error))],
        };
        let automation = &record.automation;
        // Paused, or moved on by another claim or an edit since the index was read: the claim's
        // condition would refuse it anyway.
        if !automation.enabled || record.due_at != Some(seen) {
            return vec![Err(Outcome::Lost)];
        }
        let plan = plan_occurrences(&automation.trigger, automation.catchup, seen, now, until);
        match self.automations.due_claim(&entry, plan.next_run_at).await {
            Ok(Some(_)) => {}
            Ok(None) => return vec![Err(Outcome::Lost)],
            Err(error) => return vec![Err(claim_error(&error))],
        }
        let (tenant, id) = (&record.tenant, automation.id);
        if !plan.expired.is_empty() {
            tracing::warn!(tenant = tenant.as_str(), automation = %id, recorded = plan.expired.len(), unrecorded = plan.expired_unrecorded, "occurrences older than the catch-up window are recorded skipped, past the cap only counted (the count stops at its own cap)");
        }
        let skipped = |reason: SkipReason| move |at: &Timestamp| (*at, Some(reason));
        let writes = plan
            .expired
            .iter()
            .map(skipped(SkipReason::Expired))
            .chain(plan.skip.iter().map(skipped(plan.skip_reason)))
            .chain(plan.run.iter().map(|at| (*at, None)));
        let mut results: Vec<Result<Ready, Outcome>> = stream::iter(writes)
            .map(|(at, skipped)| self.write_run(tenant, id, at, skipped, now))
            .buffer_unordered(RUN_WRITES)
            .collect()
            .await;
        results.push(Err(Outcome::AutomationClaimed {
            unrecorded: plan.expired_unrecorded,
        }));
        results
    }

    /// Records one occurrence: `skipped` for the reason given, or `running` and then ready for
    /// the queue. A run that already exists belongs to whoever wrote it.
    async fn write_run(
        &self,
        tenant: &TenantId,
        automation: AutomationId,
        at: Timestamp,
        skipped: Option<SkipReason>,
        now: Timestamp,
    ) -> Result<Ready, Outcome> {
        let run = match skipped {
            Some(reason) => RunRecord::skipped(at, reason, now),
            None => RunRecord::new(at, Occurrence::Scheduled, RunState::Running, now),
        };
        match self.automations.put_run(tenant, automation, &run).await {
            Ok(true) if skipped.is_some() => Err(Outcome::RunSkipped),
            Ok(true) => Ok(Ready {
                message: DeliveryMessage::automation_run(
                    tenant,
                    automation,
                    run.id,
                    at,
                    &Occurrence::Scheduled.key_part(),
                ),
                due: at,
            }),
            Ok(false) => Err(Outcome::RunExisted),
            Err(error) => {
                // The claim has moved on: this occurrence is now only in the logs and metrics.
                tracing::error!(tenant = tenant.as_str(), automation = %automation, occurrence = at.to_rfc3339(), %error, "a claimed occurrence's run could not be written");
                Err(Outcome::ClaimError)
            }
        }
    }

    /// A run written but not sent: nothing would ever finish it, so it is finished now as
    /// `failed` (and counted on its automation), rather than stay `running` and unlisted.
    pub(super) async fn fail_unqueued(&self, message: &DeliveryMessage) {
        let parsed = (|| {
            let tenant = TenantId::parse(&message.tenant)?;
            let automation = AutomationId::parse(&message.id)?;
            let run = message.run.as_ref()?;
            let at = Timestamp::parse(&run.scheduled_for).ok()?;
            let occurrence = Occurrence::parse(&run.occurrence)?;
            Some((tenant, automation, at, occurrence))
        })();
        let Some((tenant, automation, at, occurrence)) = parsed else {
            return;
        };
        let now = Timestamp::now();
        let finished = self
            .automations
            .finish_run(
                &tenant,
                automation,
                at,
                &occurrence,
                RunStatus::Failed,
                Some(NOT_QUEUED),
                None,
                now,
            )
            .await;
        let counted = match finished {
            Ok(true) => self
                .automations
                .record_outcome(&tenant, automation, false, now)
                .await
                .map(|_| ()),
            Ok(false) => Ok(()),
            Err(error) => Err(error),
        };
        if let Err(error) = counted {
            tracing::error!(tenant = tenant.as_str(), automation = %automation, %error, "an unqueued run stays running");
        }
    }
}
