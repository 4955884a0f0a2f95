//! Function output, forwarded line by line to the stack's stderr with a `[name#n] ` prefix so that
//! interleaved output from many processes stays attributable; and [`OneLine`], which keeps each of
//! the stack's own log events on one line.

use std::io::Write;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// A log writer that keeps every event on exactly one line: a CR or LF inside an event is written
/// as `\r` / `\n`, only the event's final newline is kept.
///
/// Call sites already log untrusted text as Debug fields (escaped); this is the backstop that
/// holds even for a message that splices one in, so nothing a client sends can forge a line.
/// `tracing_subscriber::fmt` formats an event completely and writes it with one `write_all`,
/// which is what this relies on.
pub struct OneLine<W>(pub W);

impl<W: Write> Write for OneLine<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let (text, end) = match buf.strip_suffix(b"\n") {
            Some(text) => (text, &b"\n"[..]),
            None => (buf, &b""[..]),
        };
        if !text.iter().any(|b| matches!(b, b'\n' | b'\r')) {
            return self.0.write_all(buf);
        }
        let mut out = Vec::with_capacity(buf.len() + 16);
        for &b in text {
            match b {
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                _ => out.push(b),
            }
        }
        out.extend_from_slice(end);
        self.0.write_all(&out)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The stack's stderr, one event per line; for `tracing_subscriber::fmt().with_writer(...)`.
pub fn stderr_one_line() -> OneLine<std::io::Stderr> {
    OneLine(std::io::stderr())
}

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
                    let line = line.trim_end_matches(['\n', '\r']);
                    // A lone CR would let a function's output overwrite the prefix on a terminal.
                    emit(&prefix, &line.replace('\r', "\\r"));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(writes: &[&[u8]]) -> String {
        let mut w = OneLine(Vec::new());
        for buf in writes {
            w.write_all(buf).unwrap();
        }
        String::from_utf8(w.0).unwrap()
    }

    #[test]
    fn an_event_stays_on_one_line() {
        let forged =
            "2025-01-01T00:00:00Z  INFO 401 reason=no key with kid x\n{\"level\":\"ERROR\"}\r\n";
        let out = through(&[forged.as_bytes()]);
        assert_eq!(
            out,
            "2025-01-01T00:00:00Z  INFO 401 reason=no key with kid x\\n{\"level\":\"ERROR\"}\\r\n"
        );
        assert_eq!(out.lines().count(), 1);
    }

    #[test]
    fn plain_events_pass_unchanged() {
        assert_eq!(through(&[b"a b=1\n", b"c\n"]), "a b=1\nc\n");
        assert_eq!(through(&[b"no newline"]), "no newline");
        assert_eq!(through(&[b"\n"]), "\n");
    }

    #[test]
    fn write_reports_the_whole_buffer() {
        let mut w = OneLine(Vec::new());
        assert_eq!(w.write(b"a\nb\n").unwrap(), 4);
        assert_eq!(w.0, b"a\\nb\n");
    }
}
