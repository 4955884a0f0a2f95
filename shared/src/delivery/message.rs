//! Reading a delivery queue message (`DeliveryMessage`) into a [`Job`] whose fields are checked,
//! so that the deliverer never acts on a tenant, an id or a claim the schedule could not have
//! written.

use crate::delivery_queue::{DeliveryKind, DeliveryMessage};
use crate::domain::{AutomationId, PostId, RunId, TenantId, Timestamp};

/// What a message asks the deliverer to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Job {
    Post(PostJob),
    /// Boxed: it carries its whole message for a retry, and posts are the common case.
    Run(Box<RunJob>),
}

impl Job {
    pub fn tenant(&self) -> &TenantId {
        match self {
            Job::Post(job) => &job.tenant,
            Job::Run(job) => &job.tenant,
        }
    }

    /// The item the job is about, for logs.
    pub fn subject(&self) -> String {
        match self {
            Job::Post(job) => format!("post {}", job.post),
            Job::Run(job) => format!("automation {} run {}", job.automation, job.run),
        }
    }
}

/// One delivery to make: the post, and the claim the message was sent under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PostJob {
    pub tenant: TenantId,
    pub post: PostId,
    pub claim: String,
}

/// One attempt of an automation run's action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunJob {
    pub tenant: TenantId,
    pub automation: AutomationId,
    pub run: RunId,
    /// The run key's instant and last part (`S`, `E#<event id>`, `M#<run id>`).
    pub scheduled_for: Timestamp,
    pub occurrence: String,
    /// From 1: the run must have made exactly `attempt - 1` attempts for this one to start.
    pub attempt: u32,
    /// Not before this instant (a retry waiting longer than SQS can delay a message).
    pub not_before: Option<Timestamp>,
    /// The message as read, to send again for a retry.
    pub message: DeliveryMessage,
}

/// Why a message can never be delivered: it is parked, never retried.
pub(crate) fn parse(body: Option<&str>) -> Result<Job, String> {
    let body = body.ok_or("the message has no body")?;
    let message =
        DeliveryMessage::parse(body).map_err(|e| format!("not a delivery message: {e}"))?;
    let tenant = TenantId::parse(&message.tenant).ok_or("the tenant is not a tenant id")?;
    match message.kind {
        DeliveryKind::Post => {
            let post = PostId::parse(&message.id).ok_or("the id is not a post id")?;
            // A claim is a ULID the repository wrote; anything else cannot match one.
            if ulid::Ulid::from_string(&message.claim).is_err() {
                return Err("the claim is not a claim id".into());
            }
            Ok(Job::Post(PostJob {
                tenant,
                post,
                claim: message.claim,
            }))
        }
        DeliveryKind::AutomationRun => {
            let automation =
                AutomationId::parse(&message.id).ok_or("the id is not an automation id")?;
            let run = RunId::parse(&message.claim).ok_or("the claim is not a run id")?;
            let run_ref = message
                .run
                .as_ref()
                .ok_or("an automation run names no run")?;
            let scheduled_for = Timestamp::parse(&run_ref.scheduled_for)
                .map_err(|_| "the run's scheduled_for is not an instant")?;
            if !valid_occurrence(&run_ref.occurrence) {
                return Err("the run's occurrence is not one the schedule writes".into());
            }
            if run_ref.attempt == 0 {
                return Err("attempts count from 1".into());
            }
            let not_before = run_ref
                .not_before
                .as_deref()
                .map(Timestamp::parse)
                .transpose()
                .map_err(|_| "the run's not_before is not an instant")?;
            Ok(Job::Run(Box::new(RunJob {
                tenant,
                automation,
                run,
                scheduled_for,
                occurrence: run_ref.occurrence.clone(),
                attempt: run_ref.attempt,
                not_before,
                message,
            })))
        }
    }
}

/// `S`, `E#<event id>` or `M#<run id>`, as the repository reads them back: nothing that could
/// make the run key reach further.
fn valid_occurrence(raw: &str) -> bool {
    crate::repo::Occurrence::parse(raw).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    const POST: &str = "01JD0000000000000000000000";
    const CLAIM: &str = "01JD0000000000000000000001";

    fn body(tenant: &str, kind: &str, id: &str, claim: &str) -> String {
        serde_json::json!({"tenant": tenant, "kind": kind, "id": id, "claim": claim}).to_string()
    }

    #[test]
    fn what_the_schedule_sends_is_a_job() {
        let tenant = TenantId::parse("acme").unwrap();
        let post = PostId::parse(POST).unwrap();
        let sent = serde_json::to_string(&DeliveryMessage::post(&tenant, post, CLAIM)).unwrap();
        assert_eq!(
            parse(Some(&sent)),
            Ok(Job::Post(PostJob {
                tenant,
                post,
                claim: CLAIM.into()
            }))
        );
    }

    #[test]
    fn an_automation_run_is_a_run_job() {
        let tenant = TenantId::parse("acme").unwrap();
        let at = Timestamp::parse("2026-11-01T06:30:00Z").unwrap();
        let automation = AutomationId::generate();
        let run = RunId::generate(at);
        for occurrence in [
            "S".to_owned(),
            format!("M#{run}"),
            "E#01KAGC64JB71HFE865V215DE1C".to_owned(),
        ] {
            let message =
                DeliveryMessage::automation_run(&tenant, automation, run, at, &occurrence)
                    .next_attempt(at);
            let sent = serde_json::to_string(&message).unwrap();
            let Ok(Job::Run(job)) = parse(Some(&sent)) else {
                panic!("{sent}");
            };
            assert_eq!(
                (job.automation, job.run, job.scheduled_for, job.attempt),
                (automation, run, at, 2)
            );
            assert_eq!(job.not_before, Some(at));
            assert_eq!(job.occurrence, occurrence);
            assert_eq!(job.message, message);
        }
    }

    #[test]
    fn anything_else_says_why() {
        let run = |occurrence: &str, attempt: u32| {
            serde_json::json!({"tenant": "acme", "kind": "automation_run", "id": POST, "claim": CLAIM,
                "run": {"scheduled_for": "2026-01-01T00:00:00.000Z", "occurrence": occurrence, "attempt": attempt}})
            .to_string()
        };
        for (raw, why) in [
            (None, "no body"),
            (Some("{".to_owned()), "not a delivery message"),
            (
                Some(r#"{"tenant":"acme"}"#.to_owned()),
                "not a delivery message",
            ),
            (
                Some(body("acme", "automation", POST, CLAIM)),
                "not a delivery message",
            ),
            (Some(body("a#b", "post", POST, CLAIM)), "tenant"),
            (Some(body("acme", "post", "p1", CLAIM)), "post id"),
            (Some(body("acme", "post", POST, "")), "claim"),
            (Some(body("acme", "automation_run", POST, CLAIM)), "no run"),
            (Some(run("X", 1)), "occurrence"),
            (Some(run("E#x#y", 1)), "occurrence"),
            (Some(run("S", 0)), "from 1"),
        ] {
            let error = parse(raw.as_deref()).unwrap_err();
            assert!(error.contains(why), "{raw:?}: {error}");
        }
    }
}
