//! Authentication: passwords (Argon2id), the TOTP second factor, server-side sessions, CSRF protection and
//! login throttling. See docs/security.md for the reasoning.

pub mod csrf;
pub mod login;
pub mod session;
pub mod throttle;
pub mod totp;

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// Settings and shared resources of authentication.
pub struct AuthConfig {
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    /// A session ends this long after login, whatever happens.
    pub absolute_timeout: Duration,
    /// Send the session cookie with `Secure` and the `__Host-` prefix (turn off only for plain-HTTP tests).
    pub secure_cookie: bool,
    /// A hash to verify against when the login name is unknown, so timing reveals nothing.
    pub dummy_hash: String,
    /// Bounds concurrent Argon2 computations (each takes 19 MiB and tens of milliseconds).
    pub hashing: Arc<Semaphore>,
}

impl AuthConfig {
    pub fn new(idle_timeout: Duration, absolute_timeout: Duration, secure_cookie: bool) -> Result<AuthConfig, String> {
        Ok(AuthConfig {
            idle_timeout,
            absolute_timeout,
            secure_cookie,
            dummy_hash: crate::password::hash_blocking("dummy password for unknown accounts")?,
            hashing: Arc::new(Semaphore::new(4)),
        })
    }
}

impl AuthConfig {
    /// What may be deleted at `now`: sessions that have ended by either timeout, throttle rows whose window is
    /// over and that hold no lock, used or expired one-time links. Each of these is already refused or ignored
    /// on use; deleting them keeps no more than is needed (login addresses, session rows).
    pub fn purge_at(&self, now: time::OffsetDateTime) -> meldroute_store::Purge {
        // A second's margin: SQLite compares the stored times as text, which orders fractions of one second
        // imperfectly (`…:00.15Z` sorts before `…:00.1Z`).
        let now = now - time::Duration::seconds(1);
        let idle = time::Duration::try_from(self.idle_timeout).unwrap_or(time::Duration::minutes(15));
        let absolute = time::Duration::try_from(self.absolute_timeout).unwrap_or(time::Duration::hours(12));
        meldroute_store::Purge {
            now,
            sessions_idle_before: now - idle,
            sessions_created_before: now - absolute,
            throttle_window_before: now - throttle::WINDOW,
        }
    }
}

/// How often a node deletes what [`AuthConfig::purge_at`] names.
pub const PURGE_EVERY: Duration = Duration::from_secs(10 * 60);

/// Deletes ended sessions, spent throttle rows and spent links (every [`PURGE_EVERY`], from `serve`). Several
/// nodes may purge at once: each delete only removes rows that are already of no use.
pub async fn purge_expired(
    db: &meldroute_database::Database,
    auth: &AuthConfig,
) -> meldroute_store::StoreResult<meldroute_store::Purged> {
    use meldroute_store::AccountStore;
    db.purge_expired(&auth.purge_at(crate::clock::now_utc())).await
}

/// A new random token: 128 bits, hex.
pub fn new_token() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness available: {e}"))?;
    Ok(hex::encode(bytes))
}

/// The SHA-256 of a token: what the database stores instead of the token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn the_purge_follows_the_configured_timeouts_and_the_throttle_window() {
        let auth = AuthConfig {
            idle_timeout: Duration::from_secs(20 * 60),
            absolute_timeout: Duration::from_secs(8 * 3600),
            secure_cookie: true,
            dummy_hash: String::new(),
            hashing: Arc::new(Semaphore::new(1)),
        };
        let now = datetime!(2026-11-23 12:00 UTC);
        let purge = auth.purge_at(now);
        assert_eq!(purge.now, datetime!(2026-11-23 11:59:59 UTC), "a second's margin");
        assert_eq!(purge.sessions_idle_before, datetime!(2026-11-23 11:39:59 UTC));
        assert_eq!(purge.sessions_created_before, datetime!(2026-11-23 03:59:59 UTC));
        assert_eq!(purge.throttle_window_before, datetime!(2026-11-23 11:44:59 UTC));
    }
}
