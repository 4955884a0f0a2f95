//! Preview against an independent implementation: 200 pseudo-random cron expressions in 20
//! zones, each previewed through the API and recomputed by croniter (PyPI, in the suite's Python
//! tools, `scripts/cron_reference.py`). The cases stay away from daylight-saving changes, where
//! the Open Cron Pattern rules that API.md adopts and croniter's own may differ by design: fixed
//! hours are 04–23 and every case's horizon is a few weeks in December.

use std::io::Write;
use std::process::{Command, Stdio};

use ofauto_tests::fixtures::Tenant;
use ofauto_tests::receiver::tools_python;
use ofauto_tests::stack::workspace_root;
use serde_json::{json, Value};

use super::{rfc3339, schedule, str_of};

const ZONES: [&str; 20] = [
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "America/St_Johns",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Moscow",
    "Africa/Cairo",
    "Africa/Lagos",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "America/Havana",
];

/// A small deterministic generator (xorshift), so a failure names a reproducible case.
struct Cases(u64);

impl Cases {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }

    fn minute(&mut self) -> String {
        match self.next(5) {
            0 => "*".into(),
            1 => format!("*/{}", [5, 10, 15, 20, 30][self.next(5) as usize]),
            2 => format!("{},{}", self.next(30), 30 + self.next(30)),
            3 => format!("{}-{}", self.next(20), 30 + self.next(29)),
            _ => self.next(60).to_string(),
        }
    }

    fn hour(&mut self, minute_is_fixed: bool) -> String {
        match self.next(4) {
            // A wildcard hour with a wildcard minute would be every minute: keep the horizon
            // useful by fixing the minute when the hour is a wildcard.
            0 if minute_is_fixed => "*".into(),
            1 => format!("{}-{}", 4 + self.next(8), 13 + self.next(11)),
            2 => format!("{},{}", 4 + self.next(9), 14 + self.next(10)),
            _ => (4 + self.next(20)).to_string(),
        }
    }

    fn day_of_week(&mut self) -> String {
        match self.next(5) {
            0 => "MON-FRI".into(),
            1 => "SAT,SUN".into(),
            2 => ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"][self.next(7) as usize].into(),
            _ => "*".into(),
        }
    }

    fn cron(&mut self) -> String {
        let minute = self.minute();
        let fixed = !minute.contains('*') && !minute.contains('-') && !minute.contains(',');
        let hour = self.hour(fixed);
        let day_of_month = if self.next(6) == 0 {
            format!("{}-{}", 1 + self.next(10), 15 + self.next(13))
        } else {
            "*".into()
        };
        let day_of_week = if day_of_month == "*" {
            self.day_of_week()
        } else {
            "*".into()
        };
        format!("{minute} {hour} {day_of_month} DEC {day_of_week}")
    }
}

fn reference(cases: &[Value]) -> Vec<Vec<String>> {
    let mut child = Command::new(tools_python())
        .arg(workspace_root().join("scripts/cron_reference.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("running scripts/cron_reference.py");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(Value::Array(cases.to_vec()).to_string().as_bytes())
        .expect("writing the cases");
    let out = child.wait_with_output().expect("the reference's answer");
    assert!(out.status.success(), "cron_reference.py failed");
    serde_json::from_slice(&out.stdout).expect("the reference's JSON")
}

#[tokio::test]
async fn preview_agrees_with_croniter_on_200_random_expressions() {
    super::quiet();
    let viewer = Tenant::new().bulk("viewer");
    let mut gen = Cases(0x9E37_79B9_7F4A_7C15);
    let mut cases = Vec::new();
    let mut previews = Vec::new();
    for i in 0..200 {
        let cron = gen.cron();
        let zone = ZONES[i % ZONES.len()];
        // Just before the request: preview starts at its own "now", a little later.
        let before = chrono::Utc::now() - chrono::TimeDelta::seconds(1);
        let answer = viewer
            .post_json(
                "/v1/automations/preview",
                &json!({"trigger": schedule(&cron, zone), "count": 5}),
            )
            .await
            .ok_json(200);
        let runs: Vec<String> = answer["runs"]
            .as_array()
            .expect("runs")
            .iter()
            .map(|r| str_of(r, "at").to_owned())
            .collect();
        cases.push(json!({"cron": cron, "timezone": zone, "after": rfc3339(before), "count": 6}));
        previews.push(runs);
    }
    let expected = reference(&cases);
    let mut wrong = Vec::new();
    for ((case, preview), reference) in cases.iter().zip(&previews).zip(&expected) {
        // An occurrence between `before` and the request is the reference's first only.
        let agrees = preview.as_slice() == &reference[..5] || preview.as_slice() == &reference[1..];
        if !agrees {
            wrong.push(format!(
                "{case}: preview {preview:?}, croniter {reference:?}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of 200 disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
