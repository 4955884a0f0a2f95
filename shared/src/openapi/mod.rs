//! The OpenAPI 3.1 document, generated from the wire types themselves so it cannot drift from
//! what the functions serialise. The operations carry no code: they describe each route of the
//! function manifest, one file per area, and a test fails when the two disagree.

pub(crate) mod automations;
mod channels;
mod events;
mod posts;

use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use crate::domain::analytics::{AnalyticsReport, Bucket, Granularity};
use crate::domain::event::Event;
use crate::domain::health::{Health, HealthChecks};
use crate::domain::list::Page;
use crate::domain::{
    Attempt, Automation, AutomationDisabledReason, Catchup, Channel, ChannelKind, ChannelStatus,
    DisabledReason, Post, PostStatus, Preview, PreviewRun, Run, RunAccepted, RunStatus, RunTrigger,
};
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

/// What API Gateway's JWT authorizer answers on 401, before any function runs.
#[derive(Serialize, ToSchema)]
pub struct GatewayMessage {
    pub message: String,
}

/// The header of the routes whose edge replays answers (`Edge::idempotent`).
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

/// `limit` and `cursor`, for the lists that have no filters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageParams {
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u16>,
    /// `next_cursor` from the previous page of the same list.
    #[param(min_length = 1)]
    cursor: Option<String>,
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
    paths(
        events::health, events::create_event, events::list_events, events::get_event, events::delete_event, events::analytics,
        channels::create_channel, channels::list_channels, channels::get_channel, channels::update_channel,
        channels::delete_channel, channels::rotate_secret, channels::test_channel,
        posts::create_post, posts::list_posts, posts::get_post, posts::list_attempts, posts::update_post,
        posts::cancel_post, posts::retry_post,
        automations::create_automation, automations::preview_automation, automations::list_automations,
        automations::get_automation, automations::update_automation, automations::delete_automation,
        automations::run_automation, automations::list_runs,
    ),
    components(schemas(
        Event, Page<Event>, AnalyticsReport, Bucket, Granularity, Health, HealthChecks, Problem, FieldError, GatewayMessage,
        events::NewEventBody,
        Channel, Page<Channel>, ChannelKind, ChannelStatus, DisabledReason, channels::CreatedChannel,
        channels::NewChannelBody, channels::ChannelPatchBody, channels::Reactivate, channels::RotatedSecret,
        channels::TestResult,
        Post, Page<Post>, PostStatus, Attempt, Page<Attempt>, posts::NewPostBody, posts::PostPatchBody, posts::MediaUrl,
        Automation, Page<Automation>, AutomationDisabledReason, Catchup, Run, Page<Run>, RunStatus, RunTrigger, Preview,
        PreviewRun, RunAccepted, automations::TriggerSchema, automations::ActionSchema, automations::Scalar,
        automations::PayloadTemplate, automations::NewAutomationBody, automations::AutomationPatchBody,
        automations::PreviewBody,
    )),
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

    /// The routes whose `main.rs` wraps the edge in `Edge::idempotent` document the header and
    /// its 422; no other route does.
    #[test]
    fn idempotent_routes_document_the_key_and_its_answers() {
        let manifest: serde_json::Value =
            serde_json::from_str(&repo_file("functions/manifest.json")).unwrap();
        let doc = serde_json::to_value(document()).unwrap();
        for function in manifest["functions"].as_array().unwrap() {
            let trigger = &function["trigger"];
            if trigger["kind"] != "http" || trigger["path"] == "$default" {
                continue;
            }
            let name = function["name"].as_str().unwrap();
            let main = repo_file(&format!("functions/{name}/src/main.rs"));
            let idempotent = main.contains(".idempotent(");
            let operation = &doc["paths"][trigger["path"].as_str().unwrap()]
                [trigger["method"].as_str().unwrap().to_lowercase()];
            let has_header = operation["parameters"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["name"] == "Idempotency-Key"));
            assert_eq!(has_header, idempotent, "{name}: Idempotency-Key");
            assert_eq!(
                operation["responses"].get("422").is_some(),
                idempotent,
                "{name}: 422"
            );
        }
    }
}
