//! Rate limits per request: the tier comes only from the verified token, an unknown tier gets the
//! standard limit, and every tenant-route answer (refusals too) says where the caller stands. The
//! tests that must overrun the limit (a burst of 200, several processes under overload) load the
//! whole stack, so they are in the `contention` binary.

use ofauto_tests::api::Api;
use ofauto_tests::fixtures::Tenant;
use ofauto_tests::rate_limits::{
    align_to_window_start, assert_rate_headers, header_u64, window_of, BULK_BURST, STANDARD_BURST,
};
use ofauto_tests::stack;
use ofauto_tests::tokens::TokenSpec;
use reqwest::Method;
use serde_json::json;

use super::{id_of, tenant_with_event, Route};

/// Every answer of a tenant route carries `RateLimit-Limit`, `-Remaining` and `-Reset`.
mod headers_on {
    use super::*;
    async fn check(route: Route) {
        let (tenant, event) = tenant_with_event().await;
        let api = if route.admin_only() {
            tenant.admin()
        } else {
            tenant.editor()
        };
        let resp = route.call(&api, &id_of(&event)).await;
        // A draft cannot be retried (409): the headers must be there all the same.
        let expected_refusal = route == Route::PostsRetry && resp.status == 409;
        assert!(resp.status < 300 || expected_refusal, "{resp}");
        assert_rate_headers(&resp, STANDARD_BURST);
    }
    super::super::on_every_route!(check);
}

/// Refused requests of an identified tenant count too, and say so.
#[tokio::test]
async fn refused_requests_carry_the_rate_headers_too() {
    let (tenant, _) = tenant_with_event().await;
    let resps = [
        tenant
            .viewer()
            .post_json("/v1/events", &json!({"type": "x"}))
            .await,
        tenant
            .editor()
            .post_json("/v1/events", &json!({"type": "Bad"}))
            .await,
        tenant
            .viewer()
            .get(&format!("/v1/events/{}", ulid::Ulid::new()))
            .await,
        tenant.viewer().get("/v1/events?cursor=forged").await,
    ];
    for resp in &resps {
        assert!(resp.status >= 400, "{resp}");
        assert_rate_headers(resp, STANDARD_BURST);
    }
}

/// `RateLimit-Remaining` is an estimate made by the process that answers, from its last lease
/// (what no process had leased then, plus its own unspent tokens), so across processes it need
/// not fall one by one. It is never above the limit less the request itself, and within a window
/// it falls below the first answer's value once other requests have spent tokens: the first
/// request of a window leases first, so every later lease sees a higher counter.
#[tokio::test]
async fn remaining_counts_down_within_a_window() {
    let (tenant, _) = tenant_with_event().await;
    let api = tenant.viewer();
    align_to_window_start().await;
    let mut seen: Vec<(
        u64,
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::Utc>,
    )> = Vec::new();
    for _ in 0..6 {
        let sent = chrono::Utc::now();
        let resp = api.get("/v1/events?limit=1").await;
        let received = chrono::Utc::now();
        let remaining = header_u64(&resp, "ratelimit-remaining");
        assert!(remaining < STANDARD_BURST, "{resp}");
        seen.push((remaining, sent, received));
    }
    // The answers that certainly came from the first request's window.
    let (first, first_sent, _) = seen[0];
    let same_window: Vec<u64> = seen[1..]
        .iter()
        .filter(|(_, _, received)| window_of(*received) == window_of(first_sent))
        .map(|(remaining, _, _)| *remaining)
        .collect();
    let lowest = same_window.iter().min().unwrap_or_else(|| {
        panic!("no answer after the first came in its window (2 s for six requests): {seen:?}")
    });
    assert!(
        *lowest < first,
        "remaining never fell below the window's first answer ({first}): {seen:?}"
    );
}

/// The tier is the IdP's `custom:tier` claim; a tier the stack does not know gets the standard
/// limit, never an unlimited one.
#[tokio::test]
async fn an_unknown_tier_gets_the_standard_limit() {
    let tenant = Tenant::new();
    for tier in [
        "unlimited",
        "Bulk",
        "bulk ",
        "",
        "standard,bulk=1/1/1",
        "admin",
    ] {
        let token = stack().tokens.token_with_tier(&tenant.id, "viewer", tier);
        let resp = Api::with_token(token).get("/v1/events").await;
        resp.ok_json(200);
        assert_eq!(
            header_u64(&resp, "ratelimit-limit"),
            STANDARD_BURST,
            "tier {tier:?}:\n{resp}"
        );
    }
}

/// The positive control: the `bulk` claim does select the bulk tier, which is exactly why the
/// claim must come from the identity provider and from nowhere else.
#[tokio::test]
async fn the_tier_claim_selects_the_tier() {
    let tenant = Tenant::new();
    let resp = tenant.bulk("viewer").get("/v1/events").await;
    resp.ok_json(200);
    assert_rate_headers(&resp, BULK_BURST);
    let resp = tenant.viewer().get("/v1/events").await;
    assert_rate_headers(&resp, STANDARD_BURST);
}

/// The tier cannot be chosen by the caller: not by header, query parameter, body or a
/// look-alike claim.
#[tokio::test]
async fn the_tier_cannot_be_chosen_outside_the_tier_claim() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let resp = api
        .send(
            Method::GET,
            api.url_with_query("/v1/events", &[("tier", "bulk"), ("custom:tier", "bulk")]),
            None,
            &[
                ("x-tier", "bulk"),
                ("x-ofauto-tier", "bulk"),
                ("custom-tier", "bulk"),
            ],
        )
        .await;
    resp.ok_json(200);
    assert_eq!(
        header_u64(&resp, "ratelimit-limit"),
        STANDARD_BURST,
        "{resp}"
    );

    let resp = api
        .post_json("/v1/events", &json!({"type": "tiered", "tier": "bulk"}))
        .await;
    resp.validation_failed(&["tier"]);
    assert_eq!(
        header_u64(&resp, "ratelimit-limit"),
        STANDARD_BURST,
        "{resp}"
    );

    let mut spec = TokenSpec::new(&tenant.id, "viewer");
    spec.extra = vec![
        ("tier".into(), json!("bulk")),
        ("custom:Tier".into(), json!("bulk")),
        ("custom:plan".into(), json!("bulk")),
    ];
    let resp = Api::with_token(stack().tokens.mint(&spec))
        .get("/v1/events")
        .await;
    assert_eq!(
        header_u64(&resp, "ratelimit-limit"),
        STANDARD_BURST,
        "{resp}"
    );
}
