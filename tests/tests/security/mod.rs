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
//! | `rate_limit` | tiers only from the token; the headers on every answer (the burst is in `contention`) |
//! | `idempotency` | replays, reuse with another body, malformed keys, 50 racing duplicates, crashed and live leases |
//! | `cors` | allowed, foreign and look-alike origins; preflights; method-case tricks |
//! | `extremes` | times before the epoch and at the calendar's ends, huge numbers, odd number spellings |
//! | `headers` | the security headers on every kind of answer; nothing internal in errors |
//! | `surface` | `/health`, unknown routes, route look-alikes, `/openapi.json` |
//! | `gateway` | log-line forgery through a token's kid; half-sent headers, trickled bodies, big anonymous bodies |
//! | `availability` | a poison stream record against every tenant's counts (the distinct-type flood is in `contention`) |

use std::collections::BTreeSet;

use ofauto_routes::Auth;
use ofauto_tests::api::{Api, Resp};
use ofauto_tests::fixtures::{create_event, create_events, list_all, Tenant};
use ofauto_tests::manifest;
use reqwest::Method;
use serde_json::{json, Value};

/// A fixed, valid analytics window (no events need to be in it).
pub const ANALYTICS: &str =
    "/v1/analytics/events?from=2025-01-01T00:00:00Z&to=2025-01-01T05:00:00Z";

/// Declares [`Route`], the suite's table of tenant routes, each by its route key in
/// `functions/manifest.json`; [`Route::ALL`] lists every one.
macro_rules! tenant_routes {
    ($($variant:ident => $key:literal,)*) => {
        /// The tenant routes of the Event Service (`auth: jwt` in the manifest) that the suite
        /// knows how to call. `the_suite_covers_every_jwt_route_in_the_manifest` fails when the
        /// manifest has one that is not here, and `on_every_route!` does not compile without a
        /// test for each.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Route {
            $($variant,)*
        }

        impl Route {
            pub const ALL: &'static [Route] = &[$(Route::$variant,)*];

            /// The route key in the manifest: `METHOD /path/{param}`.
            pub fn key(self) -> &'static str {
                match self {
                    $(Route::$variant => $key,)*
                }
            }
        }
    };
}

tenant_routes! {
    Create => "POST /v1/events",
    List => "GET /v1/events",
    Get => "GET /v1/events/{id}",
    Delete => "DELETE /v1/events/{id}",
    Analytics => "GET /v1/analytics/events",
    ChannelsCreate => "POST /v1/channels",
    ChannelsList => "GET /v1/channels",
    ChannelsGet => "GET /v1/channels/{id}",
    ChannelsUpdate => "PATCH /v1/channels/{id}",
    ChannelsDelete => "DELETE /v1/channels/{id}",
    ChannelsRotateSecret => "POST /v1/channels/{id}/rotate-secret",
    ChannelsTest => "POST /v1/channels/{id}/test",
    PostsCreate => "POST /v1/posts",
    PostsList => "GET /v1/posts",
    PostsGet => "GET /v1/posts/{id}",
    PostsAttempts => "GET /v1/posts/{id}/attempts",
    PostsUpdate => "PATCH /v1/posts/{id}",
    PostsCancel => "DELETE /v1/posts/{id}",
    PostsRetry => "POST /v1/posts/{id}/retry",
    AutomationsCreate => "POST /v1/automations",
    AutomationsPreview => "POST /v1/automations/preview",
    AutomationsList => "GET /v1/automations",
    AutomationsGet => "GET /v1/automations/{id}",
    AutomationsUpdate => "PATCH /v1/automations/{id}",
    AutomationsDelete => "DELETE /v1/automations/{id}",
    AutomationsRun => "POST /v1/automations/{id}/run",
    AutomationsRuns => "GET /v1/automations/{id}/runs",
}

/// The channel, the draft post and the paused automation that [`tenant_with_event`] creates
/// beside each event, by the event's id: the channel, post and automation routes are called on
/// them.
#[derive(Debug, Clone)]
struct Beside {
    channel: String,
    post: String,
    automation: String,
}

fn beside() -> &'static std::sync::Mutex<std::collections::HashMap<String, Beside>> {
    static BESIDE: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, Beside>>,
    > = std::sync::OnceLock::new();
    BESIDE.get_or_init(Default::default)
}

/// The tenant of each event [`tenant_with_event`] made, by the event's id: the channel, post and
/// automation routes need a channel, a post and an automation of that tenant, made on first use
/// only (most attacks never call those routes, and each channel costs a Secrets Manager secret).
fn tenants() -> &'static std::sync::Mutex<std::collections::HashMap<String, String>> {
    static TENANTS: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, String>>,
    > = std::sync::OnceLock::new();
    TENANTS.get_or_init(Default::default)
}

async fn beside_event(event_id: &str) -> Beside {
    let known = beside()
        .lock()
        .expect("the fixture map")
        .get(event_id)
        .cloned();
    if let Some(found) = known {
        return found;
    }
    let tenant = tenants()
        .lock()
        .expect("the tenant map")
        .get(event_id)
        .cloned()
        .unwrap_or_else(|| panic!("event {event_id} was not made by tenant_with_event"));
    let made = make_beside(&Tenant::with_id(tenant)).await;
    beside()
        .lock()
        .expect("the fixture map")
        .entry(event_id.to_owned())
        .or_insert(made)
        .clone()
}

/// A channel, a draft post on it and a paused automation, for the tenant under attack.
async fn make_beside(tenant: &Tenant) -> Beside {
    let channel = tenant
        .bulk("admin")
        .post_json(
            "/v1/channels",
            &json!({"name": "beside", "kind": "webhook", "url": "http://127.0.0.1:9/beside"}),
        )
        .await
        .ok_json(201);
    let channel = channel["id"].as_str().expect("a channel id").to_owned();
    let post = tenant
        .bulk("editor")
        .post_json(
            "/v1/posts",
            &json!({"channel_id": channel, "content": "beside"}),
        )
        .await
        .ok_json(201);
    let post = post["id"].as_str().expect("a post id").to_owned();
    let automation = tenant
        .bulk("editor")
        .post_json(
            "/v1/automations",
            &json!({
                "name": "beside",
                "enabled": false,
                "trigger": {"kind": "schedule", "cron": "0 9 * * *", "timezone": "UTC"},
                "action": {"kind": "webhook", "channel_id": channel},
            }),
        )
        .await
        .ok_json(201);
    let automation = automation["id"]
        .as_str()
        .expect("an automation id")
        .to_owned();
    Beside {
        channel,
        post,
        automation,
    }
}

impl Route {
    /// The route as the manifest declares it (and the gateway serves it).
    pub fn in_manifest(self) -> &'static ofauto_routes::Route {
        manifest::routes()
            .routes()
            .iter()
            .find(|r| r.route_key == self.key())
            .unwrap_or_else(|| panic!("functions/manifest.json has no route `{}`", self.key()))
    }

    /// What a valid call adds to the manifest's method and path: a query string.
    fn query(self) -> &'static str {
        match self {
            Route::List => "?limit=100",
            Route::Analytics => &ANALYTICS[ANALYTICS.find('?').unwrap_or(ANALYTICS.len())..],
            Route::ChannelsList
            | Route::PostsList
            | Route::AutomationsList
            | Route::AutomationsRuns => "?limit=100",
            _ => "",
        }
    }

    /// What a valid call adds to the manifest's method and path: a JSON body.
    fn body(self, beside: &Beside) -> Option<Value> {
        match self {
            Route::Create => Some(json!({"type": "probe.write"})),
            Route::ChannelsCreate => {
                Some(json!({"name": "probe", "kind": "webhook", "url": "http://127.0.0.1:9/probe"}))
            }
            Route::ChannelsUpdate => Some(json!({"name": "probe"})),
            Route::PostsCreate => Some(json!({"channel_id": beside.channel, "content": "probe"})),
            Route::PostsUpdate => Some(json!({"content": "probe"})),
            Route::AutomationsCreate => Some(json!({
                "name": "probe",
                "enabled": false,
                "trigger": {"kind": "rate", "every_minutes": 60},
                "action": {"kind": "webhook", "channel_id": beside.channel},
            })),
            Route::AutomationsPreview => {
                Some(json!({"trigger": {"kind": "rate", "every_minutes": 60}, "count": 2}))
            }
            Route::AutomationsUpdate => Some(json!({"name": "probe"})),
            Route::ChannelsRotateSecret
            | Route::ChannelsTest
            | Route::PostsRetry
            | Route::AutomationsRun => Some(json!({})),
            _ => None,
        }
    }

    /// Whether the route is one of the Event Service's, which name events by `{id}`.
    fn on_events(self) -> bool {
        matches!(
            self,
            Route::Create | Route::List | Route::Get | Route::Delete | Route::Analytics
        )
    }

    /// Whether only an admin may call it.
    pub fn admin_only(self) -> bool {
        self.in_manifest().path.starts_with("/v1/channels") && self.writes()
    }

    /// Calls the route once as `api`, with the manifest's method and path; `id` names the event
    /// for the item routes (their `{id}`).
    pub async fn call(self, api: &Api, id: &str) -> Resp {
        let route = self.in_manifest();
        assert!(
            !route.path.replace("{id}", "").contains('{'),
            "the suite fills only `{{id}}` in a path, not all of `{}`",
            route.route_key
        );
        let beside = if self.on_events() {
            Beside {
                channel: String::new(),
                post: String::new(),
                automation: String::new(),
            }
        } else {
            beside_event(id).await
        };
        let id = if route.path.starts_with("/v1/channels") {
            beside.channel.as_str()
        } else if route.path.starts_with("/v1/posts") {
            beside.post.as_str()
        } else if route.path.starts_with("/v1/automations") {
            beside.automation.as_str()
        } else {
            id
        };
        let path = route.path.replace("{id}", id);
        let method = Method::from_bytes(route.method.as_bytes())
            .unwrap_or_else(|e| panic!("`{}`: {e}", route.route_key));
        let body = self.body(&beside).map(|body| {
            let bytes = serde_json::to_vec(&body).expect("serialising a JSON body");
            (bytes, "application/json")
        });
        api.send(
            method,
            api.url(&format!("{path}{}", self.query())),
            body,
            &[],
        )
        .await
    }

    /// Whether a call may change data: any method but `GET`, `HEAD` and `OPTIONS`.
    pub fn writes(self) -> bool {
        !matches!(
            self.in_manifest().method.as_str(),
            "GET" | "HEAD" | "OPTIONS"
        )
    }
}

/// The per-route checks (forged and broken tokens, missing or cross-tenant claims, the
/// rate-limit headers) reach every tenant route: every `auth: jwt` route in the manifest is in the
/// suite's table, callable with the parameters it can fill, and the table names no route the
/// manifest no longer has.
#[test]
fn the_suite_covers_every_jwt_route_in_the_manifest() {
    let in_manifest: BTreeSet<&str> = manifest::routes()
        .routes()
        .iter()
        .filter(|r| r.auth == Auth::Jwt)
        .map(|r| r.route_key.as_str())
        .collect();
    assert!(!in_manifest.is_empty(), "the manifest has jwt routes");
    let known: BTreeSet<&str> = Route::ALL.iter().map(|r| r.key()).collect();
    let unknown: Vec<&&str> = in_manifest.difference(&known).collect();
    assert!(
        unknown.is_empty(),
        "jwt routes in functions/manifest.json that the security suite cannot call: {unknown:?}; \
         add each to `tenant_routes!` (and its test to `on_every_route!`) in \
         tests/tests/security/mod.rs"
    );
    let gone: Vec<&&str> = known.difference(&in_manifest).collect();
    assert!(
        gone.is_empty(),
        "routes in the security suite that are no jwt route of functions/manifest.json: {gone:?}"
    );
    for route in Route::ALL {
        let path = &route.in_manifest().path;
        assert!(
            !path.replace("{id}", "").contains('{'),
            "{route:?}: the suite fills only `{{id}}`, not all of `{path}`"
        );
    }
}

/// Generates one test per tenant route, `on_create` … `on_analytics`, each calling
/// `$check(Route::…)`. A route added to `tenant_routes!` without its test here does not compile.
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
        #[tokio::test]
        async fn on_channels_create() {
            $check($crate::security::Route::ChannelsCreate).await
        }
        #[tokio::test]
        async fn on_channels_list() {
            $check($crate::security::Route::ChannelsList).await
        }
        #[tokio::test]
        async fn on_channels_get() {
            $check($crate::security::Route::ChannelsGet).await
        }
        #[tokio::test]
        async fn on_channels_update() {
            $check($crate::security::Route::ChannelsUpdate).await
        }
        #[tokio::test]
        async fn on_channels_delete() {
            $check($crate::security::Route::ChannelsDelete).await
        }
        #[tokio::test]
        async fn on_channels_rotate_secret() {
            $check($crate::security::Route::ChannelsRotateSecret).await
        }
        #[tokio::test]
        async fn on_channels_test() {
            $check($crate::security::Route::ChannelsTest).await
        }
        #[tokio::test]
        async fn on_posts_create() {
            $check($crate::security::Route::PostsCreate).await
        }
        #[tokio::test]
        async fn on_posts_list() {
            $check($crate::security::Route::PostsList).await
        }
        #[tokio::test]
        async fn on_posts_get() {
            $check($crate::security::Route::PostsGet).await
        }
        #[tokio::test]
        async fn on_posts_attempts() {
            $check($crate::security::Route::PostsAttempts).await
        }
        #[tokio::test]
        async fn on_posts_update() {
            $check($crate::security::Route::PostsUpdate).await
        }
        #[tokio::test]
        async fn on_posts_cancel() {
            $check($crate::security::Route::PostsCancel).await
        }
        #[tokio::test]
        async fn on_posts_retry() {
            $check($crate::security::Route::PostsRetry).await
        }
        #[tokio::test]
        async fn on_automations_create() {
            $check($crate::security::Route::AutomationsCreate).await
        }
        #[tokio::test]
        async fn on_automations_preview() {
            $check($crate::security::Route::AutomationsPreview).await
        }
        #[tokio::test]
        async fn on_automations_list() {
            $check($crate::security::Route::AutomationsList).await
        }
        #[tokio::test]
        async fn on_automations_get() {
            $check($crate::security::Route::AutomationsGet).await
        }
        #[tokio::test]
        async fn on_automations_update() {
            $check($crate::security::Route::AutomationsUpdate).await
        }
        #[tokio::test]
        async fn on_automations_delete() {
            $check($crate::security::Route::AutomationsDelete).await
        }
        #[tokio::test]
        async fn on_automations_run() {
            $check($crate::security::Route::AutomationsRun).await
        }
        #[tokio::test]
        async fn on_automations_runs() {
            $check($crate::security::Route::AutomationsRuns).await
        }
        const _: () = {
            /// Exhaustive: a `Route` without a test above is a compile error here.
            #[allow(dead_code)]
            fn every_route_has_a_test(route: $crate::security::Route) {
                use $crate::security::Route;
                match route {
                    Route::Create
                    | Route::List
                    | Route::Get
                    | Route::Delete
                    | Route::Analytics
                    | Route::ChannelsCreate
                    | Route::ChannelsList
                    | Route::ChannelsGet
                    | Route::ChannelsUpdate
                    | Route::ChannelsDelete
                    | Route::ChannelsRotateSecret
                    | Route::ChannelsTest
                    | Route::PostsCreate
                    | Route::PostsList
                    | Route::PostsGet
                    | Route::PostsAttempts
                    | Route::PostsUpdate
                    | Route::PostsCancel
                    | Route::PostsRetry
                    | Route::AutomationsCreate
                    | Route::AutomationsPreview
                    | Route::AutomationsList
                    | Route::AutomationsGet
                    | Route::AutomationsUpdate
                    | Route::AutomationsDelete
                    | Route::AutomationsRun
                    | Route::AutomationsRuns => {}
                }
            }
        };
    };
}
pub(crate) use on_every_route;

/// A fresh tenant holding one event, which an attack must leave exactly as it is, and beside it
/// a channel, a draft post on it and a paused automation acting on it, for the channel, post and
/// automation routes to name. The automation is paused so that no dispatcher runs it.
pub async fn tenant_with_event() -> (Tenant, Value) {
    let tenant = Tenant::new();
    let event = create_event(
        &tenant.bulk("editor"),
        &json!({"type": "keep.me", "properties": {"secret": tenant.id}}),
    )
    .await;
    tenants()
        .lock()
        .expect("the tenant map")
        .insert(id_of(&event), tenant.id.clone());
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

/// Creates one event per `source` and checks that each is created with it and reads back exactly
/// as created; returns each event with its read, for checks of the wire form.
pub async fn sources_round_trip(
    api: &Api,
    event_type: &str,
    sources: &[&str],
) -> Vec<(Value, Resp)> {
    let bodies: Vec<Value> = sources
        .iter()
        .map(|source| json!({"type": event_type, "source": source}))
        .collect();
    let events = create_events(api, &bodies).await;
    let mut reads = Vec::with_capacity(events.len());
    for (event, sent) in events.into_iter().zip(sources) {
        assert_eq!(event["source"], *sent);
        let read = api.get(&format!("/v1/events/{}", id_of(&event))).await;
        assert_eq!(read.ok_json(200), event, "read back of {sent:?}");
        reads.push((event, read));
    }
    reads
}

/// Creates an event with `properties` and checks that they are stored and read back as sent.
pub async fn properties_round_trip(api: &Api, event_type: &str, properties: &Value) {
    let event = create_event(api, &json!({"type": event_type, "properties": properties})).await;
    assert_eq!(event["properties"], *properties);
    let stored = api
        .get(&format!("/v1/events/{}", id_of(&event)))
        .await
        .ok_json(200);
    assert_eq!(stored["properties"], *properties);
}
