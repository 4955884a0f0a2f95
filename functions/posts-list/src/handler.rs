use lambda_http::http::StatusCode;
use lambda_http::Request;
use shared::domain::{Page, Permission, PostListQuery, PostPosition};
use shared::http::{json, HttpResult, RequestParts};
use shared::repo::PostsRepository;
use shared::CursorSigner;

pub async fn handle(
    request: Request,
    posts: &PostsRepository,
    cursors: &CursorSigner,
) -> HttpResult {
    let caller = request.caller(Permission::Read)?;
    let query = PostListQuery::parse(|name| request.query(name))?;
    let fingerprint = query.fingerprint();
    let after = cursors.resume(
        caller.tenant(),
        &fingerprint,
        query.cursor.as_deref(),
        PostPosition::decode,
    )?;
    let page = posts.list(caller.tenant(), &query, after).await?;
    let next_cursor = page
        .last
        .map(|last| cursors.seal(caller.tenant(), &fingerprint, &last.encode()));
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
    use shared::domain::{PostId, TenantId};
    use shared::testing::{request, unreachable_dynamodb};
    use shared::ApiError;
    use std::collections::HashMap;

    fn with_query(pairs: &[(&str, &str)]) -> Request {
        let query: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        request("GET", Some("t1"), "[viewer]", "").with_query_string_parameters(query)
    }

    fn deps() -> (PostsRepository, CursorSigner) {
        (
            PostsRepository::new(unreachable_dynamodb(), "ofauto"),
            CursorSigner::new(&[1u8; 32]).unwrap(),
        )
    }

    #[tokio::test]
    async fn cursors_of_other_tenants_queries_or_shapes_are_rejected_before_storage() {
        let (repo, signer) = deps();
        let t1 = TenantId::parse("t1").unwrap();
        let t2 = TenantId::parse("t2").unwrap();
        let position = PostPosition {
            id: PostId::generate(),
            scheduled_at: None,
        }
        .encode();
        let unfiltered = PostListQuery::parse(|_| None).unwrap().fingerprint();
        let foreign = signer.seal(&t2, &unfiltered, &position);
        let other_query = signer.seal(&t1, "posts|status=failed|channel_id=|from=|to=", &position);
        let not_a_position = signer.seal(&t1, &unfiltered, "not-a-post");
        for cursor in [
            foreign.as_str(),
            other_query.as_str(),
            not_a_position.as_str(),
            "garbage",
        ] {
            let err = handle(with_query(&[("cursor", cursor)]), &repo, &signer)
                .await
                .unwrap_err();
            assert!(matches!(err, ApiError::InvalidCursor), "{cursor}: {err:?}");
        }
    }

    #[tokio::test]
    async fn bad_parameters_are_400_naming_them() {
        let (repo, signer) = deps();
        for (name, value) in [
            ("limit", "0"),
            ("status", "gone"),
            ("channel_id", "x"),
            ("from", "soon"),
        ] {
            let err = handle(with_query(&[(name, value)]), &repo, &signer)
                .await
                .unwrap_err();
            match err {
                ApiError::Validation(errors) => assert_eq!(errors[0].field, name),
                other => panic!("{other:?}"),
            }
        }
    }
}
