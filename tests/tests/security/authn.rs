//! Authentication: the gateway's JWT authorizer refuses every token it cannot verify, on every
//! tenant route, before any function runs, and the refused request changes nothing.
//!
//! Each case is a module with one test per route (`on_create` … `on_analytics`); the token is
//! always for the tenant that owns the event and holds `admin`, the strongest role, so nothing
//! but the token's validity is wrong with it.

use ofauto_tests::api::Api;
use ofauto_tests::stack;
use ofauto_tests::tokens::TokenSpec;
use reqwest::Method;
use serde_json::{json, Value};

use super::{assert_untouched, id_of, tenant_with_event, Route};

/// Calls `route` with the token `make` builds for the event's own tenant (no header at all when
/// it builds none); the answer must be the gateway's bare 401, and nothing may change.
async fn refused(route: Route, make: fn(&str) -> Option<String>) {
    let (tenant, event) = tenant_with_event().await;
    let api = match make(&tenant.id) {
        Some(token) => Api::with_token(token),
        None => Api::anonymous(),
    };
    let resp = route.call(&api, &id_of(&event)).await;
    resp.assert_unauthorized();
    for header in ["ratelimit-limit", "location", "idempotency-replayed"] {
        assert!(
            resp.header(header).is_none(),
            "a 401 is given before any function runs, so no {header}:\n{resp}"
        );
    }
    if route.writes() {
        assert_untouched(&tenant, &event).await;
    }
}

const ROLE: &str = "admin";

fn spec(tenant: &str) -> TokenSpec {
    TokenSpec::new(tenant, ROLE)
}

macro_rules! unauthenticated {
    ($($(#[$doc:meta])* $case:ident => $make:expr;)*) => {$(
        $(#[$doc])*
        mod $case {
            use super::*;

            fn make(tenant: &str) -> Option<String> {
                let make: fn(&str) -> Option<String> = $make;
                make(tenant)
            }
            async fn check(route: Route) {
                refused(route, make).await
            }
            super::super::on_every_route!(check);
        }
    )*};
}

unauthenticated! {
    /// No `Authorization` header.
    no_token => |_| None;
    /// Not a JWT at all.
    garbage_token => |_| Some("not-a-jwt".into());
    /// One byte of the RS256 signature flipped.
    bad_signature => |t| Some(stack().tokens.bad_signature(t, ROLE));
    /// Expired ten minutes ago.
    expired => |t| Some(stack().tokens.expired(t, ROLE));
    /// `nbf` an hour ahead: signed, but not valid yet.
    not_yet_valid => |t| {
        let mut spec = spec(t);
        spec.extra.push(("nbf".into(), serde_json::json!(chrono::Utc::now().timestamp() + 3600)));
        Some(stack().tokens.mint(&spec))
    };
    /// No `exp` claim: a token that would never expire.
    no_expiry => |t| {
        let mut claims = stack().tokens.claims(t, ROLE);
        claims.as_object_mut().unwrap().remove("exp");
        Some(stack().tokens.mint_claims(&claims))
    };
    /// Unsigned, `alg: none`.
    alg_none => |t| Some(stack().tokens.alg_none(t, ROLE));
    /// HS256 keyed with the published JWKS: the algorithm-confusion forgery.
    hs256_keyed_with_the_public_key => |t| Some(stack().tokens.hs256_with_public_key(t, ROLE));
    /// Validly signed by our key, but issued by someone else.
    wrong_issuer => |t| Some(stack().tokens.wrong_issuer(t, ROLE));
    /// Validly signed, but for another API.
    wrong_audience => |t| Some(stack().tokens.wrong_audience(t, ROLE));
    /// Names a key id the JWKS does not hold.
    unknown_kid => |t| Some(stack().tokens.unknown_kid(t, ROLE));
    /// A real signature over another tenant's claims, with this tenant's payload swapped in.
    payload_swapped_after_signing => |t| Some(stack().tokens.forged_tenant("someone-else", t, ROLE));
}

#[tokio::test]
async fn a_token_works_until_it_expires() {
    let (tenant, _) = tenant_with_event().await;
    let now = chrono::Utc::now().timestamp();
    let mut spec = TokenSpec::new(&tenant.id, "viewer");
    spec.exp = now + 30;
    Api::with_token(stack().tokens.mint(&spec))
        .get("/v1/events")
        .await
        .ok_json(200);
    // There is no clock-skew leeway to hide behind: a second past expiry is expired.
    spec.exp = now - 1;
    Api::with_token(stack().tokens.mint(&spec))
        .get("/v1/events")
        .await
        .assert_unauthorized();
}

/// Only `Bearer` carries a token: the same valid token under another scheme, or an empty bearer,
/// is no token.
#[tokio::test]
async fn the_auth_scheme_must_be_bearer() {
    let (tenant, event) = tenant_with_event().await;
    let api = Api::anonymous();
    let token = tenant.token("editor");
    for header in [
        format!("Basic {token}"),
        format!("Token {token}"),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Bearer {token}.extra"),
        format!("Bearer {token}, Bearer {token}"),
    ] {
        let resp = api
            .send(
                Method::POST,
                api.url("/v1/events"),
                Some((br#"{"type":"sneaky"}"#.to_vec(), "application/json")),
                &[("authorization", &header)],
            )
            .await;
        resp.assert_unauthorized();
    }
    assert_untouched(&tenant, &event).await;
}

/// A token anywhere but the `Authorization` header is ignored: in the query string, a cookie or
/// a custom header it authenticates nothing.
#[tokio::test]
async fn a_token_outside_the_authorization_header_is_ignored() {
    let (tenant, event) = tenant_with_event().await;
    let api = Api::anonymous();
    let token = tenant.token("admin");
    let in_query = api.url_with_query("/v1/events", &[("access_token", &token), ("token", &token)]);
    let resp = api.send(Method::GET, in_query, None, &[]).await;
    resp.assert_unauthorized();
    for (name, value) in [
        ("cookie", format!("token={token}; access_token={token}")),
        ("x-amz-security-token", token.clone()),
        ("x-api-key", token.clone()),
        ("x-forwarded-authorization", format!("Bearer {token}")),
    ] {
        let resp = api
            .send(
                Method::POST,
                api.url("/v1/events"),
                Some((br#"{"type":"sneaky"}"#.to_vec(), "application/json")),
                &[(name, &value)],
            )
            .await;
        resp.assert_unauthorized();
    }
    assert_untouched(&tenant, &event).await;
}

/// A refused token leaks nothing about why: every failure gets the same body, so an attacker
/// cannot tell a bad signature from an expired token or an unknown key id.
#[tokio::test]
async fn every_authentication_failure_looks_the_same() {
    let (tenant, event) = tenant_with_event().await;
    let tokens = &stack().tokens;
    let t = tenant.id.as_str();
    let mut bodies: Vec<Value> = Vec::new();
    for token in [
        None,
        Some(tokens.bad_signature(t, ROLE)),
        Some(tokens.expired(t, ROLE)),
        Some(tokens.alg_none(t, ROLE)),
        Some(tokens.wrong_issuer(t, ROLE)),
        Some(tokens.wrong_audience(t, ROLE)),
        Some(tokens.unknown_kid(t, ROLE)),
    ] {
        let api = token.map(Api::with_token).unwrap_or_else(Api::anonymous);
        let resp = api.get(&format!("/v1/events/{}", id_of(&event))).await;
        resp.assert_unauthorized();
        assert!(
            resp.header("www-authenticate")
                .is_none_or(|v| !v.contains("error_description")),
            "{resp}"
        );
        bodies.push(resp.json());
    }
    assert!(bodies
        .iter()
        .all(|b| *b == json!({"message": "Unauthorized"})));
}
