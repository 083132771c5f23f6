//! The group-commit side of the SQLite backend: a batch of operations in one `BEGIN IMMEDIATE`
//! transaction, each in its own savepoint.

use meldroute_store::audit::PendingAudit;
use meldroute_store::*;
use sqlx::{Sqlite, SqliteConnection, Transaction};

use crate::{FK_PREFIX, SqliteStore, other};

impl BatchApply for SqliteStore {
    async fn apply_batch(&self, ops: &[WriteOp]) -> StoreResult<Vec<StoreResult<WriteOutcome>>> {
        let mut tx: Transaction<'_, Sqlite> = self.write_pool.begin_with("BEGIN IMMEDIATE").await.map_err(other)?;
        let mut results = Vec::with_capacity(ops.len());
        let mut audit = PendingAudit::new(self.audit_key.as_deref());
        for op in ops {
            if let WriteOp::Audit(event) = op
                && !audit.needs_head()
            {
                // Chained in memory only (the head is already read): nothing to roll back, so no savepoint.
                let seq = audit.push(event).map_err(|problem| StoreError::Other(format!("audit chain: {problem}")));
                results.push(seq.map(|seq| WriteOutcome::Audited { seq }));
                continue;
            }
            sqlx::query("SAVEPOINT op").execute(&mut *tx).await.map_err(other)?;
            let mark = audit.mark();
            let result = apply_one(&mut tx, op, &mut audit).await;
            if result.is_err() {
                sqlx::query("ROLLBACK TO SAVEPOINT op").execute(&mut *tx).await.map_err(other)?;
                audit.rollback_to(mark);
            }
            sqlx::query("RELEASE SAVEPOINT op").execute(&mut *tx).await.map_err(other)?;
            results.push(result);
        }
        // The batch's audit rows and the new head, in the same transaction as the writes they record.
        crate::audit::flush(&mut tx, &audit).await?;
        tx.commit().await.map_err(other)?;
        if results.iter().any(|r| matches!(r, Ok(WriteOutcome::DossierErased { .. }))) {
            let mut conn = self.write_pool.acquire().await.map_err(other)?;
            crate::retention::checkpoint_after_erasure(&mut conn).await;
        }
        Ok(results)
    }
}

/// An operation; for [`WriteOp::Audited`], its inner operation and then its audit row, in the same savepoint.
async fn apply_one(
    conn: &mut SqliteConnection,
    op: &WriteOp,
    pending: &mut PendingAudit<'_>,
) -> StoreResult<WriteOutcome> {
    match op {
        WriteOp::Audited { op, audit } => {
            let outcome = apply_plain(conn, op, pending).await?;
            crate::audit::append(conn, pending, audit).await?;
            Ok(outcome)
        }
        other => apply_plain(conn, other, pending).await,
    }
}

async fn apply_plain(
    conn: &mut SqliteConnection,
    op: &WriteOp,
    pending: &mut PendingAudit<'_>,
) -> StoreResult<WriteOutcome> {
    match op {
        WriteOp::OpenDossier { tenant, location, pupil, opened_by, opened_at, first_entry, projection } => {
            // The pupil must belong to the tenant and to the location.
            let found: Option<i64> =
                sqlx::query_scalar("SELECT id FROM pupils WHERE org_id = ? AND id = ? AND location_id = ?")
                    .bind(tenant.org.0)
                    .bind(pupil.0)
                    .bind(location.0)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(other)?;
            if found.is_none() {
                return Err(StoreError::NotFound);
            }
            let dossier: i64 = sqlx::query_scalar(
                "INSERT INTO dossiers (org_id, location_id, pupil_id, opened_at, opened_by, step, closed, urgent, next_due, closed_on, last_seq, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?) RETURNING id",
            )
            .bind(tenant.org.0)
            .bind(location.0)
            .bind(pupil.0)
            .bind(opened_at)
            .bind(opened_by.0)
            .bind(i64::from(projection.step))
            .bind(projection.closed)
            .bind(projection.urgent)
            .bind(projection.next_due)
            .bind(projection.closed_on)
            .bind(first_entry.recorded_at)
            .fetch_one(&mut *conn)
            .await
            .map_err(fk_as_not_found)?;
            let entry = insert_entry(conn, tenant, DossierId(dossier), 1, first_entry).await?;
            Ok(WriteOutcome::DossierOpened { dossier: DossierId(dossier), entry })
        }
        WriteOp::AppendEntry { tenant, dossier, expected_last_seq, entry, projection } => {
            let (id, seq) = append_entry(conn, tenant, dossier, expected_last_seq, entry, projection).await?;
            Ok(WriteOutcome::EntryAppended { entry: id, seq })
        }
        WriteOp::AppendAttachment { tenant, dossier, expected_last_seq, entry, projection, attachment } => {
            let (id, seq) = append_entry(conn, tenant, dossier, expected_last_seq, entry, projection).await?;
            crate::attachments::insert(conn, tenant, *dossier, id, attachment).await?;
            Ok(WriteOutcome::EntryAppended { entry: id, seq })
        }
        WriteOp::EraseDossier { tenant, dossier, proposal, confirmed_by, at, source } => {
            crate::retention::erase(conn, pending, tenant, *dossier, *proposal, *confirmed_by, *at, source).await
        }
        WriteOp::ImportDossier { tenant, dossier } => crate::transfers::import(conn, tenant, dossier).await,
        WriteOp::Audited { .. } => Err(StoreError::Other("an audited write cannot hold another audited write".into())),
        WriteOp::Audit(event) => {
            // Chained inside this transaction; fails (and so fails the request) without a key.
            let seq = crate::audit::append(conn, pending, event).await?;
            Ok(WriteOutcome::Audited { seq })
        }
        WriteOp::TeamAnswer { tenant, session, participant, question, value } => {
            crate::team_sessions::insert_answer(conn, tenant, *session, *participant, *question, value).await
        }
        WriteOp::TeamPoint { tenant, session, participant, seq, level, text } => {
            crate::team_sessions::insert_point(conn, tenant, *session, *participant, *seq, level, text).await
        }
        WriteOp::TeamDot { tenant, session, participant, point, slot } => {
            crate::team_sessions::insert_dot(conn, tenant, *session, *participant, *point, *slot).await
        }
        WriteOp::TeamActionCreate { tenant, action } => crate::team_sessions::insert_action(conn, tenant, action).await,
        WriteOp::TeamActionDone { tenant, action, by, at } => {
            crate::team_sessions::mark_action_done(conn, tenant, *action, *by, *at).await
        }
        WriteOp::TeamGroupCreate { tenant, session, participant, name, case_index } => {
            crate::team_sessions::insert_group(conn, tenant, *session, *participant, name, *case_index).await
        }
        WriteOp::TeamGroupJoin { tenant, session, group, participant, seat } => {
            crate::team_sessions::insert_member(conn, tenant, *session, *group, *participant, *seat).await
        }
        WriteOp::TeamGroupField { tenant, session, group, participant, step, field, text, expected_version } => {
            crate::team_sessions::save_field(
                conn,
                tenant,
                (*session, *group, *participant),
                (*step, field),
                text,
                *expected_version,
            )
            .await
        }
    }
}

/// Appends `entry` at the end of the dossier's chronology (refused with `Conflict` when the chronology is no
/// longer at `expected_last_seq`) and updates the listing projection.
async fn append_entry(
    conn: &mut SqliteConnection,
    tenant: &TenantCtx,
    dossier: &DossierId,
    expected_last_seq: &Option<i64>,
    entry: &NewEntry,
    projection: &DossierProjection,
) -> StoreResult<(EntryId, i64)> {
    let last: Option<i64> = sqlx::query_scalar("SELECT last_seq FROM dossiers WHERE org_id = ? AND id = ?")
        .bind(tenant.org.0)
        .bind(dossier.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(other)?;
    let last = last.ok_or(StoreError::NotFound)?;
    if let Some(expected) = expected_last_seq
        && *expected != last
    {
        return Err(StoreError::Conflict(format!("the dossier changed: expected last entry {expected}, found {last}")));
    }
    let seq = last + 1;
    sqlx::query(
        "UPDATE dossiers SET last_seq = ?, step = ?, closed = ?, urgent = ?, next_due = ?, closed_on = ?, updated_at = ? \
             WHERE org_id = ? AND id = ?",
    )
    .bind(seq)
    .bind(i64::from(projection.step))
    .bind(projection.closed)
    .bind(projection.urgent)
    .bind(projection.next_due)
    .bind(projection.closed_on)
    .bind(entry.recorded_at)
    .bind(tenant.org.0)
    .bind(dossier.0)
    .execute(&mut *conn)
    .await
    .map_err(other)?;
    let id = insert_entry(conn, tenant, *dossier, seq, entry).await?;
    Ok((id, seq))
}

async fn insert_entry(
    conn: &mut SqliteConnection,
    tenant: &TenantCtx,
    dossier: DossierId,
    seq: i64,
    entry: &NewEntry,
) -> StoreResult<EntryId> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO entries (org_id, dossier_id, seq, recorded_at, author_id, kind, payload) \
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(tenant.org.0)
    .bind(dossier.0)
    .bind(seq)
    .bind(entry.recorded_at)
    .bind(entry.author.0)
    .bind(&entry.kind)
    .bind(&entry.payload)
    .fetch_one(&mut *conn)
    .await
    .map_err(fk_as_not_found)?;
    Ok(EntryId(id))
}

/// A reference to another tenant's row (or none) fails a composite foreign key: to the caller that is
/// simply "not found".
fn fk_as_not_found(err: sqlx::Error) -> StoreError {
    match other(err) {
        StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
        e => e,
    }
}
