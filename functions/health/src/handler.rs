use aws_sdk_dynamodb::types::TableStatus;
use lambda_http::http::{HeaderValue, StatusCode};
use shared::domain::{Health, HealthChecks};
use shared::http::{json, HttpResult};

pub async fn handle(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> HttpResult {
    let reachable = match dynamodb.describe_table().table_name(table).send().await {
        Ok(out) => out
            .table
            .and_then(|t| t.table_status)
            .is_some_and(|s| matches!(s, TableStatus::Active | TableStatus::Updating)),
        Err(err) => {
            tracing::error!(error = %shared::aws::display_sdk_error(&err), "dynamodb health check failed");
            false
        }
    };
    Ok(report(reachable))
}

fn report(dynamodb_ok: bool) -> lambda_http::Response<lambda_http::Body> {
    let health = Health {
        status: if dynamodb_ok { "ok" } else { "unavailable" },
        version: env!("CARGO_PKG_VERSION"),
        checks: HealthChecks {
            dynamodb: if dynamodb_ok { "ok" } else { "unavailable" },
        },
    };
    if dynamodb_ok {
        json(StatusCode::OK, &health)
    } else {
        let mut response = json(StatusCode::SERVICE_UNAVAILABLE, &health);
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from_static("5"));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::unreachable_dynamodb;

    #[tokio::test]
    async fn unreachable_dynamodb_is_503_naming_the_check() {
        let response = handle(&unreachable_dynamodb(), "ofauto").await.unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "5");
        let lambda_http::Body::Text(body) = response.body() else {
            panic!("expected a text body");
        };
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["checks"]["dynamodb"], "unavailable");
    }
}
