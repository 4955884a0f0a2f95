//! DynamoDB repositories. Every method takes the tenant; keys come only from `crate::keys`, and
//! errors are [`StorageError`]s, which the HTTP edge turns into answers.

pub(crate) mod attributes;
pub(crate) mod automations;
pub(crate) mod channels;
pub(crate) mod conditional;
pub(crate) mod counters;
pub(crate) mod due;
pub(crate) mod error;
pub(crate) mod events;
pub(crate) mod get;
pub(crate) mod page;
pub(crate) mod posts;

pub use automations::{
    AutomationDueEntry, AutomationPage, AutomationRecord, AutomationsRepository, Occurrence,
    RunPage, RunPosition, RunRecord, RunState,
};
pub use channels::{ChannelPage, ChannelsRepository, StoredChannel};
pub use counters::{CountersRepository, PoisonedChange};
pub use due::{Due, DueIndex};
pub use error::StorageError;
pub use events::EventsRepository;
pub use posts::{
    AttemptPage, Claimed, DueEntry, Finish, PostError, PostPage, PostRecord, PostsRepository,
    MISSED_AFTER,
};
