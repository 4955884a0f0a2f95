//! Analytics queries: a granularity, an aligned window of buckets, and the span limits that keep a
//! read at O(buckets).

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::event::EventType;
use super::time::Timestamp;
use crate::error::{ApiError, FieldError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Hour,
    Day,
}

impl Granularity {
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        match raw {
            None | Some("hour") => Ok(Self::Hour),
            Some("day") => Ok(Self::Day),
            Some(_) => Err("must be `hour` or `day`".into()),
        }
    }

    pub fn step(self) -> TimeDelta {
        match self {
            Self::Hour => TimeDelta::hours(1),
            Self::Day => TimeDelta::days(1),
        }
    }

    /// API.md: at most 31 days of hours, 366 days of days.
    pub fn max_span(self) -> TimeDelta {
        match self {
            Self::Hour => TimeDelta::days(31),
            Self::Day => TimeDelta::days(366),
        }
    }

    /// Start of the bucket holding `at` (UTC hours and days). In whole seconds, not
    /// `duration_trunc`: that works in i64 nanoseconds, gives up after 2262-04-11, and its fallback
    /// left buckets unaligned.
    pub fn bucket_start(self, at: DateTime<Utc>) -> DateTime<Utc> {
        let step = self.step().num_seconds();
        DateTime::from_timestamp(at.timestamp().div_euclid(step) * step, 0).unwrap_or(at)
    }

    /// A short tag used in storage keys.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Hour => "H",
            Self::Day => "D",
        }
    }
}

/// Bucket starts on the wire and in keys: whole seconds, `2026-01-02T03:00:00Z`.
pub fn format_bucket(start: DateTime<Utc>) -> String {
    start.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[derive(Debug, Clone)]
pub struct AnalyticsQuery {
    pub granularity: Granularity,
    pub from: Timestamp,
    pub to: Timestamp,
    pub event_type: Option<EventType>,
}

impl AnalyticsQuery {
    pub fn parse(param: impl Fn(&str) -> Option<String>) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let mut timestamp = |name: &str| match param(name) {
            None => {
                errors.push(FieldError::new(name, "is required"));
                None
            }
            Some(raw) => match Timestamp::parse(&raw) {
                Ok(t) => Some(t),
                Err(e) => {
                    errors.push(FieldError::new(name, e.to_string()));
                    None
                }
            },
        };
        let from = timestamp("from");
        let to = timestamp("to");
        let granularity = match Granularity::parse(param("granularity").as_deref()) {
            Ok(g) => Some(g),
            Err(message) => {
                errors.push(FieldError::new("granularity", message));
                None
            }
        };
        let event_type = match param("type").map(|t| EventType::parse(&t)).transpose() {
            Ok(t) => t,
            Err(message) => {
                errors.push(FieldError::new("type", message));
                None
            }
        };
        if let (Some(from), Some(to), Some(granularity)) = (from, to, granularity) {
            if from > to {
                errors.push(FieldError::new("from", "must not be after `to`"));
            } else if to.datetime() - from.datetime() > granularity.max_span() {
                errors.push(FieldError::new(
                    "to",
                    format!(
                        "the span may be at most {} days for granularity `{}`",
                        granularity.max_span().num_days(),
                        granularity.tag_name()
                    ),
                ));
            }
        }
        match (from, to, granularity) {
            (Some(from), Some(to), Some(granularity)) if errors.is_empty() => Ok(Self {
                granularity,
                from,
                to,
                event_type,
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }

    /// Every bucket start in the window, in order, including empty ones.
    /// Stops at the bucket holding `to` without stepping past it: the start after the last
    /// bucket of year 9999 is in year 10000, which has no RFC 3339 spelling and no key.
    pub fn bucket_starts(&self) -> Vec<DateTime<Utc>> {
        let step = self.granularity.step();
        let last = self.granularity.bucket_start(self.to.datetime());
        let mut at = self.granularity.bucket_start(self.from.datetime());
        let mut starts = Vec::new();
        while at <= last {
            starts.push(at);
            if at == last {
                break;
            }
            at += step;
        }
        starts
    }
}

impl Granularity {
    fn tag_name(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
        }
    }
}

/// One stored counter item: the counts of the types it itemises and of all others together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketCounts {
    pub by_type: BTreeMap<String, u64>,
    pub other: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Bucket {
    #[schema(format = DateTime, example = "2026-01-02T03:00:00Z")]
    pub start: String,
    /// The bucket's events: the sum of `counts`, plus `other` when no `type` filter is given.
    pub total: u64,
    /// Events per type, for at most the first 1000 distinct types seen in the bucket.
    pub counts: BTreeMap<String, u64>,
    /// Events in the bucket whose type is past the 1000 itemised in `counts`. It is reported
    /// with a `type` filter too (the filtered type may be among them) but is then not in `total`.
    pub other: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AnalyticsReport {
    pub granularity: Granularity,
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub to: Timestamp,
    pub total: u64,
    pub buckets: Vec<Bucket>,
}

impl AnalyticsReport {
    /// Lays stored counters onto the full run of buckets, filling the gaps with zeros.
    pub fn assemble(query: &AnalyticsQuery, stored: BTreeMap<String, BucketCounts>) -> Self {
        let buckets: Vec<Bucket> = query
            .bucket_starts()
            .into_iter()
            .map(|start| {
                let key = format_bucket(start);
                let stored = stored.get(&key);
                let counts: BTreeMap<String, u64> = stored
                    .map(|counts| {
                        counts
                            .by_type
                            .iter()
                            .filter(|(ty, n)| {
                                **n > 0
                                    && query
                                        .event_type
                                        .as_ref()
                                        .is_none_or(|wanted| wanted.as_str() == ty.as_str())
                            })
                            .map(|(ty, n)| (ty.clone(), *n))
                            .collect()
                    })
                    .unwrap_or_default();
                let other = stored.map_or(0, |counts| counts.other);
                let unfiltered_other = if query.event_type.is_none() { other } else { 0 };
                Bucket {
                    start: key,
                    total: counts.values().sum::<u64>() + unfiltered_other,
                    counts,
                    other,
                }
            })
            .collect();
        Self {
            granularity: query.granularity,
            from: query.from,
            to: query.to,
            total: buckets.iter().map(|b| b.total).sum(),
            buckets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<AnalyticsQuery, ApiError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        AnalyticsQuery::parse(|k| map.get(k).cloned())
    }

    fn fields(err: ApiError) -> Vec<String> {
        match err {
            ApiError::Validation(e) => e.into_iter().map(|e| e.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn buckets_cover_the_window_inclusively() {
        let q = parse(&[
            ("from", "2026-01-01T22:30:00Z"),
            ("to", "2026-01-02T01:00:00Z"),
        ])
        .unwrap();
        let starts: Vec<_> = q.bucket_starts().into_iter().map(format_bucket).collect();
        assert_eq!(
            starts,
            [
                "2026-01-01T22:00:00Z",
                "2026-01-01T23:00:00Z",
                "2026-01-02T00:00:00Z",
                "2026-01-02T01:00:00Z"
            ]
        );
    }

    #[test]
    fn buckets_align_in_any_year_and_across_a_leap_second() {
        let starts = |pairs: &[(&str, &str)]| -> Vec<String> {
            parse(pairs)
                .unwrap()
                .bucket_starts()
                .into_iter()
                .map(format_bucket)
                .collect()
        };
        assert_eq!(
            starts(&[
                ("from", "3000-01-01T00:30:00Z"),
                ("to", "3000-01-01T02:00:00Z")
            ]),
            [
                "3000-01-01T00:00:00Z",
                "3000-01-01T01:00:00Z",
                "3000-01-01T02:00:00Z"
            ]
        );
        assert_eq!(
            starts(&[
                ("from", "9999-12-30T12:00:00.5Z"),
                ("to", "9999-12-31T23:59:59.999Z"),
                ("granularity", "day"),
            ]),
            ["9999-12-30T00:00:00Z", "9999-12-31T00:00:00Z"]
        );
        assert_eq!(
            starts(&[
                ("from", "2016-12-31T23:59:60Z"),
                ("to", "2017-01-01T01:00:00Z")
            ]),
            ["2017-01-01T00:00:00Z", "2017-01-01T01:00:00Z"]
        );
        assert_eq!(
            Granularity::Hour.bucket_start(
                DateTime::parse_from_rfc3339("2016-12-31T23:59:60Z")
                    .unwrap()
                    .with_timezone(&Utc)
            ),
            DateTime::parse_from_rfc3339("2016-12-31T23:00:00Z").unwrap()
        );
    }

    #[test]
    fn windows_reaching_year_10000_are_refused_by_name() {
        let crossing = parse(&[
            ("from", "9999-12-31T23:00:00Z"),
            ("to", "9999-12-31T23:59:59-01:00"),
        ]);
        assert_eq!(fields(crossing.unwrap_err()), ["to"]);
        let inside = parse(&[
            ("from", "9999-12-31T23:30:00-02:00"),
            ("to", "9999-12-31T23:45:00-02:00"),
            ("granularity", "day"),
        ]);
        assert_eq!(fields(inside.unwrap_err()), ["from", "to"]);
    }

    #[test]
    fn the_last_buckets_of_year_9999_have_rfc3339_keys() {
        for (granularity, from, count, last) in [
            ("hour", "9999-12-31T00:00:00Z", 24, "9999-12-31T23:00:00Z"),
            ("day", "9999-01-01T00:00:00Z", 365, "9999-12-31T00:00:00Z"),
        ] {
            let q = parse(&[
                ("from", from),
                ("to", "9999-12-31T23:59:59.999Z"),
                ("granularity", granularity),
            ])
            .unwrap();
            let keys: Vec<_> = q.bucket_starts().into_iter().map(format_bucket).collect();
            assert_eq!(keys.len(), count);
            assert_eq!(keys.last().map(String::as_str), Some(last));
            assert!(keys.iter().all(|k| k.len() == 20 && k.starts_with("9999-")));
        }
    }

    #[test]
    fn span_limits_per_granularity() {
        assert!(parse(&[
            ("from", "2026-01-01T00:00:00Z"),
            ("to", "2026-02-01T00:00:00Z")
        ])
        .is_ok());
        let too_wide = parse(&[
            ("from", "2026-01-01T00:00:00Z"),
            ("to", "2026-02-01T00:00:01Z"),
        ]);
        assert_eq!(fields(too_wide.unwrap_err()), ["to"]);
        let days = [
            ("from", "2026-01-01T00:00:00Z"),
            ("to", "2027-01-02T00:00:00Z"),
            ("granularity", "day"),
        ];
        assert!(parse(&days).is_ok());
        let too_many_days = [
            ("from", "2026-01-01T00:00:00Z"),
            ("to", "2027-01-02T00:00:01Z"),
            ("granularity", "day"),
        ];
        assert_eq!(fields(parse(&too_many_days).unwrap_err()), ["to"]);
    }

    #[test]
    fn required_and_invalid_parameters_are_named() {
        assert_eq!(fields(parse(&[]).unwrap_err()), ["from", "to"]);
        let err = parse(&[
            ("from", "x"),
            ("to", "2026-01-01T00:00:00Z"),
            ("granularity", "week"),
            ("type", "A"),
        ]);
        assert_eq!(fields(err.unwrap_err()), ["from", "granularity", "type"]);
        let reversed = parse(&[
            ("from", "2026-01-02T00:00:00Z"),
            ("to", "2026-01-01T00:00:00Z"),
        ]);
        assert_eq!(fields(reversed.unwrap_err()), ["from"]);
    }

    #[test]
    fn assemble_fills_gaps_and_filters_types() {
        let q = parse(&[
            ("from", "2026-01-01T00:00:00Z"),
            ("to", "2026-01-01T02:00:00Z"),
            ("type", "a"),
        ])
        .unwrap();
        let mut stored = BTreeMap::new();
        stored.insert(
            "2026-01-01T01:00:00Z".to_string(),
            BucketCounts {
                by_type: BTreeMap::from([
                    ("a".to_string(), 3),
                    ("b".to_string(), 4),
                    ("c".to_string(), 0),
                ]),
                other: 5,
            },
        );
        let filtered = AnalyticsReport::assemble(&q, stored.clone());
        assert_eq!(filtered.buckets.len(), 3);
        assert_eq!(
            filtered.total, 3,
            "`other` is not the filtered type's count"
        );
        assert_eq!(filtered.buckets[0].total, 0);
        assert_eq!(filtered.buckets[1].other, 5);
        assert_eq!(
            filtered.buckets[1].counts,
            BTreeMap::from([("a".to_string(), 3)])
        );
        let all = parse(&[
            ("from", "2026-01-01T00:00:00Z"),
            ("to", "2026-01-01T02:00:00Z"),
        ])
        .unwrap();
        let report = AnalyticsReport::assemble(&all, stored);
        assert_eq!(report.buckets[1].total, 12, "3 + 4 itemised, 5 in other");
        assert_eq!(report.total, 12);
    }
}
