//! Judging latency on a shared machine. The CI run's time limits are set for the stack getting
//! the machine to itself; when other processes (builds, browsers, other suites) take part of the
//! CPU, the stack gets less, and the limits are scaled by the inverse of the share that was left:
//! a stack that is 2x slower still misses them, a busy neighbour alone does not. Past
//! `TOO_BUSY`, a latency verdict would be about the neighbours, not the stack, so none is given
//! (the error-rate rule still is).

use crate::thresholds::{Metric, Threshold};

/// Above this share of the machine taken by others, latency is not judged.
pub const TOO_BUSY: f64 = 0.67;

/// The factor the time limits are multiplied by, or None when the machine was too busy.
pub fn factor(other_share: f64) -> Option<f64> {
    (other_share <= TOO_BUSY).then(|| 1.0 / (1.0 - other_share.max(0.0)))
}

/// Scales the percentile limits by `factor`; with None, drops them.
pub fn apply(rules: &mut Vec<Threshold>, factor: Option<f64>) {
    match factor {
        Some(f) => {
            for rule in rules.iter_mut() {
                if rule.metric != Metric::ErrorPct {
                    rule.limit = (rule.limit * f).round();
                }
            }
        }
        None => rules.retain(|rule| rule.metric == Metric::ErrorPct),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thresholds::Scope;

    #[test]
    fn limits_grow_with_the_cpu_others_took_and_stop_past_too_busy() {
        assert_eq!(factor(0.0), Some(1.0));
        assert_eq!(factor(0.5), Some(2.0));
        assert_eq!(factor(0.8), None);
        let mut rules = vec![
            Threshold::new(Scope::All, Metric::P95, 100.0),
            Threshold::new(Scope::All, Metric::ErrorPct, 1.0),
        ];
        apply(&mut rules, factor(0.5));
        assert_eq!((rules[0].limit, rules[1].limit), (200.0, 1.0));
        apply(&mut rules, None);
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].metric, Metric::ErrorPct);
    }
}
