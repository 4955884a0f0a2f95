//! SQS messages in the JSON shape Lambda's event source mapping delivers, and the consumer's
//! partial-batch answer (`ReportBatchItemFailures`).

use aws_sdk_sqs::types::{Message, MessageAttributeValue};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// `{"Records": [...]}` for one batch received from the queue `queue_arn`.
pub fn batch_event(messages: &[Message], queue_arn: &str) -> Value {
    json!({ "Records": messages.iter().map(|m| record(m, queue_arn)).collect::<Vec<_>>() })
}

pub fn record(m: &Message, queue_arn: &str) -> Value {
    let attributes: Map<String, Value> = m
        .attributes
        .iter()
        .flatten()
        .map(|(k, v)| (k.as_str().to_string(), json!(v)))
        .collect();
    let message_attributes: Map<String, Value> = m
        .message_attributes
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), message_attribute(v)))
        .collect();
    json!({
        "messageId": m.message_id.clone().unwrap_or_default(),
        "receiptHandle": m.receipt_handle.clone().unwrap_or_default(),
        "body": m.body.clone().unwrap_or_default(),
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": m.md5_of_body.clone().unwrap_or_default(),
        "md5OfMessageAttributes": m.md5_of_message_attributes,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": crate::function_env::REGION,
    })
}

/// Lambda's camel-cased message attribute, binary values in base64.
fn message_attribute(v: &MessageAttributeValue) -> Value {
    json!({
        "stringValue": v.string_value,
        "binaryValue": v.binary_value.as_ref().map(|b| STANDARD.encode(b.as_ref())),
        "stringListValues": v.string_list_values.clone().unwrap_or_default(),
        "binaryListValues": v
            .binary_list_values
            .iter()
            .flatten()
            .map(|b| STANDARD.encode(b.as_ref()))
            .collect::<Vec<_>>(),
        "dataType": v.data_type,
    })
}

/// What the consumer's answer means for the batch.
#[derive(Debug, PartialEq, Eq)]
pub enum BatchResult {
    /// Every message is done: delete them all.
    Complete,
    /// These message ids failed: they stay on the queue, the others are deleted.
    Partial(BTreeSet<String>),
    /// The answer is unusable: the whole batch failed and nothing is deleted.
    Failed(String),
}

/// Reads `{"batchItemFailures": [{"itemIdentifier": "<messageId>"}]}` with Lambda's documented
/// rules: an empty or null answer or list completes the batch; invalid JSON, or an identifier that
/// is missing, empty, not a string or names no message of the batch, fails the whole batch.
pub fn batch_result(response: &[u8], message_ids: &[&str]) -> BatchResult {
    if response.iter().all(u8::is_ascii_whitespace) {
        return BatchResult::Complete;
    }
    let value: Value = match serde_json::from_slice(response) {
        Ok(v) => v,
        Err(e) => return BatchResult::Failed(format!("the response is not JSON: {e}")),
    };
    let failures = match value.get("batchItemFailures") {
        None | Some(Value::Null) => return BatchResult::Complete,
        Some(Value::Array(list)) => list,
        Some(other) => {
            return BatchResult::Failed(format!("batchItemFailures is not a list: {other}"))
        }
    };
    let mut failed = BTreeSet::new();
    for f in failures {
        match f.get("itemIdentifier").and_then(Value::as_str) {
            Some(id) if message_ids.contains(&id) => {
                failed.insert(id.to_string());
            }
            _ => {
                return BatchResult::Failed(format!(
                    "batch item failure {f} names no message of the batch"
                ))
            }
        }
    }
    if failed.is_empty() {
        BatchResult::Complete
    } else {
        BatchResult::Partial(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sqs::types::MessageSystemAttributeName as Attr;
    use aws_smithy_types::Blob;

    fn message(id: &str) -> Message {
        Message::builder()
            .message_id(id)
            .receipt_handle(format!("rh-{id}"))
            .body(r#"{"kind":"post"}"#)
            .md5_of_body("0123abcd")
            .attributes(Attr::ApproximateReceiveCount, "2")
            .attributes(Attr::SentTimestamp, "1700000000000")
            .attributes(Attr::ApproximateFirstReceiveTimestamp, "1700000000500")
            .attributes(Attr::SenderId, "AIDA")
            .message_attributes(
                "trace",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("x")
                    .build()
                    .unwrap(),
            )
            .message_attributes(
                "bin",
                MessageAttributeValue::builder()
                    .data_type("Binary")
                    .binary_value(Blob::new(b"hi".to_vec()))
                    .build()
                    .unwrap(),
            )
            .build()
    }

    #[test]
    fn converts_a_message_to_lambda_json() {
        let v = record(
            &message("m1"),
            "arn:aws:sqs:us-east-1:123456789012:ofauto-delivery",
        );
        assert_eq!(v["messageId"], "m1");
        assert_eq!(v["receiptHandle"], "rh-m1");
        assert_eq!(v["body"], r#"{"kind":"post"}"#);
        assert_eq!(v["md5OfBody"], "0123abcd");
        assert_eq!(v["eventSource"], "aws:sqs");
        assert_eq!(
            v["eventSourceARN"],
            "arn:aws:sqs:us-east-1:123456789012:ofauto-delivery"
        );
        assert_eq!(v["awsRegion"], "us-east-1");
        assert_eq!(v["attributes"]["ApproximateReceiveCount"], "2");
        assert_eq!(v["attributes"]["SentTimestamp"], "1700000000000");
        assert_eq!(
            v["attributes"]["ApproximateFirstReceiveTimestamp"],
            "1700000000500"
        );
        assert_eq!(v["messageAttributes"]["trace"]["stringValue"], "x");
        assert_eq!(v["messageAttributes"]["trace"]["dataType"], "String");
        assert_eq!(v["messageAttributes"]["bin"]["binaryValue"], "aGk=");
    }

    #[test]
    fn the_batch_deserialises_as_aws_lambda_events_reads_it() {
        let batch = batch_event(&[message("m1"), message("m2")], "arn:q");
        let parsed: aws_lambda_events::sqs::SqsEvent = serde_json::from_value(batch).unwrap();
        assert_eq!(parsed.records.len(), 2);
        let r = &parsed.records[1];
        assert_eq!(r.message_id.as_deref(), Some("m2"));
        assert_eq!(r.receipt_handle.as_deref(), Some("rh-m2"));
        assert_eq!(r.event_source.as_deref(), Some("aws:sqs"));
        assert_eq!(r.event_source_arn.as_deref(), Some("arn:q"));
        assert_eq!(
            r.attributes
                .get("ApproximateReceiveCount")
                .map(String::as_str),
            Some("2")
        );
        assert_eq!(
            r.message_attributes["trace"].string_value.as_deref(),
            Some("x")
        );
    }

    #[test]
    fn reads_partial_batch_failures_as_lambda_does() {
        let ids = ["a", "b", "c"];
        for complete in [
            &b""[..],
            b"null",
            b"{}",
            br#"{"batchItemFailures":null}"#,
            br#"{"batchItemFailures":[]}"#,
        ] {
            assert_eq!(batch_result(complete, &ids), BatchResult::Complete);
        }
        assert_eq!(
            batch_result(
                br#"{"batchItemFailures":[{"itemIdentifier":"c"},{"itemIdentifier":"a"}]}"#,
                &ids
            ),
            BatchResult::Partial(["a".to_string(), "c".to_string()].into())
        );
        for failed in [
            &b"not json"[..],
            br#"{"batchItemFailures":"a"}"#,
            br#"{"batchItemFailures":[{"itemIdentifier":"z"}]}"#,
            br#"{"batchItemFailures":[{"itemIdentifier":""}]}"#,
            br#"{"batchItemFailures":[{"itemIdentifier":null}]}"#,
            br#"{"batchItemFailures":[{"id":"a"}]}"#,
        ] {
            assert!(
                matches!(batch_result(failed, &ids), BatchResult::Failed(_)),
                "{}",
                String::from_utf8_lossy(failed)
            );
        }
    }
}
