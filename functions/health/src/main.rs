//! `GET /health`: a deep check that proves the function can reach its table.

mod handler;

use shared::config::Config;
use shared::edge::Edge;
use shared::{aws, http, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init()?;
    let config = Config::from_env()?;
    let sdk = aws::sdk_config().await;
    let dynamodb = aws::dynamodb(&sdk);
    let table = config.table_name;
    let edge = Edge::public(config.environment)?;
    http::serve(edge, |_request| handler::handle(&dynamodb, &table)).await
}
