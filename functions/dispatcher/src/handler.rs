use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use shared::domain::Timestamp;
use shared::{Dispatcher, TickSummary};

/// One tick at the scheduled event's `time`, so that a replayed or test-driven event acts at
/// the instant it names. A tick that could do nothing at all fails the invocation: Lambda
/// retries it, then parks it on the DLQ, whose alarm says the schedule is stuck. Anything less
/// is in the summary, and the next tick picks up what this one left.
pub async fn handle(
    event: EventBridgeEvent,
    dispatcher: &Dispatcher,
) -> Result<TickSummary, lambda_runtime::Error> {
    let now = tick_time(&event);
    Ok(dispatcher.tick(now).await?)
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
    fn without_a_time_it_ticks_at_the_clock() {
        let mut event: EventBridgeEvent =
            serde_json::from_str(include_str!("../../../events/scheduled-event.json")).unwrap();
        event.time = None;
        let before = Timestamp::now();
        assert!(tick_time(&event) >= before);
    }
}
