//! The rate limit under a load that overruns it: a burst of 200 from one tenant is cut at its
//! limit while another tenant is served, and several processes of one function admit within
//! 10 % of the tier and write to DynamoDB at most once per ten requests at a steady load below it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::future::join_all;
use ofauto_tests::api::{Api, Resp};
use ofauto_tests::dynamo;
use ofauto_tests::fixtures::{ids, list_all, Tenant};
use ofauto_tests::rate_limits::{
    align_to_window_start, assert_rate_headers, header_u64, window_of, NOISY_BURST, STANDARD_BURST,
    STANDARD_WINDOW_SECS,
};
use ofauto_tests::stack;
use reqwest::Method;
use serde_json::json;
use shared::domain::TenantId;
use shared::staging::Key;

use crate::alone;

/// How many of the 200 burst requests are creates; the rest are reads of ids that cannot exist
/// (404 without a storage read). The limit is per tenant across routes and counts every request,
/// and these reads are the cheapest requests it counts, so the burst reaches the limit sooner on
/// a slow machine.
const BURST_CREATES: usize = 100;
const BURST_READS: usize = 200 - BURST_CREATES;
/// The local stack serves a little over 50 requests/s on an otherwise idle 2-core machine, barely
/// above the standard rate; when other work slows it below that, no window ever fills and there
/// is nothing to cut. Such a run proves nothing either way, so it is repeated with fresh tenants
/// (each attempt takes about 5 s).
const BURST_ATTEMPTS: usize = 4;

struct Burst {
    noisy: Tenant,
    quiet: Tenant,
    noisy_resps: Vec<Resp>,
    quiet_resps: Vec<Resp>,
    windows: u64,
}

impl Burst {
    fn limited(&self) -> usize {
        self.noisy_resps.iter().filter(|r| r.status == 429).count()
    }

    /// Did any window admit its 100th request (`RateLimit-Remaining: 0` on a success)?
    fn filled_a_window(&self) -> bool {
        self.noisy_resps
            .iter()
            .any(|r| r.status != 429 && r.header("ratelimit-remaining") == Some("0"))
    }
}

async fn burst() -> Burst {
    let noisy = Tenant::new();
    let quiet = Tenant::new();
    let noisy_api = Api::with_token(stack().tokens.token_with_tier(
        &noisy.id,
        "editor",
        ofauto_tests::tokens::BURST_TIER,
    ))
    .without_rate_limit_retries();
    let quiet_api = quiet.editor().without_rate_limit_retries();
    let noisy_bodies: Vec<_> = (0..BURST_CREATES)
        .map(|i| json!({"type": "burst", "properties": {"i": i}}))
        .collect();
    let quiet_bodies: Vec<_> = (0..20)
        .map(|i| json!({"type": "quiet", "properties": {"i": i}}))
        .collect();
    align_to_window_start().await;
    let started = chrono::Utc::now();
    let clock = Instant::now();
    let creates = join_all(
        noisy_bodies
            .iter()
            .map(|body| noisy_api.post_json("/v1/events", body)),
    );
    let reads = join_all((0..BURST_READS).map(|_| noisy_api.get("/v1/events/not-an-id")));
    let quiet_calls = join_all(
        quiet_bodies
            .iter()
            .map(|body| quiet_api.post_json("/v1/events", body)),
    );
    let (mut noisy_resps, read_resps, quiet_resps) = tokio::join!(creates, reads, quiet_calls);
    noisy_resps.extend(read_resps);
    let finished = chrono::Utc::now();
    let windows = (window_of(finished) - window_of(started) + 1) as u64;
    eprintln!(
        "burst: 200 + 20 requests in {:?} over {windows} window(s)",
        clock.elapsed()
    );
    Burst {
        noisy,
        quiet,
        noisy_resps,
        quiet_resps,
        windows,
    }
}

/// 200 concurrent requests (100 creates, 100 reads) from one tenant: at most its limit per
/// window gets through, the rest get a complete 429 and write nothing, so what is stored is
/// exactly what got a 201. Meanwhile another standard tenant, in the same second, is not limited
/// at all.
#[tokio::test]
async fn a_burst_of_200_is_cut_at_the_limit_and_other_tenants_are_unaffected() {
    // The burst must outrun the limit, and this 2-core machine barely serves 50 requests/s.
    let _alone = alone().await;
    // Warm the function processes first, so the measured window is spent serving the burst
    // rather than starting processes.
    let warm = Tenant::new().bulk("editor");
    let warm_body = json!({"type": "warm.up"});
    join_all((0..8).map(|_| warm.post_json("/v1/events", &warm_body))).await;
    join_all((0..8).map(|_| warm.get("/v1/events/not-an-id"))).await;

    let mut attempt = 0;
    let run = loop {
        attempt += 1;
        let run = burst().await;
        if run.limited() > 0 {
            break run;
        }
        // No 429: either the machine was slower than the limit, so no window filled (nothing to
        // cut), or a window filled just as the burst ended. Neither proves anything; go again.
        assert!(
            attempt < BURST_ATTEMPTS,
            "{BURST_ATTEMPTS} bursts of 200 got no 429 at all (the last took {} windows; it \
             {} a window): {}",
            run.windows,
            if run.filled_a_window() {
                "filled"
            } else {
                "never filled"
            },
            if run.filled_a_window() {
                "the limiter lets a full window through"
            } else {
                "the stack is too slow here to reach the standard limit"
            }
        );
        eprintln!("burst attempt {attempt} got no 429; again");
    };

    let mut created = Vec::new();
    let mut limited = 0u64;
    let mut remaining_seen: HashMap<u64, u64> = HashMap::new();
    for resp in &run.noisy_resps {
        match resp.status {
            201 | 404 => {
                assert_rate_headers(resp, NOISY_BURST);
                *remaining_seen
                    .entry(header_u64(resp, "ratelimit-remaining"))
                    .or_default() += 1;
                if resp.status == 201 {
                    assert_eq!(resp.method, Method::POST);
                    created.push(resp.json());
                } else {
                    resp.problem(404, "not-found");
                }
            }
            429 => {
                limited += 1;
                resp.problem(429, "rate-limited");
                resp.assert_security_headers(true);
                let retry_after = header_u64(resp, "retry-after");
                assert!((1..=STANDARD_WINDOW_SECS).contains(&retry_after), "{resp}");
                assert_eq!(header_u64(resp, "ratelimit-limit"), NOISY_BURST, "{resp}");
                assert_eq!(header_u64(resp, "ratelimit-remaining"), 0, "{resp}");
                assert!(header_u64(resp, "ratelimit-reset") >= 1, "{resp}");
                assert!(resp.header("location").is_none(), "{resp}");
            }
            _ => panic!("only 201/404 or 429 in a burst:\n{resp}"),
        }
    }
    let windows = run.windows;
    let admitted: u64 = remaining_seen.values().sum();
    eprintln!(
        "burst: {admitted} admitted ({} created), {limited} limited",
        created.len()
    );
    // Creates and reads race for the same 20 tokens; which route wins them is not the limiter's
    // business, so the burst may get through as reads alone (then the check below shows that
    // none of the 100 refused creates was stored).
    assert!(admitted > 0, "some of the burst gets through");
    assert!(limited > 0, "a full window cuts the rest of the burst");
    assert!(
        admitted <= NOISY_BURST * windows,
        "{admitted} admitted in {windows} window(s) of {NOISY_BURST}"
    );
    // `RateLimit-Remaining` is each process's estimate from its last lease (API.md allows it), so
    // values may repeat within a window across processes; it never exceeds the limit less one.
    assert!(
        remaining_seen.keys().all(|r| *r < NOISY_BURST),
        "{remaining_seen:?}"
    );

    for resp in &run.quiet_resps {
        assert_eq!(resp.status, 201, "the quiet tenant is not limited:\n{resp}");
        assert_rate_headers(resp, STANDARD_BURST);
    }

    // A 429 wrote nothing: the stored events are exactly the 201s.
    let stored = list_all(&run.noisy.bulk("viewer"), &[], 100).await;
    let mut stored_ids = ids(&stored);
    let mut created_ids = ids(&created);
    stored_ids.sort();
    created_ids.sort();
    assert_eq!(stored_ids, created_ids);
    assert_eq!(
        list_all(&run.quiet.bulk("viewer"), &[], 100).await.len(),
        20
    );

    // After Retry-After, the tenant is served again.
    tokio::time::sleep(Duration::from_secs(STANDARD_WINDOW_SECS)).await;
    run.noisy
        .editor()
        .without_rate_limit_retries()
        .post_json("/v1/events", &json!({"type": "after.burst"}))
        .await
        .expect_status(201);
}

/// The standard tier's allowance per window, in the units the multi-process test counts in.
const WINDOW_MS: i64 = STANDARD_WINDOW_SECS as i64 * 1_000;
/// Concurrent clients of the steady phase, each pacing itself to `STEADY_INTERVAL`: at most
/// 30 requests/s, 60 % of the standard tier's 50, whatever the machine's speed. (At 80 %, 40
/// requests/s over 8 processes, 4 and 5 of 1,280 requests were refused in two runs: the leases'
/// headroom and tokens leased ahead for demand that then went to other processes. README,
/// "Accuracy bound", states it.) Sixteen windows, because eight gave 0.025 to 0.103 writes per
/// request from run to run: a lease ahead covers up to eight windows.
const STEADY_CLIENTS: usize = 4;
const STEADY_INTERVAL: Duration = Duration::from_millis(133);
const STEADY_WINDOWS: i64 = 16;
/// Concurrent clients of the overload phase, back to back: as many as the test stack's 8
/// processes per function, so every process is kept busy (16 made deliveries elsewhere late).
const OVERLOAD_CLIENTS: usize = 8;
const OVERLOAD_WINDOWS: i64 = 5;
/// How far the limiter may fall short of the tier's allowance.
const ACCURACY: f64 = 0.10;
/// At most this many limiter writes per admitted request at a steady load below the limit: the
/// goal of issue 11, a tenth of a write where the old limiter made two.
const WRITES_PER_REQUEST: f64 = 0.10;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// One request of a drive: when it left and came back, and how it was answered.
struct Shot {
    sent_ms: i64,
    received_ms: i64,
    status: u16,
}

/// `clients` concurrent loops of `GET /v1/events/{id}` for an id that cannot exist (404 without a
/// storage read: the cheapest request the limit counts), until `until_ms`; each loop sends at
/// most once per `interval` when given, else back to back. Every answer is a 404 or a complete
/// 429.
async fn drive(api: &Api, clients: usize, until_ms: i64, interval: Option<Duration>) -> Vec<Shot> {
    let one_client = |_| async move {
        let mut shots = Vec::new();
        let mut next = tokio::time::Instant::now();
        while now_ms() < until_ms {
            let sent_ms = now_ms();
            let resp = api.get("/v1/events/not-an-id").await;
            let received_ms = now_ms();
            match resp.status {
                404 => {}
                429 => {
                    let retry_after = header_u64(&resp, "retry-after");
                    assert!((1..=STANDARD_WINDOW_SECS).contains(&retry_after), "{resp}");
                    assert_eq!(header_u64(&resp, "ratelimit-remaining"), 0, "{resp}");
                }
                _ => panic!("only 404 or 429 here:\n{resp}"),
            }
            shots.push(Shot {
                sent_ms,
                received_ms,
                status: resp.status,
            });
            if let Some(interval) = interval {
                next += interval;
                tokio::time::sleep_until(next).await;
            }
        }
        shots
    };
    join_all((0..clients).map(one_client))
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Sleeps until the next window boundary; returns it (Unix ms).
async fn next_window_start() -> i64 {
    let start = (now_ms() / WINDOW_MS + 1) * WINDOW_MS;
    tokio::time::sleep(Duration::from_millis((start - now_ms()).max(0) as u64)).await;
    start
}

/// What the limiter wrote for `tenant` between two instants, read back from DynamoDB Local: the
/// `leases` attribute that every lease write bumps (on the window items, one per 32 windows, and
/// on the day's quota item), and the tokens granted from the windows' counters.
struct Ledger {
    writes: u64,
    window_tokens: u64,
}

async fn ledger(tenant: &str, from_ms: i64, to_ms: i64) -> Ledger {
    let tenant = TenantId::parse(tenant).expect("a valid tenant id");
    let number = |item: &serde_json::Value, name: &str| -> u64 {
        item[name]["N"]
            .as_str()
            .map_or(0, |n| n.parse().expect("a number"))
    };
    let mut ledger = Ledger {
        writes: 0,
        window_tokens: 0,
    };
    // A window item is keyed by its first window's start, a multiple of the window length: look
    // at every such second from well before the run (an item spans 32 windows) to its end.
    let window_secs = STANDARD_WINDOW_SECS as i64;
    let mut start = (from_ms / 1_000 - 64 * window_secs).div_euclid(window_secs) * window_secs;
    while start * 1_000 <= to_ms {
        let item = dynamo::get_item(Key::RateWindow {
            tenant: &tenant,
            window_start: start,
        })
        .await;
        if !item.is_null() {
            ledger.writes += number(&item, "leases");
            let counters = item.as_object().expect("an item").iter();
            ledger.window_tokens += counters
                .filter(|(name, _)| name.starts_with('g') && name[1..].parse::<u32>().is_ok())
                .map(|(name, _)| number(&item, name))
                .sum::<u64>();
        }
        start += window_secs;
    }
    let mut days: Vec<_> = [from_ms, to_ms]
        .iter()
        .map(|ms| {
            chrono::DateTime::from_timestamp_millis(*ms)
                .unwrap()
                .date_naive()
        })
        .collect();
    days.dedup();
    for day in days {
        let item = dynamo::get_item(Key::RateQuota {
            tenant: &tenant,
            day,
        })
        .await;
        ledger.writes += number(&item, "leases");
    }
    ledger
}

/// How many processes of `events-get` answered `tenant`, from the stack's log: the stack prefixes
/// each function process's output with `[name#ordinal]`, and each request's log line names its
/// tenant.
fn processes_serving(tenant: &str) -> usize {
    let log = std::fs::read_to_string(&stack().log_path).expect("reading the stack log");
    let quoted = format!("\"{tenant}\"");
    log.lines()
        .filter(|line| line.contains(&quoted))
        .filter_map(|line| {
            let at = line.find("[events-get#")?;
            let rest = &line[at..];
            Some(rest[..=rest.find(']')?].to_owned())
        })
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

/// Several processes of one function serve one standard tenant. At a steady 30 requests/s
/// (below the tier's 50), nothing is refused and the limiter writes at most
/// [`WRITES_PER_REQUEST`] times per request, counted from what DynamoDB holds. Then, offered more
/// than the tier allows from 8
/// clients for five windows, the tenant is admitted at least 90 % of the allowance and never
/// more than it. If this machine cannot offer 20 % more than the standard tier, the overload is
/// run again against the `burst` tier (20 per window), which any machine can overrun.
#[tokio::test]
async fn many_processes_admit_within_ten_percent_and_lease_rarely() {
    let _alone = alone().await;
    // Start the function's processes first (the pool starts one per waiting invocation).
    let warm = Tenant::new().bulk("viewer");
    join_all((0..OVERLOAD_CLIENTS).map(|_| warm.get("/v1/events/not-an-id"))).await;

    // Steady, below the limit.
    let steady = Tenant::new();
    let steady_api = steady.viewer().without_rate_limit_retries();
    // Two windows for every process to meet the tenant and size its leases, then the measured
    // windows: their writes are the difference of the ledgers read before and after them.
    let warm_from = next_window_start().await;
    drive(
        &steady_api,
        STEADY_CLIENTS,
        warm_from + 2 * WINDOW_MS,
        Some(STEADY_INTERVAL),
    )
    .await;
    let warm_book = ledger(&steady.id, warm_from, now_ms()).await;
    let from = now_ms();
    let until = from + STEADY_WINDOWS * WINDOW_MS;
    let shots = drive(&steady_api, STEADY_CLIENTS, until, Some(STEADY_INTERVAL)).await;
    let to = now_ms();
    let admitted = shots.iter().filter(|s| s.status != 429).count() as u64;
    let mut book = ledger(&steady.id, warm_from, to).await;
    book.writes -= warm_book.writes;
    book.window_tokens -= warm_book.window_tokens;
    let per_request = book.writes as f64 / admitted.max(1) as f64;
    let processes = processes_serving(&steady.id);
    eprintln!(
        "steady: {admitted} admitted of {} in {} ms by {processes} processes; {} limiter writes \
         ({per_request:.3} per request), {} tokens granted",
        shots.len(),
        to - from,
        book.writes,
        book.window_tokens
    );
    assert_eq!(
        admitted,
        shots.len() as u64,
        "nothing refused below the limit"
    );
    assert!(admitted >= 100, "the steady phase served only {admitted}");
    assert!(processes >= 2, "one process served the whole steady phase");
    assert!(book.writes > 0, "the limiter's lease items were not found");
    // Every admitted request spent a token: the tokens leased over the whole phase cover them.
    let all = ledger(&steady.id, warm_from, to).await;
    assert!(
        all.window_tokens >= admitted,
        "{admitted} admitted on {} tokens",
        all.window_tokens
    );
    assert!(
        per_request <= WRITES_PER_REQUEST,
        "{} limiter writes for {admitted} requests",
        book.writes
    );

    // Overload: standard, or `burst` where this machine is too slow to overrun standard.
    let tiers = [
        (None, STANDARD_BURST),
        (Some(ofauto_tests::tokens::BURST_TIER), NOISY_BURST),
    ];
    let mut outcome = None;
    for (tier, limit) in tiers {
        let tenant = Tenant::new();
        let token = match tier {
            Some(tier) => stack().tokens.token_with_tier(&tenant.id, "viewer", tier),
            None => tenant.token("viewer"),
        };
        let api = Api::with_token(token).without_rate_limit_retries();
        // One window to warm the processes' view of this tenant, then the counted ones.
        let warm_from = next_window_start().await;
        let from = warm_from + WINDOW_MS;
        let until = from + OVERLOAD_WINDOWS * WINDOW_MS;
        let shots = drive(&api, OVERLOAD_CLIENTS, until, None).await;
        let counted: Vec<&Shot> = shots.iter().filter(|s| s.sent_ms >= from).collect();
        let offered = counted.len() as u64;
        let allowance = limit * OVERLOAD_WINDOWS as u64;
        let admitted: Vec<&&Shot> = counted.iter().filter(|s| s.status != 429).collect();
        // Answered before the last window ended: certainly admitted within the counted windows.
        let certain = admitted.iter().filter(|s| s.received_ms < until).count() as u64;
        let processes = processes_serving(&tenant.id);
        let book = ledger(&tenant.id, warm_from, now_ms()).await;
        eprintln!(
            "overload ({}): offered {offered}, admitted {} ({certain} certainly within the {} \
             windows) of {allowance} allowed, by {processes} processes; {} limiter writes",
            tier.unwrap_or("standard"),
            admitted.len(),
            OVERLOAD_WINDOWS,
            book.writes
        );
        if offered * 10 < allowance * 12 && tier.is_none() {
            eprintln!("overload: this machine cannot overrun the standard tier; using `burst`");
            continue;
        }
        outcome = Some((tier, allowance, admitted.len() as u64, certain, processes));
        break;
    }
    let (tier, allowance, admitted, certain, processes) =
        outcome.expect("the burst tier is always overrun");
    assert!(
        processes >= 2,
        "one process served the whole overload ({tier:?})"
    );
    assert!(
        certain <= allowance,
        "{certain} admitted where {allowance} are allowed ({tier:?})"
    );
    assert!(
        admitted as f64 >= allowance as f64 * (1.0 - ACCURACY),
        "{admitted} admitted where {allowance} are allowed ({tier:?})"
    );
}
