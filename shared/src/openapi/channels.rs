//! The channel routes (API.md "Channels"). Every write needs the admin role: a channel decides
//! where the tenant's data is sent, and holds the secret receivers trust.
//!
//! Only `#[utoipa::path]`'s generated descriptions are read; the functions exist to carry them.
#![allow(dead_code)]

use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::{IdempotencyHeader, PageParams, TenantRouteErrors};
use crate::domain::list::Page;
use crate::domain::{Channel, ChannelKind};
use crate::error::Problem;

/// The answer of the routes that name one channel by id, when the tenant has no such channel
/// (a malformed id names none either).
#[derive(utoipa::IntoResponses)]
#[response(
    status = 404,
    description = "No such channel for this tenant",
    content_type = "application/problem+json"
)]
struct ChannelNotFound(Problem);

/// `POST /v1/channels` body. Unknown fields are rejected.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannelBody {
    /// Not all whitespace, no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    name: String,
    kind: ChannelKind,
    /// An absolute https URL without credentials or fragment. On AWS every address its host
    /// resolves to must be public; the local stack also takes plain http to a loopback host.
    #[schema(format = "uri", max_length = 2048)]
    url: String,
}

/// The only status a client may set: disabling is the deliverer's verdict (`gone`, `failing`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Reactivate {
    Active,
}

/// `PATCH /v1/channels/{id}` body: each field present is changed, `null` counts as absent.
/// Unknown fields are rejected.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelPatchBody {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    name: Option<String>,
    /// Checked as at creation.
    #[schema(format = "uri", max_length = 2048)]
    url: Option<String>,
    /// `active` re-enables a disabled channel and clears `failing_since`.
    status: Option<Reactivate>,
}

/// `POST /v1/channels` answer: the channel and its signing secret, shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedChannel {
    #[serde(flatten)]
    channel: Channel,
    /// `whsec_` and the standard base64 of 32 random bytes.
    #[schema(pattern = "^whsec_[A-Za-z0-9+/]{43}=$")]
    signing_secret: String,
}

/// `POST /v1/channels/{id}/rotate-secret` answer. The previous secret keeps signing for 24 h.
#[derive(Serialize, ToSchema)]
pub struct RotatedSecret {
    #[schema(pattern = "^whsec_[A-Za-z0-9+/]{43}=$")]
    signing_secret: String,
}

/// `POST /v1/channels/{id}/test` answer: how the `channel.test` delivery went.
#[derive(Serialize, ToSchema)]
pub struct TestResult {
    /// The receiver answered 2xx.
    delivered: bool,
    /// `null` when no answer came (timeout, connection error).
    #[schema(required = true)]
    status_code: Option<u16>,
    latency_ms: u64,
    #[schema(required = true)]
    error: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ChannelIdParam {
    /// The channel id.
    id: String,
}

#[utoipa::path(post, path = "/v1/channels", tag = "channels", request_body = NewChannelBody,
    params(IdempotencyHeader),
    responses(
        (status = 201, description = "Created; the only answer that shows the signing secret", body = CreatedChannel,
            headers(("Location" = String, description = "/v1/channels/{id}"))),
        (status = 400, description = "Invalid body or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Same Idempotency-Key still in progress", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
        TenantRouteErrors,
    ))]
pub fn create_channel() {}

#[utoipa::path(get, path = "/v1/channels", tag = "channels", params(PageParams),
    responses(
        (status = 200, description = "A page of channels, oldest first", body = Page<Channel>),
        (status = 400, description = "Invalid parameter or cursor", body = Problem, content_type = "application/problem+json"),
        TenantRouteErrors,
    ))]
pub fn list_channels() {}

#[utoipa::path(get, path = "/v1/channels/{id}", tag = "channels", params(ChannelIdParam),
    responses(
        (status = 200, description = "The channel", body = Channel),
        ChannelNotFound,
        TenantRouteErrors,
    ))]
pub fn get_channel() {}

#[utoipa::path(patch, path = "/v1/channels/{id}", tag = "channels", request_body = ChannelPatchBody,
    params(ChannelIdParam),
    responses(
        (status = 200, description = "The channel as changed", body = Channel),
        (status = 400, description = "Invalid body", body = Problem, content_type = "application/problem+json"),
        ChannelNotFound,
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        TenantRouteErrors,
    ))]
pub fn update_channel() {}

#[utoipa::path(delete, path = "/v1/channels/{id}", tag = "channels", params(ChannelIdParam),
    responses(
        (status = 204, description = "Deleted with its secret; its scheduled posts fail with `channel deleted`"),
        ChannelNotFound,
        TenantRouteErrors,
    ))]
pub fn delete_channel() {}

#[utoipa::path(post, path = "/v1/channels/{id}/rotate-secret", tag = "channels", params(ChannelIdParam),
    responses(
        (status = 200, description = "The new signing secret; deliveries carry both signatures for 24 h", body = RotatedSecret),
        ChannelNotFound,
        TenantRouteErrors,
    ))]
pub fn rotate_secret() {}

#[utoipa::path(post, path = "/v1/channels/{id}/test", tag = "channels", params(ChannelIdParam),
    responses(
        (status = 200, description = "A `channel.test` message was sent (or tried) now", body = TestResult),
        ChannelNotFound,
        (status = 409, description = "The channel is disabled; set its status to active first", body = Problem, content_type = "application/problem+json"),
        TenantRouteErrors,
    ))]
pub fn test_channel() {}
