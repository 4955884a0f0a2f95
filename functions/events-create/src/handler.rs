use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::Request;
use shared::domain::Permission;
use shared::domain::Timestamp;
use shared::domain::{Event, NewEvent};
use shared::http::{body_bytes, json, HttpResult, RequestParts};
use shared::repo::EventsRepository;
use shared::ApiError;
use shared::JsonObject;

pub async fn handle(request: Request, events: &EventsRepository) -> HttpResult {
    let caller = request.caller(Permission::Write)?;
    let now = Timestamp::now();
    let new_event = NewEvent::parse(JsonObject::parse(body_bytes(&request))?, now)?;
    let (id, event) = Event::record(new_event, now);
    events.insert(caller.tenant(), id, &event).await?;
    shared::telemetry::count("events_created", 1);
    let mut response = json(StatusCode::CREATED, &event);
    let location = HeaderValue::from_str(&format!("/v1/events/{id}"))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    response.headers_mut().insert("location", location);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::{request, unreachable_dynamodb};

    fn repo() -> EventsRepository {
        EventsRepository::new(unreachable_dynamodb(), "ofauto")
    }

    #[tokio::test]
    async fn viewers_may_not_write() {
        let req = request("POST", Some("t1"), "[viewer]", r#"{"type":"a"}"#);
        assert_eq!(handle(req, &repo()).await.unwrap_err().status(), 403);
    }

    #[tokio::test]
    async fn a_token_without_tenant_is_forbidden() {
        let req = request("POST", None, "[admin]", r#"{"type":"a"}"#);
        assert_eq!(handle(req, &repo()).await.unwrap_err().status(), 403);
    }

    #[tokio::test]
    async fn invalid_bodies_are_rejected_before_any_write() {
        // The repository is unreachable: reaching it would surface as 503, not 400/413.
        for (body, status) in [
            ("{", 400),
            (r#"{"type":"Bad"}"#, 400),
            (r#"{"type":"a","nope":1}"#, 400),
        ] {
            let req = request("POST", Some("t1"), "[editor]", body);
            assert_eq!(
                handle(req, &repo()).await.unwrap_err().status(),
                status,
                "{body}"
            );
        }
        let big = format!(r#"{{"type":"a","source":"{}"}}"#, "x".repeat(70_000));
        let req = request("POST", Some("t1"), "[editor]", &big);
        assert_eq!(handle(req, &repo()).await.unwrap_err().status(), 413);
    }
}
