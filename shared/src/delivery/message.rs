//! Reading a delivery queue message (`DeliveryMessage`) into a [`Job`] whose fields are checked,
//! so that the deliverer never acts on a tenant, an id or a claim the schedule could not have
//! written.

use crate::delivery_queue::{DeliveryKind, DeliveryMessage};
use crate::domain::{PostId, TenantId};

/// One delivery to make: the post, and the claim the message was sent under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Job {
    pub tenant: TenantId,
    pub post: PostId,
    pub claim: String,
}

/// Why a message can never be delivered: it is parked, never retried.
pub(crate) fn parse(body: Option<&str>) -> Result<Job, String> {
    let body = body.ok_or("the message has no body")?;
    let message =
        DeliveryMessage::parse(body).map_err(|e| format!("not a delivery message: {e}"))?;
    match message.kind {
        DeliveryKind::Post => {}
    }
    let tenant = TenantId::parse(&message.tenant).ok_or("the tenant is not a tenant id")?;
    let post = PostId::parse(&message.id).ok_or("the id is not a post id")?;
    // A claim is a ULID the repository wrote; anything else cannot match one.
    if ulid::Ulid::from_string(&message.claim).is_err() {
        return Err("the claim is not a claim id".into());
    }
    Ok(Job {
        tenant,
        post,
        claim: message.claim,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const POST: &str = "01JD0000000000000000000000";
    const CLAIM: &str = "01JD0000000000000000000001";

    fn body(tenant: &str, kind: &str, id: &str, claim: &str) -> String {
        serde_json::json!({"tenant": tenant, "kind": kind, "id": id, "claim": claim}).to_string()
    }

    #[test]
    fn what_the_schedule_sends_is_a_job() {
        let tenant = TenantId::parse("acme").unwrap();
        let post = PostId::parse(POST).unwrap();
        let sent = serde_json::to_string(&DeliveryMessage::post(&tenant, post, CLAIM)).unwrap();
        assert_eq!(
            parse(Some(&sent)),
            Ok(Job {
                tenant,
                post,
                claim: CLAIM.into()
            })
        );
    }

    #[test]
    fn anything_else_says_why() {
        for (raw, why) in [
            (None, "no body"),
            (Some("{".to_owned()), "not a delivery message"),
            (
                Some(r#"{"tenant":"acme"}"#.to_owned()),
                "not a delivery message",
            ),
            (
                Some(body("acme", "automation", POST, CLAIM)),
                "not a delivery message",
            ),
            (Some(body("a#b", "post", POST, CLAIM)), "tenant"),
            (Some(body("acme", "post", "p1", CLAIM)), "post id"),
            (Some(body("acme", "post", POST, "")), "claim"),
        ] {
            let error = parse(raw.as_deref()).unwrap_err();
            assert!(error.contains(why), "{raw:?}: {error}");
        }
    }
}
