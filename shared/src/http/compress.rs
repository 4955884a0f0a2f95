//! Gzip for JSON answers, because API Gateway's HTTP APIs do not compress: without it, a
//! day of hourly analytics or a page of events crosses the network at several times its size,
//! which is most of what a browser on a phone waits for.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use lambda_http::http::HeaderValue;
use lambda_http::{Body, Response};

/// Below this, gzip's header and the CPU it costs outweigh what it saves (the usual threshold of
/// CDNs, and under one TCP segment either way).
const MIN_BYTES: usize = 1024;

/// Whether an `Accept-Encoding` value admits gzip: listed (or `*`) without `q=0`.
pub(crate) fn accepts_gzip(accept_encoding: &str) -> bool {
    accept_encoding.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
    })
}

/// Compresses a text answer of at least [`MIN_BYTES`] when the caller accepts gzip. Every answer
/// that could have been compressed says `Vary: Accept-Encoding`, whichever way it went.
pub(crate) fn compress(mut response: Response<Body>, accepts_gzip: bool) -> Response<Body> {
    let Body::Text(text) = response.body() else {
        return response;
    };
    if text.len() < MIN_BYTES || response.headers().contains_key("content-encoding") {
        return response;
    }
    // The fastest level: JSON compresses about 5:1 even there, and a Lambda pays for every
    // millisecond of CPU that a higher level would add.
    let gzipped = accepts_gzip
        .then(|| {
            let mut encoder =
                GzEncoder::new(Vec::with_capacity(text.len() / 4), Compression::fast());
            encoder.write_all(text.as_bytes()).ok()?;
            encoder.finish().ok()
        })
        .flatten();
    response
        .headers_mut()
        .append("vary", HeaderValue::from_static("Accept-Encoding"));
    let Some(gzipped) = gzipped else {
        return response;
    };
    let headers = response.headers_mut();
    headers.insert("content-encoding", HeaderValue::from_static("gzip"));
    headers.remove("content-length");
    *response.body_mut() = Body::Binary(gzipped);
    response
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::GzDecoder;

    use super::*;

    fn text(len: usize) -> Response<Body> {
        let body = format!("[{}]", "1,".repeat(len / 2).trim_end_matches(','));
        let mut response = Response::new(Body::Text(body));
        response
            .headers_mut()
            .insert("vary", HeaderValue::from_static("Origin"));
        response
    }

    fn gunzip(bytes: &[u8]) -> String {
        let mut out = String::new();
        GzDecoder::new(bytes).read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn gzip_is_accepted_unless_refused_by_q_zero() {
        assert!(accepts_gzip("gzip"));
        assert!(accepts_gzip("br, GZIP;q=0.5, deflate"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("br, deflate"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("gzip; q=0.0, br"));
        assert!(!accepts_gzip("identity"));
        assert!(!accepts_gzip(""));
    }

    #[test]
    fn large_text_is_gzipped_for_a_caller_that_accepts_it() {
        let original = text(4000);
        let Body::Text(expected) = original.body().clone() else {
            unreachable!()
        };
        let response = compress(original, true);
        assert_eq!(response.headers()["content-encoding"], "gzip");
        let vary: Vec<_> = response.headers().get_all("vary").iter().collect();
        assert_eq!(vary, ["Origin", "Accept-Encoding"]);
        let Body::Binary(bytes) = response.body() else {
            panic!("not binary")
        };
        assert!(bytes.len() < expected.len() / 4, "{} bytes", bytes.len());
        assert_eq!(gunzip(bytes), expected);
    }

    #[test]
    fn a_caller_that_does_not_accept_gzip_gets_the_text_and_a_vary() {
        let response = compress(text(4000), false);
        assert!(!response.headers().contains_key("content-encoding"));
        assert!(matches!(response.body(), Body::Text(_)));
        assert_eq!(
            response
                .headers()
                .get_all("vary")
                .iter()
                .next_back()
                .unwrap(),
            "Accept-Encoding"
        );
    }

    #[test]
    fn small_and_empty_answers_are_left_alone() {
        let response = compress(text(100), true);
        assert!(matches!(response.body(), Body::Text(_)));
        assert!(!response.headers().contains_key("content-encoding"));
        assert_eq!(response.headers().get_all("vary").iter().count(), 1);
        let empty = compress(Response::new(Body::Empty), true);
        assert!(matches!(empty.body(), Body::Empty));
    }
}
