use std::time::Duration;

use lambda_http::http::StatusCode;
use lambda_http::Request;
use shared::domain::{AutomationId, Permission, RunAccepted, RunStatus, Timestamp};
use shared::http::{json, HttpResult, RequestParts};
use shared::repo::{AutomationsRepository, RunRecord};
use shared::{ApiError, DeliveryMessage, DeliveryQueue};

/// The error a manual run is finished with when it could not be queued.
const NOT_QUEUED: &str = "the run could not be queued";

pub struct Deps {
    pub automations: AutomationsRepository,
    pub queue: DeliveryQueue,
}

/// 202 `{run_id}`: a manual run (keyed `M#<run id>`, at now) is recorded `running` and queued
/// at once for the deliverer, which runs the action as for any other run. A paused automation
/// runs all the same; 404 when there is no such automation.
pub async fn handle(request: Request, deps: &Deps) -> HttpResult {
    let caller = request.caller(Permission::Write)?;
    let tenant = caller.tenant();
    let id = request
        .path_param("id")
        .and_then(|raw| AutomationId::parse(&raw))
        .ok_or(ApiError::NotFound)?;
    deps.automations
        .get(tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let now = Timestamp::now();
    let run = RunRecord::manual(now);
    let occurrence = run.occurrence.key_part();
    if !deps.automations.put_run(tenant, id, &run).await? {
        // A fresh run id cannot collide; if it did, nothing was recorded for this request.
        return Err(ApiError::Internal("a new run's key was taken".into()));
    }
    let message =
        DeliveryMessage::automation_run(tenant, id, run.id, run.scheduled_for, &occurrence);
    if let Err(error) = deps.queue.send(&message, Duration::ZERO).await {
        // Never leave a run `running` that nothing will finish: it is on record as failed.
        let finished = deps
            .automations
            .finish_run(
                tenant,
                id,
                run.scheduled_for,
                &run.occurrence,
                RunStatus::Failed,
                Some(NOT_QUEUED),
                None,
                Timestamp::now(),
            )
            .await;
        if let Err(finish_error) = finished {
            tracing::error!(%finish_error, run = %run.id, "a manual run that was not queued stays running");
        }
        return Err(error.into());
    }
    Ok(json(StatusCode::ACCEPTED, &RunAccepted { run_id: run.id }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;
    use shared::testing::{request, unreachable_dynamodb, unreachable_sqs};
    use std::collections::HashMap;

    fn deps() -> Deps {
        Deps {
            automations: AutomationsRepository::new(unreachable_dynamodb(), "ofauto"),
            queue: DeliveryQueue::new(unreachable_sqs(), "http://127.0.0.1:9/q"),
        }
    }

    fn run(groups: &str, tenant: Option<&str>, id: &str) -> Request {
        request("POST", tenant, groups, "")
            .with_path_parameters(HashMap::from([("id".to_string(), id.to_string())]))
    }

    #[tokio::test]
    async fn viewers_tenantless_tokens_and_malformed_ids_are_refused_without_storage() {
        let deps = deps();
        let status = |req| {
            let deps = &deps;
            async move { handle(req, deps).await.unwrap_err().status() }
        };
        let id = "01JD0000000000000000000000";
        assert_eq!(status(run("[viewer]", Some("t1"), id)).await, 403);
        assert_eq!(status(run("[admin]", None, id)).await, 403);
        assert_eq!(status(run("[editor]", Some("t1"), "nope")).await, 404);
        assert_eq!(status(run("[editor]", Some("t1"), id)).await, 503);
    }
}
