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
