//! The three outcomes a caller must tell apart. Details go to the operator log, never to users.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The row does not exist *for this tenant* (another tenant's row is indistinguishable from none).
    #[error("not found")]
    NotFound,
    /// A uniqueness or ordering rule refused the write (duplicate login, stale chronology, ...).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Anything else: the database is unreachable, a constraint we did not expect, a bug.
    #[error("{0}")]
    Other(String),
}

pub type StoreResult<T> = Result<T, StoreError>;
