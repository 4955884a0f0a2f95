//! Listing events: order, pages, filters and cursors, over one tenant holding 250 events.
//!
//! The 250 events are created once for the whole binary (with bounded concurrency) and only read
//! afterwards, so every test here checks exact expected sets against the same data.

use std::collections::HashSet;
use std::sync::OnceLock;

use chrono::{DateTime, TimeDelta, Utc};
use futures::stream::{self, StreamExt};
use ofauto_tests::fixtures::{
    create_events, ids, list_all, list_page, list_pages, sort_newest_first, Tenant, NESTED_TYPES,
};
use ofauto_tests::time::{at, millis};
use serde_json::{json, Value};

const TOTAL: usize = 250;
const TYPES: [&str; 5] = ["page.view", "signup", "purchase", "page.view", "search"];

struct Fixture {
    tenant: Tenant,
    /// Every event as created, newest first (the order the API must list them in).
    newest_first: Vec<Value>,
}

fn base() -> DateTime<Utc> {
    at("2025-03-10T00:00:00Z")
}

/// Events come in pairs that share `occurred_at` (so ties are exercised), 11 minutes and a few
/// milliseconds apart, spanning about 23 hours.
fn occurred_at(i: usize) -> DateTime<Utc> {
    let pair = i as i64 / 2;
    base() + TimeDelta::minutes(11 * pair) + TimeDelta::milliseconds(pair % 7)
}

static FIXTURE: OnceLock<Result<Fixture, String>> = OnceLock::new();

fn fixture() -> &'static Fixture {
    let result = FIXTURE.get_or_init(|| {
        // Built on a runtime of its own: the data outlives the test that happened to ask first.
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime");
            runtime.block_on(async {
                let tenant = Tenant::new();
                let bodies: Vec<Value> = (0..TOTAL)
                    .map(|i| {
                        json!({
                            "type": TYPES[i % TYPES.len()],
                            "occurred_at": millis(occurred_at(i)),
                            "source": format!("seed-{}", i % 3),
                            "properties": {"i": i}
                        })
                    })
                    .collect();
                let mut newest_first = create_events(&tenant.editor(), &bodies).await;
                sort_newest_first(&mut newest_first);
                Fixture {
                    tenant,
                    newest_first,
                }
            })
        })
        .join()
        .map_err(|panic| {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            format!("seeding the pagination fixture failed: {why}")
        })
    });
    match result {
        Ok(fixture) => fixture,
        Err(why) => panic!("{why}"),
    }
}

fn expected(filter: impl Fn(&Value) -> bool) -> Vec<Value> {
    fixture()
        .newest_first
        .iter()
        .filter(|e| filter(e))
        .cloned()
        .collect()
}

fn occurred(e: &Value) -> DateTime<Utc> {
    at(e["occurred_at"].as_str().unwrap())
}

#[track_caller]
fn assert_same_list(actual: &[Value], expected: &[Value]) {
    let unique: HashSet<String> = ids(actual).into_iter().collect();
    assert_eq!(unique.len(), actual.len(), "the list repeats an event");
    assert_eq!(
        ids(actual),
        ids(expected),
        "ids, newest first ({} listed, {} expected)",
        actual.len(),
        expected.len()
    );
    assert_eq!(actual, expected, "the listed events equal the created ones");
}

#[tokio::test]
async fn walks_all_250_events_newest_first_without_gaps_or_duplicates() {
    let fixture = fixture();
    let api = fixture.tenant.viewer();
    let pages = list_pages(&api, &[], 25).await;
    assert_eq!(pages.len(), TOTAL / 25, "250 events in pages of 25");
    for (n, page) in pages.iter().enumerate() {
        assert_eq!(page.items.len(), 25, "page {n} is full");
        assert_eq!(page.next_cursor.is_none(), n == pages.len() - 1, "page {n}");
    }
    let all: Vec<Value> = pages.into_iter().flat_map(|p| p.items).collect();
    assert_same_list(&all, &fixture.newest_first);
}

#[tokio::test]
async fn seeded_events_read_back_by_id() {
    let fixture = fixture();
    let api = fixture.tenant.viewer();
    // Every fifth event (50 of them), 8 reads at a time.
    let sample: Vec<&Value> = fixture.newest_first.iter().step_by(5).collect();
    let read: Vec<Value> = stream::iter(&sample)
        .map(|event| {
            let path = format!("/v1/events/{}", event["id"].as_str().unwrap());
            let api = &api;
            async move { api.get(&path).await.ok_json(200) }
        })
        .buffered(8)
        .collect()
        .await;
    let sample: Vec<Value> = sample.into_iter().cloned().collect();
    assert_eq!(read, sample);
}

#[tokio::test]
async fn a_page_size_that_does_not_divide_the_total() {
    let fixture = fixture();
    let api = fixture.tenant.viewer();
    let pages = list_pages(&api, &[], 7).await;
    let sizes: Vec<usize> = pages.iter().map(|p| p.items.len()).collect();
    assert_eq!(sizes.len(), 36, "{sizes:?}");
    assert!(sizes[..35].iter().all(|&n| n == 7), "{sizes:?}");
    assert_eq!(sizes[35], 5);
    let all: Vec<Value> = pages.into_iter().flat_map(|p| p.items).collect();
    assert_same_list(&all, &fixture.newest_first);
}

#[tokio::test]
async fn limit_defaults_to_25_and_goes_up_to_100() {
    let fixture = fixture();
    let api = fixture.tenant.viewer();

    let page = list_page(&api, &[]).await;
    assert_eq!(page.items, fixture.newest_first[..25]);
    assert!(page.next_cursor.is_some());

    let page = list_page(&api, &[("limit", "1")]).await;
    assert_eq!(page.items, fixture.newest_first[..1]);
    assert!(page.next_cursor.is_some());

    let pages = list_pages(&api, &[], 100).await;
    let sizes: Vec<usize> = pages.iter().map(|p| p.items.len()).collect();
    assert_eq!(sizes, [100, 100, 50]);
}

#[tokio::test]
async fn the_limit_may_change_between_pages() {
    let fixture = fixture();
    let api = fixture.tenant.viewer();
    let first = list_page(&api, &[("limit", "10")]).await;
    let cursor = first.next_cursor.expect("more pages");
    let second = list_page(&api, &[("limit", "30"), ("cursor", &cursor)]).await;
    let mut both = first.items;
    both.extend(second.items);
    assert_same_list(&both, &fixture.newest_first[..40]);
}

#[tokio::test]
async fn type_filter_lists_exactly_that_type() {
    let fixture = fixture();
    let api = fixture.tenant.viewer();
    for ty in ["signup", "page.view", "search"] {
        let listed = list_all(&api, &[("type", ty)], 10).await;
        let wanted = expected(|e| e["type"] == ty);
        assert!(!wanted.is_empty());
        assert_same_list(&listed, &wanted);
    }
    let none = list_page(&api, &[("type", "never.seen")]).await;
    assert!(none.items.is_empty() && none.next_cursor.is_none());
}

#[tokio::test]
async fn from_and_to_are_inclusive() {
    let fixture = fixture();
    let api = fixture.tenant.viewer();
    // Bounds that fall exactly on a pair of events: both ends include them.
    let from = occurred_at(60);
    let to = occurred_at(181);

    let listed = list_all(&api, &[("from", &millis(from))], 25).await;
    assert_same_list(&listed, &expected(|e| occurred(e) >= from));
    assert!(ids(&listed).contains(&ids(&fixture.newest_first)[TOTAL - 1 - 60]));

    let listed = list_all(&api, &[("to", &millis(to))], 25).await;
    assert_same_list(&listed, &expected(|e| occurred(e) <= to));

    let listed = list_all(&api, &[("from", &millis(from)), ("to", &millis(to))], 25).await;
    let wanted = expected(|e| from <= occurred(e) && occurred(e) <= to);
    assert_eq!(wanted.len(), 122);
    assert_same_list(&listed, &wanted);

    // A single instant: from == to.
    let listed = list_all(&api, &[("from", &millis(to)), ("to", &millis(to))], 25).await;
    assert_eq!(listed.len(), 2, "the pair of events at {to}");
    assert_same_list(&listed, &expected(|e| occurred(e) == to));
}

#[tokio::test]
async fn filters_combine_and_accept_any_utc_offset() {
    let fixture = fixture();
    let api = fixture.tenant.viewer();
    // 05:00Z and 14:30Z, written in other offsets.
    let from = "2025-03-10T07:00:00+02:00";
    let to = "2025-03-10T09:30:00-05:00";
    let (from_utc, to_utc) = (at(from), at(to));
    let listed = list_all(
        &api,
        &[("type", "page.view"), ("from", from), ("to", to)],
        9,
    )
    .await;
    let wanted =
        expected(|e| e["type"] == "page.view" && from_utc <= occurred(e) && occurred(e) <= to_utc);
    assert!(wanted.len() > 9, "the window spans several pages");
    assert_same_list(&listed, &wanted);
}

#[tokio::test]
async fn a_window_between_events_is_empty() {
    let fixture = fixture();
    let api = fixture.tenant.viewer();
    let from = occurred_at(100) + TimeDelta::milliseconds(1);
    let to = occurred_at(102) - TimeDelta::milliseconds(1);
    let page = list_page(&api, &[("from", &millis(from)), ("to", &millis(to))]).await;
    assert!(
        page.items.is_empty() && page.next_cursor.is_none(),
        "{:?}",
        page.items
    );
    // And everything is after the last event, or before the first.
    let later = millis(occurred_at(TOTAL - 1) + TimeDelta::milliseconds(1));
    let page = list_page(&api, &[("from", &later)]).await;
    assert!(page.items.is_empty() && page.next_cursor.is_none());
    let earlier = millis(base() - TimeDelta::milliseconds(1));
    let page = list_page(&api, &[("to", &earlier)]).await;
    assert!(page.items.is_empty() && page.next_cursor.is_none());
}

#[tokio::test]
async fn a_cursor_only_works_with_the_query_it_came_from() {
    let fixture = fixture();
    let api = fixture.tenant.viewer();
    let from = millis(occurred_at(10));
    let other_from = millis(occurred_at(12));
    let to = millis(occurred_at(200));

    let typed = list_page(&api, &[("type", "signup"), ("limit", "5")]).await;
    let typed_cursor = typed.next_cursor.expect("more signups");
    for query in [
        vec![("type", "purchase")],
        vec![],
        vec![("type", "signup"), ("from", from.as_str())],
    ] {
        let mut query = query;
        query.push(("cursor", typed_cursor.as_str()));
        api.get_query("/v1/events", &query).await.invalid_cursor();
    }

    let windowed = list_page(&api, &[("from", &from), ("to", &to), ("limit", "5")]).await;
    let windowed_cursor = windowed.next_cursor.expect("more in the window");
    for query in [
        vec![("from", other_from.as_str()), ("to", to.as_str())],
        vec![("from", from.as_str())],
        vec![("to", to.as_str())],
        vec![
            ("from", from.as_str()),
            ("to", to.as_str()),
            ("type", "signup"),
        ],
    ] {
        let mut query = query;
        query.push(("cursor", windowed_cursor.as_str()));
        api.get_query("/v1/events", &query).await.invalid_cursor();
    }

    // With its own query, each cursor still leads to the right next page.
    let next = list_page(
        &api,
        &[
            ("type", "signup"),
            ("limit", "5"),
            ("cursor", &typed_cursor),
        ],
    )
    .await;
    assert_eq!(next.items, expected(|e| e["type"] == "signup")[5..10]);
    let next = list_page(
        &api,
        &[
            ("from", &from),
            ("to", &to),
            ("limit", "5"),
            ("cursor", &windowed_cursor),
        ],
    )
    .await;
    let window = expected(|e| at(&from) <= occurred(e) && occurred(e) <= at(&to));
    assert_eq!(next.items, window[5..10]);
}

/// Replaces the character at `index` with another valid base64url character.
fn flip_char(s: &str, index: usize) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    chars[index] = if chars[index] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

#[tokio::test]
async fn tampered_cursors_are_rejected() {
    let fixture = fixture();
    let api = fixture.tenant.viewer();
    let cursor = list_page(&api, &[("limit", "3")])
        .await
        .next_cursor
        .expect("more pages");
    let len = cursor.chars().count();
    let tampered = [
        flip_char(&cursor, 0),
        flip_char(&cursor, len / 2),
        flip_char(&cursor, len - 1),
        cursor[..cursor.len() - 2].to_owned(),
        format!("{cursor}AA"),
        format!("x{cursor}"),
        "not-a-cursor".to_owned(),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        "%%%".to_owned(),
    ];
    for bad in &tampered {
        assert_ne!(bad, &cursor);
        let resp = api
            .get_query("/v1/events", &[("limit", "3"), ("cursor", bad)])
            .await;
        resp.invalid_cursor();
        resp.assert_security_headers(true);
    }
    // The genuine cursor still works.
    let next = list_page(&api, &[("limit", "3"), ("cursor", &cursor)]).await;
    assert_eq!(next.items, fixture.newest_first[3..6]);
}

#[tokio::test]
async fn sub_millisecond_bounds_are_exact() {
    let fixture = fixture();
    let api = fixture.tenant.viewer();
    // The first pair happened at .000; a lower bound half a millisecond later excludes it.
    let first = occurred_at(0);
    let from =
        (first + TimeDelta::microseconds(500)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let listed = list_all(&api, &[("from", &from)], 100).await;
    assert_same_list(&listed, &expected(|e| occurred(e) > first));
    // The last pair happened at .xyz; an upper bound half a millisecond later includes it.
    let last = occurred_at(TOTAL - 1);
    let to =
        (last + TimeDelta::microseconds(500)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let listed = list_all(&api, &[("to", &to), ("from", &millis(last))], 100).await;
    assert_eq!(listed.len(), 2);
    assert_same_list(&listed, &expected(|e| occurred(e) == last));
}

#[tokio::test]
async fn ties_keep_one_order_across_pages_with_and_without_a_type_filter() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let at_once = "2025-04-04T04:04:04.044Z";
    let mut bodies = vec![json!({"type": "same", "occurred_at": at_once}); 20];
    bodies.extend(vec![json!({"type": "other", "occurred_at": at_once}); 7]);
    bodies.push(json!({"type": "same", "occurred_at": "2025-04-04T04:04:04.045Z"}));
    bodies.push(json!({"type": "same", "occurred_at": "2025-04-04T04:04:04.043Z"}));
    let mut all = create_events(&api, &bodies).await;
    sort_newest_first(&mut all);

    let listed = list_all(&api, &[], 3).await;
    assert_same_list(&listed, &all);
    let same: Vec<Value> = all
        .iter()
        .filter(|e| e["type"] == "same")
        .cloned()
        .collect();
    assert_eq!(same.len(), 22);
    let listed = list_all(&api, &[("type", "same")], 4).await;
    assert_same_list(&listed, &same);
    let listed = list_all(
        &api,
        &[("type", "same"), ("from", at_once), ("to", at_once)],
        6,
    )
    .await;
    assert_same_list(&listed, &same[1..21]);
}

#[tokio::test]
async fn the_type_filter_matches_whole_types_only() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let types: Vec<&str> = NESTED_TYPES
        .into_iter()
        .chain(["order.x", "order-", "orders", "ord"])
        .collect();
    let bodies: Vec<Value> = types
        .iter()
        .enumerate()
        .map(|(i, ty)| json!({"type": ty, "occurred_at": format!("2025-05-05T05:05:0{i}Z")}))
        .collect();
    let mut all = create_events(&api, &bodies).await;
    sort_newest_first(&mut all);
    for ty in types {
        let listed = list_all(&api, &[("type", ty)], 2).await;
        assert_eq!(
            listed.len(),
            1,
            "type={ty} lists exactly its own event: {listed:?}"
        );
        assert_eq!(listed[0]["type"], ty);
    }
    let listed = list_all(&api, &[], 2).await;
    assert_same_list(&listed, &all);
}
