//! The gateway itself, below the routes: what a client controls in its log lines, and how long it
//! may hold a connection or a body open.
//!
//! The slow-client tests speak raw TCP (a client library never sends half a request) and bound
//! every wait, so a gateway that never gives up fails them instead of hanging the suite.

use std::time::{Duration, Instant};

use ofauto_tests::api::Api;
use ofauto_tests::fixtures::Tenant;
use ofauto_tests::raw::authority;
use ofauto_tests::stack::{stack, BODY_TIMEOUT, HEADER_TIMEOUT};
use ofauto_tests::tokens::TokenSpec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::assert_empty;

/// Slack on top of a gateway timeout before a test calls the connection "never cut": the suite
/// runs ~270 tests in parallel on two cores.
const MARGIN: Duration = Duration::from_secs(20);

async fn connect() -> TcpStream {
    let authority = authority();
    tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(&authority))
        .await
        .unwrap_or_else(|_| panic!("connecting to {authority} took over 10 s"))
        .unwrap_or_else(|e| panic!("connecting to {authority}: {e}"))
}

/// Writes `bytes`, bounded: a write that blocks means the gateway stopped reading.
async fn send(socket: &mut TcpStream, bytes: &[u8]) {
    tokio::time::timeout(Duration::from_secs(10), socket.write_all(bytes))
        .await
        .expect("a write completes within 10 s")
        .expect("writing to the gateway");
}

/// Reads until the gateway closes the connection (a reset counts as closed); whatever arrived is
/// the answer.
async fn read_until_closed(socket: &mut TcpStream) -> Vec<u8> {
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return answer,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
}

/// The status of an answer's first line, if there is one.
fn status(answer: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(answer);
    text.lines().next()?.split(' ').nth(1)?.parse().ok()
}

/// A request head (each line without its CRLF), with `Host` and the final blank line added.
fn head(request_line: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("{request_line}\r\nHost: {}\r\n", authority());
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// The kid of a refused token goes into the log line that records the 401. A newline in it must
/// come out escaped: the forged JSON line after it must never stand on a line of its own, where a
/// log pipeline would take it for a real ERROR event.
#[tokio::test]
async fn a_newline_in_the_kid_cannot_forge_a_log_line() {
    let marker = format!("forged-{}", ulid::Ulid::new());
    let forged =
        format!(r#"{{"level":"ERROR","fields":{{"message":"{marker}"}},"target":"ofauto"}}"#);
    let tenant = Tenant::new();
    let mut spec = TokenSpec::new(&tenant.id, "viewer");
    spec.kid = Some(format!("x\n{forged}\r\n{forged}\r{forged}"));
    let resp = Api::with_token(stack().tokens.mint(&spec))
        .get("/v1/events")
        .await;
    assert_eq!(resp.status, 401, "{resp}");

    // The 401 is logged before it is sent; allow a moment anyway.
    let log_path = &stack().log_path;
    let started = Instant::now();
    let log = loop {
        let bytes = std::fs::read(log_path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", log_path.display()));
        let log = String::from_utf8_lossy(&bytes).into_owned();
        if log.contains(&marker) || started.elapsed() > Duration::from_secs(10) {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let carrying: Vec<&str> = log
        .split(['\n', '\r'])
        .filter(|line| line.contains(&marker))
        .collect();
    assert!(
        !carrying.is_empty(),
        "the refused kid was not logged at all ({})",
        log_path.display()
    );
    for line in carrying {
        assert_ne!(line.trim(), forged, "a forged line stands alone in the log");
        assert!(
            !line.trim_start().starts_with('{'),
            "a line of the log starts with the forged JSON: {line}"
        );
        assert!(
            line.contains(r"x\n"),
            "the kid's newline is not escaped in: {line}"
        );
    }
}

/// A client that sends half its headers and then waits (Slowloris) is disconnected once the
/// header read timeout passes, without an answer or with a 408.
#[tokio::test]
async fn half_sent_headers_are_cut_off() {
    let mut socket = connect().await;
    let started = Instant::now();
    let partial = format!(
        "GET /v1/events HTTP/1.1\r\nHost: {}\r\nX-Never-Finished: ",
        authority()
    );
    send(&mut socket, partial.as_bytes()).await;

    let bound = HEADER_TIMEOUT + MARGIN;
    let answer = tokio::time::timeout(bound, read_until_closed(&mut socket))
        .await
        .unwrap_or_else(|_| panic!("half-sent headers still hold the connection after {bound:?}"));
    let waited = started.elapsed();
    assert!(
        waited >= HEADER_TIMEOUT / 2,
        "the connection was closed after only {waited:?}, well before the header timeout"
    );
    assert!(
        answer.is_empty() || status(&answer) == Some(408),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
}

/// An authenticated request whose body trickles in a byte every 2 s is cut off once the body
/// timeout passes (408), however long its declared length would keep it going.
#[tokio::test]
async fn a_trickled_body_is_cut_off() {
    let tenant = Tenant::new();
    let authorization = format!("Bearer {}", tenant.token("editor"));
    let mut socket = connect().await;
    let started = Instant::now();
    let mut request = head(
        "POST /v1/events HTTP/1.1",
        &[
            ("Authorization", &authorization),
            ("Content-Type", "application/json"),
            ("Content-Length", "10000"),
        ],
    );
    request.push(b'{');
    send(&mut socket, &request).await;

    let bound = BODY_TIMEOUT + MARGIN;
    let deadline = tokio::time::sleep(bound);
    tokio::pin!(deadline);
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let mut trickling = true;
    loop {
        tokio::select! {
            read = socket.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            },
            () = tokio::time::sleep(Duration::from_secs(2)), if trickling => {
                // Once the gateway has given up, writes may fail; keep reading its answer.
                trickling = tokio::time::timeout(Duration::from_secs(5), socket.write_all(b" "))
                    .await
                    .is_ok_and(|written| written.is_ok());
            }
            () = &mut deadline => panic!(
                "a body trickled a byte every 2 s still held the connection after {bound:?}; \
                 answer so far: {:?}",
                String::from_utf8_lossy(&answer)
            ),
        }
    }
    let waited = started.elapsed();
    assert!(
        waited >= BODY_TIMEOUT / 2,
        "the body was cut off after only {waited:?}, well before the body timeout"
    );
    assert!(
        answer.is_empty() || status(&answer) == Some(408),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    assert_empty(&tenant).await;
}

/// A 5 MiB POST without a token is refused from its head: the 401 arrives while the client has
/// sent only 64 KiB of the body and is still holding the rest, so the gateway neither buffered
/// nor waited for it.
#[tokio::test]
async fn an_unauthenticated_big_body_is_refused_before_it_is_read() {
    const DECLARED: usize = 5 * 1024 * 1024;
    let mut socket = connect().await;
    let mut request = head(
        "POST /v1/events HTTP/1.1",
        &[
            ("Content-Type", "application/json"),
            ("Content-Length", &DECLARED.to_string()),
        ],
    );
    let mut first_part = br#"{"type":"big","source":""#.to_vec();
    first_part.resize(64 * 1024, b'x');
    request.extend_from_slice(&first_part);
    send(&mut socket, &request).await;

    // Whatever the gateway does, this test never sends the remaining ~5 MiB.
    let bound = Duration::from_secs(20);
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let read_head = async {
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(bound, read_head)
        .await
        .unwrap_or_else(|_| {
            panic!(
            "no answer within {bound:?} to an unauthenticated request with 5 MiB of body still \
             unsent: the gateway waits for the body before checking the token"
        )
        });
    assert_eq!(
        status(&answer),
        Some(401),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
}
