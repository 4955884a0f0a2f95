use lambda_http::http::StatusCode;
use lambda_http::Request;
use shared::domain::{Permission, Preview, PreviewRequest, Timestamp};
use shared::http::{body_bytes, json, HttpResult, RequestParts};
use shared::JsonObject;

/// A read: it stores nothing, so a viewer may preview.
pub fn handle(request: Request) -> HttpResult {
    request.caller(Permission::Read)?;
    let preview = PreviewRequest::parse(JsonObject::parse(body_bytes(&request))?)?;
    Ok(json(
        StatusCode::OK,
        &Preview {
            runs: preview.runs(Timestamp::now()),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::request;
    use shared::ApiError;

    fn body_of(resp: lambda_http::Response<lambda_http::Body>) -> serde_json::Value {
        serde_json::from_slice(resp.body().as_ref()).unwrap()
    }

    #[test]
    fn a_viewer_previews_the_next_instants_in_the_zone() {
        let req = request(
            "POST",
            Some("t1"),
            "[viewer]",
            r#"{"trigger":{"kind":"schedule","cron":"0 9 * * *","timezone":"America/New_York"},"count":3}"#,
        );
        let resp = handle(req).unwrap();
        assert_eq!(resp.status(), 200);
        let runs = body_of(resp)["runs"].as_array().unwrap().clone();
        assert_eq!(runs.len(), 3);
        for run in &runs {
            assert!(
                run["local"].as_str().unwrap().ends_with("T09:00:00"),
                "{run}"
            );
            assert!(["-04:00", "-05:00"].contains(&run["offset"].as_str().unwrap()));
        }
        let rate = request(
            "POST",
            Some("t1"),
            "[viewer]",
            r#"{"trigger":{"kind":"rate","every_minutes":5}}"#,
        );
        assert_eq!(
            body_of(handle(rate).unwrap())["runs"]
                .as_array()
                .unwrap()
                .len(),
            10
        );
    }

    #[test]
    fn tenantless_tokens_are_403_and_bad_bodies_400_naming_the_field() {
        let req = request(
            "POST",
            None,
            "[viewer]",
            r#"{"trigger":{"kind":"rate","every_minutes":5}}"#,
        );
        assert_eq!(handle(req).unwrap_err().status(), 403);
        for (body, field) in [
            (r#"{}"#, "trigger"),
            (
                r#"{"trigger":{"kind":"rate","every_minutes":5},"count":0}"#,
                "count",
            ),
            (
                r#"{"trigger":{"kind":"rate","every_minutes":5},"count":51}"#,
                "count",
            ),
            (
                r#"{"trigger":{"kind":"event","event_type":"a.b"}}"#,
                "trigger.kind",
            ),
            (
                r#"{"trigger":{"kind":"schedule","cron":"* * *","timezone":"UTC"}}"#,
                "trigger.cron",
            ),
            (
                r#"{"trigger":{"kind":"rate","every_minutes":5},"x":1}"#,
                "x",
            ),
        ] {
            match handle(request("POST", Some("t1"), "[viewer]", body)).unwrap_err() {
                ApiError::Validation(errors) => {
                    assert!(
                        errors.iter().any(|e| e.field == field),
                        "{field}: {errors:?}"
                    )
                }
                other => panic!("{body}: {other:?}"),
            }
        }
    }
}
