//! The seeds' pass/fail rules, judged on the run's figures. A rule scoped to a group of
//! endpoints is judged on each of them, so a miss names the endpoint that missed.

use crate::stats::{RunStats, Stats};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    P95,
    P99,
    ErrorPct,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// All requests together.
    All,
    /// One endpoint, by its goose name ("GET /health").
    Endpoint(&'static str),
    /// Each endpoint whose path starts with one of these prefixes, judged on its own.
    EachUnder(&'static [&'static str]),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub scope: Scope,
    pub metric: Metric,
    /// Milliseconds for a percentile, a percent for the error rate; the rule is `measured < limit`.
    pub limit: f64,
}

impl Threshold {
    pub const fn new(scope: Scope, metric: Metric, limit: f64) -> Self {
        Threshold {
            scope,
            metric,
            limit,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub rule: String,
    pub measured: f64,
    pub limit: f64,
    pub passed: bool,
}

impl Verdict {
    pub fn to_json(&self) -> Value {
        json!({
            "rule": self.rule,
            "measured": (self.measured * 100.0).round() / 100.0,
            "limit": self.limit,
            "passed": self.passed,
        })
    }
}

fn measure(stats: &Stats, metric: Metric) -> f64 {
    match metric {
        Metric::P95 => stats.p95_ms,
        Metric::P99 => stats.p99_ms,
        Metric::ErrorPct => stats.error_pct(),
    }
}

fn rule_text(metric: Metric, limit: f64, scope: &str) -> String {
    match metric {
        Metric::P95 => format!("p95 < {limit} ms for {scope}"),
        Metric::P99 => format!("p99 < {limit} ms for {scope}"),
        Metric::ErrorPct => format!("error rate < {limit} % for {scope}"),
    }
}

fn path_of(name: &str) -> &str {
    name.split_once(' ').map_or(name, |(_, path)| path)
}

/// Judges every rule. A rule whose scope saw no request fails: a threshold on nothing proves
/// nothing.
pub fn judge(rules: &[Threshold], stats: &RunStats) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    let mut push = |metric: Metric, limit: f64, scope: &str, s: Option<&Stats>| {
        let (measured, passed) = match s {
            Some(s) if s.count > 0 => {
                let m = measure(s, metric);
                (m, m < limit)
            }
            _ => (f64::NAN, false),
        };
        verdicts.push(Verdict {
            rule: rule_text(metric, limit, scope),
            measured,
            limit,
            passed,
        });
    };
    for rule in rules {
        match &rule.scope {
            Scope::All => push(
                rule.metric,
                rule.limit,
                "all requests",
                Some(&stats.overall),
            ),
            Scope::Endpoint(name) => {
                push(rule.metric, rule.limit, name, stats.endpoints.get(*name))
            }
            Scope::EachUnder(prefixes) => {
                let matching: Vec<_> = stats
                    .endpoints
                    .iter()
                    .filter(|(name, _)| prefixes.iter().any(|p| path_of(name).starts_with(p)))
                    .collect();
                if matching.is_empty() {
                    push(rule.metric, rule.limit, &prefixes.join(", "), None);
                }
                for (name, s) in matching {
                    push(rule.metric, rule.limit, name, Some(s));
                }
            }
        }
    }
    verdicts
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn stats(p95: f64, failures: usize) -> Stats {
        Stats {
            count: 100,
            failures,
            p95_ms: p95,
            ..Stats::default()
        }
    }

    #[test]
    fn each_endpoint_under_a_prefix_is_judged_and_named() {
        let mut endpoints = BTreeMap::new();
        endpoints.insert("GET /v1/posts".to_string(), stats(100.0, 0));
        endpoints.insert("GET /v1/posts/{id}".to_string(), stats(900.0, 0));
        endpoints.insert("GET /health".to_string(), stats(50.0, 0));
        let run = RunStats {
            endpoints,
            overall: stats(300.0, 6),
        };
        let rules = [
            Threshold::new(Scope::EachUnder(&["/v1/posts"]), Metric::P95, 750.0),
            Threshold::new(Scope::Endpoint("GET /health"), Metric::P95, 200.0),
            Threshold::new(Scope::All, Metric::ErrorPct, 5.0),
        ];
        let verdicts = judge(&rules, &run);
        let failed: Vec<_> = verdicts.iter().filter(|v| !v.passed).collect();
        assert_eq!(verdicts.len(), 4);
        assert_eq!(failed.len(), 2);
        assert_eq!(failed[0].rule, "p95 < 750 ms for GET /v1/posts/{id}");
        assert_eq!(failed[0].measured, 900.0);
        assert_eq!(failed[1].rule, "error rate < 5 % for all requests");
    }

    #[test]
    fn a_rule_on_nothing_fails() {
        let run = RunStats {
            endpoints: BTreeMap::new(),
            overall: Stats::default(),
        };
        let rules = [Threshold::new(
            Scope::Endpoint("GET /health"),
            Metric::P95,
            200.0,
        )];
        assert!(!judge(&rules, &run)[0].passed);
    }
}
