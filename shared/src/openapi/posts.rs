//! The post routes (API.md "Posts"). A change the post's status forbids answers 409 with the
//! current status in `detail`.
//!
//! Only `#[utoipa::path]`'s generated descriptions are read; the functions exist to carry them.
#![allow(dead_code)]

use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::{IdempotencyHeader, PageParams, TenantRouteErrors};
use crate::domain::list::Page;
use crate::domain::{Attempt, Post, PostStatus};
use crate::error::Problem;

/// The answer of the routes that name one post by id, when the tenant has no such post (a
/// malformed id names none either).
#[derive(utoipa::IntoResponses)]
#[response(
    status = 404,
    description = "No such post for this tenant",
    content_type = "application/problem+json"
)]
struct PostNotFound(Problem);

/// The answer to a change the post's status does not allow.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 409,
    description = "Not allowed in the post's current status, which `detail` names",
    content_type = "application/problem+json"
)]
struct PostConflict(Problem);

/// An absolute https URL (`MediaUrl::parse`): a host, no whitespace or control characters. The
/// service never fetches it, so only its shape is checked (no `format: uri`: a URL the RFC 3986
/// grammar refuses may still pass). Written by hand: utoipa puts no pattern on a newtype.
#[derive(Serialize)]
pub struct MediaUrl;

impl PartialSchema for MediaUrl {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("An absolute https URL."))
            .pattern(Some(
                r"^[Hh][Tt][Tt][Pp][Ss]://[^/?#:\s\x00-\x1f\x7f-\x9f][^\s\x00-\x1f\x7f-\x9f]*$",
            ))
            .max_length(Some(2048))
            .into()
    }
}

impl ToSchema for MediaUrl {}

/// `POST /v1/posts` body. Unknown fields are rejected.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPostBody {
    /// An active channel of the caller's tenant.
    #[schema(pattern = "^[0-7][0-9A-HJKMNP-TV-Z]{25}$")]
    channel_id: String,
    #[schema(min_length = 1, max_length = 5000)]
    content: String,
    #[schema(max_items = 10)]
    media_urls: Option<Vec<MediaUrl>>,
    /// At most 1 minute in the past and 2 years ahead: the post is `scheduled`. Absent or
    /// `null`: a `draft`.
    #[schema(format = DateTime)]
    scheduled_at: Option<String>,
}

/// `PATCH /v1/posts/{id}` body, allowed in `draft` and `scheduled`. Unknown fields are rejected.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostPatchBody {
    /// `null` counts as absent.
    #[schema(min_length = 1, max_length = 5000)]
    content: Option<String>,
    /// `null` counts as absent.
    #[schema(max_items = 10)]
    media_urls: Option<Vec<MediaUrl>>,
    /// A time (at most 1 minute in the past and 2 years ahead) schedules a draft or moves a
    /// scheduled post; `null` makes a scheduled post a draft again; absent leaves it.
    #[schema(format = DateTime)]
    scheduled_at: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostListParams {
    /// Only posts in this status.
    #[param(inline)]
    status: Option<PostStatus>,
    /// Only posts for this channel.
    #[param(pattern = "^[0-7][0-9A-HJKMNP-TV-Z]{25}$")]
    channel_id: Option<String>,
    /// Inclusive lower bound on `scheduled_at`; with either bound, drafts are left out.
    #[param(format = DateTime)]
    from: Option<String>,
    /// Inclusive upper bound on `scheduled_at`.
    #[param(format = DateTime)]
    to: Option<String>,
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u16>,
    /// `next_cursor` from the previous page of the same query.
    #[param(min_length = 1)]
    cursor: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PostIdParam {
    /// The post id.
    id: String,
}

#[utoipa::path(post, path = "/v1/posts", tag = "posts", request_body = NewPostBody,
    params(IdempotencyHeader),
    responses(
        (status = 201, description = "Created, `scheduled` with `scheduled_at` and a `draft` without", body = Post,
            headers(("Location" = String, description = "/v1/posts/{id}"))),
        (status = 400, description = "Invalid body or Idempotency-Key, or `channel_id` names no active channel of this tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Same Idempotency-Key still in progress", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
        TenantRouteErrors,
    ))]
pub fn create_post() {}

#[utoipa::path(get, path = "/v1/posts", tag = "posts", params(PostListParams),
    responses(
        (status = 200, description = "A page of posts by `scheduled_at`, then id; drafts last", body = Page<Post>),
        (status = 400, description = "Invalid parameter or cursor", body = Problem, content_type = "application/problem+json"),
        TenantRouteErrors,
    ))]
pub fn list_posts() {}

#[utoipa::path(get, path = "/v1/posts/{id}", tag = "posts", params(PostIdParam),
    responses(
        (status = 200, description = "The post", body = Post),
        PostNotFound,
        TenantRouteErrors,
    ))]
pub fn get_post() {}

#[utoipa::path(get, path = "/v1/posts/{id}/attempts", tag = "posts", params(PostIdParam, PageParams),
    responses(
        (status = 200, description = "A page of delivery attempts, oldest first", body = Page<Attempt>),
        (status = 400, description = "Invalid parameter or cursor", body = Problem, content_type = "application/problem+json"),
        PostNotFound,
        TenantRouteErrors,
    ))]
pub fn list_attempts() {}

#[utoipa::path(patch, path = "/v1/posts/{id}", tag = "posts", request_body = PostPatchBody,
    params(PostIdParam),
    responses(
        (status = 200, description = "The post as changed", body = Post),
        (status = 400, description = "Invalid body", body = Problem, content_type = "application/problem+json"),
        PostNotFound,
        PostConflict,
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        TenantRouteErrors,
    ))]
pub fn update_post() {}

#[utoipa::path(delete, path = "/v1/posts/{id}", tag = "posts", params(PostIdParam),
    responses(
        (status = 200, description = "Cancelled (allowed in `draft` and `scheduled`); the post stays readable", body = Post),
        PostNotFound,
        PostConflict,
        TenantRouteErrors,
    ))]
pub fn cancel_post() {}

#[utoipa::path(post, path = "/v1/posts/{id}/retry", tag = "posts", params(PostIdParam, IdempotencyHeader),
    responses(
        (status = 200, description = "A `failed` post, `scheduled` again for now with the same `webhook_id`", body = Post),
        (status = 400, description = "Invalid Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        PostNotFound,
        (status = 409, description = "Not `failed` (`detail` names the status), or the same Idempotency-Key still in progress", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Idempotency-Key reused with another request", body = Problem, content_type = "application/problem+json"),
        TenantRouteErrors,
    ))]
pub fn retry_post() {}
