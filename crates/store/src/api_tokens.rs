//! Personal API tokens: a user's bearer credentials for the JSON API (`/api/v1`). Created by the user in the
//! web interface or by an operator with `meldroute admin token create`; shown once, stored only as the
//! SHA-256 of the token, with a name, an expiry and an optional revocation.

use serde::Serialize;
use time::OffsetDateTime;

use crate::error::StoreResult;
use crate::ids::*;
use crate::{RoleGrant, TenantCtx, User};

/// A token as listed to its owner. The hash is deliberately not part of it: nothing above the store needs
/// it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub org: OrgId,
    pub user: UserId,
    /// What the owner called it ("rapportage-koppeling").
    pub name: String,
    pub created_at: OffsetDateTime,
    /// The token is refused from this moment on.
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    /// The last request made with it (updated at most once a minute).
    pub last_used_at: Option<OffsetDateTime>,
}

impl ApiToken {
    /// Usable at `now`: not revoked and not expired.
    pub fn is_active(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// What a request made with a token needs to know, read in one query ([`ApiTokenStore::find_api_token`]): the
/// token, its user and the user's role grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenContext {
    pub token: ApiToken,
    pub user: User,
    /// Ordered as [`crate::Store::roles_of`] gives them.
    pub grants: Vec<RoleGrant>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiToken {
    pub user: UserId,
    pub name: String,
    /// SHA-256 of the token; the token itself is never stored.
    pub token_hash: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// How stale `last_used_at` may get before a lookup writes it again (saves a write per API request).
pub const LAST_USED_GRANULARITY: time::Duration = time::Duration::minutes(1);

#[allow(async_fn_in_trait)]
pub trait ApiTokenStore: Clone + Send + Sync + 'static {
    /// Stores a new token for a user of this tenant (`NotFound` when the user is not this tenant's).
    async fn create_api_token(&self, t: &TenantCtx, new: NewApiToken) -> StoreResult<ApiToken>;
    /// The token with this hash when it is neither revoked nor expired at `now` (a request arrives before
    /// the tenant is known, like a session cookie), with its user and the user's grants, in one query.
    /// Records `now` as its last use when the recorded one is older than [`LAST_USED_GRANULARITY`].
    async fn find_api_token(&self, token_hash: &[u8], now: OffsetDateTime) -> StoreResult<Option<TokenContext>>;
    /// Every token of a user (active, expired and revoked), newest first.
    async fn list_api_tokens(&self, t: &TenantCtx, user: UserId) -> StoreResult<Vec<ApiToken>>;
    /// Revokes a token of this user in this tenant; `NotFound` when there is no such token or it was already
    /// revoked.
    async fn revoke_api_token(&self, t: &TenantCtx, user: UserId, id: i64, at: OffsetDateTime) -> StoreResult<()>;
}
