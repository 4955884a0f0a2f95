use std::time::{Duration, SystemTime};

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use shared::domain::Timestamp;
use shared::{Dispatcher, TickSummary};

/// What a tick keeps of its invocation's time for the claims in flight, the last sends and the
/// events, once it stops starting claims: one SDK call's worst case in the background functions
/// (`aws::background_sdk_config`, 20 s) and a margin.
const WIND_DOWN: Duration = Duration::from_secs(25);

/// One tick at the scheduled event's `time`, so that a replayed or test-driven event acts at
/// the instant it names. A tick that could do nothing at all fails the invocation: Lambda
/// retries it, then parks it on the DLQ, whose alarm says the schedule is stuck. Anything less
/// is in the summary, and the next tick picks up what this one left.
pub async fn handle(
    event: EventBridgeEvent,
    deadline: SystemTime,
    dispatcher: &Dispatcher,
) -> Result<TickSummary, lambda_runtime::Error> {
    let now = tick_time(&event);
    Ok(dispatcher
        .tick(now, budget(deadline, SystemTime::now()))
        .await?)
}

/// The time left before `deadline`, less the wind-down; at least a second, so that a tick
/// always tries something.
fn budget(deadline: SystemTime, now: SystemTime) -> Duration {
    deadline
        .duration_since(now)
        .unwrap_or_default()
        .saturating_sub(WIND_DOWN)
        .max(Duration::from_secs(1))
}

fn tick_time(event: &EventBridgeEvent) -> Timestamp {
    match event.time {
        Some(time) => Timestamp::from_datetime(time),
        None => {
            tracing::warn!("scheduled event without a time; ticking at the clock");
            Timestamp::now()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tick_is_at_the_events_time() {
        let event: EventBridgeEvent =
            serde_json::from_str(include_str!("../../../events/scheduled-event.json")).unwrap();
        assert_eq!(tick_time(&event).to_rfc3339(), "2025-11-20T10:16:00.000Z");
    }

    #[test]
    fn the_budget_leaves_time_to_wind_down() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(
            budget(now + Duration::from_secs(50), now),
            Duration::from_secs(25)
        );
        assert_eq!(
            budget(now + Duration::from_secs(3), now),
            Duration::from_secs(1)
        );
        assert_eq!(
            budget(now, now + Duration::from_secs(1)),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn without_a_time_it_ticks_at_the_clock() {
        let mut event: EventBridgeEvent =
            serde_json::from_str(include_str!("../../../events/scheduled-event.json")).unwrap();
        event.time = None;
        let before = Timestamp::now();
        assert!(tick_time(&event) >= before);
    }
}
