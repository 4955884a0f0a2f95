//! Lambda's per-invocation `REPORT` line, so local logs read like CloudWatch's.

use std::time::Duration;

pub struct Report<'a> {
    pub request_id: &'a str,
    pub function: &'a str,
    pub duration: Duration,
    pub memory_mb: u32,
    pub max_memory_mb: Option<u64>,
    /// Set on a process's first invocation: from spawn to its first `next` call.
    pub init: Option<Duration>,
    /// `timeout` or `error`, as Lambda appends when the invocation did not complete normally.
    pub status: Option<&'a str>,
}

impl Report<'_> {
    pub fn line(&self) -> String {
        let ms = self.duration.as_secs_f64() * 1000.0;
        let billed = ms.ceil().max(1.0) as u64;
        let mut out = format!(
            "REPORT RequestId: {}\tFunction: {}\tDuration: {:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB",
            self.request_id,
            self.function,
            ms,
            billed,
            self.memory_mb,
            self.max_memory_mb.unwrap_or(0),
        );
        if let Some(init) = self.init {
            out.push_str(&format!(
                "\tInit Duration: {:.2} ms",
                init.as_secs_f64() * 1000.0
            ));
        }
        if let Some(status) = self.status {
            out.push_str(&format!("\tStatus: {status}"));
        }
        out
    }
}

/// Peak resident memory of a live process in MB (VmHWM, rounded up), as Lambda reports it.
pub fn max_memory_mb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vmhwm_kb(&status).map(|kb| kb.div_ceil(1024))
}

fn parse_vmhwm_kb(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_lambda() {
        let r = Report {
            request_id: "abc",
            function: "health",
            duration: Duration::from_micros(12_345),
            memory_mb: 128,
            max_memory_mb: Some(17),
            init: Some(Duration::from_micros(45_600)),
            status: None,
        };
        assert_eq!(
            r.line(),
            "REPORT RequestId: abc\tFunction: health\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 17 MB\tInit Duration: 45.60 ms"
        );
    }

    #[test]
    fn appends_the_status_and_omits_init_when_warm() {
        let r = Report {
            request_id: "abc",
            function: "f",
            duration: Duration::from_secs(3),
            memory_mb: 128,
            max_memory_mb: None,
            init: None,
            status: Some("timeout"),
        };
        let line = r.line();
        assert!(
            line.ends_with("Max Memory Used: 0 MB\tStatus: timeout"),
            "{line}"
        );
        assert!(line.contains("Billed Duration: 3000 ms"));
    }

    #[test]
    fn reads_vmhwm() {
        let status = "Name:\tx\nVmPeak:\t  9999 kB\nVmHWM:\t    2049 kB\nVmRSS:\t 100 kB\n";
        assert_eq!(parse_vmhwm_kb(status), Some(2049));
        assert_eq!(parse_vmhwm_kb(status).unwrap().div_ceil(1024), 3);
        assert!(max_memory_mb(std::process::id()).unwrap() > 0);
    }
}
