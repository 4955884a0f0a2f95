//! Creating a post: the one code path behind `POST /v1/posts` and an automation's
//! `publish_post` action, so that a post an automation makes is checked, stored and handed to
//! the schedule exactly as one a client makes (API.md, "Automations": "creates a post through
//! the same code path as `POST /v1/posts`").

use crate::domain::{AutomationId, ChannelId, NewPost, Post, RunId, TenantId, Timestamp};
use crate::error::ApiError;
use crate::repo::{ChannelsRepository, PostsRepository, StorageError};
use crate::schedule::Handover;

/// Why a post was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreatePostError {
    /// No such channel for this tenant (another tenant's looks the same).
    #[error("channel deleted")]
    ChannelMissing,
    /// The channel exists but is disabled.
    #[error("channel disabled")]
    ChannelDisabled,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<CreatePostError> for ApiError {
    /// At the API, unknown, another tenant's and disabled channels look the same: the field is
    /// wrong.
    fn from(error: CreatePostError) -> Self {
        match error {
            CreatePostError::ChannelMissing | CreatePostError::ChannelDisabled => {
                ApiError::field("channel_id", "must name an active channel of this tenant")
            }
            CreatePostError::Storage(error) => error.into(),
        }
    }
}

/// What creating a post needs, built once at cold start.
#[derive(Debug, Clone)]
pub struct PostService {
    pub posts: PostsRepository,
    pub channels: ChannelsRepository,
    pub handover: Handover,
}

impl PostService {
    pub fn new(posts: PostsRepository, channels: ChannelsRepository, handover: Handover) -> Self {
        Self {
            posts,
            channels,
            handover,
        }
    }

    /// Checks that the channel is an active channel of `tenant`, stores the post and, when it
    /// is due within the dispatcher's look-ahead, hands it straight to the delivery queue.
    /// Answers the post as stored.
    pub async fn create_post(
        &self,
        tenant: &TenantId,
        new_post: NewPost,
        now: Timestamp,
    ) -> Result<Post, CreatePostError> {
        self.check_channel(tenant, new_post.channel_id).await?;
        let post = Post::create_for(new_post, None, now);
        self.posts.create(tenant, &post).await?;
        self.handover
            .hand_over(&self.posts, tenant, &post, now)
            .await;
        Ok(post)
    }

    /// The post of an automation run's `publish_post`, linked to its automation. Its id is the
    /// run's, so a run whose action starts again (a copy of its message taking over from a
    /// deliverer that died) finds the post the first start made rather than make a second.
    pub async fn create_run_post(
        &self,
        tenant: &TenantId,
        new_post: NewPost,
        automation: AutomationId,
        run: RunId,
        now: Timestamp,
    ) -> Result<Post, CreatePostError> {
        let id = run.post_id();
        if let Some(made) = self.posts.get(tenant, id).await? {
            return Ok(made);
        }
        self.check_channel(tenant, new_post.channel_id).await?;
        let mut post = Post::create_for(new_post, Some(automation.to_string()), now);
        post.id = id;
        if !self.posts.create_once(tenant, &post).await? {
            // Made a moment ago by a copy that is still running: that one hands it over.
            return self
                .posts
                .get(tenant, id)
                .await?
                .ok_or_else(|| StorageError::Internal("a run's post vanished".into()).into());
        }
        self.handover
            .hand_over(&self.posts, tenant, &post, now)
            .await;
        Ok(post)
    }

    async fn check_channel(
        &self,
        tenant: &TenantId,
        channel: ChannelId,
    ) -> Result<(), CreatePostError> {
        match self.channels.get(tenant, channel).await? {
            None => Err(CreatePostError::ChannelMissing),
            Some(stored) if !stored.channel.is_active() => Err(CreatePostError::ChannelDisabled),
            Some(_) => Ok(()),
        }
    }
}
