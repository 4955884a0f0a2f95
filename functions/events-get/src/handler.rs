use lambda_http::http::StatusCode;
use lambda_http::Request;
use shared::domain::EventId;
use shared::domain::Permission;
use shared::http::{json, HttpResult, RequestParts};
use shared::repo::EventsRepository;
use shared::ApiError;

pub async fn handle(request: Request, events: &EventsRepository) -> HttpResult {
    let caller = request.caller(Permission::Read)?;
    // A malformed id names nothing: same answer as a missing or foreign one.
    let id = request
        .path_param("id")
        .and_then(|raw| EventId::parse(&raw))
        .ok_or(ApiError::NotFound)?;
    let event = events
        .get(caller.tenant(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(json(StatusCode::OK, &event))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;
    use shared::testing::{request, unreachable_dynamodb};
    use std::collections::HashMap;

    #[tokio::test]
    async fn malformed_ids_are_404_without_touching_storage() {
        let repo = EventsRepository::new(unreachable_dynamodb(), "ofauto");
        for id in ["nope", "../x", "01j0000000000000000000000a"] {
            let req = request("GET", Some("t1"), "[viewer]", "")
                .with_path_parameters(HashMap::from([("id".to_string(), id.to_string())]));
            assert_eq!(handle(req, &repo).await.unwrap_err().status(), 404, "{id}");
        }
    }
}
