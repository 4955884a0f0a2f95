//! Validated domain types. Each constructor is the only way to obtain a value, so a value's
//! existence proves it passed validation ("parse, don't validate").

pub(crate) mod analytics;
pub(crate) mod automation;
pub(crate) mod channel;
pub(crate) mod event;
pub(crate) mod health;
pub(crate) mod ids;
pub(crate) mod list;
pub(crate) mod post;
pub(crate) mod tenant;
pub(crate) mod time;

pub use analytics::{format_bucket, AnalyticsQuery, AnalyticsReport};
pub use automation::{
    plan_catchup, resolve_fixed, Action, Automation, AutomationDisabledReason, AutomationId,
    AutomationListQuery, AutomationName, AutomationPatch, Catchup, CatchupPlan, CronExpr,
    EventTrigger, EveryMinutes, NewAutomation, PayloadTemplate, Preview, PreviewRequest,
    PreviewRun, PublishPostAction, RateTrigger, Run, RunAccepted, RunId, RunStatus, RunTrigger,
    ScheduleTrigger, SkipReason, Template, TemplateContext, TemplateEvent, Trigger, WebhookAction,
    Zone, CATCHUP_WINDOW, MAX_CONSECUTIVE_FAILURES, MAX_CRON_CHARS, MAX_EVERY_MINUTES,
    MIN_EVERY_MINUTES, ON_TIME_GRACE, RATE_ANCHOR, RUN_TTL,
};
pub use channel::{
    Channel, ChannelKind, ChannelListQuery, ChannelName, ChannelPatch, ChannelStatus,
    DisabledReason, NewChannel,
};
pub use event::{Event, NewEvent};
pub use health::{Health, HealthChecks};
pub use ids::{ChannelId, EventId, PostId, WebhookId};
pub use list::{EventListQuery, Page};
pub use post::{
    Attempt, AttemptListQuery, MediaUrl, MediaUrls, NewPost, Post, PostConflict, PostContent,
    PostListQuery, PostPatch, PostPosition, PostStatus, ScheduleChange,
};
pub use tenant::{Permission, TenantId};
pub use time::Timestamp;
// The URL and secret types live with the sender, whose policy they share.
pub use crate::webhook::{SigningSecret, UrlPolicy, WebhookUrl};
