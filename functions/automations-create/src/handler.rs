use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::Request;
use shared::domain::{Automation, NewAutomation, Permission, Timestamp};
use shared::http::{body_bytes, json, HttpResult, RequestParts};
use shared::repo::{AutomationsRepository, ChannelsRepository};
use shared::{ApiError, JsonObject};

pub struct Deps {
    pub automations: AutomationsRepository,
    pub channels: ChannelsRepository,
}

/// 201 with the automation and its `Location`; `next_run_at` is the trigger's next occurrence
/// for an enabled schedule or rate automation (the dispatcher finds it on the due index).
pub async fn handle(request: Request, deps: &Deps) -> HttpResult {
    let caller = request.caller(Permission::Write)?;
    let tenant = caller.tenant();
    let now = Timestamp::now();
    let new = NewAutomation::parse(JsonObject::parse(body_bytes(&request))?)?;
    // Unknown, another tenant's and disabled channels look the same: the field is wrong.
    let active = deps
        .channels
        .get(tenant, new.action.channel_id())
        .await?
        .is_some_and(|stored| stored.channel.is_active());
    if !active {
        return Err(ApiError::field(
            "action.channel_id",
            "must name an active channel of this tenant",
        ));
    }
    let automation = Automation::create(new, now);
    deps.automations.create(tenant, &automation).await?;
    let mut response = json(StatusCode::CREATED, &automation);
    let location = HeaderValue::from_str(&format!("/v1/automations/{}", automation.id))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    response.headers_mut().insert("location", location);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::{request, unreachable_dynamodb};

    fn deps() -> Deps {
        Deps {
            automations: AutomationsRepository::new(unreachable_dynamodb(), "ofauto"),
            channels: ChannelsRepository::new(unreachable_dynamodb(), "ofauto"),
        }
    }

    const OK: &str = r#"{"name":"daily","trigger":{"kind":"schedule","cron":"0 9 * * *","timezone":"America/New_York"},"action":{"kind":"webhook","channel_id":"01JD0000000000000000000000"}}"#;

    fn field_of(err: ApiError) -> Vec<String> {
        match err {
            ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn viewers_and_tenantless_tokens_may_not_create() {
        let req = request("POST", Some("t1"), "[viewer]", OK);
        assert_eq!(handle(req, &deps()).await.unwrap_err().status(), 403);
        let req = request("POST", None, "[admin]", OK);
        assert_eq!(handle(req, &deps()).await.unwrap_err().status(), 403);
    }

    #[tokio::test]
    async fn the_valid_body_reaches_storage() {
        // Storage is unreachable: a body that passes validation surfaces as 503.
        let req = request("POST", Some("t1"), "[editor]", OK);
        assert_eq!(handle(req, &deps()).await.unwrap_err().status(), 503);
    }

    #[tokio::test]
    async fn invalid_bodies_are_400_naming_the_field_before_any_read_or_write() {
        let schedule = r#""trigger":{"kind":"schedule","cron":"0 9 * * *","timezone":"UTC"}"#;
        let webhook = r#""action":{"kind":"webhook","channel_id":"01JD0000000000000000000000"}"#;
        for (body, field) in [
            (format!(r#"{{{webhook},{schedule}}}"#), "name"),
            (format!(r#"{{"name":"",{webhook},{schedule}}}"#), "name"),
            (
                format!(
                    r#"{{"name":"n",{webhook},"trigger":{{"kind":"schedule","cron":"61 * * * *","timezone":"UTC"}}}}"#
                ),
                "trigger.cron",
            ),
            (
                format!(
                    r#"{{"name":"n",{webhook},"trigger":{{"kind":"schedule","cron":"0 9 * * *","timezone":"Mars/Olympus"}}}}"#
                ),
                "trigger.timezone",
            ),
            (
                format!(
                    r#"{{"name":"n",{webhook},"trigger":{{"kind":"rate","every_minutes":0}}}}"#
                ),
                "trigger.every_minutes",
            ),
            (
                format!(
                    r#"{{"name":"n",{webhook},"trigger":{{"kind":"rate","every_minutes":10081}}}}"#
                ),
                "trigger.every_minutes",
            ),
            (
                format!(
                    r#"{{"name":"n",{schedule},"action":{{"kind":"publish_post","channel_id":"01JD0000000000000000000000","content_template":"hi {{{{nope}}}}"}}}}"#
                ),
                "action.content_template",
            ),
            (
                format!(r#"{{"name":"n",{webhook},{schedule},"extra":1}}"#),
                "extra",
            ),
            (
                format!(
                    r#"{{"name":"n",{webhook},"trigger":{{"kind":"schedule","cron":"0 9 * * *","timezone":"UTC","x":1}}}}"#
                ),
                "trigger.x",
            ),
            (
                format!(
                    r#"{{"name":"n",{schedule},"action":{{"kind":"webhook","channel_id":"nope"}}}}"#
                ),
                "action.channel_id",
            ),
            (
                format!(r#"{{"name":"n",{webhook},{schedule},"catchup":"some"}}"#),
                "catchup",
            ),
        ] {
            let req = request("POST", Some("t1"), "[editor]", &body);
            let err = handle(req, &deps()).await.unwrap_err();
            assert_eq!(err.status(), 400, "{body}");
            assert!(
                field_of(err).contains(&field.to_string()),
                "{field}: {body}"
            );
        }
        for body in ["{", "[]"] {
            let req = request("POST", Some("t1"), "[editor]", body);
            assert_eq!(handle(req, &deps()).await.unwrap_err().status(), 400);
        }
        let big = OK.replace("daily", &"x".repeat(70_000));
        let req = request("POST", Some("t1"), "[editor]", &big);
        assert_eq!(handle(req, &deps()).await.unwrap_err().status(), 413);
    }
}
