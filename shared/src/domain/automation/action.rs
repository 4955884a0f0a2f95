//! What an automation does when it runs.

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::object::{check, Object};
use super::template::{Template, TemplateContext};
use crate::domain::event::{MAX_PROPERTIES_BYTES, MAX_PROPERTIES_DEPTH};
use crate::domain::ids::ChannelId;
use crate::domain::post::{PostContent, MAX_CONTENT_CHARS};
use crate::error::FieldError;

/// `{kind: "publish_post", channel_id, content_template}`: a post scheduled for the run's time,
/// through the same path as `POST /v1/posts`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishPostAction {
    pub channel_id: ChannelId,
    pub content_template: Template,
}

impl PublishPostAction {
    /// The post's content. The template's own length is checked at create time (1–5000
    /// characters), but values can make the rendering empty or too long; that run fails with
    /// this message rather than post something cut short.
    pub fn render_content(&self, ctx: &TemplateContext<'_>) -> Result<PostContent, String> {
        let rendered = self.content_template.render(ctx);
        PostContent::parse(&rendered).map_err(|why| format!("the rendered content {why}"))
    }
}

/// `{kind: "webhook", channel_id, payload_template?}`: delivered to the channel as
/// `{type: "automation.webhook", timestamp, data}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookAction {
    pub channel_id: ChannelId,
    /// `null` on the wire when absent.
    pub payload_template: Option<PayloadTemplate>,
}

impl WebhookAction {
    /// The delivery's `data`: the rendered template, or by default
    /// `{automation: {name}, scheduled_for, event: {id, type, properties} | null}`.
    pub fn render_data(&self, ctx: &TemplateContext<'_>) -> Value {
        match &self.payload_template {
            Some(template) => template.render(ctx),
            None => json!({
                "automation": { "name": ctx.automation_name },
                "scheduled_for": ctx.scheduled_for,
                "event": ctx.event.map(|e| json!({
                    "id": e.id,
                    "type": e.event_type,
                    "properties": e.properties,
                })),
            }),
        }
    }
}

/// A JSON value whose string values (at any depth; not object keys) are templates. JSON rather
/// than one string so that the body is always valid JSON: a property holding a quote or a
/// brace is substituted inside a JSON string and cannot change the payload's structure. The
/// same size (16 KiB serialised) and depth (5) limits as event properties apply.
#[derive(Debug, Clone, PartialEq)]
pub struct PayloadTemplate {
    source: Value,
    shape: Shape,
}

#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Template(Template),
    Array(Vec<Shape>),
    Object(Vec<(String, Shape)>),
    Literal(Value),
}

impl PayloadTemplate {
    /// Each bad string is named by its path under `path`: `action.payload_template.text`,
    /// `action.payload_template.items[0]`.
    pub fn parse(value: Value, path: &str) -> Result<Self, Vec<FieldError>> {
        let size = serde_json::to_vec(&value).map_or(usize::MAX, |v| v.len());
        if size > MAX_PROPERTIES_BYTES {
            return Err(vec![FieldError::new(
                path,
                format!("must be at most {MAX_PROPERTIES_BYTES} bytes when serialised"),
            )]);
        }
        if depth(&value) > MAX_PROPERTIES_DEPTH {
            return Err(vec![FieldError::new(
                path,
                format!("must be nested at most {MAX_PROPERTIES_DEPTH} deep"),
            )]);
        }
        let mut errors = Vec::new();
        let shape = shape_of(&value, path, &mut errors);
        if errors.is_empty() {
            Ok(Self {
                source: value,
                shape,
            })
        } else {
            Err(errors)
        }
    }

    pub fn render(&self, ctx: &TemplateContext<'_>) -> Value {
        render_shape(&self.shape, ctx)
    }
}

impl Serialize for PayloadTemplate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.source.serialize(s)
    }
}

fn depth(value: &Value) -> usize {
    match value {
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn shape_of(value: &Value, path: &str, errors: &mut Vec<FieldError>) -> Shape {
    match value {
        Value::String(raw) => match Template::parse(raw) {
            Ok(t) => Shape::Template(t),
            Err(message) => {
                errors.push(FieldError::new(path, message));
                Shape::Literal(Value::Null)
            }
        },
        Value::Array(items) => Shape::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| shape_of(v, &format!("{path}[{i}]"), errors))
                .collect(),
        ),
        Value::Object(map) => Shape::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), shape_of(v, &format!("{path}.{k}"), errors)))
                .collect(),
        ),
        other => Shape::Literal(other.clone()),
    }
}

fn render_shape(shape: &Shape, ctx: &TemplateContext<'_>) -> Value {
    match shape {
        Shape::Template(t) => Value::String(t.render(ctx)),
        Shape::Array(items) => Value::Array(items.iter().map(|s| render_shape(s, ctx)).collect()),
        Shape::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, s)| (k.clone(), render_shape(s, ctx)))
                .collect::<Map<_, _>>(),
        ),
        Shape::Literal(v) => v.clone(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    PublishPost(PublishPostAction),
    Webhook(WebhookAction),
}

impl Action {
    pub fn channel_id(&self) -> ChannelId {
        match self {
            Action::PublishPost(a) => a.channel_id,
            Action::Webhook(a) => a.channel_id,
        }
    }

    /// Parses the JSON at `path` (`action`); every error is named under that path.
    pub fn parse(value: Value, path: &str) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        match parse_action(value, path, &mut errors) {
            Some(action) if errors.is_empty() => Ok(action),
            _ => Err(errors),
        }
    }

    /// Reads back what this type wrote to storage (its own `Serialize` form).
    pub fn from_stored(value: Value) -> Result<Self, String> {
        Self::parse(value, "action").map_err(|errors| format!("{errors:?}"))
    }
}

fn parse_action(value: Value, path: &str, errors: &mut Vec<FieldError>) -> Option<Action> {
    let mut obj = Object::new(value, path, errors)?;
    let kind_path = obj.path_of("kind");
    let kind = obj.take_str("kind", errors)?;
    if kind != "publish_post" && kind != "webhook" {
        errors.push(FieldError::new(
            kind_path,
            "must be one of publish_post, webhook",
        ));
        return None;
    }
    let channel_id = obj.take_str("channel_id", errors).and_then(|raw| {
        check(
            errors,
            obj.path_of("channel_id"),
            ChannelId::parse(&raw).ok_or_else(|| "is not a channel id".to_owned()),
        )
    });
    let action = if kind == "publish_post" {
        let field = obj.path_of("content_template");
        let template = obj.take_str("content_template", errors).and_then(|raw| {
            let chars = raw.chars().count();
            let result = if chars == 0 || chars > MAX_CONTENT_CHARS {
                Err(format!("must be 1-{MAX_CONTENT_CHARS} characters"))
            } else {
                Template::parse(&raw)
            };
            check(errors, field, result)
        });
        channel_id
            .zip(template)
            .map(|(channel_id, content_template)| {
                Action::PublishPost(PublishPostAction {
                    channel_id,
                    content_template,
                })
            })
    } else {
        let payload = match obj.take("payload_template") {
            None => Some(None),
            Some(v) => match PayloadTemplate::parse(v, &obj.path_of("payload_template")) {
                Ok(t) => Some(Some(t)),
                Err(mut e) => {
                    errors.append(&mut e);
                    None
                }
            },
        };
        channel_id
            .zip(payload)
            .map(|(channel_id, payload_template)| {
                Action::Webhook(WebhookAction {
                    channel_id,
                    payload_template,
                })
            })
    };
    obj.finish(errors);
    action
}
