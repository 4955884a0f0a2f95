//! Authorisation: a verified token is still refused (403 problem, nothing written) when its
//! claims do not name a valid tenant or do not grant a role the route needs. The tenant and the
//! role come from the verified claims only.

use ofauto_tests::api::Api;
use ofauto_tests::fixtures::{create_event, list_all, Tenant};
use ofauto_tests::stack;
use ofauto_tests::tokens::TokenSpec;
use serde_json::json;

use super::{assert_empty, assert_untouched, id_of, tenant_with_event, Route, ANALYTICS};

/// Calls `route` with `token` (minted for the event's own tenant): 403 `forbidden`, with the
/// security headers, and nothing changed.
async fn forbidden(route: Route, token: impl FnOnce(&Tenant) -> String) {
    let (tenant, event) = tenant_with_event().await;
    let api = Api::with_token(token(&tenant));
    let resp = route.call(&api, &id_of(&event)).await;
    let problem = resp.problem(403, "forbidden");
    resp.assert_security_headers(true);
    assert!(
        !resp.body.contains(&tenant.id) && !resp.body.contains(&id_of(&event)),
        "a 403 reveals nothing of the tenant's data:\n{resp}"
    );
    assert!(problem.fields().is_empty(), "{resp}");
    assert_untouched(&tenant, &event).await;
}

/// Validly signed, every role, but no `custom:tenant_id`.
mod no_tenant_claim {
    use super::*;
    async fn check(route: Route) {
        forbidden(route, |_| stack().tokens.without_tenant("admin")).await
    }
    super::super::on_every_route!(check);
}

/// A tenant claim carrying the key separator `#`, shaped to address another partition
/// (`T#<tenant>#EV#…`): refused, never used to build a key.
mod tenant_claim_with_the_key_separator {
    use super::*;
    async fn check(route: Route) {
        forbidden(route, |t| {
            stack()
                .tokens
                .mint(&TokenSpec::new(&format!("{}#EV", t.id), "admin"))
        })
        .await
    }
    super::super::on_every_route!(check);
}

/// Validly signed for the tenant, but with no `cognito:groups` at all.
mod no_role {
    use super::*;
    async fn check(route: Route) {
        forbidden(route, |t| {
            let mut spec = TokenSpec::new(&t.id, "viewer");
            spec.groups = None;
            stack().tokens.mint(&spec)
        })
        .await
    }
    super::super::on_every_route!(check);
}

#[tokio::test]
async fn a_viewer_cannot_create() {
    forbidden(Route::Create, |t| t.token("viewer")).await
}

#[tokio::test]
async fn a_viewer_cannot_delete() {
    forbidden(Route::Delete, |t| t.token("viewer")).await
}

#[tokio::test]
async fn an_unknown_group_grants_nothing() {
    forbidden(Route::Create, |t| {
        stack()
            .tokens
            .token_with_groups(&t.id, &["guest", "root", "superuser"])
    })
    .await
}

/// Group names are exact: `Editor` and `ADMIN` are not `editor` and `admin`.
#[tokio::test]
async fn group_names_are_case_sensitive() {
    forbidden(Route::Create, |t| {
        stack()
            .tokens
            .token_with_groups(&t.id, &["Editor", "ADMIN"])
    })
    .await
}

#[tokio::test]
async fn an_empty_group_list_grants_nothing() {
    forbidden(Route::Delete, |t| {
        stack().tokens.token_with_groups(&t.id, &[])
    })
    .await
}

/// Roles named in any claim but `cognito:groups` (a custom role claim, OAuth scopes, a bare
/// `groups`) grant nothing on top of the viewer role the token really holds.
#[tokio::test]
async fn roles_in_other_claims_grant_nothing() {
    forbidden(Route::Create, |t| {
        let mut spec = TokenSpec::new(&t.id, "viewer");
        spec.extra = vec![
            ("custom:role".into(), json!("admin")),
            ("custom:groups".into(), json!(["admin"])),
            ("groups".into(), json!(["admin", "editor"])),
            ("roles".into(), json!(["admin"])),
            ("scope".into(), json!("admin editor events:write")),
        ];
        stack().tokens.mint(&spec)
    })
    .await
}

/// An empty tenant claim is no tenant.
#[tokio::test]
async fn an_empty_tenant_claim_is_refused() {
    forbidden(Route::List, |_| {
        stack().tokens.mint(&TokenSpec::new("", "admin"))
    })
    .await
}

/// A tenant claim that is a list (API Gateway passes it on as `[a b]`) names no tenant, and
/// certainly not both.
#[tokio::test]
async fn a_list_valued_tenant_claim_is_refused() {
    forbidden(Route::Create, |t| {
        let mut spec = TokenSpec::new(&t.id, "admin");
        spec.extra = vec![("custom:tenant_id".into(), json!([t.id, "other-tenant"]))];
        stack().tokens.mint(&spec)
    })
    .await
}

/// A tenant id with a path or wildcard shape is refused rather than interpreted.
#[tokio::test]
async fn a_tenant_claim_shaped_like_a_pattern_is_refused() {
    for shape in ["*", "../other", "a b", "t/1", "%", "t\u{0}"] {
        let tenant = Tenant::new();
        let api = Api::with_token(stack().tokens.mint(&TokenSpec::new(shape, "admin")));
        let resp = api.get("/v1/events").await;
        resp.problem(403, "forbidden");
        let resp = api
            .post_json("/v1/events", &json!({"type": "pattern.tenant"}))
            .await;
        resp.problem(403, "forbidden");
        assert_empty(&tenant).await;
    }
}

/// The positive control for the cases above: a viewer reads on every read route.
#[tokio::test]
async fn a_viewer_reads_every_read_route() {
    let (tenant, event) = tenant_with_event().await;
    let viewer = tenant.viewer();
    let id = id_of(&event);
    let list = viewer.get("/v1/events").await.ok_json(200);
    assert_eq!(list["items"], json!([event]));
    assert_eq!(
        viewer.get(&format!("/v1/events/{id}")).await.ok_json(200),
        event
    );
    viewer.get(ANALYTICS).await.ok_json(200);
    // And every read route in the suite's table, which is the manifest's jwt routes.
    for route in Route::ALL.iter().filter(|r| !r.writes()) {
        let resp = route.call(&viewer, &id).await;
        assert_eq!(resp.status, 200, "{route:?}:\n{resp}");
    }
}

#[tokio::test]
async fn editors_and_admins_write() {
    for role in ["editor", "admin"] {
        let tenant = Tenant::new();
        let api = tenant.api(role);
        let event = create_event(&api, &json!({"type": "by.role", "source": role})).await;
        let path = format!("/v1/events/{}", id_of(&event));
        assert_eq!(api.get(&path).await.ok_json(200), event);
        api.get(ANALYTICS).await.ok_json(200);
        api.delete(&path).await.expect_status(204);
        assert_empty(&tenant).await;
    }
}

#[tokio::test]
async fn several_roles_grant_the_strongest() {
    let tenant = Tenant::new();
    let token = stack()
        .tokens
        .token_with_groups(&tenant.id, &["viewer", "guest", "editor"]);
    let event = create_event(&Api::with_token(token), &json!({"type": "multi.role"})).await;
    assert_eq!(list_all(&tenant.viewer(), &[], 100).await, vec![event]);
}

/// Cognito group names may hold commas, quotes and brackets. API Gateway flattens the groups to
/// `[a b c]`, so a group literally named `ops,admin`, `"admin"` or `[admin]` arrives as
/// `[ops,admin]`, `["admin"]` or `[[admin]]`: none of them is the group `admin`, and none grants
/// anything.
#[tokio::test]
async fn group_names_that_merely_contain_a_role_grant_nothing() {
    for group in [
        "ops,admin",
        "admin,editor",
        "\"admin\"",
        "[admin]",
        "[\"editor\"]",
        "admin]",
        "[editor",
        "'admin'",
        "editor;",
    ] {
        eprintln!("group: {group}");
        forbidden(Route::Create, |t| {
            stack().tokens.token_with_groups(&t.id, &[group])
        })
        .await;
    }
}

/// `cognito:groups` is an array claim; a token that carries it as a string (a bare name, a
/// comma list, JSON text) is not what Cognito issues, and its string grants nothing.
#[tokio::test]
async fn a_string_valued_groups_claim_grants_nothing() {
    for groups in [
        json!("admin"),
        json!("editor,admin"),
        json!("[\"admin\"]"),
        json!(" [admin]"),
        json!("[admin] "),
        json!("[[admin]]"),
        json!("[admin  editor]"),
    ] {
        eprintln!("cognito:groups: {groups}");
        forbidden(Route::Delete, |t| {
            let mut spec = TokenSpec::new(&t.id, "viewer");
            spec.groups = None;
            spec.extra = vec![("cognito:groups".into(), groups.clone())];
            stack().tokens.mint(&spec)
        })
        .await;
    }
}
