//! HTTP/1.1 spoken by hand over a TCP socket, for requests a well-behaved client library refuses
//! to send: literal `../` segments (URL parsers normalise them away), header bytes outside
//! visible ASCII, bodies sent chunked without a length.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::stack::stack;

/// A response read off the socket.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    /// Names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {self:?}"))
    }
}

/// `host:port` of the gateway.
pub fn authority() -> String {
    let api = stack().api_url();
    api.strip_prefix("http://")
        .unwrap_or(api)
        .trim_end_matches('/')
        .to_owned()
}

/// Sends `head` (request line and headers, each line without its CRLF) and `body` as they are,
/// adding only `Host`, `Connection: close` and the final blank line; reads the whole answer.
pub async fn send(head: &[Vec<u8>], body: &[u8]) -> RawResponse {
    parse(&exchange(head, body).await)
}

/// Like [`send`], but a server that closes the connection without answering gives `None`.
pub async fn try_send(head: &[Vec<u8>], body: &[u8]) -> Option<RawResponse> {
    let answer = exchange(head, body).await;
    (!answer.is_empty()).then(|| parse(&answer))
}

async fn exchange(head: &[Vec<u8>], body: &[u8]) -> Vec<u8> {
    let authority = authority();
    let mut request = Vec::new();
    for (i, line) in head.iter().enumerate() {
        request.extend_from_slice(line);
        request.extend_from_slice(b"\r\n");
        if i == 0 {
            request.extend_from_slice(format!("Host: {authority}\r\n").as_bytes());
            request.extend_from_slice(b"Connection: close\r\n");
        }
    }
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(body);

    let exchange = async {
        let mut socket = TcpStream::connect(&authority)
            .await
            .unwrap_or_else(|e| panic!("connecting to {authority}: {e}"));
        socket.write_all(&request).await.expect("writing a request");
        let mut answer = Vec::new();
        // The server may close early (an oversized body); whatever arrived is the answer.
        let _ = socket.read_to_end(&mut answer).await;
        answer
    };
    tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .expect("a raw HTTP exchange finishes within 30 s")
}

/// A request line plus headers, as text lines; `token` adds `Authorization: Bearer`.
pub fn head(request_line: &str, token: Option<&str>, headers: &[(&str, &str)]) -> Vec<Vec<u8>> {
    let mut lines = vec![request_line.as_bytes().to_vec()];
    if let Some(token) = token {
        lines.push(format!("Authorization: Bearer {token}").into_bytes());
    }
    for (name, value) in headers {
        lines.push(format!("{name}: {value}").into_bytes());
    }
    lines
}

fn parse(answer: &[u8]) -> RawResponse {
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| {
            panic!(
                "no HTTP head in the answer: {:?}",
                String::from_utf8_lossy(answer)
            )
        });
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let raw_body = &answer[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a status line: {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(raw_body)
    } else {
        raw_body.to_vec()
    };
    RawResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&raw[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or(0);
        raw = &raw[end + 2..];
        if size == 0 || raw.len() < size {
            break;
        }
        out.extend_from_slice(&raw[..size]);
        raw = raw.get(size + 2..).unwrap_or_default();
    }
    out
}

/// A body sent with `Transfer-Encoding: chunked` in chunks of `chunk` bytes.
pub fn chunked(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in body.chunks(chunk.max(1)) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}
