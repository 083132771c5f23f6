//! The tamper-evident audit chain, forwarded to the backend (see `meldroute_store::audit` for the design).

use std::sync::Arc;

use meldroute_store::StoreResult;
pub use meldroute_store::audit::{
    AuditKey, ChainBreak, ChainHead, ChainRow, KeyError, VerifyError, VerifyReport, default_key_path, verify_chain,
};

use crate::Database;

impl Database {
    /// The same database, chaining audit rows under `key`. Call it before [`Database::spawn_writer`] (the
    /// writer owns a clone). Without a key every audit write fails, and so does the request that made it.
    pub fn with_audit_key(self, key: impl Into<Arc<AuditKey>>) -> Database {
        match self {
            Database::Sqlite(s) => Database::Sqlite(s.with_audit_key(key)),
            Database::Postgres(s) => Database::Postgres(s.with_audit_key(key)),
        }
    }

    pub fn has_audit_key(&self) -> bool {
        match self {
            Database::Sqlite(s) => s.has_audit_key(),
            Database::Postgres(s) => s.has_audit_key(),
        }
    }

    /// Checks the whole audit log and its head under `key`, in one consistent snapshot. `Err(Broken)` names the
    /// first bad entry.
    pub async fn verify_audit(&self, key: &AuditKey) -> Result<VerifyReport, VerifyError> {
        match self {
            Database::Sqlite(s) => s.verify_audit(key).await,
            Database::Postgres(s) => s.verify_audit(key).await,
        }
    }

    /// Every audit row with its chain columns, in sequence order.
    pub async fn audit_chain_rows(&self) -> StoreResult<Vec<ChainRow>> {
        match self {
            Database::Sqlite(s) => s.audit_chain_rows().await,
            Database::Postgres(s) => s.audit_chain_rows().await,
        }
    }

    /// The chain head (`None` when its row was removed).
    pub async fn audit_head(&self) -> StoreResult<Option<ChainHead>> {
        match self {
            Database::Sqlite(s) => s.audit_head().await,
            Database::Postgres(s) => s.audit_head().await,
        }
    }
}
