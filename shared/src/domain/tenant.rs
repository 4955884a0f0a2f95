//! Who is calling: the tenant and roles from the authorizer's verified claims — never from the
//! body, the path or the query, so a client cannot name someone else's tenant.

use std::collections::HashMap;

use crate::error::ApiError;

pub const TENANT_CLAIM: &str = "custom:tenant_id";
pub const GROUPS_CLAIM: &str = "cognito:groups";
/// The rate-limit tier, set by the identity provider (never writable by the user).
pub const TIER_CLAIM: &str = "custom:tier";

/// A tenant id as issued by the identity provider. The charset excludes `#`, the key separator,
/// so a tenant id can never forge another tenant's key prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(String);

impl TenantId {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Editor,
    Admin,
}

/// What an operation needs. Roles are ordered, so each permission is a minimum role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Read,
    Write,
    ManageChannels,
}

impl Permission {
    fn minimum_role(self) -> Role {
        match self {
            Permission::Read => Role::Viewer,
            Permission::Write => Role::Editor,
            Permission::ManageChannels => Role::Admin,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TenantContext {
    tenant: TenantId,
    /// The strongest role the caller holds; `None` when they hold no role we know.
    role: Option<Role>,
    tier: Option<String>,
}

impl TenantContext {
    /// Builds the context from the JWT claims that API Gateway's authorizer verified and passed on.
    pub fn from_claims(claims: &HashMap<String, String>) -> Result<Self, ApiError> {
        let tenant = claims
            .get(TENANT_CLAIM)
            .ok_or(ApiError::Forbidden("The token carries no tenant."))?;
        let tenant = TenantId::parse(tenant)
            .ok_or(ApiError::Forbidden("The token's tenant is not valid."))?;
        let role = claims
            .get(GROUPS_CLAIM)
            .map(|raw| parse_groups(raw))
            .unwrap_or_default()
            .into_iter()
            .max();
        let tier = claims.get(TIER_CLAIM).cloned();
        Ok(Self { tenant, role, tier })
    }

    pub fn tier(&self) -> Option<&str> {
        self.tier.as_deref()
    }

    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        match self.role {
            Some(role) if role >= permission.minimum_role() => Ok(()),
            _ => Err(ApiError::Forbidden(
                "Your role does not allow this operation.",
            )),
        }
    }
}

/// API Gateway flattens array claims to a string like `[admin editor]`; a JSON array or a single
/// bare name are accepted too so the same code reads tokens from any authorizer shape.
fn parse_groups(raw: &str) -> Vec<Role> {
    let trimmed = raw.trim();
    let names: Vec<String> = if trimmed.starts_with('[') && trimmed.contains('"') {
        serde_json::from_str(trimmed).unwrap_or_default()
    } else {
        trimmed
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    names
        .iter()
        .filter_map(|name| match name.as_str() {
            "admin" => Some(Role::Admin),
            "editor" => Some(Role::Editor),
            "viewer" => Some(Role::Viewer),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_api_gateway_group_strings() {
        let ctx = TenantContext::from_claims(&claims(&[
            (TENANT_CLAIM, "acme"),
            (GROUPS_CLAIM, "[viewer editor]"),
        ]))
        .unwrap();
        assert!(ctx.require(Permission::Write).is_ok());
        assert!(ctx.require(Permission::ManageChannels).is_err());
    }

    #[test]
    fn reads_json_arrays_and_bare_names() {
        let json = TenantContext::from_claims(&claims(&[
            (TENANT_CLAIM, "t"),
            (GROUPS_CLAIM, "[\"admin\"]"),
        ]))
        .unwrap();
        assert!(json.require(Permission::ManageChannels).is_ok());
        let bare =
            TenantContext::from_claims(&claims(&[(TENANT_CLAIM, "t"), (GROUPS_CLAIM, "viewer")]))
                .unwrap();
        assert!(bare.require(Permission::Read).is_ok());
        assert!(bare.require(Permission::Write).is_err());
    }

    #[test]
    fn missing_or_forged_tenant_is_forbidden() {
        let missing = TenantContext::from_claims(&claims(&[(GROUPS_CLAIM, "[admin]")]));
        assert_eq!(missing.unwrap_err().status(), 403);
        let forged = TenantContext::from_claims(&claims(&[(TENANT_CLAIM, "a#EV#b")]));
        assert_eq!(forged.unwrap_err().status(), 403);
    }

    #[test]
    fn unknown_groups_grant_nothing() {
        let ctx =
            TenantContext::from_claims(&claims(&[(TENANT_CLAIM, "t"), (GROUPS_CLAIM, "[root]")]))
                .unwrap();
        assert!(ctx.require(Permission::Read).is_err());
    }
}
