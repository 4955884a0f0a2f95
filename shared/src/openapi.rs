//! The OpenAPI 3.1 document, generated from the wire types themselves so it cannot drift from
//! what the functions serialise. The operations below carry no code: they describe each route
//! of the function manifest, and a test fails when the two disagree.

use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use crate::domain::analytics::{AnalyticsReport, Bucket, Granularity};
use crate::domain::event::Event;
use crate::domain::health::{Health, HealthChecks};
use crate::domain::list::Page;
use crate::error::{FieldError, Problem};

/// The answers every tenant route can give whatever it does: written once, so a new route
/// cannot document fewer of them.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
#[rustfmt::skip]
enum TenantRouteErrors {
    #[response(status = 401, description = "No or invalid token")] Unauthorized(GatewayMessage),
    #[response(status = 403, description = "Role or tenant missing", content_type = "application/problem+json")] Forbidden(Problem),
    #[response(status = 429, description = "Rate limited", content_type = "application/problem+json")] RateLimited(Problem),
    #[response(status = 503, description = "Dependency unavailable", content_type = "application/problem+json")] Unavailable(Problem),
}

/// The answer of the routes that name one event by id, when the tenant has no such event.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 404,
    description = "No such event for this tenant",
    content_type = "application/problem+json"
)]
#[allow(dead_code)]
struct EventNotFound(Problem);

/// What API Gateway's JWT authorizer answers on 401, before any function runs.
#[derive(Serialize, ToSchema)]
pub struct GatewayMessage {
    pub message: String,
}

/// `POST /v1/events` body. Unknown fields are rejected.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct NewEventBody {
    #[serde(rename = "type")]
    #[schema(min_length = 1, max_length = 64, pattern = "^[a-z][a-z0-9_.:-]*$")]
    event_type: String,
    /// Defaults to now; at most 5 minutes in the future.
    #[schema(format = DateTime)]
    occurred_at: Option<String>,
    #[schema(max_length = 128)]
    source: Option<String>,
    /// At most 16 KiB serialised and 5 levels deep.
    #[schema(value_type = Option<Object>)]
    properties: Option<serde_json::Value>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct EventListParams {
    /// Only events of this type.
    #[param(pattern = "^[a-z][a-z0-9_.:-]*$", min_length = 1, max_length = 64)]
    r#type: Option<String>,
    /// Inclusive lower bound on `occurred_at`.
    #[param(format = DateTime)]
    from: Option<String>,
    /// Inclusive upper bound on `occurred_at`.
    #[param(format = DateTime)]
    to: Option<String>,
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u16>,
    /// `next_cursor` from the previous page of the same query.
    #[param(min_length = 1)]
    cursor: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AnalyticsParams {
    #[param(format = DateTime)]
    from: String,
    /// At most 31 days after `from` for `hour`, 366 for `day`.
    #[param(format = DateTime)]
    to: String,
    #[param(inline)]
    granularity: Option<Granularity>,
    #[param(pattern = "^[a-z][a-z0-9_.:-]*$", min_length = 1, max_length = 64)]
    r#type: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyHeader {
    /// 1-255 printable ASCII characters; replays the first response for 24 h.
    #[param(
        rename = "Idempotency-Key",
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = "^[ -~]+$"
    )]
    idempotency_key: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct IdParam {
    /// The event id.
    id: String,
}

// Only `#[utoipa::path]`'s generated descriptions are read; the functions exist to carry them.
#[allow(dead_code)]
mod routes {
    use super::*;

    #[utoipa::path(get, path = "/health", tag = "health", security(()),
        responses(
            (status = 200, description = "All checks pass", body = Health),
            (status = 503, description = "A check failed", body = Health),
        ))]
    pub fn health() {}

    #[utoipa::path(post, path = "/v1/events", tag = "events", request_body = NewEventBody,
        params(IdempotencyHeader),
        responses(
            (status = 201, description = "Created", body = Event,
                headers(("Location" = String, description = "/v1/events/{id}"))),
            (status = 400, description = "Invalid body", body = Problem, content_type = "application/problem+json"),
            (status = 409, description = "Same Idempotency-Key still in progress", body = Problem, content_type = "application/problem+json"),
            (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
            (status = 422, description = "Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
            TenantRouteErrors,
        ))]
    pub fn create_event() {}

    #[utoipa::path(get, path = "/v1/events", tag = "events", params(EventListParams),
        responses(
            (status = 200, description = "A page of events, newest first", body = Page<Event>),
            (status = 400, description = "Invalid parameter or cursor", body = Problem, content_type = "application/problem+json"),
            TenantRouteErrors,
        ))]
    pub fn list_events() {}

    #[utoipa::path(get, path = "/v1/events/{id}", tag = "events", params(IdParam),
        responses(
            (status = 200, description = "The event", body = Event),
            EventNotFound,
            TenantRouteErrors,
        ))]
    pub fn get_event() {}

    #[utoipa::path(delete, path = "/v1/events/{id}", tag = "events", params(IdParam),
        responses(
            (status = 204, description = "Deleted"),
            EventNotFound,
            TenantRouteErrors,
        ))]
    pub fn delete_event() {}

    #[utoipa::path(get, path = "/v1/analytics/events", tag = "analytics", params(AnalyticsParams),
        responses(
            (status = 200, description = "Counts per bucket, every bucket present", body = AnalyticsReport),
            (status = 400, description = "Invalid parameter or span", body = Problem, content_type = "application/problem+json"),
            TenantRouteErrors,
        ))]
    pub fn analytics() {}
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "OFAuto API", description = "Multi-tenant events, analytics, scheduled posts and automations. Errors are RFC 9457 problem+json."),
    paths(routes::health, routes::create_event, routes::list_events, routes::get_event, routes::delete_event, routes::analytics),
    components(schemas(Event, Page<Event>, AnalyticsReport, Bucket, Granularity, Health, HealthChecks, Problem, FieldError, GatewayMessage, NewEventBody)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// The committed `openapi.json`, byte for byte.
pub fn to_pretty_json() -> String {
    let mut json = document()
        .to_pretty_json()
        .expect("the document serialises");
    json.push('\n');
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_file(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn committed_openapi_matches_the_code() {
        assert!(
            repo_file("openapi.json") == to_pretty_json(),
            "openapi.json is stale: run `make openapi` and commit the result"
        );
    }

    #[test]
    fn every_manifest_route_is_documented_and_nothing_else() {
        let manifest: serde_json::Value =
            serde_json::from_str(&repo_file("functions/manifest.json")).unwrap();
        let mut routes: Vec<String> = manifest["functions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["trigger"]["kind"] == "http" && f["trigger"]["path"] != "$default")
            .map(|f| {
                format!(
                    "{} {}",
                    f["trigger"]["method"].as_str().unwrap().to_lowercase(),
                    f["trigger"]["path"].as_str().unwrap()
                )
            })
            .collect();
        routes.sort();
        let doc = serde_json::to_value(document()).unwrap();
        let mut documented: Vec<String> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, ops)| {
                ops.as_object()
                    .unwrap()
                    .keys()
                    .map(move |method| format!("{method} {path}"))
            })
            .collect();
        documented.sort();
        assert_eq!(routes, documented);
    }
}
