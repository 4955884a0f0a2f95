//! Event ids are ULIDs whose time part is the event's `occurred_at`: the id alone locates the
//! item (get-by-id is a key lookup) and sorts by time (time-range lists are key ranges).

use std::fmt;

use ulid::Ulid;

use super::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(Ulid);

impl EventId {
    pub fn generate(occurred_at: Timestamp) -> Self {
        Self(Ulid::from_parts(occurred_at.millis(), rand_u128()))
    }

    /// Anything that is not a canonical ULID cannot name an event; callers answer 404.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.len() != 26 {
            return None;
        }
        let ulid = Ulid::from_string(raw).ok()?;
        // Only the canonical (upper-case) spelling is an id; this keeps one key per event.
        (ulid.to_string() == raw).then_some(Self(ulid))
    }

    /// The smallest id at `at`, for inclusive lower bounds.
    pub fn lowest_at(at: Timestamp) -> Self {
        Self(Ulid::from_parts(at.millis(), 0))
    }

    /// The largest id at `at`, for inclusive upper bounds.
    pub fn highest_at(at: Timestamp) -> Self {
        Self(Ulid::from_parts(at.millis(), u128::MAX))
    }

    pub fn lowest() -> Self {
        Self(Ulid::nil())
    }

    pub fn highest() -> Self {
        Self(Ulid::from_parts((1u64 << 48) - 1, u128::MAX))
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

fn rand_u128() -> u128 {
    // ulid's own generator uses `rand`; Ulid::new() takes the wall clock, which we must not use.
    Ulid::new().random()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_occurred_at() {
        let early = EventId::generate(Timestamp::parse("2026-01-01T00:00:00Z").unwrap());
        let late = EventId::generate(Timestamp::parse("2026-01-01T00:00:00.001Z").unwrap());
        assert!(early < late);
        let at = Timestamp::parse("2026-01-01T00:00:00.001Z").unwrap();
        assert!(EventId::lowest_at(at) <= late && late <= EventId::highest_at(at));
    }

    #[test]
    fn parses_only_canonical_ulids() {
        let id = EventId::generate(Timestamp::now());
        assert_eq!(EventId::parse(&id.to_string()), Some(id));
        assert_eq!(EventId::parse(&id.to_string().to_lowercase()), None);
        assert_eq!(EventId::parse("../../etc/passwd"), None);
        assert_eq!(EventId::parse(""), None);
    }
}

/// Declares an id of a resource the API creates (channels, posts): a canonical ULID. Unlike an
/// event's, its time part is the creation instant, which nothing depends on.
macro_rules! resource_id {
    ($(#[doc = $doc:literal])* $name:ident) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Ulid);

        impl $name {
            pub fn generate() -> Self {
                Self(Ulid::new())
            }

            /// Anything but a canonical ULID names nothing; callers answer 404 (or 400 for a
            /// reference in a body).
            pub fn parse(raw: &str) -> Option<Self> {
                if raw.len() != 26 {
                    return None;
                }
                let ulid = Ulid::from_string(raw).ok()?;
                (ulid.to_string() == raw).then_some(Self(ulid))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).ok_or_else(|| serde::de::Error::custom("not a canonical ULID"))
            }
        }
    };
}

resource_id! {
    /// A webhook channel.
    ChannelId
}

resource_id! {
    /// A scheduled (or draft) post.
    PostId
}

impl PostId {
    /// The same ULID as another id's: how a run names the post it makes (`RunId::post_id`).
    pub(crate) fn from_ulid(ulid: Ulid) -> Self {
        Self(ulid)
    }
}

/// The Standard Webhooks message id of one post: fixed when the post is created and sent on
/// every attempt and every manual retry, so that receivers can drop duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct WebhookId(String);

impl WebhookId {
    /// A post's id at creation; a channel test takes a fresh one each time.
    pub fn generate() -> Self {
        Self(format!("msg_{}", Ulid::new()))
    }

    /// An automation run's webhook: one id per run (`msg_<run id>`), the same on every retry of
    /// its action, so receivers can drop duplicates.
    pub fn for_run(run: impl fmt::Display) -> Self {
        Self(format!("msg_{run}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WebhookId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod resource_id_tests {
    use super::*;

    #[test]
    fn resource_ids_parse_only_canonical_ulids_and_round_trip_through_json() {
        let id = PostId::generate();
        assert_eq!(PostId::parse(&id.to_string()), Some(id));
        assert_eq!(ChannelId::parse(&id.to_string().to_lowercase()), None);
        assert_eq!(ChannelId::parse("x"), None);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<PostId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<PostId>("\"nope\"").is_err());
        assert!(WebhookId::generate().as_str().starts_with("msg_"));
    }
}
