use lambda_http::http::StatusCode;
use lambda_http::Request;
use shared::domain::{AutomationId, AutomationPatch, Permission, Timestamp};
use shared::http::{body_bytes, json, HttpResult, RequestParts};
use shared::repo::{AutomationsRepository, ChannelsRepository};
use shared::{ApiError, JsonObject};

pub struct Deps {
    pub automations: AutomationsRepository,
    pub channels: ChannelsRepository,
}

/// 200 with the automation as changed. `next_run_at` restarts from now on resume and on a new
/// trigger, and is `null` while paused (`AutomationPatch::apply`).
pub async fn handle(request: Request, deps: &Deps) -> HttpResult {
    let caller = request.caller(Permission::Write)?;
    let tenant = caller.tenant();
    let id = request
        .path_param("id")
        .and_then(|raw| AutomationId::parse(&raw))
        .ok_or(ApiError::NotFound)?;
    let patch = AutomationPatch::parse(JsonObject::parse(body_bytes(&request))?)?;
    if let Some(action) = &patch.action {
        // As on create: a new action must act on an active channel of this tenant.
        let active = deps
            .channels
            .get(tenant, action.channel_id())
            .await?
            .is_some_and(|stored| stored.channel.is_active());
        if !active {
            return Err(ApiError::field(
                "action.channel_id",
                "must name an active channel of this tenant",
            ));
        }
    }
    let automation = deps
        .automations
        .update(tenant, id, &patch, Timestamp::now())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(json(StatusCode::OK, &automation))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;
    use shared::testing::{request, unreachable_dynamodb};
    use std::collections::HashMap;

    fn deps() -> Deps {
        Deps {
            automations: AutomationsRepository::new(unreachable_dynamodb(), "ofauto"),
            channels: ChannelsRepository::new(unreachable_dynamodb(), "ofauto"),
        }
    }

    fn patch(groups: &str, id: &str, body: &str) -> Request {
        request("PATCH", Some("t1"), groups, body)
            .with_path_parameters(HashMap::from([("id".to_string(), id.to_string())]))
    }

    const ID: &str = "01JD0000000000000000000000";

    #[tokio::test]
    async fn refusals_come_before_any_read_or_write() {
        let deps = deps();
        let status = |req| {
            let deps = &deps;
            async move { handle(req, deps).await.unwrap_err().status() }
        };
        assert_eq!(status(patch("[viewer]", ID, "{}")).await, 403);
        assert_eq!(status(patch("[editor]", "nope", "{}")).await, 404);
        for (body, field) in [
            (r#"{"name":""}"#, "name"),
            (r#"{"enabled":"yes"}"#, "enabled"),
            (
                r#"{"trigger":{"kind":"rate","every_minutes":0}}"#,
                "trigger.every_minutes",
            ),
            (
                r#"{"trigger":{"kind":"schedule","cron":"0 9 * * *","timezone":"Nowhere"}}"#,
                "trigger.timezone",
            ),
            (
                r#"{"action":{"kind":"webhook","channel_id":"x"}}"#,
                "action.channel_id",
            ),
            (
                r#"{"action":{"kind":"webhook","channel_id":"01JD0000000000000000000000","payload_template":{"a":"{{bad}}"}}}"#,
                "action.payload_template.a",
            ),
            (r#"{"catchup":"sometimes"}"#, "catchup"),
            (r#"{"next_run_at":"2026-01-01T00:00:00Z"}"#, "next_run_at"),
            (r#"{"consecutive_failures":0}"#, "consecutive_failures"),
        ] {
            let err = handle(patch("[editor]", ID, body), &deps)
                .await
                .unwrap_err();
            match err {
                ApiError::Validation(errors) => {
                    assert!(
                        errors.iter().any(|e| e.field == field),
                        "{field}: {errors:?}"
                    )
                }
                other => panic!("{body}: {other:?}"),
            }
        }
        assert_eq!(status(patch("[editor]", ID, "{")).await, 400);
        let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(70_000));
        assert_eq!(status(patch("[editor]", ID, &big)).await, 413);
    }
}
