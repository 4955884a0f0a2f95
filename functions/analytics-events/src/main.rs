//! `GET /v1/analytics/events`: counts per hour or day, read from pre-aggregated counters.

mod handler;

use shared::config::Config;
use shared::edge::Edge;
use shared::repo::counters::CountersRepository;
use shared::{aws, http, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init()?;
    let config = Config::from_env()?;
    let sdk = aws::sdk_config().await;
    let edge = Edge::tenant(&config, &sdk)?;
    let counters = CountersRepository::new(aws::dynamodb(&sdk), config.table_name);
    http::serve(edge, |request| handler::handle(request, &counters)).await
}
