//! What the tests do to the stack as an operator would with the AWS CLI, through the stack's
//! loopback control listener and moto: fire the schedule at a chosen instant, crash a function,
//! and read the domain events the custom bus delivered (the stack drains the bus's SQS target).

use std::time::Duration;

use serde_json::{json, Value};

use crate::stack::stack;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("building an HTTP client")
}

/// The "Scheduled Event" EventBridge sends the dispatcher's rule target, with `time` as given
/// (RFC 3339): the dispatcher takes "now" from it, so a test drives the schedule to any instant.
pub fn scheduled_event(time: &str) -> Value {
    json!({
        "version": "0",
        "id": ulid::Ulid::new().to_string(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time,
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/dispatcher-schedule"],
        "detail": {}
    })
}

/// Invokes `function` synchronously with `event`: its response, or the status (502 when the
/// invocation failed, 404 for an unknown function) and the error text.
pub async fn invoke(function: &str, event: &Value) -> Result<Value, (u16, String)> {
    let url = format!("{}/invoke/{function}", stack().endpoints.control);
    let response = client()
        .post(&url)
        .json(event)
        .send()
        .await
        .map_err(|e| (0, format!("POST {url}: {e}")))?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    if status != 200 {
        return Err((status, text));
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// One dispatcher tick at `time` (RFC 3339); its response. Panics if the invocation failed.
pub async fn tick_at(time: &str) -> Value {
    invoke("dispatcher", &scheduled_event(time))
        .await
        .unwrap_or_else(|(status, e)| panic!("dispatcher tick at {time} failed ({status}): {e}"))
}

/// `n` dispatcher invocations racing on the same tick, as duplicate or overlapping rule firings
/// would; their responses. Panics if any failed.
pub async fn ticks_at(time: &str, n: usize) -> Vec<Value> {
    futures::future::join_all((0..n).map(|_| tick_at(time))).await
}

/// SIGKILLs every running process of `function`, mid-invocation or idle; how many.
pub async fn kill(function: &str) -> usize {
    let url = format!("{}/kill/{function}", stack().endpoints.control);
    let response = client()
        .post(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "POST {url}: {status} {text}");
    let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    answer["killed"]
        .as_u64()
        .unwrap_or_else(|| panic!("POST {url}: unexpected answer {text}")) as usize
}

/// Every domain event this test binary has read from the stack's tap so far, and the tap's
/// number of the last one: each call fetches only what is new.
static DOMAIN_EVENTS: tokio::sync::Mutex<(Vec<Value>, u64)> =
    tokio::sync::Mutex::const_new((Vec::new(), 0));

/// Every event that reached the custom bus's `ofauto` rule since the stack started, as
/// EventBridge delivered it to the rule's SQS target (`detail-type`, `source`, `detail`, ...),
/// oldest first. The stack drains that queue itself (a queue left to grow slows moto down) and
/// serves what it read on its control listener.
pub async fn domain_events() -> Vec<Value> {
    let mut seen = DOMAIN_EVENTS.lock().await;
    let url = format!(
        "{}/domain-events?after={}",
        stack().endpoints.control,
        seen.1
    );
    let response = client()
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "GET {url}: {status} {text}");
    let answer: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {url}: {e}: {text}"));
    assert_eq!(
        answer["dropped"], 0,
        "the stack's tap dropped domain events this binary had not read yet: {url}"
    );
    let events = answer["events"].as_array().cloned().unwrap_or_default();
    seen.0.extend(events);
    seen.1 = answer["last"].as_u64().unwrap_or(seen.1);
    seen.0.clone()
}

/// One delivery-queue message as the deliverer's SQS event source hands it over: for a test
/// that hands the deliverer a copy of a message, as SQS does when it delivers one twice.
pub fn sqs_event(message: &shared::DeliveryMessage) -> Value {
    json!({"Records": [{
        "messageId": format!("copy-{}", ulid::Ulid::new()),
        "receiptHandle": "copy",
        "body": serde_json::to_string(message).expect("a message serialises"),
        "attributes": {"ApproximateReceiveCount": "2"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:ofauto-delivery",
        "awsRegion": "us-east-1",
    }]})
}

/// Everything the stack's tap of the bus holds now, and how many it dropped, without this
/// binary's bookkeeping (which fails on any drop): for a test that floods the bus.
pub async fn domain_events_kept() -> (Vec<Value>, u64) {
    let url = format!("{}/domain-events?after=0", stack().endpoints.control);
    let answer: Value = client()
        .get(&url)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let events = answer["events"].as_array().cloned().unwrap_or_default();
    (events, answer["dropped"].as_u64().unwrap_or(0))
}
