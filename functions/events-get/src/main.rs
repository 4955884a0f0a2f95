//! `GET /v1/events/{id}`: one event of the caller's tenant.

mod handler;

use shared::config::Config;
use shared::edge::Edge;
use shared::repo::events::EventsRepository;
use shared::{aws, http, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init()?;
    let config = Config::from_env()?;
    let sdk = aws::sdk_config().await;
    let edge = Edge::tenant(&config, &sdk)?;
    let events = EventsRepository::new(aws::dynamodb(&sdk), config.table_name);
    http::serve(edge, |request| handler::handle(request, &events)).await
}
