//! A webhook channel: where posts go. Its URL rules live with the sender (`crate::webhook::url`),
//! since the same policy guards both ends; this module parses the bodies of the channel routes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ids::ChannelId;
use super::list::Limit;
use super::time::Timestamp;
use crate::error::{ApiError, FieldError};
use crate::json_body::{FieldErrors, JsonObject};
use crate::webhook::url::{UrlPolicy, WebhookUrl};

pub const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChannelStatus {
    Active,
    Disabled,
}

/// Why the deliverer disabled a channel; a tenant re-enables it with `PATCH {status: "active"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DisabledReason {
    /// The receiver answered 410.
    Gone,
    /// Every delivery failed for `Config::channel_failing_after`.
    Failing,
}

impl DisabledReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DisabledReason::Gone => "gone",
            DisabledReason::Failing => "failing",
        }
    }
}

/// The only kind there is, for now; the field exists so that others can be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    Webhook,
}

/// 1–100 characters, not all whitespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ChannelName(String);

impl ChannelName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS || raw.trim().is_empty() {
            return Err(format!("must be 1-{MAX_NAME_CHARS} characters"));
        }
        if raw.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A channel in its wire shape (API.md "Channels").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Channel {
    #[schema(value_type = String, example = "01JD0000000000000000000000")]
    pub id: ChannelId,
    #[schema(value_type = String, min_length = 1, max_length = 100)]
    pub name: ChannelName,
    pub kind: ChannelKind,
    /// https; plain http to loopback only on the local stack.
    #[schema(value_type = String, format = "uri", max_length = 2048)]
    pub url: WebhookUrl,
    pub status: ChannelStatus,
    #[schema(required = true)]
    pub disabled_reason: Option<DisabledReason>,
    /// When the current run of failed deliveries began; cleared by one delivered message.
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub failing_since: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl Channel {
    pub fn create(new: NewChannel, now: Timestamp) -> Self {
        Self {
            id: ChannelId::generate(),
            name: new.name,
            kind: ChannelKind::Webhook,
            url: new.url,
            status: ChannelStatus::Active,
            disabled_reason: None,
            failing_since: None,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn is_active(&self) -> bool {
        self.status == ChannelStatus::Active
    }
}

/// A validated `POST /v1/channels` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChannel {
    pub name: ChannelName,
    pub url: WebhookUrl,
}

impl NewChannel {
    /// Async because, on AWS, the URL's host name is resolved and every address checked.
    pub async fn parse(mut body: JsonObject, policy: UrlPolicy) -> Result<Self, ApiError> {
        let mut errors = FieldErrors::default();
        let name = match body.take("name") {
            None => errors.check::<ChannelName>("name", Err("is required".into())),
            Some(value) => errors.check("name", string(value).and_then(|s| ChannelName::parse(&s))),
        };
        match body.take("kind") {
            None => errors.check::<()>("kind", Err("is required".into())),
            Some(Value::String(kind)) if kind == "webhook" => Some(()),
            Some(_) => errors.check::<()>("kind", Err("must be \"webhook\"".into())),
        };
        let url = match body.take("url") {
            None => errors.check::<WebhookUrl>("url", Err("is required".into())),
            Some(value) => match string(value) {
                Ok(raw) => errors.check("url", WebhookUrl::parse(&raw, policy).await),
                Err(e) => errors.check::<WebhookUrl>("url", Err(e)),
            },
        };
        body.finish(errors.into_vec())?;
        match (name, url) {
            (Some(name), Some(url)) => Ok(Self { name, url }),
            _ => Err(ApiError::Internal("field errors were lost".into())),
        }
    }
}

/// A validated `PATCH /v1/channels/{id}` body. `status` can only be set to `active`: disabling
/// is the deliverer's verdict, not a tenant's choice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChannelPatch {
    pub name: Option<ChannelName>,
    pub url: Option<WebhookUrl>,
    /// `true` when the body asks to re-enable the channel.
    pub reactivate: bool,
}

impl ChannelPatch {
    pub async fn parse(mut body: JsonObject, policy: UrlPolicy) -> Result<Self, ApiError> {
        let mut errors = FieldErrors::default();
        let name = match body.take("name") {
            None => Some(None),
            Some(value) => errors.check(
                "name",
                string(value).and_then(|s| ChannelName::parse(&s).map(Some)),
            ),
        };
        let url = match body.take("url") {
            None => Some(None),
            Some(value) => match string(value) {
                Ok(raw) => errors.check("url", WebhookUrl::parse(&raw, policy).await.map(Some)),
                Err(e) => errors.check::<Option<WebhookUrl>>("url", Err(e)),
            },
        };
        let reactivate = match body.take("status") {
            None => Some(false),
            Some(Value::String(status)) if status == "active" => Some(true),
            Some(_) => errors.check::<bool>("status", Err("may only be set to \"active\"".into())),
        };
        body.finish(errors.into_vec())?;
        match (name, url, reactivate) {
            (Some(name), Some(url), Some(reactivate)) => Ok(Self {
                name,
                url,
                reactivate,
            }),
            _ => Err(ApiError::Internal("field errors were lost".into())),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.url.is_none() && !self.reactivate
    }
}

fn string(value: Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s),
        _ => Err("must be a string".into()),
    }
}

/// `GET /v1/channels` after parsing: a page size and a raw cursor, verified against the tenant.
#[derive(Debug, Clone)]
pub struct ChannelListQuery {
    pub limit: Limit,
    pub cursor: Option<String>,
}

impl ChannelListQuery {
    pub fn parse(param: impl Fn(&str) -> Option<String>) -> Result<Self, ApiError> {
        let limit = Limit::parse(param("limit").as_deref())
            .map_err(|message| ApiError::Validation(vec![FieldError::new("limit", message)]))?;
        let cursor = param("cursor");
        if cursor.as_deref() == Some("") {
            return Err(ApiError::InvalidCursor);
        }
        Ok(Self { limit, cursor })
    }

    /// A channels cursor is bound to this list only (it has no filters).
    pub fn fingerprint(&self) -> String {
        "channels".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn create(body: &str, policy: UrlPolicy) -> Result<NewChannel, ApiError> {
        NewChannel::parse(JsonObject::parse(body.as_bytes()).unwrap(), policy).await
    }

    async fn patch(body: &str) -> Result<ChannelPatch, ApiError> {
        ChannelPatch::parse(
            JsonObject::parse(body.as_bytes()).unwrap(),
            UrlPolicy::Local,
        )
        .await
    }

    fn fields(err: ApiError) -> Vec<String> {
        match err {
            ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_valid_body_makes_an_active_webhook_channel() {
        let new = create(
            r#"{"name":"Main","kind":"webhook","url":"http://127.0.0.1:9000/h"}"#,
            UrlPolicy::Local,
        )
        .await
        .unwrap();
        let now = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        let channel = Channel::create(new, now);
        let json = serde_json::to_value(&channel).unwrap();
        assert_eq!(json["kind"], "webhook");
        assert_eq!(json["status"], "active");
        assert_eq!(json["url"], "http://127.0.0.1:9000/h");
        assert_eq!(json["disabled_reason"], Value::Null);
        assert_eq!(json["failing_since"], Value::Null);
        assert_eq!(json["created_at"], "2026-01-01T00:00:00.000Z");
        let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "created_at",
                "disabled_reason",
                "failing_since",
                "id",
                "kind",
                "name",
                "status",
                "updated_at",
                "url"
            ]
        );
    }

    #[tokio::test]
    async fn every_bad_field_is_named() {
        let err = create(
            r#"{"name":"","kind":"email","url":"ftp://x","extra":1}"#,
            UrlPolicy::Aws,
        )
        .await
        .unwrap_err();
        assert_eq!(fields(err), ["name", "kind", "url", "extra"]);
        let err = create("{}", UrlPolicy::Aws).await.unwrap_err();
        assert_eq!(fields(err), ["name", "kind", "url"]);
        let err = create(r#"{"name":1,"kind":true,"url":[]}"#, UrlPolicy::Aws)
            .await
            .unwrap_err();
        assert_eq!(fields(err), ["name", "kind", "url"]);
    }

    #[tokio::test]
    async fn name_length_counts_characters() {
        let ok = format!(
            r#"{{"name":"{}","kind":"webhook","url":"https://127.0.0.1/"}}"#,
            "é".repeat(100)
        );
        assert!(create(&ok, UrlPolicy::Local).await.is_ok());
        let long = format!(
            r#"{{"name":"{}","kind":"webhook","url":"https://127.0.0.1/"}}"#,
            "é".repeat(101)
        );
        assert_eq!(
            fields(create(&long, UrlPolicy::Local).await.unwrap_err()),
            ["name"]
        );
        assert!(ChannelName::parse("   ").is_err());
        assert!(ChannelName::parse("a\u{0}b").is_err());
    }

    #[tokio::test]
    async fn on_aws_a_loopback_url_is_a_url_error() {
        let err = create(
            r#"{"name":"n","kind":"webhook","url":"http://127.0.0.1:9000/h"}"#,
            UrlPolicy::Aws,
        )
        .await
        .unwrap_err();
        assert_eq!(fields(err), ["url"]);
        let err = create(
            r#"{"name":"n","kind":"webhook","url":"https://169.254.169.254/"}"#,
            UrlPolicy::Aws,
        )
        .await
        .unwrap_err();
        assert_eq!(fields(err), ["url"]);
    }

    #[tokio::test]
    async fn patch_takes_name_url_and_status_active_only() {
        let p = patch(r#"{"name":"New","url":"http://localhost:1/x","status":"active"}"#)
            .await
            .unwrap();
        assert_eq!(p.name.unwrap().as_str(), "New");
        assert_eq!(p.url.unwrap().as_str(), "http://localhost:1/x");
        assert!(p.reactivate);
        assert!(patch("{}").await.unwrap().is_empty());
        // null counts as absent
        assert!(patch(r#"{"name":null}"#).await.unwrap().is_empty());
        let err = patch(r#"{"status":"disabled","kind":"webhook","url":"http://10.0.0.1/"}"#)
            .await
            .unwrap_err();
        assert_eq!(fields(err), ["url", "status", "kind"]);
        let err = patch(r#"{"name":""}"#).await.unwrap_err();
        assert_eq!(fields(err), ["name"]);
    }

    #[test]
    fn list_query_limits_and_cursor() {
        assert_eq!(ChannelListQuery::parse(|_| None).unwrap().limit.get(), 25);
        let bad = ChannelListQuery::parse(|k| (k == "limit").then(|| "101".to_string()));
        assert_eq!(bad.unwrap_err().status(), 400);
        let empty = ChannelListQuery::parse(|k| (k == "cursor").then(String::new));
        assert!(matches!(empty.unwrap_err(), ApiError::InvalidCursor));
    }
}
