//! The group-commit side of the PostgreSQL backend: a batch of operations in one `READ COMMITTED`
//! transaction; operations of several statements each in a savepoint of their own.

use meldroute_store::audit::PendingAudit;
use meldroute_store::*;
use sqlx::{PgConnection, Postgres, Transaction};

use crate::{FK_PREFIX, PgStore, other};

impl BatchApply for PgStore {
    async fn apply_batch(&self, ops: &[WriteOp]) -> StoreResult<Vec<StoreResult<WriteOutcome>>> {
        // First without savepoints for the operations that are one statement each (the usual batch: page
        // views' audit rows and appended entries). An SQL error there leaves the transaction unusable, so the
        // whole batch is rolled back and applied again with a savepoint around every operation; nothing of
        // it was acknowledged yet.
        match self.run_batch(ops, Guard::WhereNeeded).await? {
            Run::Done(results) => Ok(results),
            Run::Retry => match self.run_batch(ops, Guard::Always).await? {
                Run::Done(results) => Ok(results),
                Run::Retry => Err(StoreError::Other("the write batch failed twice".into())),
            },
        }
    }
}

/// When an operation gets a savepoint of its own.
#[derive(Clone, Copy, PartialEq)]
enum Guard {
    /// Only operations of several statements; an SQL error in another one asks for [`Run::Retry`].
    WhereNeeded,
    Always,
}

enum Run {
    Done(Vec<StoreResult<WriteOutcome>>),
    /// An unguarded operation failed in SQL: the transaction was rolled back, apply the batch again guarded.
    Retry,
}

impl PgStore {
    async fn run_batch(&self, ops: &[WriteOp], guard: Guard) -> StoreResult<Run> {
        let mut tx: Transaction<'_, Postgres> = self.pool.begin().await.map_err(other)?;
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
            if guard == Guard::WhereNeeded && single_statement(op) {
                match apply_unguarded(&mut tx, op, &mut audit).await {
                    Ok(result) => {
                        results.push(result);
                        continue;
                    }
                    Err(_) => {
                        // Not logged with its message: a constraint's message can quote the row's values.
                        tracing::info!("a write failed in SQL; applying its batch again with savepoints");
                        tx.rollback().await.map_err(other)?;
                        return Ok(Run::Retry);
                    }
                }
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
            // In the background: a VACUUM of large tables must not hold up the next batch of writes.
            let pool = self.pool.clone();
            tokio::spawn(async move { crate::retention::vacuum_after_erasure(&pool).await });
        }
        Ok(Run::Done(results))
    }
}

/// Operations that change the database with at most one statement and refuse (a stale or unknown dossier)
/// before changing anything, so they need no savepoint: an audit row (the head is read at most once, and
/// chaining happens in memory) and an appended entry with or without its audit row.
fn single_statement(op: &WriteOp) -> bool {
    match op {
        WriteOp::Audit(_) | WriteOp::AppendEntry { .. } => true,
        WriteOp::Audited { op, .. } => matches!(**op, WriteOp::AppendEntry { .. }),
        _ => false,
    }
}

/// A [`single_statement`] operation without a savepoint. The outer error means the transaction is no longer
/// usable (an SQL error, or a failure after the entry was written); the inner one is a refusal that changed
/// nothing.
async fn apply_unguarded(
    conn: &mut PgConnection,
    op: &WriteOp,
    pending: &mut PendingAudit<'_>,
) -> StoreResult<StoreResult<WriteOutcome>> {
    let (append, audit) = match op {
        WriteOp::Audit(event) => {
            let seq = crate::audit::append(conn, pending, event).await?;
            return Ok(Ok(WriteOutcome::Audited { seq }));
        }
        WriteOp::Audited { op, audit } => (&**op, Some(audit)),
        other => (other, None),
    };
    let WriteOp::AppendEntry { tenant, dossier, expected_last_seq, entry, projection } = append else {
        return Err(StoreError::Other("not a single-statement operation".into()));
    };
    let (id, seq) = match append_entry(conn, tenant, dossier, expected_last_seq, entry, projection).await? {
        Ok(appended) => appended,
        Err(refused) => return Ok(Err(refused)),
    };
    if let Some(event) = audit {
        crate::audit::append(conn, pending, event).await?;
    }
    Ok(Ok(WriteOutcome::EntryAppended { entry: id, seq }))
}

/// An operation; for [`WriteOp::Audited`], its inner operation and then its audit row, in the same savepoint.
async fn apply_one(conn: &mut PgConnection, op: &WriteOp, pending: &mut PendingAudit<'_>) -> StoreResult<WriteOutcome> {
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
    conn: &mut PgConnection,
    op: &WriteOp,
    pending: &mut PendingAudit<'_>,
) -> StoreResult<WriteOutcome> {
    match op {
        WriteOp::OpenDossier { tenant, location, pupil, opened_by, opened_at, first_entry, projection } => {
            // The pupil must belong to the tenant and to the location.
            let found: Option<i64> =
                sqlx::query_scalar("SELECT id FROM pupils WHERE org_id = $1 AND id = $2 AND location_id = $3")
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
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11) RETURNING id",
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
            let (id, seq) = append_entry(conn, tenant, dossier, expected_last_seq, entry, projection).await??;
            Ok(WriteOutcome::EntryAppended { entry: id, seq })
        }
        WriteOp::AppendAttachment { tenant, dossier, expected_last_seq, entry, projection, attachment } => {
            let (id, seq) = append_entry(conn, tenant, dossier, expected_last_seq, entry, projection).await??;
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

/// Appends `entry` at the end of the dossier's chronology and updates the listing projection, in one
/// statement: the update takes the dossier's row lock and moves `last_seq` on only when it is still at
/// `expected_last_seq`, and the insert takes the new number from it. The inner error is the refusal
/// (`Conflict` when the chronology moved on, `NotFound` without the dossier), which changed nothing.
async fn append_entry(
    conn: &mut PgConnection,
    tenant: &TenantCtx,
    dossier: &DossierId,
    expected_last_seq: &Option<i64>,
    entry: &NewEntry,
    projection: &DossierProjection,
) -> StoreResult<StoreResult<(EntryId, i64)>> {
    let appended: Option<(i64, i64)> = sqlx::query_as(
        "WITH bumped AS ( \
             UPDATE dossiers SET last_seq = last_seq + 1, step = $3, closed = $4, urgent = $5, next_due = $6, \
                 closed_on = $7, updated_at = $8 \
             WHERE org_id = $1 AND id = $2 AND ($9::BIGINT IS NULL OR last_seq = $9) \
             RETURNING org_id, id, last_seq) \
         INSERT INTO entries (org_id, dossier_id, seq, recorded_at, author_id, kind, payload) \
         SELECT org_id, id, last_seq, $8, $10, $11, $12 FROM bumped \
         RETURNING id, seq",
    )
    .bind(tenant.org.0)
    .bind(dossier.0)
    .bind(i64::from(projection.step))
    .bind(projection.closed)
    .bind(projection.urgent)
    .bind(projection.next_due)
    .bind(projection.closed_on)
    .bind(entry.recorded_at)
    .bind(*expected_last_seq)
    .bind(entry.author.0)
    .bind(&entry.kind)
    .bind(&entry.payload)
    .fetch_optional(&mut *conn)
    .await
    .map_err(fk_as_not_found)?;
    if let Some((id, seq)) = appended {
        return Ok(Ok((EntryId(id), seq)));
    }
    // Refused: say why (the rare path, so one more read is fine).
    let last: Option<i64> = sqlx::query_scalar("SELECT last_seq FROM dossiers WHERE org_id = $1 AND id = $2")
        .bind(tenant.org.0)
        .bind(dossier.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(other)?;
    Ok(Err(match (last, expected_last_seq) {
        (None, _) => StoreError::NotFound,
        (Some(last), Some(expected)) => {
            StoreError::Conflict(format!("the dossier changed: expected last entry {expected}, found {last}"))
        }
        (Some(_), None) => StoreError::Other("the dossier could not be updated".into()),
    }))
}

async fn insert_entry(
    conn: &mut PgConnection,
    tenant: &TenantCtx,
    dossier: DossierId,
    seq: i64,
    entry: &NewEntry,
) -> StoreResult<EntryId> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO entries (org_id, dossier_id, seq, recorded_at, author_id, kind, payload) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
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
