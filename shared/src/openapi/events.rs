//! Health, events and analytics: the routes of the first release.
//!
//! Only `#[utoipa::path]`'s generated descriptions are read; the functions exist to carry them.
#![allow(dead_code)]

use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::{IdempotencyHeader, TenantRouteErrors};
use crate::domain::analytics::{AnalyticsReport, Granularity};
use crate::domain::event::Event;
use crate::domain::health::Health;
use crate::domain::list::Page;
use crate::error::Problem;

/// The answer of the routes that name one event by id, when the tenant has no such event.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 404,
    description = "No such event for this tenant",
    content_type = "application/problem+json"
)]
struct EventNotFound(Problem);

/// `POST /v1/events` body. Unknown fields are rejected.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
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
#[into_params(parameter_in = Path)]
pub struct IdParam {
    /// The event id.
    id: String,
}

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
