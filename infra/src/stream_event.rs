//! DynamoDB stream records in the JSON shape Lambda's event source mapping delivers, and the
//! consumer's partial-batch answer.

use aws_sdk_dynamodbstreams::types::{AttributeValue, Record};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// `{"Records": [...]}` for one batch.
pub fn batch_event(records: &[Record], stream_arn: &str) -> Value {
    json!({ "Records": records.iter().map(|r| record(r, stream_arn)).collect::<Vec<_>>() })
}

pub fn record(r: &Record, stream_arn: &str) -> Value {
    let mut ddb = Map::new();
    if let Some(s) = &r.dynamodb {
        if let Some(t) = s.approximate_creation_date_time {
            // Lambda sends whole epoch seconds as a JSON number.
            ddb.insert("ApproximateCreationDateTime".into(), json!(t.secs()));
        }
        for (key, image) in [
            ("Keys", &s.keys),
            ("NewImage", &s.new_image),
            ("OldImage", &s.old_image),
        ] {
            if let Some(image) = image {
                ddb.insert(key.into(), item(image));
            }
        }
        if let Some(seq) = &s.sequence_number {
            ddb.insert("SequenceNumber".into(), json!(seq));
        }
        if let Some(size) = s.size_bytes {
            ddb.insert("SizeBytes".into(), json!(size));
        }
        if let Some(view) = &s.stream_view_type {
            ddb.insert("StreamViewType".into(), json!(view.as_str()));
        }
    }
    let mut out = json!({
        "eventID": r.event_id.clone().unwrap_or_default(),
        "eventName": r.event_name.as_ref().map(|n| n.as_str()).unwrap_or_default(),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": crate::function_env::REGION,
        "dynamodb": ddb,
        "eventSourceARN": stream_arn,
    });
    // TTL deletions carry the service as their identity; consumers use it to tell them apart.
    if let Some(id) = &r.user_identity {
        out["userIdentity"] = json!({
            "type": id.r#type.clone().unwrap_or_default(),
            "principalId": id.principal_id.clone().unwrap_or_default(),
        });
    }
    out
}

pub fn item(image: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        image
            .iter()
            .map(|(k, v)| (k.clone(), attribute(v)))
            .collect(),
    )
}

/// One attribute in DynamoDB JSON (`{"S": "x"}`, `{"N": "1"}`, ...), binary as base64.
pub fn attribute(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": STANDARD.encode(b.as_ref()) }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(b) => json!({ "NULL": b }),
        AttributeValue::Ss(v) => json!({ "SS": v }),
        AttributeValue::Ns(v) => json!({ "NS": v }),
        AttributeValue::Bs(v) => {
            json!({ "BS": v.iter().map(|b| STANDARD.encode(b.as_ref())).collect::<Vec<_>>() })
        }
        AttributeValue::L(v) => json!({ "L": v.iter().map(attribute).collect::<Vec<_>>() }),
        AttributeValue::M(m) => json!({ "M": item(m) }),
        _ => json!({ "NULL": true }),
    }
}

/// What the consumer's answer means for the batch (ReportBatchItemFailures semantics).
#[derive(Debug, PartialEq, Eq)]
pub enum BatchResult {
    /// Every record is done.
    Complete,
    /// Records before this index are done; redeliver from it.
    RetryFrom(usize),
}

/// Reads `{"batchItemFailures": [{"itemIdentifier": "<seq>"}]}`. The checkpoint is the earliest
/// failed record; an identifier that names no record in the batch fails the whole batch, as on
/// Lambda. Any other answer (including `null`) completes the batch.
pub fn batch_result(response: &[u8], sequence_numbers: &[&str]) -> BatchResult {
    let Ok(value) = serde_json::from_slice::<Value>(response) else {
        return BatchResult::Complete;
    };
    let Some(failures) = value.get("batchItemFailures").and_then(Value::as_array) else {
        return BatchResult::Complete;
    };
    let mut earliest: Option<usize> = None;
    for f in failures {
        let index = f
            .get("itemIdentifier")
            .and_then(Value::as_str)
            .and_then(|id| sequence_numbers.iter().position(|s| *s == id));
        let Some(index) = index else {
            return BatchResult::RetryFrom(0);
        };
        earliest = Some(earliest.map_or(index, |e| e.min(index)));
    }
    earliest.map_or(BatchResult::Complete, BatchResult::RetryFrom)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodbstreams::types::{Identity, OperationType, StreamRecord, StreamViewType};
    use aws_smithy_types::{Blob, DateTime};

    fn sample() -> Record {
        let keys = HashMap::from([
            ("pk".to_string(), AttributeValue::S("T#1".into())),
            ("sk".to_string(), AttributeValue::S("E#1".into())),
        ]);
        let mut new_image = keys.clone();
        new_image.insert("n".into(), AttributeValue::N("1.5".into()));
        new_image.insert("b".into(), AttributeValue::B(Blob::new(b"hi".to_vec())));
        new_image.insert("ok".into(), AttributeValue::Bool(true));
        new_image.insert("nil".into(), AttributeValue::Null(true));
        new_image.insert("ss".into(), AttributeValue::Ss(vec!["a".into()]));
        new_image.insert("ns".into(), AttributeValue::Ns(vec!["1".into()]));
        new_image.insert(
            "l".into(),
            AttributeValue::L(vec![AttributeValue::S("x".into())]),
        );
        new_image.insert(
            "m".into(),
            AttributeValue::M(HashMap::from([(
                "k".to_string(),
                AttributeValue::N("2".into()),
            )])),
        );
        Record::builder()
            .event_id("e1")
            .event_name(OperationType::Insert)
            .event_version("1.1")
            .event_source("aws:dynamodb")
            .aws_region("ddblocal")
            .dynamodb(
                StreamRecord::builder()
                    .approximate_creation_date_time(DateTime::from_secs(1_700_000_000))
                    .set_keys(Some(keys))
                    .set_new_image(Some(new_image))
                    .sequence_number("000001")
                    .size_bytes(42)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build(),
            )
            .build()
    }

    #[test]
    fn converts_a_record_to_lambda_json() {
        let v = record(&sample(), "arn:stream");
        assert_eq!(v["eventID"], "e1");
        assert_eq!(v["eventName"], "INSERT");
        assert_eq!(v["eventVersion"], "1.1");
        assert_eq!(v["eventSource"], "aws:dynamodb");
        assert_eq!(v["awsRegion"], "us-east-1");
        assert_eq!(v["eventSourceARN"], "arn:stream");
        let d = &v["dynamodb"];
        assert_eq!(d["ApproximateCreationDateTime"], 1_700_000_000);
        assert_eq!(d["Keys"]["pk"], json!({"S": "T#1"}));
        assert_eq!(d["NewImage"]["n"], json!({"N": "1.5"}));
        assert_eq!(d["NewImage"]["b"], json!({"B": "aGk="}));
        assert_eq!(d["NewImage"]["ok"], json!({"BOOL": true}));
        assert_eq!(d["NewImage"]["nil"], json!({"NULL": true}));
        assert_eq!(d["NewImage"]["ss"], json!({"SS": ["a"]}));
        assert_eq!(d["NewImage"]["ns"], json!({"NS": ["1"]}));
        assert_eq!(d["NewImage"]["l"], json!({"L": [{"S": "x"}]}));
        assert_eq!(d["NewImage"]["m"], json!({"M": {"k": {"N": "2"}}}));
        assert!(d.get("OldImage").is_none());
        assert_eq!(d["SequenceNumber"], "000001");
        assert_eq!(d["SizeBytes"], 42);
        assert_eq!(d["StreamViewType"], "NEW_AND_OLD_IMAGES");
        assert!(v.get("userIdentity").is_none());
    }

    #[test]
    fn the_batch_deserialises_as_aws_lambda_events_reads_it() {
        let ttl = Record::builder()
            .event_name(OperationType::Remove)
            .user_identity(
                Identity::builder()
                    .r#type("Service")
                    .principal_id("dynamodb.amazonaws.com")
                    .build(),
            )
            .dynamodb(
                StreamRecord::builder()
                    .sequence_number("2")
                    .size_bytes(1)
                    .build(),
            )
            .build();
        let batch = batch_event(&[sample(), ttl], "arn:stream");
        assert_eq!(batch["Records"][1]["userIdentity"]["type"], "Service");
        let parsed: aws_lambda_events::dynamodb::Event = serde_json::from_value(batch).unwrap();
        assert_eq!(parsed.records.len(), 2);
        assert_eq!(parsed.records[0].event_name, "INSERT");
        assert_eq!(
            parsed.records[0]
                .change
                .approximate_creation_date_time
                .timestamp(),
            1_700_000_000
        );
        assert_eq!(parsed.records[0].change.size_bytes, 42);
        assert_eq!(parsed.records[1].event_name, "REMOVE");
    }

    #[test]
    fn reads_partial_batch_failures() {
        let seqs = ["1", "2", "3"];
        assert_eq!(batch_result(b"null", &seqs), BatchResult::Complete);
        assert_eq!(batch_result(b"{}", &seqs), BatchResult::Complete);
        assert_eq!(
            batch_result(br#"{"batchItemFailures":[]}"#, &seqs),
            BatchResult::Complete
        );
        assert_eq!(
            batch_result(
                br#"{"batchItemFailures":[{"itemIdentifier":"3"},{"itemIdentifier":"2"}]}"#,
                &seqs
            ),
            BatchResult::RetryFrom(1)
        );
        assert_eq!(
            batch_result(br#"{"batchItemFailures":[{"itemIdentifier":"9"}]}"#, &seqs),
            BatchResult::RetryFrom(0)
        );
        assert_eq!(
            batch_result(br#"{"batchItemFailures":[{"itemIdentifier":null}]}"#, &seqs),
            BatchResult::RetryFrom(0)
        );
    }
}
