//! The audit chain on PostgreSQL: appends inside the group-commit writer's transaction, with the one head row
//! locked (`SELECT ... FOR UPDATE`) so appends from several nodes are serialised and sequence numbers stay
//! gap-free; and the reads that verification needs.

use std::sync::Arc;

use meldroute_store::audit::{
    AuditKey, ChainHead, ChainRow, ChainVerifier, PendingAudit, VerifyError, VerifyReport, insert_chunks,
};
use meldroute_store::*;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::{PgStore, audit_event, other};

/// Rows read per query while verifying (inside one read transaction).
const PAGE: i64 = 5_000;

impl PgStore {
    /// The same store, chaining audit rows under `key`. Set it before spawning the writer (the writer owns a
    /// clone of the store). Without a key every audit write fails: an unchained row is never written.
    pub fn with_audit_key(mut self, key: impl Into<Arc<AuditKey>>) -> PgStore {
        self.audit_key = Some(key.into());
        self
    }

    pub fn has_audit_key(&self) -> bool {
        self.audit_key.is_some()
    }

    /// The chain head, or `None` when its row was removed.
    pub async fn audit_head(&self) -> StoreResult<Option<ChainHead>> {
        let mut conn = self.pool.acquire().await.map_err(other)?;
        read_head(&mut conn).await
    }

    /// Every audit row with its chain columns, in sequence order (the whole log: for tests and small logs;
    /// [`PgStore::verify_audit`] pages through instead).
    pub async fn audit_chain_rows(&self) -> StoreResult<Vec<ChainRow>> {
        sqlx::query("SELECT * FROM audit_log ORDER BY seq")
            .try_map(chain_row)
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }

    /// Verifies the whole chain and its head in one consistent snapshot (appends made meanwhile are not seen,
    /// so a busy server does not cause false alarms).
    pub async fn verify_audit(&self, key: &AuditKey) -> Result<VerifyReport, VerifyError> {
        let mut tx = self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await.map_err(other)?;
        // The first query takes the snapshot; everything below reads from it.
        let head = read_head(&mut tx).await?;
        let mut verifier = ChainVerifier::new(key);
        let mut after = i64::MIN;
        loop {
            let rows = sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(after)
                .bind(PAGE)
                .try_map(chain_row)
                .fetch_all(&mut *tx)
                .await
                .map_err(other)?;
            let Some(last) = rows.last() else { break };
            after = last.entry.seq;
            for row in &rows {
                verifier.push(row)?;
            }
        }
        tx.rollback().await.map_err(other)?;
        Ok(verifier.finish(head.as_ref())?)
    }
}

async fn read_head(conn: &mut PgConnection) -> StoreResult<Option<ChainHead>> {
    read_head_with(conn, "SELECT last_seq, last_hash, mac FROM audit_chain_head WHERE id = 1").await
}

/// Reads the head and locks it until the transaction ends: concurrent appenders (other nodes) wait here.
async fn lock_head(conn: &mut PgConnection) -> StoreResult<Option<ChainHead>> {
    read_head_with(conn, "SELECT last_seq, last_hash, mac FROM audit_chain_head WHERE id = 1 FOR UPDATE").await
}

async fn read_head_with(conn: &mut PgConnection, sql: &'static str) -> StoreResult<Option<ChainHead>> {
    sqlx::query(sql)
        .try_map(|row: PgRow| {
            Ok(ChainHead {
                last_seq: row.try_get("last_seq")?,
                last_hash: row.try_get("last_hash")?,
                mac: row.try_get("mac")?,
            })
        })
        .fetch_optional(&mut *conn)
        .await
        .map_err(other)
}

fn chain_row(row: PgRow) -> Result<ChainRow, sqlx::Error> {
    let prev_hash = row.try_get("prev_hash")?;
    let hash = row.try_get("hash")?;
    Ok(ChainRow { entry: audit_event(row)?, prev_hash, hash })
}

/// Chains one audit row onto `pending` (the writer's transaction): the first time, reads and locks the head
/// and checks it. Fails without a key, without a head, or when the head is not authentic (extending it would
/// seal tampering with a valid MAC). The row is written by [`flush`] before the transaction commits.
pub(crate) async fn append(
    conn: &mut PgConnection,
    pending: &mut PendingAudit<'_>,
    event: &NewAuditEvent,
) -> StoreResult<i64> {
    start(conn, pending).await?;
    pending.push(event).map_err(|problem| StoreError::Other(format!("audit chain: {problem}")))
}

/// Makes `pending` ready to chain rows: the first time, reads and locks the head and checks it. Fails without
/// a key, without a head, or when the head is not authentic.
pub(crate) async fn start(conn: &mut PgConnection, pending: &mut PendingAudit<'_>) -> StoreResult<()> {
    pending.key().map_err(StoreError::Other)?;
    if pending.needs_head() {
        let head = lock_head(conn).await?.ok_or_else(|| {
            tracing::error!("the audit chain head is missing; audit writes are refused until an operator intervenes");
            StoreError::Other("the audit chain head is missing".into())
        })?;
        pending.start(&head).map_err(|problem| {
            tracing::error!(%problem, "the audit chain head is not authentic; audit writes are refused");
            StoreError::Other(format!("audit chain: {problem}"))
        })?;
    }
    Ok(())
}

/// Rows per multi-row insert at most (12 parameters each).
const INSERT_CHUNK: usize = 64;

/// Writes the rows chained on `pending` and moves the head, at the end of the writer's transaction: one
/// multi-row insert per chunk and one update.
pub(crate) async fn flush(conn: &mut PgConnection, pending: &PendingAudit<'_>) -> StoreResult<()> {
    let Some((last_seq, last_hash, mac)) = pending.new_head() else { return Ok(()) };
    let mut rows = pending.rows();
    for size in insert_chunks(rows.len(), INSERT_CHUNK) {
        let (chunk, rest) = rows.split_at(size);
        rows = rest;
        let mut insert = sqlx::QueryBuilder::<sqlx::Postgres>::new(
            "INSERT INTO audit_log (seq, at, org_id, actor_id, on_behalf_of, pupil_id, dossier_id, action, outcome, source, prev_hash, hash) ",
        );
        insert.push_values(chunk, |mut b, row| {
            let e = &row.event;
            b.push_bind(row.seq)
                .push_bind(e.at)
                .push_bind(e.org.map(|o| o.0))
                .push_bind(e.actor.map(|a| a.0))
                .push_bind(e.on_behalf_of.map(|a| a.0))
                .push_bind(e.pupil.map(|p| p.0))
                .push_bind(e.dossier.map(|d| d.0))
                .push_bind(e.action.clone())
                .push_bind(e.outcome.clone())
                .push_bind(e.source.clone())
                .push_bind(row.prev_hash.to_vec())
                .push_bind(row.hash.to_vec());
        });
        insert.build().persistent(true).execute(&mut *conn).await.map_err(other)?;
    }
    sqlx::query("UPDATE audit_chain_head SET last_seq = $1, last_hash = $2, mac = $3 WHERE id = 1")
        .bind(last_seq)
        .bind(last_hash.to_vec())
        .bind(mac.to_vec())
        .execute(&mut *conn)
        .await
        .map_err(other)?;
    Ok(())
}
