use lambda_http::Request;
use shared::domain::EventId;
use shared::domain::Permission;
use shared::http::{no_content, HttpResult, RequestParts};
use shared::repo::EventsRepository;
use shared::ApiError;

pub async fn handle(request: Request, events: &EventsRepository) -> HttpResult {
    let caller = request.caller(Permission::Write)?;
    let id = request
        .path_param("id")
        .and_then(|raw| EventId::parse(&raw))
        .ok_or(ApiError::NotFound)?;
    if events.delete(caller.tenant(), id).await? {
        Ok(no_content())
    } else {
        Err(ApiError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::{request, unreachable_dynamodb};

    #[tokio::test]
    async fn viewers_may_not_delete() {
        let repo = EventsRepository::new(unreachable_dynamodb(), "ofauto");
        let req = request("DELETE", Some("t1"), "[viewer]", "");
        assert_eq!(handle(req, &repo).await.unwrap_err().status(), 403);
    }
}
