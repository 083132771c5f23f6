//! Accounts: server-side sessions, the second factor, login throttling, one-time links and partner shares.
//! Secrets (session tokens, link tokens, recovery codes) are stored only as SHA-256 hashes.

use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::TenantCtx;
use crate::error::StoreResult;
use crate::ids::*;
use crate::types::{Role, RoleGrant, User};

/// A logged-in (or half logged-in: password done, second factor pending) browser session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the token in the cookie.
    pub id_hash: Vec<u8>,
    pub org: OrgId,
    pub user: UserId,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub second_factor_done: bool,
    /// The per-session token every form must carry.
    pub csrf_token: String,
}

/// What every authenticated request needs to know about its session, read in one query
/// ([`AccountStore::session_context`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionContext {
    pub session: SessionRecord,
    pub user: User,
    /// The user's role grants, ordered by location (organisation-wide first) and role, as
    /// [`crate::Store::roles_of`] gives them.
    pub grants: Vec<RoleGrant>,
    /// Unread in-app notifications.
    pub unread: i64,
}

impl SessionContext {
    /// Parses the grants as the backends aggregate them: `location:role` pairs separated by commas, location
    /// 0 for an organisation-wide grant.
    pub fn parse_grants(user: UserId, aggregated: Option<&str>) -> Result<Vec<RoleGrant>, String> {
        let mut grants = Vec::new();
        for pair in aggregated.unwrap_or_default().split(',').filter(|p| !p.is_empty()) {
            let (location, code) = pair.split_once(':').ok_or_else(|| format!("malformed role grant {pair:?}"))?;
            let location: i64 = location.parse().map_err(|_| format!("malformed role grant {pair:?}"))?;
            let role = Role::from_code(code).ok_or_else(|| format!("unknown role code {code}"))?;
            grants.push(RoleGrant { user, location: (location != 0).then_some(LocationId(location)), role });
        }
        grants.sort_by(|a, b| {
            (a.location.map_or(0, |l| l.0), a.role.code()).cmp(&(b.location.map_or(0, |l| l.0), b.role.code()))
        });
        Ok(grants)
    }
}

/// What [`AccountStore::purge_expired`] deletes: sessions idle since before `sessions_idle_before` or started
/// before `sessions_created_before`; throttle rows whose window started before `throttle_window_before` and
/// that hold no lock after `now`; one-time links that expired before `now` or were used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purge {
    pub now: OffsetDateTime,
    pub sessions_idle_before: OffsetDateTime,
    pub sessions_created_before: OffsetDateTime,
    pub throttle_window_before: OffsetDateTime,
}

/// How many rows [`AccountStore::purge_expired`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub throttle: u64,
    pub links: u64,
}

/// Failed attempts for one throttling key in the current window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: i64,
    pub window_start: OffsetDateTime,
    pub locked_until: Option<OffsetDateTime>,
}

/// What [`AccountStore::throttle_update`] does to a key's state.
pub type ThrottleChange<'a> = dyn FnMut(Option<ThrottleState>) -> Option<ThrottleState> + Send + 'a;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    /// Set a first password (and enrol the second factor).
    FirstLogin,
    /// Set a new password.
    PasswordReset,
}

impl LinkPurpose {
    pub fn code(self) -> &'static str {
        match self {
            LinkPurpose::FirstLogin => "first_login",
            LinkPurpose::PasswordReset => "password_reset",
        }
    }
}

/// A dossier shared with an external partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Share {
    pub id: i64,
    pub dossier: DossierId,
    pub partner: UserId,
    /// Entry kinds (the domain's `EntryKind` codes) the partner may read.
    pub entry_kinds: Vec<String>,
    /// Last day (inclusive) the share is valid.
    pub until: Date,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

impl Share {
    /// Valid on `today`: not revoked and not past its end date.
    pub fn is_active(&self, today: Date) -> bool {
        self.revoked_at.is_none() && today <= self.until
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShare {
    pub dossier: DossierId,
    pub partner: UserId,
    pub entry_kinds: Vec<String>,
    pub until: Date,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
}

#[allow(async_fn_in_trait)]
pub trait AccountStore: Clone + Send + Sync + 'static {
    // Sessions.
    async fn create_session(&self, session: &SessionRecord) -> StoreResult<()>;
    async fn get_session(&self, id_hash: &[u8]) -> StoreResult<Option<SessionRecord>>;
    /// The session with this token hash together with its user, the user's role grants and the number of
    /// unread notifications, in one query: every authenticated request needs all four. `None` for an unknown
    /// token.
    /// May be answered from this node's memory of recent lookups ([`crate::LookupCache`]).
    async fn session_context(&self, id_hash: &[u8]) -> StoreResult<Option<SessionContext>>;
    /// [`AccountStore::session_context`] read from the database, never from memory: ask this before ending a
    /// session on what a lookup said (expired, disabled).
    async fn session_context_fresh(&self, id_hash: &[u8]) -> StoreResult<Option<SessionContext>>;
    async fn touch_session(&self, id_hash: &[u8], at: OffsetDateTime) -> StoreResult<()>;
    /// Replaces one session by another in one transaction (id rotation after the second factor).
    async fn rotate_session(&self, old_hash: &[u8], new: &SessionRecord) -> StoreResult<()>;
    async fn delete_session(&self, id_hash: &[u8]) -> StoreResult<()>;
    /// Ends every session of a user ("log out everywhere", disabled account, changed roles).
    async fn delete_user_sessions(&self, t: &TenantCtx, user: UserId) -> StoreResult<u64>;
    /// Deletes what can no longer be used (see [`Purge`]); every row it removes would be refused or ignored
    /// if it stayed, so nothing anyone can do changes.
    async fn purge_expired(&self, purge: &Purge) -> StoreResult<Purged>;

    // Credentials.
    async fn set_password_hash(&self, t: &TenantCtx, user: UserId, hash: &str) -> StoreResult<()>;
    /// Sets (or with `None` removes) the TOTP secret and forgets the last used step.
    async fn set_totp_secret(&self, t: &TenantCtx, user: UserId, secret: Option<&str>) -> StoreResult<()>;
    /// Accepts TOTP time step `step` only if it is later than every step accepted before (atomic, so a
    /// code can never be used twice, not even by two concurrent requests). Returns whether it was accepted.
    async fn accept_totp_step(&self, t: &TenantCtx, user: UserId, step: i64) -> StoreResult<bool>;
    async fn replace_recovery_codes(&self, t: &TenantCtx, user: UserId, hashes: &[Vec<u8>]) -> StoreResult<()>;
    /// Marks an unused recovery code used; false when no such unused code exists.
    async fn use_recovery_code(
        &self,
        t: &TenantCtx,
        user: UserId,
        hash: &[u8],
        at: OffsetDateTime,
    ) -> StoreResult<bool>;
    async fn count_unused_recovery_codes(&self, t: &TenantCtx, user: UserId) -> StoreResult<i64>;

    // Account administration; both end the user's sessions.
    async fn set_user_disabled(&self, t: &TenantCtx, user: UserId, disabled: bool) -> StoreResult<()>;
    async fn replace_roles(&self, t: &TenantCtx, user: UserId, grants: &[RoleGrant]) -> StoreResult<()>;
    async fn set_user_lang(&self, t: &TenantCtx, user: UserId, lang: &str) -> StoreResult<()>;

    // Throttling (keys are opaque strings such as "account:<login>" or "ip:<address>").
    async fn throttle_get(&self, key: &str) -> StoreResult<Option<ThrottleState>>;
    async fn throttle_put(&self, key: &str, state: &ThrottleState) -> StoreResult<()>;
    async fn throttle_clear(&self, key: &str) -> StoreResult<()>;
    /// Replaces the state of `key` with what `change` makes of it (`None` in: no state yet; `None` out: remove
    /// it), in one transaction that every other update of the same key waits for, on every node: attempts made
    /// at the same moment are each counted, none is lost. Returns the new state.
    async fn throttle_update(&self, key: &str, change: &mut ThrottleChange<'_>) -> StoreResult<Option<ThrottleState>>;

    // One-time links.
    async fn create_link(
        &self,
        t: &TenantCtx,
        user: UserId,
        token_hash: &[u8],
        purpose: LinkPurpose,
        created_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Uses a link once: returns its organisation and user when it exists, has this purpose, is unused and
    /// not expired at `now`; marks it used in the same statement.
    async fn consume_link(
        &self,
        token_hash: &[u8],
        purpose: LinkPurpose,
        now: OffsetDateTime,
    ) -> StoreResult<Option<(OrgId, UserId)>>;
    /// Looks a link up without using it: its organisation and user when it exists, has this purpose, is
    /// unused and not expired at `now` (for showing the form before the link is consumed).
    async fn peek_link(
        &self,
        token_hash: &[u8],
        purpose: LinkPurpose,
        now: OffsetDateTime,
    ) -> StoreResult<Option<(OrgId, UserId)>>;

    // Shares with external partners.
    async fn create_share(&self, t: &TenantCtx, share: NewShare) -> StoreResult<Share>;
    async fn shares_for_partner(&self, t: &TenantCtx, partner: UserId) -> StoreResult<Vec<Share>>;
    async fn shares_of_dossier(&self, t: &TenantCtx, dossier: DossierId) -> StoreResult<Vec<Share>>;
    async fn revoke_share(&self, t: &TenantCtx, id: i64, at: OffsetDateTime) -> StoreResult<()>;
}
