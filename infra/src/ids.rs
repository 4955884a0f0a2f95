//! Identifiers shaped like the ones AWS hands out, so logs and code that parse them look familiar.

use base64::Engine;
use rand::RngCore;

/// A UUID v4, the shape of a Lambda request id.
pub fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// An API Gateway request id, like `JKJaXmPLvHcESHA=`.
pub fn apigw_request_id() -> String {
    let mut b = [0u8; 11];
    rand::thread_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// An X-Ray trace header as Lambda passes it in `Lambda-Runtime-Trace-Id`.
pub fn xray_trace_id(epoch_secs: i64) -> String {
    let mut root = [0u8; 12];
    let mut parent = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut root);
    rand::thread_rng().fill_bytes(&mut parent);
    format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0",
        epoch_secs,
        hex(&root),
        hex(&parent)
    )
}

/// Random bytes as lowercase hex.
pub fn random_hex(len_bytes: usize) -> String {
    let mut b = vec![0u8; len_bytes];
    rand::thread_rng().fill_bytes(&mut b);
    hex(&b)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_has_the_v4_shape() {
        let id = uuid_v4();
        let parts: Vec<_> = id.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert_eq!(&id[14..15], "4");
    }

    #[test]
    fn trace_id_has_root_and_parent() {
        let t = xray_trace_id(0x5e000000);
        assert!(t.starts_with("Root=1-5e000000-"));
        assert!(t.contains(";Parent="));
    }

    #[test]
    fn random_hex_has_two_chars_per_byte() {
        assert_eq!(random_hex(32).len(), 64);
    }
}
