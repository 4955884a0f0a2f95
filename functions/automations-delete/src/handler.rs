use lambda_http::Request;
use shared::domain::{AutomationId, Permission};
use shared::http::{no_content, HttpResult, RequestParts};
use shared::repo::AutomationsRepository;
use shared::ApiError;

/// 204, or 404 when there is no such automation. Deleting it takes it off the due index, and a
/// run already queued finds it gone and does nothing; its runs stay readable by nobody and
/// expire with their TTL.
pub async fn handle(request: Request, automations: &AutomationsRepository) -> HttpResult {
    let caller = request.caller(Permission::Write)?;
    let id = request
        .path_param("id")
        .and_then(|raw| AutomationId::parse(&raw))
        .ok_or(ApiError::NotFound)?;
    if !automations.delete(caller.tenant(), id).await? {
        return Err(ApiError::NotFound);
    }
    Ok(no_content())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;
    use shared::testing::{request, unreachable_dynamodb};
    use std::collections::HashMap;

    fn with_id(groups: &str, id: &str) -> Request {
        request("DELETE", Some("t1"), groups, "")
            .with_path_parameters(HashMap::from([("id".to_string(), id.to_string())]))
    }

    #[tokio::test]
    async fn viewers_are_403_and_malformed_ids_404_without_storage() {
        let repo = AutomationsRepository::new(unreachable_dynamodb(), "ofauto");
        let id = "01JD0000000000000000000000";
        let status = |req| {
            let repo = &repo;
            async move { handle(req, repo).await.unwrap_err().status() }
        };
        assert_eq!(status(with_id("[viewer]", id)).await, 403);
        assert_eq!(status(with_id("[editor]", "nope")).await, 404);
        assert_eq!(status(with_id("[editor]", id)).await, 503);
    }
}
