//! The cold-init baseline: the smallest `lambda_runtime` function there is, built with the same
//! crate versions and profile as the real functions, so that the ratio shows only what our own
//! initialisation (configuration, SDK clients, tracing) costs.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
