//! The group-commit side of the PostgreSQL backend: a batch of operations in one `READ COMMITTED`
//! transaction; operations of several statements each in a savepoint of their own.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;

use meldroute_store::audit::PendingAudit;
use meldroute_store::*;
use sqlx::{PgConnection, Postgres, Transaction};

use crate::{FK_PREFIX, PgStore, other};

impl BatchApply for PgStore {
    async fn apply_batch(&self, ops: &[WriteOp]) -> StoreResult<Vec<StoreResult<WriteOutcome>>> {
        let _changed: Vec<_> = ops.iter().filter_map(WriteOp::changes).map(|c| self.lookups.marking(c)).collect();
        // First without savepoints for the operations that are one statement each (the usual batch: page
        // views' audit rows and appended entries). An SQL error there leaves the transaction unusable, so the
        // whole batch is rolled back and applied again with a savepoint around every operation; nothing of
        // it was acknowledged yet.
        if let Run::Done(results) = self.run_batch(ops, Guard::WhereNeeded).await? {
            return Ok(results);
        }
        self.retried.fetch_add(1, Ordering::Relaxed);
        match self.run_batch(ops, Guard::Always).await? {
            Run::Done(results) => Ok(results),
            Run::Retry => Err(StoreError::Other("the write batch failed twice".into())),
        }
    }

    fn batches_retried(&self) -> u64 {
        self.retried.load(Ordering::Relaxed)
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
        // The audit head before any dossier row: every node's batches take their locks in the same order, so
        // two nodes cannot deadlock on them. When this fails (no key, no head, a head that is not authentic),
        // nothing was changed, and each operation that needs the head fails on its own below, as it would
        // without this.
        if ops.iter().any(writes_audit) {
            let _ = crate::audit::start(&mut tx, &mut audit).await;
        }
        let mut rest = ops;
        while let Some(op) = rest.first() {
            if let WriteOp::Audit(event) = op
                && !audit.needs_head()
            {
                // Chained in memory only (the head is already read): nothing to roll back, so no savepoint.
                let seq = audit.push(event).map_err(|problem| StoreError::Other(format!("audit chain: {problem}")));
                results.push(seq.map(|seq| WriteOutcome::Audited { seq }));
                rest = &rest[1..];
                continue;
            }
            if guard == Guard::WhereNeeded {
                let len = segment_len(rest);
                if len > 0 {
                    match apply_segment(&mut tx, &rest[..len], &mut audit).await {
                        Ok(segment) => {
                            results.extend(segment);
                            rest = &rest[len..];
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
            rest = &rest[1..];
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

/// Whether an operation chains audit rows (and so needs the audit head).
fn writes_audit(op: &WriteOp) -> bool {
    matches!(op, WriteOp::Audit(_) | WriteOp::Audited { .. } | WriteOp::EraseDossier { .. })
}

/// An appended entry's part of a [`WriteOp::AppendEntry`].
struct Append<'a> {
    tenant: &'a TenantCtx,
    dossier: DossierId,
    expected_last_seq: Option<i64>,
    entry: &'a NewEntry,
    projection: &'a DossierProjection,
}

/// The parts of an operation that changes the database with at most one statement and refuses (a stale or
/// unknown dossier) before changing anything, so it needs no savepoint: an audit row (the head is read at
/// most once, and chaining happens in memory), an appended entry, or an appended entry with its audit row.
/// `None` for every other operation.
fn single_statement(op: &WriteOp) -> Option<(Option<Append<'_>>, Option<&NewAuditEvent>)> {
    match op {
        WriteOp::Audit(event) => Some((None, Some(event))),
        WriteOp::Audited { op, audit } => append_of(op).map(|append| (Some(append), Some(audit))),
        other => append_of(other).map(|append| (Some(append), None)),
    }
}

fn append_of(op: &WriteOp) -> Option<Append<'_>> {
    match op {
        WriteOp::AppendEntry { tenant, dossier, expected_last_seq, entry, projection } => {
            Some(Append { tenant, dossier: *dossier, expected_last_seq: *expected_last_seq, entry, projection })
        }
        _ => None,
    }
}

/// How many operations at the start of `ops` form one segment: [`single_statement`] operations whose appends
/// go to different dossiers, so that one statement can apply all their appends (a statement updates a row at
/// most once).
fn segment_len(ops: &[WriteOp]) -> usize {
    let mut dossiers = HashSet::new();
    ops.iter()
        .take_while(|op| match single_statement(op) {
            Some((Some(append), _)) => dossiers.insert(append.dossier),
            Some((None, _)) => true,
            None => false,
        })
        .count()
}

/// A segment (see [`segment_len`]) without savepoints: all its appends in one statement, then, in the
/// operations' order, each audit row chained in memory and each refused append's reason read. The outer error
/// means the transaction is no longer usable (an SQL error, or an audit row that could not be chained after
/// entries were written); an inner one is a refusal that changed nothing.
async fn apply_segment(
    conn: &mut PgConnection,
    ops: &[WriteOp],
    pending: &mut PendingAudit<'_>,
) -> StoreResult<Vec<StoreResult<WriteOutcome>>> {
    let parts: Vec<_> = ops.iter().filter_map(single_statement).collect();
    if parts.len() != ops.len() {
        return Err(StoreError::Other("not a single-statement operation".into()));
    }
    if parts.iter().any(|(_, audit)| audit.is_some()) {
        crate::audit::start(conn, pending).await?;
    }
    let appends: Vec<&Append<'_>> = parts.iter().filter_map(|(append, _)| append.as_ref()).collect();
    let landed = append_entries(conn, &appends).await?;
    let mut results = Vec::with_capacity(ops.len());
    for (append, audit) in &parts {
        let appended = match append {
            Some(append) => match landed.get(&append.dossier) {
                Some(&(entry, seq)) => Some(WriteOutcome::EntryAppended { entry, seq }),
                None => {
                    results.push(Err(refusal(conn, append.tenant, append.dossier, append.expected_last_seq).await?));
                    continue;
                }
            },
            None => None,
        };
        let audited = match audit {
            Some(event) => {
                let seq =
                    pending.push(event).map_err(|problem| StoreError::Other(format!("audit chain: {problem}")))?;
                Some(WriteOutcome::Audited { seq })
            }
            None => None,
        };
        match appended.or(audited) {
            Some(outcome) => results.push(Ok(outcome)),
            None => return Err(StoreError::Other("an operation without a write".into())),
        }
    }
    Ok(results)
}

/// Appends every entry of `appends` (each to a different dossier) in one statement, as [`append_entry`] does
/// for one: a dossier whose chronology moved on past its `expected_last_seq`, or that is not the tenant's, is
/// left alone and missing from the answer. The answer maps each changed dossier to its new entry and number.
async fn append_entries(
    conn: &mut PgConnection,
    appends: &[&Append<'_>],
) -> StoreResult<HashMap<DossierId, (EntryId, i64)>> {
    if appends.is_empty() {
        return Ok(HashMap::new());
    }
    let column = |f: fn(&Append<'_>) -> i64| appends.iter().map(|a| f(a)).collect::<Vec<i64>>();
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "WITH input AS ( \
             SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], $4::BIGINT[], $5::BOOLEAN[], \
                 $6::BOOLEAN[], $7::DATE[], $8::DATE[], $9::TIMESTAMPTZ[], $10::BIGINT[], $11::TEXT[], $12::BYTEA[]) \
             AS t(org_id, id, expected, step, closed, urgent, next_due, closed_on, recorded_at, author_id, kind, \
                 payload)), \
         bumped AS ( \
             UPDATE dossiers d SET last_seq = d.last_seq + 1, step = i.step, closed = i.closed, urgent = i.urgent, \
                 next_due = i.next_due, closed_on = i.closed_on, updated_at = i.recorded_at \
             FROM input i \
             WHERE d.org_id = i.org_id AND d.id = i.id AND (i.expected IS NULL OR d.last_seq = i.expected) \
             RETURNING d.org_id, d.id, d.last_seq) \
         INSERT INTO entries (org_id, dossier_id, seq, recorded_at, author_id, kind, payload) \
         SELECT b.org_id, b.id, b.last_seq, i.recorded_at, i.author_id, i.kind, i.payload \
         FROM bumped b JOIN input i ON i.org_id = b.org_id AND i.id = b.id \
         RETURNING dossier_id, id, seq",
    )
    .bind(column(|a| a.tenant.org.0))
    .bind(column(|a| a.dossier.0))
    .bind(appends.iter().map(|a| a.expected_last_seq).collect::<Vec<_>>())
    .bind(column(|a| i64::from(a.projection.step)))
    .bind(appends.iter().map(|a| a.projection.closed).collect::<Vec<_>>())
    .bind(appends.iter().map(|a| a.projection.urgent).collect::<Vec<_>>())
    .bind(appends.iter().map(|a| a.projection.next_due).collect::<Vec<_>>())
    .bind(appends.iter().map(|a| a.projection.closed_on).collect::<Vec<_>>())
    .bind(appends.iter().map(|a| a.entry.recorded_at).collect::<Vec<_>>())
    .bind(column(|a| a.entry.author.0))
    .bind(appends.iter().map(|a| a.entry.kind.as_str()).collect::<Vec<_>>())
    .bind(appends.iter().map(|a| a.entry.payload.as_slice()).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await
    .map_err(other)?;
    // Each dossier of the input at most once (the caller's segment has each only once): anything else would
    // give an operation another one's outcome, so the batch is applied again with savepoints instead.
    let mut landed = HashMap::with_capacity(rows.len());
    for (dossier, entry, seq) in rows {
        let dossier = DossierId(dossier);
        let known = appends.iter().any(|a| a.dossier == dossier);
        if !known || landed.insert(dossier, (EntryId(entry), seq)).is_some() {
            return Err(StoreError::Other("the appends' statement answered for an unexpected dossier".into()));
        }
    }
    Ok(landed)
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
        WriteOp::SaveRouteMap { tenant, version } => crate::route_maps::insert_version(conn, tenant, version).await,
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
    match appended {
        Some((id, seq)) => Ok(Ok((EntryId(id), seq))),
        None => Ok(Err(refusal(conn, tenant, *dossier, *expected_last_seq).await?)),
    }
}

/// Why an append to `dossier` was refused (the rare path, so one more read is fine).
async fn refusal(
    conn: &mut PgConnection,
    tenant: &TenantCtx,
    dossier: DossierId,
    expected_last_seq: Option<i64>,
) -> StoreResult<StoreError> {
    let last: Option<i64> = sqlx::query_scalar("SELECT last_seq FROM dossiers WHERE org_id = $1 AND id = $2")
        .bind(tenant.org.0)
        .bind(dossier.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(other)?;
    Ok(match (last, expected_last_seq) {
        (None, _) => StoreError::NotFound,
        (Some(last), Some(expected)) => {
            StoreError::Conflict(format!("the dossier changed: expected last entry {expected}, found {last}"))
        }
        (Some(_), None) => StoreError::Other("the dossier could not be updated".into()),
    })
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

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;

    fn tenant() -> TenantCtx {
        TenantCtx::new(OrgId(1))
    }

    fn append(dossier: i64) -> WriteOp {
        WriteOp::AppendEntry {
            tenant: tenant(),
            dossier: DossierId(dossier),
            expected_last_seq: None,
            entry: NewEntry {
                recorded_at: OffsetDateTime::UNIX_EPOCH,
                author: UserId(1),
                kind: "observation".into(),
                payload: Vec::new(),
            },
            projection: DossierProjection { step: 1, closed: false, urgent: false, next_due: None, closed_on: None },
        }
    }

    fn audit() -> NewAuditEvent {
        NewAuditEvent {
            at: OffsetDateTime::UNIX_EPOCH,
            org: None,
            actor: None,
            on_behalf_of: None,
            pupil: None,
            dossier: None,
            action: "dossier.read".into(),
            outcome: "allowed".into(),
            source: "cli".into(),
        }
    }

    fn audited(op: WriteOp) -> WriteOp {
        WriteOp::Audited { op: Box::new(op), audit: audit() }
    }

    #[test]
    fn a_segment_ends_before_a_dossier_seen_again_or_an_operation_of_several_statements() {
        let ops =
            [WriteOp::Audit(audit()), append(1), audited(append(2)), WriteOp::Audit(audit()), append(1), append(3)];
        assert_eq!(segment_len(&ops), 4);
        assert_eq!(segment_len(&ops[4..]), 2);
        let done =
            WriteOp::TeamActionDone { tenant: tenant(), action: 1, by: UserId(1), at: OffsetDateTime::UNIX_EPOCH };
        let ops = [append(1), done, append(2)];
        assert_eq!(segment_len(&ops), 1);
        assert_eq!(segment_len(&ops[1..]), 0);
        // An audited write may only hold an append to stay in a segment.
        assert_eq!(segment_len(&[audited(WriteOp::Audit(audit()))]), 0);
        assert_eq!(segment_len(&[]), 0);
    }
}
