//! Load test: a realistic mix of writes and reads from one tenant against the local stack.
//!
//! Safety rails: the target must be a loopback address, and the run is bounded both in time and
//! in requests, whatever flags are given, so the test always stops by itself.

use goose::prelude::*;

/// A hard stop, whatever goose was told on the command line.
const WATCHDOG: std::time::Duration = std::time::Duration::from_secs(90);
const USERS: usize = 8;
/// Each iteration is one request, so a run makes at most USERS × ITERATIONS requests.
const ITERATIONS_PER_USER: usize = 100;

async fn create_event(user: &mut GooseUser) -> TransactionResult {
    let body = serde_json::json!({
        "type": "load.test",
        "source": "goose",
        "properties": {"user": user.weighted_users_index}
    });
    let request = user
        .get_request_builder(&GooseMethod::Post, "/v1/events")?
        .header("authorization", bearer())
        .json(&body);
    user.request(GooseRequest::builder().set_request_builder(request).build())
        .await?;
    Ok(())
}

async fn list_events(user: &mut GooseUser) -> TransactionResult {
    let request = user
        .get_request_builder(&GooseMethod::Get, "/v1/events?limit=25")?
        .header("authorization", bearer());
    user.request(GooseRequest::builder().set_request_builder(request).build())
        .await?;
    Ok(())
}

async fn analytics(user: &mut GooseUser) -> TransactionResult {
    let now = chrono::Utc::now();
    let format = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let path = format!(
        "/v1/analytics/events?granularity=hour&from={}&to={}",
        format(now - chrono::TimeDelta::days(1)),
        format(now)
    );
    let request = user
        .get_request_builder(&GooseMethod::Get, &path)?
        .header("authorization", bearer());
    user.request(GooseRequest::builder().set_request_builder(request).build())
        .await?;
    Ok(())
}

fn bearer() -> String {
    format!("Bearer {}", std::env::var("OFAUTO_TOKEN").unwrap_or_default())
}

fn loopback_only(host: &str) -> Result<(), String> {
    let url = url::Url::parse(host).map_err(|e| format!("--host {host}: {e}"))?;
    match url.host() {
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => Ok(()),
        Some(url::Host::Ipv6(ip)) if ip.is_loopback() => Ok(()),
        Some(url::Host::Domain("localhost")) => Ok(()),
        _ => Err(format!("refusing to load-test {host}: only loopback targets are allowed")),
    }
}

#[tokio::main]
async fn main() -> Result<(), GooseError> {
    let host = std::env::var("OFAUTO_API").unwrap_or_else(|_| "http://127.0.0.1:3000".into());
    if let Err(why) = loopback_only(&host) {
        eprintln!("{why}");
        std::process::exit(2);
    }
    if std::env::var("OFAUTO_TOKEN").is_err() {
        eprintln!("set OFAUTO_TOKEN (make token TENANT=load ROLE=editor)");
        std::process::exit(2);
    }
    let attack = GooseAttack::initialize()?
        .register_scenario(
            scenario!("EventService")
                .register_transaction(transaction!(create_event).set_weight(3)?)
                .register_transaction(transaction!(list_events).set_weight(2)?)
                .register_transaction(transaction!(analytics).set_weight(1)?),
        )
        .set_default(GooseDefault::Host, host.as_str())?
        .set_default(GooseDefault::Users, USERS)?
        .set_default(GooseDefault::IncreaseRate, "8")?
        .set_default(GooseDefault::Iterations, ITERATIONS_PER_USER)?
        .execute();
    match tokio::time::timeout(WATCHDOG, attack).await {
        Ok(result) => result.map(|_| ()),
        Err(_) => {
            eprintln!("load test stopped by its {WATCHDOG:?} watchdog");
            std::process::exit(3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_loopback_targets() {
        assert!(loopback_only("http://127.0.0.1:3000").is_ok());
        assert!(loopback_only("http://localhost:3000").is_ok());
        assert!(loopback_only("http://10.0.0.1:3000").is_err());
        assert!(loopback_only("https://api.example.com").is_err());
    }
}
