//! Retention settings, erasure proposals and requests on PostgreSQL, and the erasure itself (called by the writer).

use meldroute_store::*;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use time::Date;

use crate::{FK_PREFIX, PgStore, other};

fn fk_as_not_found(err: sqlx::Error) -> StoreError {
    match other(err) {
        StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
        e => e,
    }
}

fn setting(row: PgRow) -> Result<RetentionSetting, sqlx::Error> {
    let months: i32 = row.try_get("months")?;
    Ok(RetentionSetting {
        months: u32::try_from(months).unwrap_or(0),
        basis: row.try_get("basis")?,
        set_by: UserId(row.try_get("set_by")?),
        set_at: row.try_get("set_at")?,
    })
}

fn proposal(row: PgRow) -> Result<ErasureProposal, sqlx::Error> {
    Ok(ErasureProposal {
        id: row.try_get("id")?,
        dossier: DossierId(row.try_get("dossier_id")?),
        proposed_by: UserId(row.try_get("proposed_by")?),
        proposed_at: row.try_get("proposed_at")?,
        reason: row.try_get("reason")?,
        dossier_seq: row.try_get("dossier_seq")?,
    })
}

fn request(row: PgRow) -> Result<ErasureRequest, sqlx::Error> {
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

impl RetentionStore for PgStore {
    async fn set_retention(&self, t: &TenantCtx, s: RetentionSetting) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO retention_settings (org_id, months, basis, set_by, set_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(t.org.0)
        .bind(i32::try_from(s.months).unwrap_or(i32::MAX))
        .bind(&s.basis)
        .bind(s.set_by.0)
        .bind(s.set_at)
        .execute(&self.pool)
        .await
        .map_err(fk_as_not_found)?;
        Ok(())
    }

    async fn retention_history(&self, t: &TenantCtx) -> StoreResult<Vec<RetentionSetting>> {
        sqlx::query("SELECT * FROM retention_settings WHERE org_id = $1 ORDER BY id DESC")
            .bind(t.org.0)
            .try_map(setting)
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }

    async fn closed_dossiers(&self, t: &TenantCtx, before: Date) -> StoreResult<Vec<ClosedDossier>> {
        let rows = sqlx::query(
            "SELECT id, location_id, pupil_id, closed_on FROM dossiers \
             WHERE org_id = $1 AND closed AND closed_on IS NOT NULL AND closed_on <= $2 ORDER BY closed_on, id",
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
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
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
        sqlx::query("SELECT * FROM erasure_proposals WHERE org_id = $1 AND dossier_id = $2")
            .bind(t.org.0)
            .bind(dossier.0)
            .try_map(proposal)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)
    }

    async fn erasure_proposals(&self, t: &TenantCtx) -> StoreResult<Vec<ErasureProposal>> {
        sqlx::query("SELECT * FROM erasure_proposals WHERE org_id = $1 ORDER BY proposed_at, id")
            .bind(t.org.0)
            .try_map(proposal)
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }

    async fn withdraw_erasure(&self, t: &TenantCtx, dossier: DossierId, id: i64) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM erasure_proposals WHERE org_id = $1 AND dossier_id = $2 AND id = $3")
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
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
        sqlx::query("SELECT * FROM erasure_requests WHERE org_id = $1 AND dossier_id = $2 ORDER BY id")
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
pub(crate) async fn erase(
    conn: &mut PgConnection,
    audit_rows: &mut meldroute_store::audit::PendingAudit<'_>,
    tenant: &TenantCtx,
    dossier: DossierId,
    proposal_id: i64,
    confirmed_by: UserId,
    at: time::OffsetDateTime,
    source: &str,
) -> StoreResult<WriteOutcome> {
    let org = tenant.org.0;
    // Locked until the transaction ends: an entry another node appends meanwhile (one that reopens the dossier)
    // waits for the erasure, and is then refused because the dossier is gone; it can never be erased unchecked.
    let row = sqlx::query("SELECT pupil_id, closed, last_seq FROM dossiers WHERE org_id = $1 AND id = $2 FOR UPDATE")
        .bind(org)
        .bind(dossier.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(other)?
        .ok_or(StoreError::NotFound)?;
    let pupil: i64 = row.try_get("pupil_id").map_err(other)?;
    let closed: bool = row.try_get("closed").map_err(other)?;
    let last_seq: i64 = row.try_get("last_seq").map_err(other)?;
    let pending = sqlx::query("SELECT * FROM erasure_proposals WHERE org_id = $1 AND dossier_id = $2 AND id = $3")
        .bind(org)
        .bind(dossier.0)
        .bind(proposal_id)
        .try_map(proposal)
        .fetch_optional(&mut *conn)
        .await
        .map_err(other)?
        .ok_or_else(|| StoreError::Conflict("the erasure proposal is no longer pending".into()))?;
    // The domain decided the same before; checked again here, where nothing can change in between.
    if pending.proposed_by == confirmed_by {
        return Err(StoreError::Conflict("the proposer cannot confirm her own proposal".into()));
    }
    if !closed || last_seq != pending.dossier_seq {
        return Err(StoreError::Conflict("the dossier changed since the erasure was proposed".into()));
    }
    for sql in [
        "DELETE FROM notifications WHERE org_id = $1 AND dossier_id = $2",
        "DELETE FROM shares WHERE org_id = $1 AND dossier_id = $2",
        "DELETE FROM attachments WHERE org_id = $1 AND dossier_id = $2",
        // A dossier received from another school: the sender's marks on its entries, then on the dossier.
        "DELETE FROM received_entries WHERE org_id = $1 AND dossier_id = $2",
        "DELETE FROM received_dossiers WHERE org_id = $1 AND dossier_id = $2",
        "DELETE FROM entries WHERE org_id = $1 AND dossier_id = $2",
        "DELETE FROM erasure_proposals WHERE org_id = $1 AND dossier_id = $2",
        "DELETE FROM erasure_requests WHERE org_id = $1 AND dossier_id = $2",
        "DELETE FROM dossiers WHERE org_id = $1 AND id = $2",
    ] {
        sqlx::query(sql).bind(org).bind(dossier.0).execute(&mut *conn).await.map_err(other)?;
    }
    let others: i64 = sqlx::query_scalar("SELECT count(*) FROM dossiers WHERE org_id = $1 AND pupil_id = $2")
        .bind(org)
        .bind(pupil)
        .fetch_one(&mut *conn)
        .await
        .map_err(other)?;
    let pupil_erased = others == 0;
    if pupil_erased {
        sqlx::query("DELETE FROM pupils WHERE org_id = $1 AND id = $2")
            .bind(org)
            .bind(pupil)
            .execute(&mut *conn)
            .await
            .map_err(other)?;
    }
    for (action, actor) in [("dossier.erased.proposer", pending.proposed_by), ("dossier.erased", confirmed_by)] {
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
        crate::audit::append(conn, audit_rows, &event).await?;
    }
    // Every node (this one too) hears of it when the transaction commits, and not at all if it is rolled back:
    // each empties its chronology cache, so no node keeps the erased text in memory.
    sqlx::query("SELECT pg_notify($1, '')").bind(ERASURE_CHANNEL).execute(&mut *conn).await.map_err(other)?;
    Ok(WriteOutcome::DossierErased { pupil_erased })
}

/// After a committed erasure (outside any transaction): VACUUM the tables that held the dossier, so the dead
/// rows and their index entries are removed and their space can be reused. VACUUM does not promise to overwrite
/// the bytes at once, and WAL segments and backups keep copies until they age out: see docs/security.md.
pub(crate) async fn vacuum_after_erasure(pool: &sqlx::PgPool) {
    let sql = "VACUUM (ANALYZE) entries, attachments, notifications, shares, erasure_proposals, erasure_requests, received_entries, received_dossiers, dossiers, pupils";
    if let Err(err) = sqlx::raw_sql(sql).execute(pool).await {
        tracing::error!(error = %err, "VACUUM after an erasure failed; the erased rows are gone but their space is not yet reclaimed");
    }
}
