//! Reads SQS queues on the stack's moto server, the way an operator would look at a DLQ.

use serde_json::{json, Value};

use crate::stack::stack;

/// The messages now visible on `function`'s dead-letter queue, as parsed JSON bodies. They are
/// peeked (visibility timeout 0), never deleted, so tests that share the queue all see them.
pub async fn dead_letters(function: &str) -> Vec<Value> {
    let endpoints = &stack().endpoints;
    let url = endpoints
        .dead_letter_queues
        .get(function)
        .unwrap_or_else(|| panic!("the stack announced no dead-letter queue for {function}"));
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("building an HTTP client");
    let mut letters = Vec::new();
    // SQS hands out at most 10 per call and samples its servers; a few calls see them all.
    for _ in 0..5 {
        let body = json!({
            "QueueUrl": url,
            "MaxNumberOfMessages": 10,
            "VisibilityTimeout": 0,
            "WaitTimeSeconds": 0,
        });
        let response = client
            .post(&endpoints.moto)
            .header("x-amz-target", "AmazonSQS.ReceiveMessage")
            .header("content-type", "application/x-amz-json-1.0")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/sqs/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-target, Signature=00",
            )
            .body(body.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("ReceiveMessage on {url}: {e}"));
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "ReceiveMessage failed: {status} {text}"
        );
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        for message in answer["Messages"].as_array().into_iter().flatten() {
            let parsed = message["Body"]
                .as_str()
                .and_then(|b| serde_json::from_str::<Value>(b).ok())
                .unwrap_or(Value::Null);
            if !letters.contains(&parsed) {
                letters.push(parsed);
            }
        }
    }
    letters
}
