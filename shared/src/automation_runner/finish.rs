//! How a run ends, and the domain event that says so (`automation.run.succeeded` /
//! `automation.run.failed`, detail `{tenant_id, automation_id, ...the run}`).

use serde_json::Value;

use crate::bus::{detail_type, DomainEvent};
use crate::domain::{AutomationId, PostId, RunStatus, TenantId, Timestamp};
use crate::repo::{RunRecord, RunState};

/// The end of a run's action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    /// Done; `post_id` is the post a `publish_post` action created.
    Succeeded { post_id: Option<PostId> },
    /// Given up, with the run's `error` (a channel's state, the receiver's answer after the
    /// last attempt, a template that rendered into an invalid post).
    Failed { error: String },
}

impl RunEnd {
    pub fn status(&self) -> RunStatus {
        match self {
            RunEnd::Succeeded { .. } => RunStatus::Succeeded,
            RunEnd::Failed { .. } => RunStatus::Failed,
        }
    }

    pub fn succeeded(&self) -> bool {
        matches!(self, RunEnd::Succeeded { .. })
    }

    pub fn error(&self) -> Option<&str> {
        match self {
            RunEnd::Succeeded { .. } => None,
            RunEnd::Failed { error } => Some(error),
        }
    }

    pub fn post_id(&self) -> Option<PostId> {
        match self {
            RunEnd::Succeeded { post_id } => *post_id,
            RunEnd::Failed { .. } => None,
        }
    }

    /// The run as `finish_run` leaves it.
    pub fn apply(&self, run: &mut RunRecord, now: Timestamp) {
        run.status = RunState::from(self.status());
        run.finished_at = Some(now);
        run.error = self.error().map(str::to_owned);
        run.post_id = self.post_id();
    }
}

/// The domain event for a finished run; `None` for a run that is not finished, or skipped
/// (API.md lists events for succeeded and failed runs only).
pub fn run_event(
    tenant: &TenantId,
    automation: AutomationId,
    run: &RunRecord,
) -> Option<DomainEvent> {
    let wire = run.to_run()?;
    let detail = match wire.status {
        RunStatus::Succeeded => detail_type::AUTOMATION_RUN_SUCCEEDED,
        RunStatus::Failed => detail_type::AUTOMATION_RUN_FAILED,
        RunStatus::Skipped => return None,
    };
    let mut resource = serde_json::to_value(&wire).unwrap_or_default();
    if let Value::Object(fields) = &mut resource {
        fields.insert(
            "automation_id".into(),
            Value::String(automation.to_string()),
        );
    }
    Some(DomainEvent::new(detail, tenant, resource))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::Occurrence;
    use serde_json::json;

    fn at(raw: &str) -> Timestamp {
        Timestamp::parse(raw).unwrap()
    }

    fn running() -> RunRecord {
        RunRecord::new(
            at("2026-07-01T13:00:00Z"),
            Occurrence::Scheduled,
            RunState::Running,
            at("2026-07-01T12:59:00Z"),
        )
    }

    #[test]
    fn a_success_carries_its_post_and_no_error() {
        let post = PostId::generate();
        let end = RunEnd::Succeeded {
            post_id: Some(post),
        };
        let mut run = running();
        end.apply(&mut run, at("2026-07-01T13:00:01Z"));
        assert_eq!(run.status, RunState::Succeeded);
        assert_eq!(run.post_id, Some(post));
        assert_eq!(run.error, None);
        assert_eq!(run.finished_at, Some(at("2026-07-01T13:00:01Z")));
        assert!(end.succeeded());
    }

    #[test]
    fn the_event_is_the_run_beside_its_automation_and_tenant() {
        let tenant = TenantId::parse("acme").unwrap();
        let automation = AutomationId::generate();
        let mut run = running();
        assert_eq!(run_event(&tenant, automation, &run), None, "still running");
        let end = RunEnd::Failed {
            error: "HTTP 500".into(),
        };
        assert_eq!(end.status(), RunStatus::Failed);
        end.apply(&mut run, at("2026-07-01T13:00:02Z"));
        let event = run_event(&tenant, automation, &run).unwrap();
        assert_eq!(event.detail_type(), "automation.run.failed");
        let detail = event.detail();
        assert_eq!(detail["tenant_id"], "acme");
        assert_eq!(detail["automation_id"], json!(automation.to_string()));
        assert_eq!(detail["id"], json!(run.id.to_string()));
        assert_eq!(detail["status"], "failed");
        assert_eq!(detail["error"], "HTTP 500");
        assert_eq!(detail["trigger"], "schedule");
        assert_eq!(detail["scheduled_for"], "2026-07-01T13:00:00.000Z");

        let mut skipped = running();
        skipped.status = RunState::Skipped;
        assert_eq!(run_event(&tenant, automation, &skipped), None);
    }
}
