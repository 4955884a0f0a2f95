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

/// Cognito issues `cognito:groups` as a JSON array and API Gateway hands it to the function
/// flattened to `[admin editor]`: one pair of brackets, names joined by single spaces. Cognito
/// group names cannot hold whitespace but can hold commas, quotes and brackets, so that shape is
/// the only one read, each name must be a role exactly, and anything else grants nothing: a
/// lenient reader let groups named `ops,admin`, `"admin"` or `[admin]` act as `admin`.
fn parse_groups(raw: &str) -> Vec<Role> {
    let Some(inner) = raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')) else {
        return Vec::new();
    };
    if inner.is_empty() {
        return Vec::new();
    }
    let names: Vec<&str> = inner.split(' ').collect();
    // An empty name comes only from a stray space, which no Cognito group can produce.
    if names.iter().any(|name| name.is_empty()) {
        return Vec::new();
    }
    names.into_iter().filter_map(Role::from_group).collect()
}

impl Role {
    fn from_group(name: &str) -> Option<Self> {
        match name {
            "admin" => Some(Role::Admin),
            "editor" => Some(Role::Editor),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
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

    fn role_of(groups: &str) -> Option<Role> {
        TenantContext::from_claims(&claims(&[(TENANT_CLAIM, "t"), (GROUPS_CLAIM, groups)]))
            .unwrap()
            .role
    }

    #[test]
    fn reads_exactly_the_api_gateway_shape() {
        assert_eq!(role_of("[admin]"), Some(Role::Admin));
        assert_eq!(role_of("[viewer editor]"), Some(Role::Editor));
        assert_eq!(role_of("[guest viewer]"), Some(Role::Viewer));
        assert_eq!(role_of("[]"), None);
    }

    /// Group names that contain a role, or claims in any other shape, grant nothing.
    #[test]
    fn json_arrays_bare_names_and_look_alikes_grant_nothing() {
        for groups in [
            "[\"admin\"]",
            "[\"admin\", \"editor\"]",
            "admin",
            "viewer",
            "editor,admin",
            "[ops,admin]",
            "[admin,editor]",
            "[[admin]]",
            "[admin]]",
            "[[admin]",
            "[admin] ",
            " [admin]",
            "[ admin]",
            "[admin ]",
            "[admin  editor]",
            "[admin\teditor]",
            "[Admin]",
            "[admin\u{0}]",
            "",
        ] {
            assert_eq!(role_of(groups), None, "{groups:?}");
        }
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
