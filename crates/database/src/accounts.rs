//! `AccountStore` for the backend enum.

use meldroute_store::*;
use time::OffsetDateTime;

use crate::{Database, delegate};

delegate! { AccountStore {
    async fn create_session(&self, session: &SessionRecord) -> StoreResult<()>;
    async fn get_session(&self, id_hash: &[u8]) -> StoreResult<Option<SessionRecord>>;
    async fn session_context(&self, id_hash: &[u8]) -> StoreResult<Option<SessionContext>>;
    async fn session_context_fresh(&self, id_hash: &[u8]) -> StoreResult<Option<SessionContext>>;
    async fn touch_session(&self, id_hash: &[u8], at: OffsetDateTime) -> StoreResult<()>;
    async fn rotate_session(&self, old_hash: &[u8], new: &SessionRecord) -> StoreResult<()>;
    async fn delete_session(&self, id_hash: &[u8]) -> StoreResult<()>;
    async fn delete_user_sessions(&self, t: &TenantCtx, user: UserId) -> StoreResult<u64>;
    async fn purge_expired(&self, purge: &Purge) -> StoreResult<Purged>;
    async fn set_password_hash(&self, t: &TenantCtx, user: UserId, hash: &str) -> StoreResult<()>;
    async fn set_totp_secret(&self, t: &TenantCtx, user: UserId, secret: Option<&str>) -> StoreResult<()>;
    async fn accept_totp_step(&self, t: &TenantCtx, user: UserId, step: i64) -> StoreResult<bool>;
    async fn replace_recovery_codes(&self, t: &TenantCtx, user: UserId, hashes: &[Vec<u8>]) -> StoreResult<()>;
    async fn use_recovery_code(&self, t: &TenantCtx, user: UserId, hash: &[u8], at: OffsetDateTime) -> StoreResult<bool>;
    async fn count_unused_recovery_codes(&self, t: &TenantCtx, user: UserId) -> StoreResult<i64>;
    async fn set_user_disabled(&self, t: &TenantCtx, user: UserId, disabled: bool) -> StoreResult<()>;
    async fn replace_roles(&self, t: &TenantCtx, user: UserId, grants: &[RoleGrant]) -> StoreResult<()>;
    async fn set_user_lang(&self, t: &TenantCtx, user: UserId, lang: &str) -> StoreResult<()>;
    async fn throttle_get(&self, key: &str) -> StoreResult<Option<ThrottleState>>;
    async fn throttle_put(&self, key: &str, state: &ThrottleState) -> StoreResult<()>;
    async fn throttle_clear(&self, key: &str) -> StoreResult<()>;
    async fn throttle_update(&self, key: &str, change: &mut ThrottleChange<'_>) -> StoreResult<Option<ThrottleState>>;
    async fn create_link(&self, t: &TenantCtx, user: UserId, token_hash: &[u8], purpose: LinkPurpose, created_at: OffsetDateTime, expires_at: OffsetDateTime) -> StoreResult<()>;
    async fn consume_link(&self, token_hash: &[u8], purpose: LinkPurpose, now: OffsetDateTime) -> StoreResult<Option<(OrgId, UserId)>>;
    async fn peek_link(&self, token_hash: &[u8], purpose: LinkPurpose, now: OffsetDateTime) -> StoreResult<Option<(OrgId, UserId)>>;
    async fn create_share(&self, t: &TenantCtx, share: NewShare) -> StoreResult<Share>;
    async fn shares_for_partner(&self, t: &TenantCtx, partner: UserId) -> StoreResult<Vec<Share>>;
    async fn shares_of_dossier(&self, t: &TenantCtx, dossier: DossierId) -> StoreResult<Vec<Share>>;
    async fn revoke_share(&self, t: &TenantCtx, id: i64, at: OffsetDateTime) -> StoreResult<()>;
} }
