//! The list routes' query strings (`GET /v1/automations` and `GET /v1/automations/{id}/runs`
//! take only `limit` and `cursor`), and the small answers of preview and run-now.

use serde::Serialize;

use super::{AutomationId, PreviewRun, RunId};
use crate::domain::list::Limit;
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct AutomationListQuery {
    pub limit: Limit,
    pub cursor: Option<String>,
}

impl AutomationListQuery {
    pub fn parse(param: impl Fn(&str) -> Option<String>) -> Result<Self, ApiError> {
        let limit = Limit::parse(param("limit").as_deref())
            .map_err(|message| ApiError::field("limit", message))?;
        let cursor = param("cursor");
        if cursor.as_deref() == Some("") {
            return Err(ApiError::InvalidCursor);
        }
        Ok(Self { limit, cursor })
    }

    /// What an automations cursor is bound to: that list (it has no filters).
    pub fn fingerprint() -> String {
        "automations".into()
    }

    /// What a runs cursor is bound to: the automation it pages through.
    pub fn runs_fingerprint(automation: AutomationId) -> String {
        format!("runs|automation={automation}")
    }
}

/// `POST /v1/automations/preview`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Preview {
    /// The next instants, oldest first: exactly those the dispatcher fires.
    pub runs: Vec<PreviewRun>,
}

/// `POST /v1/automations/{id}/run`'s answer: the run, accepted and queued. It shows in the
/// runs list once it has finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RunAccepted {
    #[schema(value_type = String, example = "01JD0000000000000000000000")]
    pub run_id: RunId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_and_bad_ones_and_empty_cursors_are_refused() {
        assert_eq!(
            AutomationListQuery::parse(|_| None).unwrap().limit.get(),
            25
        );
        let bad = AutomationListQuery::parse(|k| (k == "limit").then(|| "0".to_string()));
        assert_eq!(bad.unwrap_err().status(), 400);
        let empty = AutomationListQuery::parse(|k| (k == "cursor").then(String::new));
        assert!(matches!(empty.unwrap_err(), ApiError::InvalidCursor));
        let a = AutomationId::generate();
        let b = AutomationId::generate();
        assert_ne!(
            AutomationListQuery::runs_fingerprint(a),
            AutomationListQuery::runs_fingerprint(b)
        );
        assert_ne!(
            AutomationListQuery::runs_fingerprint(a),
            AutomationListQuery::fingerprint()
        );
    }
}
