//! The health report's wire shape.

use serde::Serialize;

#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when a check fails.
    pub status: &'static str,
    pub version: &'static str,
    pub checks: HealthChecks,
}

#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct HealthChecks {
    pub dynamodb: &'static str,
}
