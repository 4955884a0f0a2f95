//! `GET /health`: a deep check that proves the function can reach its table.

mod handler;

use shared::Edge;
use shared::{aws, http, wiring};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let config = wiring::start()?;
    let sdk = aws::sdk_config().await;
    let dynamodb = aws::dynamodb(&sdk);
    let edge = Edge::public_route(&config);
    let table = config.table_name;
    http::serve(edge, |_request| handler::handle(&dynamodb, &table)).await
}
