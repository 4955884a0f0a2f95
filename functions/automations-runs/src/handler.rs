use lambda_http::http::StatusCode;
use lambda_http::Request;
use shared::domain::{AutomationId, AutomationListQuery, Page, Permission};
use shared::http::{json, HttpResult, RequestParts};
use shared::repo::{AutomationsRepository, RunPosition};
use shared::{ApiError, CursorSigner};

/// Finished runs only: a run whose action is still in flight shows once it ends.
pub async fn handle(
    request: Request,
    automations: &AutomationsRepository,
    cursors: &CursorSigner,
) -> HttpResult {
    let caller = request.caller(Permission::Read)?;
    let id = request
        .path_param("id")
        .and_then(|raw| AutomationId::parse(&raw))
        .ok_or(ApiError::NotFound)?;
    let query = AutomationListQuery::parse(|name| request.query(name))?;
    // Bound to the automation: a cursor from another automation's runs is refused.
    let fingerprint = AutomationListQuery::runs_fingerprint(id);
    let after = cursors.resume(
        caller.tenant(),
        &fingerprint,
        query.cursor.as_deref(),
        RunPosition::decode,
    )?;
    let page = automations
        .runs(caller.tenant(), id, query.limit, after)
        .await?
        .ok_or(ApiError::NotFound)?;
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
    use shared::domain::TenantId;
    use shared::testing::{request, unreachable_dynamodb};
    use std::collections::HashMap;

    const ID: &str = "01JD0000000000000000000000";

    fn get(groups: &str, id: &str, query: &[(&str, &str)]) -> Request {
        let query: HashMap<String, String> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        request("GET", Some("t1"), groups, "")
            .with_path_parameters(HashMap::from([("id".to_string(), id.to_string())]))
            .with_query_string_parameters(query)
    }

    #[tokio::test]
    async fn bad_ids_limits_cursors_and_roles_are_refused_before_storage() {
        let repo = AutomationsRepository::new(unreachable_dynamodb(), "ofauto");
        let signer = CursorSigner::new(&[1u8; 32]).unwrap();
        let status = |req| {
            let (repo, signer) = (&repo, &signer);
            async move { handle(req, repo, signer).await.unwrap_err().status() }
        };
        assert_eq!(status(get("[]", ID, &[])).await, 403);
        assert_eq!(status(get("[viewer]", "nope", &[])).await, 404);
        assert_eq!(status(get("[viewer]", ID, &[("limit", "101")])).await, 400);
        let t1 = TenantId::parse("t1").unwrap();
        let own = AutomationId::parse(ID).unwrap();
        let position = "2026-03-08T07:00:00.000Z#S";
        let other_automation = signer.seal(
            &t1,
            &AutomationListQuery::runs_fingerprint(AutomationId::generate()),
            position,
        );
        let other_tenant = signer.seal(
            &TenantId::parse("t2").unwrap(),
            &AutomationListQuery::runs_fingerprint(own),
            position,
        );
        let not_a_position = signer.seal(&t1, &AutomationListQuery::runs_fingerprint(own), "x");
        for cursor in [
            other_automation.as_str(),
            other_tenant.as_str(),
            not_a_position.as_str(),
            "garbage",
        ] {
            assert_eq!(
                status(get("[viewer]", ID, &[("cursor", cursor)])).await,
                400,
                "{cursor}"
            );
        }
        let valid = signer.seal(&t1, &AutomationListQuery::runs_fingerprint(own), position);
        assert_eq!(
            status(get("[viewer]", ID, &[("cursor", &valid)])).await,
            503
        );
    }
}
