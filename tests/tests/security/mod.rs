//! The security suite: what an attacker would try against every route, one named test per case.
//!
//! SECURITY.md maps each OWASP API Security Top 10 (2023) risk to the modules and tests here.
//! Every test works in its own random tenant(s), so they run in parallel on the shared stack.
//!
//! | module | what it attacks |
//! |---|---|
//! | `authn` | the JWT: no token, forged, expired, not yet valid, wrong issuer or audience, `alg: none`, … on every route |
//! | `authz` | the claims: no tenant, a malformed tenant, each role that is not enough, roles smuggled elsewhere |
//! | `bola` | other tenants' ids, cursors and idempotency keys; the tenant named anywhere but the token |
//! | `body` | oversized, chunked, deeply nested, non-UTF-8, form-encoded and mass-assigning bodies; bodies on reads |
//! | `injection` | NoSQL/PartiQL fragments and operator objects in every input; exact type filters |
//! | `traversal` | `../` in paths (literal and encoded) and in query values |
//! | `control` | NUL, ESC, CR/LF (header injection) in bodies, query strings and paths |
//! | `unicode` | very long and astral-plane text, combining marks, bidi overrides, lone surrogates, look-alikes |
//! | `rate_limit` | a burst from one tenant; tiers only from the token; the headers on every answer |
//! | `idempotency` | replays, reuse with another body, malformed keys, 50 racing duplicates, crashed and live leases |
//! | `cors` | allowed, foreign and look-alike origins; preflights; method-case tricks |
//! | `extremes` | times before the epoch and at the calendar's ends, huge numbers, odd number spellings |
//! | `headers` | the security headers on every kind of answer; nothing internal in errors |
//! | `surface` | `/health`, unknown routes, route look-alikes, `/openapi.json` |
//! | `gateway` | log-line forgery through a token's kid; half-sent headers, trickled bodies, big anonymous bodies |
//! | `availability` | one tenant's distinct-type flood and a poison stream record, against every tenant's counts |

use ofauto_tests::api::{Api, Resp};
use ofauto_tests::fixtures::{create_event, list_all, Tenant};
use serde_json::{json, Value};

/// A fixed, valid analytics window (no events need to be in it).
pub const ANALYTICS: &str =
    "/v1/analytics/events?from=2025-01-01T00:00:00Z&to=2025-01-01T05:00:00Z";

/// The five tenant routes of the Event Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Create,
    List,
    Get,
    Delete,
    Analytics,
}

impl Route {
    /// Calls the route once as `api`; `id` names the event for the item routes.
    pub async fn call(self, api: &Api, id: &str) -> Resp {
        match self {
            Route::Create => {
                api.post_json("/v1/events", &json!({"type": "probe.write"}))
                    .await
            }
            Route::List => api.get("/v1/events?limit=100").await,
            Route::Get => api.get(&format!("/v1/events/{id}")).await,
            Route::Delete => api.delete(&format!("/v1/events/{id}")).await,
            Route::Analytics => api.get(ANALYTICS).await,
        }
    }

    pub fn writes(self) -> bool {
        matches!(self, Route::Create | Route::Delete)
    }
}

/// Generates one test per tenant route, `on_create` … `on_analytics`, each calling
/// `$check(Route::…)`.
macro_rules! on_every_route {
    ($check:path) => {
        #[tokio::test]
        async fn on_create() {
            $check($crate::security::Route::Create).await
        }
        #[tokio::test]
        async fn on_list() {
            $check($crate::security::Route::List).await
        }
        #[tokio::test]
        async fn on_get() {
            $check($crate::security::Route::Get).await
        }
        #[tokio::test]
        async fn on_delete() {
            $check($crate::security::Route::Delete).await
        }
        #[tokio::test]
        async fn on_analytics() {
            $check($crate::security::Route::Analytics).await
        }
    };
}
pub(crate) use on_every_route;

/// A fresh tenant holding one event, which an attack must leave exactly as it is.
pub async fn tenant_with_event() -> (Tenant, Value) {
    let tenant = Tenant::new();
    let event = create_event(
        &tenant.bulk("editor"),
        &json!({"type": "keep.me", "properties": {"secret": tenant.id}}),
    )
    .await;
    (tenant, event)
}

pub fn id_of(event: &Value) -> String {
    event["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an event has an id: {event}"))
        .to_owned()
}

/// The tenant still holds exactly `event`: nothing was written, changed or deleted.
pub async fn assert_untouched(tenant: &Tenant, event: &Value) {
    assert_eq!(
        list_all(&tenant.bulk("viewer"), &[], 100).await,
        vec![event.clone()],
        "tenant {} was changed",
        tenant.id
    );
}

/// The tenant holds no events at all.
pub async fn assert_empty(tenant: &Tenant) {
    assert_eq!(
        list_all(&tenant.bulk("viewer"), &[], 100).await,
        Vec::<Value>::new(),
        "tenant {} has events",
        tenant.id
    );
}

/// Percent-encodes every byte that is not unreserved, for path segments and query values.
pub fn encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

// After the macro above, so that it is in textual scope in every module.
mod authn;
mod authz;
mod availability;
mod body;
mod bola;
mod control;
mod cors;
mod extremes;
mod gateway;
mod headers;
mod idempotency;
mod injection;
mod rate_limit;
mod surface;
mod traversal;
mod unicode;
