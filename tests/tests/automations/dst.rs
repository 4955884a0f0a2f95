//! Daylight saving, as the Open Cron Pattern Specification and API.md state it: the dispatcher
//! is driven through both 2026 transitions and fires exactly the instants listed here, which are
//! worked out by hand from the zones' rules; preview answers the same rules for the instants
//! ahead of now.

use ofauto_tests::fixtures::Tenant;
use serde_json::json;

use super::{
    at, create, fired, post_action, rfc3339, schedule, sink_channel, stage_next_run, str_of, tick,
};

/// Creates the automation, stages its next run at `from`, ticks 30 s after each instant of
/// `ticks`, and checks that what fired is exactly `expected`.
async fn drive(cron: &str, zone: &str, from: &str, ticks: &[&str], expected: &[&str]) {
    let _turn = super::time_travel().await;
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = sink_channel(&tenant).await;
    let automation = create(
        &editor,
        &json!({
            "name": format!("{cron} in {zone}"),
            "trigger": schedule(cron, zone),
            "action": post_action(&channel),
            "catchup": "all",
        }),
    )
    .await;
    let id = str_of(&automation, "id");
    stage_next_run(&tenant, id, from).await;
    for instant in ticks {
        tick(&rfc3339(at(instant) + chrono::TimeDelta::seconds(30))).await;
    }
    let runs = super::wait_for_runs_or_timeout(&editor, id, expected.len()).await;
    // Cleaned up before the verdict, so that a failure here cannot spill into the next test.
    super::forget(&editor, &[id.to_owned()]).await;
    let expected: Vec<String> = expected.iter().map(|e| rfc3339(at(e))).collect();
    assert_eq!(
        fired(&runs, "succeeded"),
        expected,
        "{cron} in {zone}: {runs:#?}"
    );
    assert_eq!(runs.len(), expected.len(), "nothing else ran: {runs:#?}");
    for run in &runs {
        assert_eq!(run["trigger"], "schedule", "{run}");
        assert!(
            run["post_id"].is_string(),
            "a publish_post run links its post: {run}"
        );
    }
}

#[tokio::test]
async fn nine_in_new_york_is_13z_in_summer_and_14z_in_winter_across_spring_forward() {
    super::quiet();
    let instants = [
        "2026-03-07T14:00:00Z",
        "2026-03-08T13:00:00Z",
        "2026-03-09T13:00:00Z",
    ];
    drive(
        "0 9 * * *",
        "America/New_York",
        instants[0],
        &instants,
        &instants,
    )
    .await;
}

#[tokio::test]
async fn nine_in_new_york_across_fall_back() {
    super::quiet();
    let instants = [
        "2026-10-31T13:00:00Z",
        "2026-11-01T14:00:00Z",
        "2026-11-02T14:00:00Z",
    ];
    drive(
        "0 9 * * *",
        "America/New_York",
        instants[0],
        &instants,
        &instants,
    )
    .await;
}

/// 02:30 does not exist on 2026-03-08 in New York: it runs once, at 03:00 EDT (07:00Z).
#[tokio::test]
async fn a_fixed_time_in_the_spring_gap_runs_once_at_the_first_minute_after_it() {
    super::quiet();
    let instants = [
        "2026-03-07T07:30:00Z",
        "2026-03-08T07:00:00Z",
        "2026-03-09T06:30:00Z",
    ];
    drive(
        "30 2 * * *",
        "America/New_York",
        instants[0],
        &instants,
        &instants,
    )
    .await;
}

/// On 2026-11-01 New York repeats 01:00–01:59; 02:30 happens once (07:30Z), and 01:30 runs at
/// its first pass only (05:30Z, not 06:30Z).
#[tokio::test]
async fn a_fixed_time_in_the_repeated_hour_runs_once_at_its_first_pass() {
    super::quiet();
    let once = [
        "2026-10-31T06:30:00Z",
        "2026-11-01T07:30:00Z",
        "2026-11-02T07:30:00Z",
    ];
    drive("30 2 * * *", "America/New_York", once[0], &once, &once).await;
    drive(
        "30 1 * * *",
        "America/New_York",
        "2026-10-31T05:30:00Z",
        &[
            "2026-10-31T05:30:00Z",
            "2026-11-01T05:30:00Z",
            "2026-11-01T06:30:00Z",
            "2026-11-02T06:30:00Z",
        ],
        &[
            "2026-10-31T05:30:00Z",
            "2026-11-01T05:30:00Z",
            "2026-11-02T06:30:00Z",
        ],
    )
    .await;
}

/// Stepped minutes run in both passes of the repeated hour.
#[tokio::test]
async fn every_thirty_minutes_runs_in_both_passes_of_the_repeated_hour() {
    super::quiet();
    let instants = [
        "2026-11-01T04:30:00Z",
        "2026-11-01T05:00:00Z",
        "2026-11-01T05:30:00Z",
        "2026-11-01T06:00:00Z",
        "2026-11-01T06:30:00Z",
        "2026-11-01T07:00:00Z",
    ];
    drive(
        "*/30 * * * *",
        "America/New_York",
        instants[0],
        &instants,
        &instants,
    )
    .await;
}

/// Lord Howe Island shifts by 30 minutes: 02:00 → 02:30 on 2026-10-04 (+10:30 → +11:00), and
/// 02:00 → 01:30 on 2026-04-05.
#[tokio::test]
async fn lord_howes_half_hour_shift_in_both_directions() {
    super::quiet();
    drive(
        "15 2 * * *",
        "Australia/Lord_Howe",
        "2026-10-02T15:45:00Z",
        &[
            "2026-10-02T15:45:00Z",
            "2026-10-03T15:30:00Z",
            "2026-10-04T15:15:00Z",
        ],
        &[
            "2026-10-02T15:45:00Z",
            "2026-10-03T15:30:00Z",
            "2026-10-04T15:15:00Z",
        ],
    )
    .await;
    drive(
        "45 1 * * *",
        "Australia/Lord_Howe",
        "2026-04-03T14:45:00Z",
        &[
            "2026-04-03T14:45:00Z",
            "2026-04-04T14:45:00Z",
            "2026-04-04T15:15:00Z",
            "2026-04-05T15:15:00Z",
        ],
        &[
            "2026-04-03T14:45:00Z",
            "2026-04-04T14:45:00Z",
            "2026-04-05T15:15:00Z",
        ],
    )
    .await;
}

/// Havana springs forward at midnight (00:00 → 01:00 on 2026-03-08): a midnight job runs once
/// that day, at 01:00 CDT.
#[tokio::test]
async fn a_gap_at_midnight_runs_the_midnight_job_the_same_day() {
    super::quiet();
    let instants = [
        "2026-03-07T05:00:00Z",
        "2026-03-08T05:00:00Z",
        "2026-03-09T04:00:00Z",
    ];
    drive(
        "0 0 * * *",
        "America/Havana",
        instants[0],
        &instants,
        &instants,
    )
    .await;
}

/// Preview shows the same rules ahead of now: `0 9 * * *` in New York in December is 14:00Z at
/// -05:00, with the wall time 09:00; a rate is plain UTC.
#[tokio::test]
async fn preview_shows_wall_time_and_offset() {
    super::quiet();
    let viewer = Tenant::new().bulk("viewer");
    let preview = viewer
        .post_json(
            "/v1/automations/preview",
            &json!({"trigger": schedule("0 9 * * *", "America/New_York"), "count": 5}),
        )
        .await
        .ok_json(200);
    let runs = preview["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 5, "{preview}");
    let mut last = chrono::Utc::now();
    for run in runs {
        let instant = at(str_of(run, "at"));
        assert!(instant > last, "strictly increasing: {preview}");
        last = instant;
        let local = str_of(run, "local");
        assert!(local.contains("T09:00:00"), "{run}");
        let offset = str_of(run, "offset");
        let shift = if offset == "-05:00" { 14 } else { 13 };
        assert!(offset == "-05:00" || offset == "-04:00", "{run}");
        assert_eq!(
            instant.format("%H:%M").to_string(),
            format!("{shift}:00"),
            "{run}"
        );
    }
    let rate = viewer
        .post_json(
            "/v1/automations/preview",
            &json!({"trigger": {"kind": "rate", "every_minutes": 90}}),
        )
        .await
        .ok_json(200);
    let runs = rate["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 10, "count defaults to 10: {rate}");
    for pair in runs.windows(2) {
        let gap = at(str_of(&pair[1], "at")) - at(str_of(&pair[0], "at"));
        assert_eq!(gap.num_minutes(), 90, "{rate}");
        assert_eq!(pair[0]["offset"], "+00:00");
    }
}
