//! Command-line options; every run is bounded by them in time and requests.

use std::path::PathBuf;

use ofauto_local::args::ArgReader;

pub const USAGE: &str = "\
usage: ofauto-bench [options]   (run from the repository root; scripts/bench.sh does)

  --bin-dir DIR            function binaries, ofauto-local and hello-lambda (default target/release)
  --manifest FILE          default functions/manifest.json
  --out-dir DIR            bench.json and the stack's state and log (default target/bench)
  --criterion-dir DIR      criterion's output to read handler overhead from (default target/criterion)
  --lambda-dir DIR         packaged zips, target/lambda/<function>/bootstrap.zip (default target/lambda)
  --cold-runs N            spawns per binary (default 30)
  --cold-functions A,B     default events-get,events-create,events-list,health,posts-create,
                           automations-create,analytics-events,dispatcher,deliverer
  --concurrency N          concurrent requests, and processes per function (default 8)
  --seconds N              per route, on the stack and on raw DynamoDB Local (default 8)
  --warmup-seconds N       per route before measuring (default 2)
  --mix-seconds N          the seed mix, on each side (default 15)
  --max-requests N         cap per measurement (default 20000)
  --analytics-events A,B   event counts for the analytics read cost (default 100,10000)";

pub struct Options {
    pub bin_dir: PathBuf,
    pub manifest: PathBuf,
    pub out_dir: PathBuf,
    pub criterion_dir: PathBuf,
    pub lambda_dir: PathBuf,
    pub cold_runs: usize,
    pub cold_functions: Vec<String>,
    pub concurrency: usize,
    pub seconds: u64,
    pub warmup_seconds: u64,
    pub mix_seconds: u64,
    pub max_requests: u64,
    pub analytics_events: Vec<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            bin_dir: "target/release".into(),
            manifest: "functions/manifest.json".into(),
            out_dir: "target/bench".into(),
            criterion_dir: "target/criterion".into(),
            lambda_dir: "target/lambda".into(),
            cold_runs: 30,
            cold_functions: [
                "events-get",
                "events-create",
                "events-list",
                "health",
                "posts-create",
                "automations-create",
                "analytics-events",
                "dispatcher",
                "deliverer",
            ]
            .map(String::from)
            .to_vec(),
            concurrency: 8,
            seconds: 8,
            warmup_seconds: 2,
            mix_seconds: 15,
            max_requests: 20_000,
            analytics_events: vec![100, 10_000],
        }
    }
}

/// `None` means `--help`.
pub fn parse(args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut o = Options::default();
    let mut r = ArgReader::new(args);
    while let Some(flag) = r.next_flag() {
        let mut flag = flag?;
        match flag.name.as_str() {
            "help" => return Ok(None),
            "bin-dir" => o.bin_dir = r.value(&mut flag)?.into(),
            "manifest" => o.manifest = r.value(&mut flag)?.into(),
            "out-dir" => o.out_dir = r.value(&mut flag)?.into(),
            "criterion-dir" => o.criterion_dir = r.value(&mut flag)?.into(),
            "lambda-dir" => o.lambda_dir = r.value(&mut flag)?.into(),
            "cold-runs" => o.cold_runs = r.parsed(&mut flag)?,
            "cold-functions" => o.cold_functions = list(&r.value(&mut flag)?),
            "concurrency" => o.concurrency = r.parsed(&mut flag)?,
            "seconds" => o.seconds = r.parsed(&mut flag)?,
            "warmup-seconds" => o.warmup_seconds = r.parsed(&mut flag)?,
            "mix-seconds" => o.mix_seconds = r.parsed(&mut flag)?,
            "max-requests" => o.max_requests = r.parsed(&mut flag)?,
            "analytics-events" => {
                o.analytics_events = list(&r.value(&mut flag)?)
                    .iter()
                    .map(|n| n.parse().map_err(|e| format!("--analytics-events: {e}")))
                    .collect::<Result<_, _>>()?
            }
            other => return Err(format!("unknown option --{other}")),
        }
    }
    // Bounded whatever is asked: this runs on shared machines.
    o.cold_runs = o.cold_runs.clamp(1, 200);
    o.concurrency = o.concurrency.clamp(1, 64);
    o.seconds = o.seconds.clamp(1, 120);
    o.mix_seconds = o.mix_seconds.clamp(1, 300);
    o.max_requests = o.max_requests.clamp(1, 200_000);
    if o.analytics_events.iter().any(|&n| n == 0 || n > 50_000) {
        return Err("--analytics-events: each count must be 1..=50000".into());
    }
    Ok(Some(o))
}

fn list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}
