use lambda_http::http::StatusCode;
use lambda_http::Request;
use shared::domain::{AutomationId, AutomationListQuery, Page, Permission};
use shared::http::{json, HttpResult, RequestParts};
use shared::repo::AutomationsRepository;
use shared::CursorSigner;

pub async fn handle(
    request: Request,
    automations: &AutomationsRepository,
    cursors: &CursorSigner,
) -> HttpResult {
    let caller = request.caller(Permission::Read)?;
    let query = AutomationListQuery::parse(|name| request.query(name))?;
    let fingerprint = AutomationListQuery::fingerprint();
    let after = cursors.resume(
        caller.tenant(),
        &fingerprint,
        query.cursor.as_deref(),
        AutomationId::parse,
    )?;
    let page = automations
        .list(caller.tenant(), query.limit, after)
        .await?;
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
    use shared::domain::TenantId;
    use shared::testing::{request, unreachable_dynamodb};
    use std::collections::HashMap;

    fn get(groups: &str, tenant: Option<&str>, query: &[(&str, &str)]) -> Request {
        let query: HashMap<String, String> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        request("GET", tenant, groups, "").with_query_string_parameters(query)
    }

    #[tokio::test]
    async fn bad_limits_cursors_and_tokens_are_refused_before_storage() {
        let repo = AutomationsRepository::new(unreachable_dynamodb(), "ofauto");
        let signer = CursorSigner::new(&[1u8; 32]).unwrap();
        let status = |req| {
            let (repo, signer) = (&repo, &signer);
            async move { handle(req, repo, signer).await.unwrap_err().status() }
        };
        assert_eq!(status(get("[viewer]", None, &[])).await, 403);
        assert_eq!(status(get("[]", Some("t1"), &[])).await, 403);
        assert_eq!(
            status(get("[viewer]", Some("t1"), &[("limit", "0")])).await,
            400
        );
        let t1 = TenantId::parse("t1").unwrap();
        let t2 = TenantId::parse("t2").unwrap();
        let id = AutomationId::generate().to_string();
        let foreign = signer.seal(&t2, &AutomationListQuery::fingerprint(), &id);
        let other_list = signer.seal(&t1, "channels", &id);
        let not_an_id = signer.seal(&t1, &AutomationListQuery::fingerprint(), "x");
        for cursor in [
            foreign.as_str(),
            other_list.as_str(),
            not_an_id.as_str(),
            "garbage",
        ] {
            assert_eq!(
                status(get("[viewer]", Some("t1"), &[("cursor", cursor)])).await,
                400,
                "{cursor}"
            );
        }
        // A valid cursor of the tenant's own list gets as far as storage.
        let own = signer.seal(&t1, &AutomationListQuery::fingerprint(), &id);
        assert_eq!(
            status(get("[viewer]", Some("t1"), &[("cursor", &own)])).await,
            503
        );
    }
}
