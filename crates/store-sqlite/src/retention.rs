//! Retention settings, erasure proposals and requests on SQLite, and the erasure itself (called by the writer).

use meldroute_store::*;
use rusqlite::{Connection, OptionalExtension, params};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use time::Date;

use crate::direct::sql_err;

use crate::{FK_PREFIX, SqliteStore, other};

fn fk_as_not_found(err: sqlx::Error) -> StoreError {
    match other(err) {
        StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
        e => e,
    }
}

fn setting(row: SqliteRow) -> Result<RetentionSetting, sqlx::Error> {
    let months: i64 = row.try_get("months")?;
    Ok(RetentionSetting {
        months: u32::try_from(months).unwrap_or(0),
        basis: row.try_get("basis")?,
        set_by: UserId(row.try_get("set_by")?),
        set_at: row.try_get("set_at")?,
    })
}

fn proposal(row: SqliteRow) -> Result<ErasureProposal, sqlx::Error> {
    Ok(ErasureProposal {
        id: row.try_get("id")?,
        dossier: DossierId(row.try_get("dossier_id")?),
        proposed_by: UserId(row.try_get("proposed_by")?),
        proposed_at: row.try_get("proposed_at")?,
        reason: row.try_get("reason")?,
        dossier_seq: row.try_get("dossier_seq")?,
    })
}

fn request(row: SqliteRow) -> Result<ErasureRequest, sqlx::Error> {
    Ok(ErasureRequest {
        id: row.try_get("id")?,
        dossier: DossierId(row.try_get("dossier_id")?),
        requester: row.try_get("requester")?,
        received_on: row.try_get("received_on")?,
        decision: row.try_get("decision")?,
        reason: row.try_get("reason")?,
        decided_by: UserId(row.try_get("decided_by")?),
        recorded_at: row.try_get("recorded_at")?,
    })
}

impl RetentionStore for SqliteStore {
    async fn set_retention(&self, t: &TenantCtx, s: RetentionSetting) -> StoreResult<()> {
        sqlx::query("INSERT INTO retention_settings (org_id, months, basis, set_by, set_at) VALUES (?, ?, ?, ?, ?)")
            .bind(t.org.0)
            .bind(i64::from(s.months))
            .bind(&s.basis)
            .bind(s.set_by.0)
            .bind(s.set_at)
            .execute(&self.pool)
            .await
            .map_err(fk_as_not_found)?;
        Ok(())
    }

    async fn retention_history(&self, t: &TenantCtx) -> StoreResult<Vec<RetentionSetting>> {
        sqlx::query("SELECT * FROM retention_settings WHERE org_id = ? ORDER BY id DESC")
            .bind(t.org.0)
            .try_map(setting)
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }

    async fn closed_dossiers(&self, t: &TenantCtx, before: Date) -> StoreResult<Vec<ClosedDossier>> {
        let rows = sqlx::query(
            "SELECT id, location_id, pupil_id, closed_on FROM dossiers \
             WHERE org_id = ? AND closed = 1 AND closed_on IS NOT NULL AND closed_on <= ? ORDER BY closed_on, id",
        )
        .bind(t.org.0)
        .bind(before)
        .fetch_all(&self.pool)
        .await
        .map_err(other)?;
        rows.into_iter()
            .map(|row| {
                Ok(ClosedDossier {
                    dossier: DossierId(row.try_get("id")?),
                    location: LocationId(row.try_get("location_id")?),
                    pupil: PupilId(row.try_get("pupil_id")?),
                    closed_on: row.try_get("closed_on")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(other)
    }

    async fn propose_erasure(&self, t: &TenantCtx, new: NewErasureProposal) -> StoreResult<ErasureProposal> {
        sqlx::query(
            "INSERT INTO erasure_proposals (org_id, dossier_id, proposed_by, proposed_at, reason, dossier_seq) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
        )
        .bind(t.org.0)
        .bind(new.dossier.0)
        .bind(new.proposed_by.0)
        .bind(new.proposed_at)
        .bind(&new.reason)
        .bind(new.dossier_seq)
        .try_map(proposal)
        .fetch_one(&self.pool)
        .await
        .map_err(fk_as_not_found)
    }

    async fn erasure_proposal(&self, t: &TenantCtx, dossier: DossierId) -> StoreResult<Option<ErasureProposal>> {
        sqlx::query("SELECT * FROM erasure_proposals WHERE org_id = ? AND dossier_id = ?")
            .bind(t.org.0)
            .bind(dossier.0)
            .try_map(proposal)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)
    }

    async fn erasure_proposals(&self, t: &TenantCtx) -> StoreResult<Vec<ErasureProposal>> {
        sqlx::query("SELECT * FROM erasure_proposals WHERE org_id = ? ORDER BY proposed_at, id")
            .bind(t.org.0)
            .try_map(proposal)
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }

    async fn withdraw_erasure(&self, t: &TenantCtx, dossier: DossierId, id: i64) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM erasure_proposals WHERE org_id = ? AND dossier_id = ? AND id = ?")
            .bind(t.org.0)
            .bind(dossier.0)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(other)?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn record_erasure_request(&self, t: &TenantCtx, new: NewErasureRequest) -> StoreResult<ErasureRequest> {
        sqlx::query(
            "INSERT INTO erasure_requests (org_id, dossier_id, requester, received_on, decision, reason, decided_by, recorded_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        )
        .bind(t.org.0)
        .bind(new.dossier.0)
        .bind(&new.requester)
        .bind(new.received_on)
        .bind(&new.decision)
        .bind(&new.reason)
        .bind(new.decided_by.0)
        .bind(new.recorded_at)
        .try_map(request)
        .fetch_one(&self.pool)
        .await
        .map_err(fk_as_not_found)
    }

    async fn erasure_requests(&self, t: &TenantCtx, dossier: DossierId) -> StoreResult<Vec<ErasureRequest>> {
        sqlx::query("SELECT * FROM erasure_requests WHERE org_id = ? AND dossier_id = ? ORDER BY id")
            .bind(t.org.0)
            .bind(dossier.0)
            .try_map(request)
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }
}

/// The erasure, inside the writer's savepoint (see [`WriteOp::EraseDossier`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn erase(
    conn: &Connection,
    audit_rows: &mut meldroute_store::audit::PendingAudit<'_>,
    tenant: &TenantCtx,
    dossier: DossierId,
    proposal_id: i64,
    confirmed_by: UserId,
    at: time::OffsetDateTime,
    source: &str,
) -> StoreResult<WriteOutcome> {
    let org = tenant.org.0;
    let (pupil, closed, last_seq): (i64, bool, i64) = conn
        .prepare_cached("SELECT pupil_id, closed, last_seq FROM dossiers WHERE org_id = ? AND id = ?")
        .and_then(|mut s| s.query_row(params![org, dossier.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))))
        .map_err(sql_err)?;
    let (proposed_by, dossier_seq): (i64, i64) = conn
        .prepare_cached(
            "SELECT proposed_by, dossier_seq FROM erasure_proposals WHERE org_id = ? AND dossier_id = ? AND id = ?",
        )
        .and_then(|mut s| s.query_row(params![org, dossier.0, proposal_id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(sql_err)?
        .ok_or_else(|| StoreError::Conflict("the erasure proposal is no longer pending".into()))?;
    let proposed_by = UserId(proposed_by);
    // The domain decided the same before; checked again here, where nothing can change in between.
    if proposed_by == confirmed_by {
        return Err(StoreError::Conflict("the proposer cannot confirm her own proposal".into()));
    }
    if !closed || last_seq != dossier_seq {
        return Err(StoreError::Conflict("the dossier changed since the erasure was proposed".into()));
    }
    for sql in [
        "DELETE FROM notifications WHERE org_id = ? AND dossier_id = ?",
        "DELETE FROM shares WHERE org_id = ? AND dossier_id = ?",
        "DELETE FROM attachments WHERE org_id = ? AND dossier_id = ?",
        // A dossier received from another school: the sender's marks on its entries, then on the dossier.
        "DELETE FROM received_entries WHERE org_id = ? AND dossier_id = ?",
        "DELETE FROM received_dossiers WHERE org_id = ? AND dossier_id = ?",
        "DELETE FROM entries WHERE org_id = ? AND dossier_id = ?",
        "DELETE FROM erasure_proposals WHERE org_id = ? AND dossier_id = ?",
        "DELETE FROM erasure_requests WHERE org_id = ? AND dossier_id = ?",
        "DELETE FROM dossiers WHERE org_id = ? AND id = ?",
    ] {
        conn.prepare_cached(sql).and_then(|mut s| s.execute(params![org, dossier.0])).map_err(sql_err)?;
    }
    let others: i64 = conn
        .prepare_cached("SELECT count(*) FROM dossiers WHERE org_id = ? AND pupil_id = ?")
        .and_then(|mut s| s.query_row(params![org, pupil], |r| r.get(0)))
        .map_err(sql_err)?;
    let pupil_erased = others == 0;
    if pupil_erased {
        conn.prepare_cached("DELETE FROM pupils WHERE org_id = ? AND id = ?")
            .and_then(|mut s| s.execute(params![org, pupil]))
            .map_err(sql_err)?;
    }
    for (action, actor) in [("dossier.erased.proposer", proposed_by), ("dossier.erased", confirmed_by)] {
        let event = NewAuditEvent {
            at,
            org: Some(tenant.org),
            actor: Some(actor),
            on_behalf_of: None,
            pupil: None,
            dossier: Some(dossier),
            action: action.into(),
            outcome: if pupil_erased { "erased_with_pupil".into() } else { "erased".into() },
            source: source.into(),
        };
        crate::audit::append(conn, audit_rows, &event)?;
    }
    Ok(WriteOutcome::DossierErased { pupil_erased })
}

/// After a committed erasure: copy every page into the database file and empty the write-ahead log, so the
/// erased rows survive neither in old WAL frames nor (with `secure_delete`) in freed pages.
pub(crate) fn checkpoint_after_erasure(conn: &Connection) {
    match conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get::<_, i64>(0)) {
        Ok(0) => {}
        Ok(_) => {
            tracing::error!(
                "the WAL checkpoint after an erasure could not finish; it is retried after the next erasure"
            )
        }
        Err(err) => tracing::error!(error = %err, "the WAL checkpoint after an erasure failed"),
    }
}
