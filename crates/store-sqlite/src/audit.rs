//! The audit chain on SQLite: appends inside the group-commit writer's `BEGIN IMMEDIATE` transaction (which
//! is already exclusive, so reading and moving the head cannot race), and the reads that verification needs.

use std::sync::Arc;

use meldroute_store::audit::{
    AuditKey, ChainHead, ChainRow, ChainVerifier, PendingAudit, PendingRow, VerifyError, VerifyReport, insert_chunks,
};
use meldroute_store::*;
use rusqlite::{Connection, OptionalExtension, params};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::direct::{Ts, sql_err};
use crate::{SqliteStore, audit_event, other};

/// Rows read per query while verifying (inside one read transaction).
const PAGE: i64 = 5_000;

impl SqliteStore {
    /// The same store, chaining audit rows under `key`. Set it before spawning the writer (the writer owns a
    /// clone of the store). Without a key every audit write fails: an unchained row is never written.
    pub fn with_audit_key(mut self, key: impl Into<Arc<AuditKey>>) -> SqliteStore {
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
    /// [`SqliteStore::verify_audit`] pages through instead).
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
        let mut tx = self.pool.begin().await.map_err(other)?;
        // The first read starts the snapshot; everything below reads from it.
        let head = read_head(&mut tx).await?;
        let mut verifier = ChainVerifier::new(key);
        let mut after = i64::MIN;
        loop {
            let rows = sqlx::query("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?")
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

async fn read_head(conn: &mut SqliteConnection) -> StoreResult<Option<ChainHead>> {
    sqlx::query("SELECT last_seq, last_hash, mac FROM audit_chain_head WHERE id = 1")
        .try_map(|row: SqliteRow| {
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

fn chain_row(row: SqliteRow) -> Result<ChainRow, sqlx::Error> {
    let prev_hash = row.try_get("prev_hash")?;
    let hash = row.try_get("hash")?;
    Ok(ChainRow { entry: audit_event(row)?, prev_hash, hash })
}

/// The chain head as the writer reads it, inside its transaction.
fn head(conn: &Connection) -> StoreResult<Option<ChainHead>> {
    conn.prepare_cached("SELECT last_seq, last_hash, mac FROM audit_chain_head WHERE id = 1")
        .and_then(|mut s| {
            s.query_row([], |r| Ok(ChainHead { last_seq: r.get(0)?, last_hash: r.get(1)?, mac: r.get(2)? })).optional()
        })
        .map_err(sql_err)
}

/// Chains one audit row onto `pending` (the writer's transaction): the first time, reads the head
/// and checks it. Fails without a key, without a head, or when the head is not authentic (extending it would
/// seal tampering with a valid MAC). The row is written by [`flush`] before the transaction commits.
pub(crate) fn append(conn: &Connection, pending: &mut PendingAudit<'_>, event: &NewAuditEvent) -> StoreResult<i64> {
    pending.key().map_err(StoreError::Other)?;
    if pending.needs_head() {
        let head = head(conn)?.ok_or_else(|| {
            tracing::error!("the audit chain head is missing; audit writes are refused until an operator intervenes");
            StoreError::Other("the audit chain head is missing".into())
        })?;
        pending.start(&head).map_err(|problem| {
            tracing::error!(%problem, "the audit chain head is not authentic; audit writes are refused");
            StoreError::Other(format!("audit chain: {problem}"))
        })?;
    }
    pending.push(event).map_err(|problem| StoreError::Other(format!("audit chain: {problem}")))
}

/// Rows per multi-row insert at most (12 parameters each).
const INSERT_CHUNK: usize = 64;
/// The columns of one audit row, in the order [`flush`] binds them.
const COLUMNS: usize = 12;

/// Writes the rows chained on `pending` and moves the head, at the end of the writer's transaction: one
/// multi-row insert per chunk and one update.
pub(crate) fn flush(conn: &Connection, pending: &PendingAudit<'_>) -> StoreResult<()> {
    let Some((last_seq, last_hash, mac)) = pending.new_head() else { return Ok(()) };
    let mut rows = pending.rows();
    for size in insert_chunks(rows.len(), INSERT_CHUNK) {
        let (chunk, rest) = rows.split_at(size);
        rows = rest;
        // One statement text per chunk size (powers of two), so the prepared statements are reused.
        let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; size].join(", ");
        let sql = format!(
            "INSERT INTO audit_log (seq, at, org_id, actor_id, on_behalf_of, pupil_id, dossier_id, action, outcome, source, prev_hash, hash) VALUES {values}"
        );
        let mut insert = conn.prepare_cached(&sql).map_err(sql_err)?;
        for (i, row) in chunk.iter().enumerate() {
            bind_row(&mut insert, i * COLUMNS + 1, row).map_err(sql_err)?;
        }
        insert.raw_execute().map_err(sql_err)?;
    }
    conn.prepare_cached("UPDATE audit_chain_head SET last_seq = ?, last_hash = ?, mac = ? WHERE id = 1")
        .and_then(|mut s| s.execute(params![last_seq, &last_hash[..], &mac[..]]))
        .map_err(sql_err)?;
    Ok(())
}

/// Binds one audit row's columns from parameter `first` on.
fn bind_row(insert: &mut rusqlite::CachedStatement<'_>, first: usize, row: &PendingRow) -> rusqlite::Result<()> {
    let e = &row.event;
    insert.raw_bind_parameter(first, row.seq)?;
    insert.raw_bind_parameter(first + 1, Ts(e.at))?;
    insert.raw_bind_parameter(first + 2, e.org.map(|o| o.0))?;
    insert.raw_bind_parameter(first + 3, e.actor.map(|a| a.0))?;
    insert.raw_bind_parameter(first + 4, e.on_behalf_of.map(|a| a.0))?;
    insert.raw_bind_parameter(first + 5, e.pupil.map(|p| p.0))?;
    insert.raw_bind_parameter(first + 6, e.dossier.map(|d| d.0))?;
    insert.raw_bind_parameter(first + 7, &e.action)?;
    insert.raw_bind_parameter(first + 8, &e.outcome)?;
    insert.raw_bind_parameter(first + 9, &e.source)?;
    insert.raw_bind_parameter(first + 10, &row.prev_hash[..])?;
    insert.raw_bind_parameter(first + 11, &row.hash[..])
}
