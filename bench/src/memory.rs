//! Peak memory per function, from the `REPORT` lines the stack logs as Lambda does, and the size
//! of each packaged arm64 zip.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct FunctionReport {
    pub invocations: usize,
    pub max_memory_mb: u64,
    /// Median billed-style duration of warm invocations, in ms: the input of the cost model.
    pub duration_p50_ms: f64,
}

/// Every `REPORT` line in the stack's log, by function.
pub fn reports(log: &str) -> BTreeMap<String, FunctionReport> {
    let mut durations: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut out: BTreeMap<String, FunctionReport> = BTreeMap::new();
    for line in log.lines() {
        let Some(at) = line.find("REPORT RequestId:") else {
            continue;
        };
        let fields: BTreeMap<&str, &str> = line[at..]
            .split('\t')
            .filter_map(|f| f.split_once(": "))
            .map(|(k, v)| (k.trim(), v.trim()))
            .collect();
        let Some(function) = fields.get("Function") else {
            continue;
        };
        let number = |k: &str| {
            fields
                .get(k)
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.trim_matches('"').parse::<f64>().ok())
        };
        let entry = out.entry(function.to_string()).or_default();
        entry.invocations += 1;
        entry.max_memory_mb = entry
            .max_memory_mb
            .max(number("Max Memory Used").unwrap_or(0.0) as u64);
        if let Some(d) = number("Duration") {
            durations.entry(function.to_string()).or_default().push(d);
        }
    }
    for (function, samples) in durations {
        if let Some(entry) = out.get_mut(&function) {
            entry.duration_p50_ms = crate::stats::median(&samples);
        }
    }
    out
}

/// `target/lambda/<function>/bootstrap.zip` sizes in bytes, where `make package` left them.
pub fn zip_sizes(lambda_dir: &Path) -> BTreeMap<String, u64> {
    let Ok(entries) = std::fs::read_dir(lambda_dir) else {
        return BTreeMap::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let size = std::fs::metadata(e.path().join("bootstrap.zip"))
                .ok()?
                .len();
            Some((e.file_name().to_string_lossy().into_owned(), size))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_report_lines() {
        let log = "2026 INFO x\n\
            REPORT RequestId: a\tFunction: health\tDuration: 2.50 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 11 MB\tInit Duration: 9.00 ms\n\
            {\"level\":\"INFO\",\"msg\":\"REPORT RequestId: b\tFunction: health\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 14 MB\"}\n\
            REPORT RequestId: c\tFunction: health\tDuration: 3.50 ms\tBilled Duration: 4 ms\tMemory Size: 128 MB\tMax Memory Used: 12 MB\n";
        let r = &reports(log)["health"];
        assert_eq!(r.invocations, 3);
        assert_eq!(r.max_memory_mb, 14);
        assert_eq!(r.duration_p50_ms, 2.5);
    }
}
