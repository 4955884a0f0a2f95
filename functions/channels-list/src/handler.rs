use lambda_http::http::StatusCode;
use lambda_http::Request;
use shared::domain::{ChannelId, ChannelListQuery, Page, Permission};
use shared::http::{json, HttpResult, RequestParts};
use shared::repo::ChannelsRepository;
use shared::CursorSigner;

pub async fn handle(
    request: Request,
    channels: &ChannelsRepository,
    cursors: &CursorSigner,
) -> HttpResult {
    let caller = request.caller(Permission::Read)?;
    let query = ChannelListQuery::parse(|name| request.query(name))?;
    let fingerprint = query.fingerprint();
    let after = cursors.resume(
        caller.tenant(),
        &fingerprint,
        query.cursor.as_deref(),
        ChannelId::parse,
    )?;
    let page = channels.list(caller.tenant(), query.limit, after).await?;
    let next_cursor = page
        .last
        .map(|id| cursors.seal(caller.tenant(), &fingerprint, &id.to_string()));
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
    use shared::testing::{request, unreachable_dynamodb};
    use shared::ApiError;
    use std::collections::HashMap;

    fn with_query(groups: &str, pairs: &[(&str, &str)]) -> Request {
        let query: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        request("GET", Some("t1"), groups, "").with_query_string_parameters(query)
    }

    fn deps() -> (ChannelsRepository, CursorSigner) {
        (
            ChannelsRepository::new(unreachable_dynamodb(), "ofauto"),
            CursorSigner::new(&[1u8; 32]).unwrap(),
        )
    }

    #[tokio::test]
    async fn a_caller_without_a_role_is_forbidden() {
        let (repo, signer) = deps();
        let err = handle(with_query("[]", &[]), &repo, &signer)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 403);
    }

    #[tokio::test]
    async fn foreign_and_tampered_cursors_are_rejected_before_storage() {
        let (repo, signer) = deps();
        let other_tenant = shared::domain::TenantId::parse("t2").unwrap();
        let fingerprint = ChannelListQuery::parse(|_| None).unwrap().fingerprint();
        let foreign = signer.seal(&other_tenant, &fingerprint, "01J0000000000000000000000A");
        let not_an_id = signer.seal(
            &shared::domain::TenantId::parse("t1").unwrap(),
            &fingerprint,
            "nope",
        );
        for cursor in [foreign.as_str(), not_an_id.as_str(), "garbage", "a.b", ""] {
            let err = handle(
                with_query("[viewer]", &[("cursor", cursor)]),
                &repo,
                &signer,
            )
            .await
            .unwrap_err();
            assert!(matches!(err, ApiError::InvalidCursor), "{cursor}: {err:?}");
        }
    }

    #[tokio::test]
    async fn bad_limits_are_400() {
        let (repo, signer) = deps();
        for limit in ["0", "101", "x"] {
            let err = handle(with_query("[viewer]", &[("limit", limit)]), &repo, &signer)
                .await
                .unwrap_err();
            assert_eq!(err.status(), 400, "{limit}");
        }
    }
}
