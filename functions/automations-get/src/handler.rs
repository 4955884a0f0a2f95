use lambda_http::http::StatusCode;
use lambda_http::Request;
use shared::domain::{AutomationId, Permission};
use shared::http::{json, HttpResult, RequestParts};
use shared::repo::AutomationsRepository;
use shared::ApiError;

pub async fn handle(request: Request, automations: &AutomationsRepository) -> HttpResult {
    let caller = request.caller(Permission::Read)?;
    // A malformed id names nothing: same answer as a missing or foreign one.
    let id = request
        .path_param("id")
        .and_then(|raw| AutomationId::parse(&raw))
        .ok_or(ApiError::NotFound)?;
    let automation = automations
        .get(caller.tenant(), id)
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

    #[tokio::test]
    async fn malformed_ids_are_404_and_tenantless_tokens_403_without_storage() {
        let repo = AutomationsRepository::new(unreachable_dynamodb(), "ofauto");
        for id in ["nope", "../x", "01jd0000000000000000000000", ""] {
            let req = request("GET", Some("t1"), "[viewer]", "")
                .with_path_parameters(HashMap::from([("id".to_string(), id.to_string())]));
            assert_eq!(handle(req, &repo).await.unwrap_err().status(), 404, "{id}");
        }
        let req = request("GET", None, "[viewer]", "");
        assert_eq!(handle(req, &repo).await.unwrap_err().status(), 403);
    }
}
