//! The command line. Hand-parsed so that goose's own parser never sees it: every goose setting a
//! profile depends on is fixed by the profile, not left to a stray flag.

use std::path::PathBuf;
use std::time::Duration;

pub const USAGE: &str = "\
usage: ofauto-load --profile event-service|ofauto|stress [options]

  --host URL           the API, loopback only (default http://127.0.0.1:3000)
  --users N            virtual users (default: 50; stress: the most it ramps to, 2000)
  --run-time SECS      how long the steady phase lasts (event-service, ofauto; default 60)
  --max-requests N     stop once this many requests were sent (default 200000)
  --tenants N          tenants the users are spread over, round-robin (default 20)
  --tier NAME          the rate-limit tier in the tokens' custom:tier claim (default bulk)
  --state-dir DIR      the stack's state dir, holding the dev signing key (default .local)
  --token-bin PATH     the token minter (default target/debug/ofauto-token)
  --think-scale F      multiplies the profile's think time (default 1; CI runs shorter)
  --out-dir DIR        where report.html and summary.json go (default target/load/<profile>)
  --p95-ms MS          replace the overall p95 threshold
  --p99-ms MS          replace the overall p99 threshold
  --max-error-pct P    replace the overall error-rate threshold
  --ramp-per-sec N     stress: users added per second (default 5)
  --window SECS        stress: the sliding window judged each second (default 10)
  --max-time SECS      stress: the longest the ramp may run (default 300)
  --stack-pid PID      the ofauto-local process, for the CPU split (default: found by port)
  --contention-scaled  scale the time limits by the CPU share other processes left the stack
                       (CI on a shared machine); see load/src/contention.rs";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    EventService,
    Ofauto,
    Stress,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::EventService => "event-service",
            Profile::Ofauto => "ofauto",
            Profile::Stress => "stress",
        }
    }

    fn parse(s: &str) -> Result<Self, String> {
        match s {
            "event-service" => Ok(Profile::EventService),
            "ofauto" => Ok(Profile::Ofauto),
            "stress" => Ok(Profile::Stress),
            other => Err(format!(
                "unknown profile {other:?}: event-service, ofauto or stress"
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Args {
    pub profile: Profile,
    pub host: String,
    pub users: usize,
    pub run_time: Duration,
    pub max_requests: u64,
    pub tenants: usize,
    pub tier: String,
    pub state_dir: PathBuf,
    pub token_bin: PathBuf,
    pub think_scale: f64,
    pub out_dir: PathBuf,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_error_pct: Option<f64>,
    pub ramp_per_sec: usize,
    pub window: Duration,
    pub max_time: Duration,
    pub stack_pid: Option<u32>,
    pub contention_scaled: bool,
}

/// The largest user count any profile accepts: the Event Service seed ran up to 2,000.
pub const MAX_USERS: usize = 2000;
/// No run may last longer than this, whatever it is told.
pub const MAX_SECONDS: u64 = 900;

pub fn parse(argv: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut profile = None;
    let mut host = "http://127.0.0.1:3000".to_string();
    let mut users = None;
    let mut run_time = 60;
    let mut max_requests = 200_000;
    let mut tenants = 20;
    let mut tier = "bulk".to_string();
    let mut state_dir = PathBuf::from(".local");
    let mut token_bin = PathBuf::from("target/debug/ofauto-token");
    let mut think_scale = 1.0;
    let mut out_dir = None;
    let (mut p95_ms, mut p99_ms, mut max_error_pct) = (None, None, None);
    let mut ramp_per_sec = 5;
    let mut window = 10;
    let mut max_time = 300;
    let mut stack_pid = None;
    let mut contention_scaled = false;

    let mut it = argv.into_iter();
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.to_string());
        }
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--profile" => profile = Some(Profile::parse(&value()?)?),
            "--host" => host = value()?,
            "--users" => users = Some(number(&flag, &value()?)?),
            "--run-time" => run_time = number(&flag, &value()?)?,
            "--max-requests" => max_requests = number(&flag, &value()?)?,
            "--tenants" => tenants = number(&flag, &value()?)?,
            "--tier" => tier = value()?,
            "--state-dir" => state_dir = value()?.into(),
            "--token-bin" => token_bin = value()?.into(),
            "--think-scale" => think_scale = number(&flag, &value()?)?,
            "--out-dir" => out_dir = Some(PathBuf::from(value()?)),
            "--p95-ms" => p95_ms = Some(number(&flag, &value()?)?),
            "--p99-ms" => p99_ms = Some(number(&flag, &value()?)?),
            "--max-error-pct" => max_error_pct = Some(number(&flag, &value()?)?),
            "--ramp-per-sec" => ramp_per_sec = number(&flag, &value()?)?,
            "--window" => window = number(&flag, &value()?)?,
            "--max-time" => max_time = number(&flag, &value()?)?,
            "--stack-pid" => stack_pid = Some(number(&flag, &value()?)?),
            "--contention-scaled" => contention_scaled = true,
            other => return Err(format!("unknown option {other}\n\n{USAGE}")),
        }
    }
    let profile = profile.ok_or_else(|| format!("--profile is required\n\n{USAGE}"))?;
    let users = users.unwrap_or(match profile {
        Profile::Stress => MAX_USERS,
        _ => 50,
    });
    if users == 0 || users > MAX_USERS {
        return Err(format!("--users must be 1..={MAX_USERS}, not {users}"));
    }
    if tenants == 0 {
        return Err("--tenants must be at least 1".into());
    }
    if !(0.0..=10.0).contains(&think_scale) {
        return Err(format!("--think-scale must be 0..=10, not {think_scale}"));
    }
    if run_time == 0 || run_time > MAX_SECONDS || max_time == 0 || max_time > MAX_SECONDS {
        return Err(format!(
            "--run-time and --max-time must be 1..={MAX_SECONDS} s"
        ));
    }
    if ramp_per_sec == 0 || window == 0 {
        return Err("--ramp-per-sec and --window must be at least 1".into());
    }
    Ok(Args {
        profile,
        host,
        users,
        run_time: Duration::from_secs(run_time),
        max_requests,
        tenants,
        tier,
        state_dir,
        token_bin,
        think_scale,
        out_dir: out_dir.unwrap_or_else(|| PathBuf::from("target/load").join(profile.name())),
        p95_ms,
        p99_ms,
        max_error_pct,
        ramp_per_sec,
        window: Duration::from_secs(window),
        max_time: Duration::from_secs(max_time),
        stack_pid,
        contention_scaled,
    })
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: {value:?} is not a valid number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Args, String> {
        parse(s.split_whitespace().map(String::from))
    }

    #[test]
    fn defaults_follow_the_profile() {
        let a = args("--profile event-service").unwrap();
        assert_eq!(a.users, 50);
        assert_eq!(a.out_dir, PathBuf::from("target/load/event-service"));
        assert_eq!(args("--profile stress").unwrap().users, MAX_USERS);
    }

    #[test]
    fn refuses_unbounded_or_unknown_settings() {
        assert!(args("--users 10").is_err());
        assert!(args("--profile nope").is_err());
        assert!(args("--profile ofauto --users 2001").is_err());
        assert!(args("--profile ofauto --run-time 100000").is_err());
        assert!(args("--profile ofauto --bogus 1").is_err());
    }
}
