use lambda_http::http::StatusCode;
use lambda_http::Request;
use shared::domain::{AttemptListQuery, Page, Permission, PostId};
use shared::http::{json, HttpResult, RequestParts};
use shared::repo::PostsRepository;
use shared::ApiError;
use shared::CursorSigner;

pub async fn handle(
    request: Request,
    posts: &PostsRepository,
    cursors: &CursorSigner,
) -> HttpResult {
    let caller = request.caller(Permission::Read)?;
    let id = request
        .path_param("id")
        .and_then(|raw| PostId::parse(&raw))
        .ok_or(ApiError::NotFound)?;
    let query = AttemptListQuery::parse(|name| request.query(name))?;
    // Bound to the post: a cursor from another post's attempts is refused.
    let fingerprint = AttemptListQuery::fingerprint(id);
    let after = cursors.resume(
        caller.tenant(),
        &fingerprint,
        query.cursor.as_deref(),
        |raw| raw.parse::<u32>().ok(),
    )?;
    let page = posts
        .attempts(caller.tenant(), id, query.limit, after)
        .await?
        .ok_or(ApiError::NotFound)?;
    let next_cursor = page
        .last
        .map(|n| cursors.seal(caller.tenant(), &fingerprint, &n.to_string()));
    Ok(json(
        StatusCode::OK,
        &Page {
            items: page.items,
            next_cursor,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;
    use shared::domain::TenantId;
    use shared::testing::{request, unreachable_dynamodb};
    use std::collections::HashMap;

    const ID: &str = "01JD0000000000000000000000";

    fn get(id: &str, query: &[(&str, &str)]) -> Request {
        let query: HashMap<String, String> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        request("GET", Some("t1"), "[viewer]", "")
            .with_path_parameters(HashMap::from([("id".to_string(), id.to_string())]))
            .with_query_string_parameters(query)
    }

    #[tokio::test]
    async fn bad_ids_limits_and_cursors_are_refused_before_storage() {
        let repo = PostsRepository::new(unreachable_dynamodb(), "ofauto");
        let signer = CursorSigner::new(&[1u8; 32]).unwrap();
        let status = |req| {
            let (repo, signer) = (&repo, &signer);
            async move { handle(req, repo, signer).await.unwrap_err().status() }
        };
        assert_eq!(status(get("nope", &[])).await, 404);
        assert_eq!(status(get(ID, &[("limit", "101")])).await, 400);
        let t1 = TenantId::parse("t1").unwrap();
        let other_post = signer.seal(&t1, &AttemptListQuery::fingerprint(PostId::generate()), "3");
        let own_post = PostId::parse(ID).unwrap();
        let not_a_number = signer.seal(&t1, &AttemptListQuery::fingerprint(own_post), "x");
        for cursor in [other_post.as_str(), not_a_number.as_str(), "garbage"] {
            assert_eq!(
                status(get(ID, &[("cursor", cursor)])).await,
                400,
                "{cursor}"
            );
        }
    }
}
