use lambda_http::http::StatusCode;
use lambda_http::Request;
use shared::domain::Permission;
use shared::domain::{format_bucket, AnalyticsQuery, AnalyticsReport};
use shared::http::{json, HttpResult, RequestParts};
use shared::repo::CountersRepository;

pub async fn handle(request: Request, counters: &CountersRepository) -> HttpResult {
    let caller = request.caller(Permission::Read)?;
    let query = AnalyticsQuery::parse(|name| request.query(name))?;
    let starts = query.bucket_starts();
    let (Some(first), Some(last)) = (starts.first(), starts.last()) else {
        return Ok(json(
            StatusCode::OK,
            &AnalyticsReport::assemble(&query, Default::default()),
        ));
    };
    let stored = counters
        .read(
            caller.tenant(),
            query.granularity,
            &format_bucket(*first),
            &format_bucket(*last),
        )
        .await?;
    Ok(json(
        StatusCode::OK,
        &AnalyticsReport::assemble(&query, stored),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;
    use shared::testing::{request, unreachable_dynamodb};
    use std::collections::HashMap;

    #[tokio::test]
    async fn too_wide_a_span_is_400() {
        let repo = CountersRepository::new(unreachable_dynamodb(), "ofauto");
        let req = request("GET", Some("t1"), "[viewer]", "").with_query_string_parameters(
            HashMap::from([
                ("from".to_string(), "2026-01-01T00:00:00Z".to_string()),
                ("to".to_string(), "2026-03-01T00:00:00Z".to_string()),
            ]),
        );
        assert_eq!(handle(req, &repo).await.unwrap_err().status(), 400);
    }

    #[tokio::test]
    async fn callers_without_a_role_are_forbidden() {
        let repo = CountersRepository::new(unreachable_dynamodb(), "ofauto");
        let req = request("GET", Some("t1"), "[]", "");
        assert_eq!(handle(req, &repo).await.unwrap_err().status(), 403);
    }
}
