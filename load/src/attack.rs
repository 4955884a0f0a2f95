//! Runs one goose attack with the settings every profile shares: loopback host, no controllers
//! listening (goose's telnet and WebSocket ports), the HTML report, and a hard watchdog.

use goose::config::GooseConfiguration;
use goose::prelude::*;
use std::path::Path;
use std::time::Duration;

pub struct Shape {
    pub users: usize,
    /// Users started per second.
    pub increase_rate: f64,
    /// How long to hold all users after they have started.
    pub run_time: Duration,
    /// Keep the ramp's requests in the metrics (the stress profile judges the ramp itself).
    pub keep_ramp_metrics: bool,
}

impl Shape {
    /// The longest the attack may take before the watchdog ends the process.
    pub fn watchdog(&self) -> Duration {
        let ramp = self.users as f64 / self.increase_rate;
        self.run_time + Duration::from_secs_f64(ramp) + Duration::from_secs(60)
    }
}

pub async fn run(
    scenario: Scenario,
    host: &str,
    shape: &Shape,
    out_dir: &Path,
) -> Result<GooseMetrics, String> {
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let report = out_dir.join("report.html");
    let report = report.to_str().ok_or("the report path is not UTF-8")?;
    let setup = || -> Result<Box<GooseAttack>, GooseError> {
        GooseAttack::initialize_with_config(GooseConfiguration::default())?
            .register_scenario(scenario)
            .set_default(GooseDefault::Host, host)?
            .set_default(GooseDefault::Users, shape.users)?
            .set_default(
                GooseDefault::IncreaseRate,
                format!("{}", shape.increase_rate).as_str(),
            )?
            .set_default(GooseDefault::RunTime, shape.run_time.as_secs() as usize)?
            .set_default(GooseDefault::ReportFile, report)?
            .set_default(GooseDefault::NoResetMetrics, shape.keep_ramp_metrics)?
            // Warnings only on the terminal, and our own table instead of goose's: the HTML report
            // holds goose's full tables.
            .set_default(GooseDefault::Quiet, 1)?
            .set_default(GooseDefault::NoPrintMetrics, true)?
            .set_default(GooseDefault::NoTelnet, true)?
            .set_default(GooseDefault::Timeout, "30")
    };
    let attack = setup().map_err(|e| format!("goose set-up: {e}"))?;
    let limit = shape.watchdog();
    match tokio::time::timeout(limit, (*attack).execute()).await {
        Ok(Ok(metrics)) => Ok(metrics),
        Ok(Err(e)) => Err(format!("goose: {e}")),
        Err(_) => {
            eprintln!("ofauto-load: stopped by the {limit:?} watchdog");
            std::process::exit(3);
        }
    }
}
