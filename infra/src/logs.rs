//! Function output, forwarded line by line to the stack's stderr with a `[name#n] ` prefix so that
//! interleaved output from many processes stays attributable.

use std::io::Write;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// Writes one prefixed line; whole lines under the stderr lock, so lines never interleave.
pub fn emit(prefix: &str, line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{prefix}{line}");
}

/// Copies `reader` to stderr until EOF. Bytes that are not UTF-8 are shown lossily rather than
/// dropping the line.
pub fn forward<R>(reader: R, prefix: String) -> tokio::task::JoinHandle<()>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut reader = BufReader::new(reader);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf);
                    emit(&prefix, line.trim_end_matches(['\n', '\r']));
                }
            }
        }
    })
}
