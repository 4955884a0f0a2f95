//! The automation routes (API.md "Automations"). Viewers read and preview; editors write.
//! Triggers and actions are tagged by `kind`: each is one of the schemas below, and fields of
//! another kind are refused as unknown.
//!
//! Only `#[utoipa::path]`'s generated descriptions are read; the functions exist to carry them.
#![allow(dead_code)]

use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::{IdempotencyHeader, PageParams, TenantRouteErrors};
use crate::domain::list::Page;
use crate::domain::{Automation, Catchup, Preview, RunAccepted};
use crate::error::Problem;

/// The answer of the routes that name one automation by id, when the tenant has no such
/// automation (a malformed id names none either).
#[derive(utoipa::IntoResponses)]
#[response(
    status = 404,
    description = "No such automation for this tenant",
    content_type = "application/problem+json"
)]
struct AutomationNotFound(Problem);

/// A `property_equals` value: the event's property must be present and equal (numbers by
/// value). Written by hand: utoipa has no scalar union.
#[derive(Serialize)]
pub struct Scalar;

impl PartialSchema for Scalar {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(1024)),
            )
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .item(ObjectBuilder::new().schema_type(Type::Boolean))
            .description(Some(
                "A string (at most 1024 characters), a number or a boolean.",
            ))
            .into()
    }
}

impl ToSchema for Scalar {}

/// A payload template: any JSON value (at most 16 KiB serialised, nested at most 5 deep) whose
/// strings, at any depth, are templates. Written by hand: any JSON value, `null` included.
#[derive(Serialize)]
pub struct PayloadTemplate;

impl PartialSchema for PayloadTemplate {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .description(Some(
                "Any JSON value whose strings are templates; `null` sends the default payload \
                 `{automation: {name}, scheduled_for, event}`.",
            ))
            .into()
    }
}

impl ToSchema for PayloadTemplate {}

/// What makes an automation run, by `kind`.
#[derive(Serialize, ToSchema)]
#[schema(as = Trigger)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TriggerSchema {
    /// A 5-field cron (minute, hour, day of month, month, day of week; ranges, lists, steps
    /// and names such as MON and JAN) evaluated in an IANA zone, with the Open Cron Pattern
    /// Specification's daylight-saving rules: a fixed time in a spring-forward gap runs once at
    /// the first valid minute after it, a fixed time in a fall-back repeat runs once at its
    /// first occurrence, and wildcard or stepped minutes and hours skip what does not exist and
    /// run in both passes of a repeated hour.
    Schedule {
        #[schema(min_length = 1, max_length = 100, example = "0 9 * * MON")]
        cron: String,
        /// An IANA time zone name.
        #[schema(example = "America/New_York")]
        timezone: String,
    },
    /// Every so many minutes of elapsed time, whatever the time zone.
    Rate {
        #[schema(minimum = 1, maximum = 10080)]
        every_minutes: u32,
    },
    /// Once for each new event of the tenant of this type whose properties hold each of
    /// `property_equals`.
    Event {
        #[schema(
            min_length = 1,
            max_length = 64,
            pattern = "^[a-z][a-z0-9_.:-]{0,63}$",
            example = "user.signup"
        )]
        event_type: String,
        /// At most 10 keys of 1-128 characters; `{}` when absent.
        property_equals: Option<std::collections::BTreeMap<String, Scalar>>,
    },
}

/// What an automation does when it runs, by `kind`. Templates may use `{{event.type}}`,
/// `{{event.id}}`, `{{event.properties.<key>}}`, `{{now}}`, `{{scheduled_for}}` and
/// `{{automation.name}}`; any other placeholder is refused when the automation is created. A
/// placeholder with no value at run time renders empty.
#[derive(Serialize, ToSchema)]
#[schema(as = Action)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionSchema {
    /// Creates a post scheduled for now on the channel, linked by `automation_id`.
    PublishPost {
        /// An active channel of the caller's tenant.
        #[schema(pattern = "^[0-7][0-9A-HJKMNP-TV-Z]{25}$")]
        channel_id: String,
        #[schema(min_length = 1, max_length = 5000)]
        content_template: String,
    },
    /// Delivers `{type: "automation.webhook", timestamp, data}` to the channel, signed and
    /// retried as posts are.
    Webhook {
        /// An active channel of the caller's tenant.
        #[schema(pattern = "^[0-7][0-9A-HJKMNP-TV-Z]{25}$")]
        channel_id: String,
        /// Optional; `null` or absent sends the default payload.
        #[schema(required = false)]
        payload_template: PayloadTemplate,
    },
}

/// `POST /v1/automations` body. Unknown fields are rejected.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAutomationBody {
    /// Not all whitespace, no control characters.
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// `true` when absent.
    enabled: Option<bool>,
    trigger: TriggerSchema,
    action: ActionSchema,
    /// `latest` when absent.
    #[schema(inline)]
    catchup: Option<Catchup>,
}

/// `PATCH /v1/automations/{id}` body: each field present is changed; `null` counts as absent.
/// Unknown fields are rejected.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomationPatchBody {
    #[schema(min_length = 1, max_length = 100)]
    name: Option<String>,
    /// `false` pauses; `true` resumes a paused automation from now (what it missed while
    /// paused is not caught up) and clears `disabled_reason` and `consecutive_failures`.
    enabled: Option<bool>,
    /// A new trigger restarts `next_run_at` from now.
    trigger: Option<TriggerSchema>,
    action: Option<ActionSchema>,
    #[schema(inline)]
    catchup: Option<Catchup>,
}

/// `POST /v1/automations/preview` body. Unknown fields are rejected.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    /// A `schedule` or `rate` trigger; an `event` trigger has no instants to show (400).
    trigger: TriggerSchema,
    /// 10 when absent.
    #[schema(minimum = 1, maximum = 50)]
    count: Option<u32>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AutomationIdParam {
    /// The automation id.
    id: String,
}

#[utoipa::path(post, path = "/v1/automations", tag = "automations", request_body = NewAutomationBody,
    params(IdempotencyHeader),
    responses(
        (status = 201, description = "Created; `next_run_at` is set for an enabled `schedule` or `rate` trigger", body = Automation,
            headers(("Location" = String, description = "/v1/automations/{id}"))),
        (status = 400, description = "Invalid body or Idempotency-Key (`errors` names each bad field by its dotted path, such as `trigger.cron`), or `action.channel_id` names no active channel of this tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Same Idempotency-Key still in progress", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
        TenantRouteErrors,
    ))]
pub fn create_automation() {}

#[utoipa::path(post, path = "/v1/automations/preview", tag = "automations", request_body = PreviewBody,
    responses(
        (status = 200, description = "The next instants after now in UTC, with the wall time and UTC offset in the trigger's zone (UTC for rates): exactly the instants the dispatcher fires", body = Preview),
        (status = 400, description = "Invalid body; `errors` names each bad field", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        TenantRouteErrors,
    ))]
pub fn preview_automation() {}

#[utoipa::path(get, path = "/v1/automations", tag = "automations", params(PageParams),
    responses(
        (status = 200, description = "A page of automations, oldest first", body = Page<Automation>),
        (status = 400, description = "Invalid parameter or cursor", body = Problem, content_type = "application/problem+json"),
        TenantRouteErrors,
    ))]
pub fn list_automations() {}

#[utoipa::path(get, path = "/v1/automations/{id}", tag = "automations", params(AutomationIdParam),
    responses(
        (status = 200, description = "The automation", body = Automation),
        AutomationNotFound,
        TenantRouteErrors,
    ))]
pub fn get_automation() {}

#[utoipa::path(patch, path = "/v1/automations/{id}", tag = "automations", request_body = AutomationPatchBody,
    params(AutomationIdParam),
    responses(
        (status = 200, description = "The automation as changed, with `next_run_at` recomputed", body = Automation),
        (status = 400, description = "Invalid body (`errors` names each bad field), or `action.channel_id` names no active channel of this tenant", body = Problem, content_type = "application/problem+json"),
        AutomationNotFound,
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        TenantRouteErrors,
    ))]
pub fn update_automation() {}

#[utoipa::path(delete, path = "/v1/automations/{id}", tag = "automations", params(AutomationIdParam),
    responses(
        (status = 204, description = "Deleted; its runs are no longer listed and expire with their 90-day TTL"),
        AutomationNotFound,
        TenantRouteErrors,
    ))]
pub fn delete_automation() {}

#[utoipa::path(post, path = "/v1/automations/{id}/run", tag = "automations", params(AutomationIdParam, IdempotencyHeader),
    responses(
        (status = 202, description = "A manual run is queued, also while the automation is paused; it is listed among the runs once it has finished", body = RunAccepted),
        (status = 400, description = "Invalid Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        AutomationNotFound,
        (status = 409, description = "Same Idempotency-Key still in progress", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Idempotency-Key reused with another request", body = Problem, content_type = "application/problem+json"),
        TenantRouteErrors,
    ))]
pub fn run_automation() {}

#[utoipa::path(get, path = "/v1/automations/{id}/runs", tag = "automations", params(AutomationIdParam, PageParams),
    responses(
        (status = 200, description = "A page of finished runs (`succeeded`, `failed`, `skipped`), newest first; a run whose action is in flight is listed once it ends. Runs expire 90 days after they were recorded", body = Page<crate::domain::Run>),
        (status = 400, description = "Invalid parameter or cursor", body = Problem, content_type = "application/problem+json"),
        AutomationNotFound,
        TenantRouteErrors,
    ))]
pub fn list_runs() {}
