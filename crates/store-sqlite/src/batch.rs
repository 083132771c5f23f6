//! The group-commit side of the SQLite backend. One dedicated thread owns the write connection; a batch of
//! operations is one `BEGIN IMMEDIATE` transaction there, each operation in its own savepoint. Handing the
//! whole batch to that thread costs one hop there and one back, however many statements the batch runs
//! (see `direct.rs` for why that matters).

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use meldroute_store::audit::{AuditKey, PendingAudit};
use meldroute_store::*;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::oneshot;

use crate::SqliteStore;
use crate::direct::{self, Ts, day, fk_not_found, sql_err};

type BatchResult = StoreResult<Vec<StoreResult<WriteOutcome>>>;

/// The writer thread of one database file, started on the first batch and stopped for good by
/// [`WriterThread::stop`] (or when the store's last clone is dropped).
pub(crate) struct WriterThread {
    path: PathBuf,
    worker: Mutex<State>,
}

enum State {
    NotStarted,
    Running(Worker),
    Stopped,
}

struct Worker {
    jobs: mpsc::Sender<Job>,
    thread: JoinHandle<()>,
}

struct Job {
    ops: Vec<WriteOp>,
    key: Option<Arc<AuditKey>>,
    reply: oneshot::Sender<BatchResult>,
}

impl WriterThread {
    pub(crate) fn new(path: PathBuf) -> WriterThread {
        WriterThread { path, worker: Mutex::new(State::NotStarted) }
    }

    /// Queues a batch for the thread (starting it when needed); the answer arrives after the commit.
    fn submit(&self, ops: Vec<WriteOp>, key: Option<Arc<AuditKey>>) -> StoreResult<oneshot::Receiver<BatchResult>> {
        // The state is replaced whole, never left half-changed, so a poisoned lock still holds a valid one.
        let mut state = self.worker.lock().unwrap_or_else(PoisonError::into_inner);
        let (reply, answer) = oneshot::channel();
        let job = Job { ops, key, reply };
        let job = match &*state {
            State::Running(running) => match running.jobs.send(job) {
                Ok(()) => return Ok(answer),
                // The thread is gone (it cannot end while the sender lives, unless it died): start anew.
                Err(mpsc::SendError(job)) => job,
            },
            State::NotStarted => job,
            State::Stopped => return Err(StoreError::Other("the database is closed".into())),
        };
        let started = self.start()?;
        started.jobs.send(job).map_err(|_| StoreError::Other("the SQLite writer did not start".into()))?;
        *state = State::Running(started);
        Ok(answer)
    }

    fn start(&self) -> StoreResult<Worker> {
        let conn = direct::open(&self.path, false)
            .map_err(|e| StoreError::Other(format!("cannot open SQLite database for writing: {e}")))?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, queue))
            .map_err(|e| StoreError::Other(format!("cannot start the SQLite writer: {e}")))?;
        Ok(Worker { jobs, thread })
    }

    /// Lets the thread finish what is queued and closes its connection; the handle joins it. Later batches
    /// are refused.
    pub(crate) fn stop(&self) -> Option<JoinHandle<()>> {
        let mut state = self.worker.lock().unwrap_or_else(PoisonError::into_inner);
        match std::mem::replace(&mut *state, State::Stopped) {
            State::Running(worker) => {
                drop(worker.jobs);
                Some(worker.thread)
            }
            State::NotStarted | State::Stopped => None,
        }
    }
}

fn run(mut conn: Connection, queue: mpsc::Receiver<Job>) {
    while let Ok(job) = queue.recv() {
        // A panic inside a batch (a bug) fails that batch only: its transaction rolls back as it unwinds, and
        // the thread goes on with the next one.
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| apply(&mut conn, job.key.as_deref(), &job.ops)))
            .unwrap_or_else(|_| {
                tracing::error!("a write batch failed unexpectedly; nothing of it was committed");
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                Err(StoreError::Other("the write failed unexpectedly".into()))
            });
        // The writer task may have stopped waiting; the batch stands regardless (as when a client disconnects).
        let _ = job.reply.send(result);
    }
}

impl BatchApply for SqliteStore {
    async fn apply_batch(&self, ops: &[WriteOp]) -> BatchResult {
        // The thread needs its own copy; entry payloads are small and attachment contents are shared (`Arc`).
        let _changed: Vec<_> = ops.iter().filter_map(WriteOp::changes).map(|c| self.lookups.marking(c)).collect();
        let answer = self.writer.submit(ops.to_vec(), self.audit_key.clone())?;
        answer.await.map_err(|_| StoreError::Other("the SQLite writer stopped before answering".into()))?
    }
}

/// One batch in one transaction; an `Err` means nothing of it was committed.
fn apply(conn: &mut Connection, key: Option<&AuditKey>, ops: &[WriteOp]) -> BatchResult {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
    let mut results = Vec::with_capacity(ops.len());
    let mut audit = PendingAudit::new(key);
    for op in ops {
        if let WriteOp::Audit(event) = op
            && !audit.needs_head()
        {
            // Chained in memory only (the head is already read): nothing to roll back, so no savepoint.
            let seq = audit.push(event).map_err(|problem| StoreError::Other(format!("audit chain: {problem}")));
            results.push(seq.map(|seq| WriteOutcome::Audited { seq }));
            continue;
        }
        // Each operation in a savepoint of its own, whose statements are prepared once (rusqlite's
        // `Savepoint` parses them anew every time).
        run_cached(&tx, "SAVEPOINT op")?;
        let mark = audit.mark();
        let result = apply_one(&tx, op, &mut audit);
        if result.is_err() {
            run_cached(&tx, "ROLLBACK TO op")?;
            audit.rollback_to(mark);
        }
        run_cached(&tx, "RELEASE op")?;
        results.push(result);
    }
    // The batch's audit rows and the new head, in the same transaction as the writes they record.
    crate::audit::flush(&tx, &audit)?;
    tx.commit().map_err(sql_err)?;
    if results.iter().any(|r| matches!(r, Ok(WriteOutcome::DossierErased { .. }))) {
        crate::retention::checkpoint_after_erasure(conn);
    }
    Ok(results)
}

fn run_cached(conn: &Connection, sql: &str) -> StoreResult<()> {
    conn.prepare_cached(sql).and_then(|mut s| s.execute([])).map(drop).map_err(sql_err)
}

/// An operation; for [`WriteOp::Audited`], its inner operation and then its audit row, in the same savepoint.
fn apply_one(conn: &Connection, op: &WriteOp, pending: &mut PendingAudit<'_>) -> StoreResult<WriteOutcome> {
    match op {
        WriteOp::Audited { op, audit } => {
            let outcome = apply_plain(conn, op, pending)?;
            crate::audit::append(conn, pending, audit)?;
            Ok(outcome)
        }
        other => apply_plain(conn, other, pending),
    }
}

fn apply_plain(conn: &Connection, op: &WriteOp, pending: &mut PendingAudit<'_>) -> StoreResult<WriteOutcome> {
    match op {
        WriteOp::OpenDossier { tenant, location, pupil, opened_by, opened_at, first_entry, projection } => {
            // The pupil must belong to the tenant and to the location.
            let found: Option<i64> = conn
                .prepare_cached("SELECT id FROM pupils WHERE org_id = ? AND id = ? AND location_id = ?")
                .and_then(|mut s| s.query_row(params![tenant.org.0, pupil.0, location.0], |r| r.get(0)).optional())
                .map_err(sql_err)?;
            if found.is_none() {
                return Err(StoreError::NotFound);
            }
            let dossier: i64 = conn
                .prepare_cached(
                    "INSERT INTO dossiers (id, org_id, location_id, pupil_id, opened_at, opened_by, step, closed, urgent, next_due, closed_on, last_seq, updated_at) \
                     VALUES ((SELECT last + 1 FROM id_high_water WHERE name = 'dossiers'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?) RETURNING id",
                )
                .and_then(|mut s| {
                    s.query_row(
                        params![
                            tenant.org.0,
                            location.0,
                            pupil.0,
                            Ts(*opened_at),
                            opened_by.0,
                            i64::from(projection.step),
                            projection.closed,
                            projection.urgent,
                            day(projection.next_due),
                            day(projection.closed_on),
                            Ts(first_entry.recorded_at)
                        ],
                        |r| r.get(0),
                    )
                })
                .map_err(fk_not_found)?;
            let dossier = DossierId(dossier);
            let entry = insert_entry(conn, tenant, dossier, 1, first_entry, &first_entry.payload)?;
            Ok(WriteOutcome::DossierOpened { dossier, entry })
        }
        WriteOp::AppendEntry { tenant, dossier, expected_last_seq, entry, projection } => {
            let (id, seq) = append_entry(conn, tenant, *dossier, *expected_last_seq, entry, projection)?;
            Ok(WriteOutcome::EntryAppended { entry: id, seq })
        }
        WriteOp::AppendAttachment { tenant, dossier, expected_last_seq, entry, projection, attachment } => {
            let (id, seq) = append_entry(conn, tenant, *dossier, *expected_last_seq, entry, projection)?;
            crate::attachments::insert(conn, tenant, *dossier, id, attachment)?;
            Ok(WriteOutcome::EntryAppended { entry: id, seq })
        }
        WriteOp::EraseDossier { tenant, dossier, proposal, confirmed_by, at, source } => {
            crate::retention::erase(conn, pending, tenant, *dossier, *proposal, *confirmed_by, *at, source)
        }
        WriteOp::ImportDossier { tenant, dossier } => crate::transfers::import(conn, tenant, dossier),
        WriteOp::Audited { .. } => Err(StoreError::Other("an audited write cannot hold another audited write".into())),
        WriteOp::Audit(event) => {
            // Chained inside this transaction; fails (and so fails the request) without a key.
            let seq = crate::audit::append(conn, pending, event)?;
            Ok(WriteOutcome::Audited { seq })
        }
        WriteOp::SaveRouteMap { tenant, version } => crate::route_maps::insert_version(conn, tenant, version),
        WriteOp::TeamAnswer { tenant, session, participant, question, value } => {
            crate::team_sessions::insert_answer(conn, tenant, *session, *participant, *question, value)
        }
        WriteOp::TeamPoint { tenant, session, participant, seq, level, text } => {
            crate::team_sessions::insert_point(conn, tenant, *session, *participant, *seq, level, text)
        }
        WriteOp::TeamDot { tenant, session, participant, point, slot } => {
            crate::team_sessions::insert_dot(conn, tenant, *session, *participant, *point, *slot)
        }
        WriteOp::TeamActionCreate { tenant, action } => crate::team_sessions::insert_action(conn, tenant, action),
        WriteOp::TeamActionDone { tenant, action, by, at } => {
            crate::team_sessions::mark_action_done(conn, tenant, *action, *by, *at)
        }
        WriteOp::TeamGroupCreate { tenant, session, participant, name, case_index } => {
            crate::team_sessions::insert_group(conn, tenant, *session, *participant, name, *case_index)
        }
        WriteOp::TeamGroupJoin { tenant, session, group, participant, seat } => {
            crate::team_sessions::insert_member(conn, tenant, *session, *group, *participant, *seat)
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
        }
    }
}

/// Appends `entry` at the end of the dossier's chronology (refused with `Conflict` when the chronology is no
/// longer at `expected_last_seq`) and updates the listing projection.
fn append_entry(
    conn: &Connection,
    tenant: &TenantCtx,
    dossier: DossierId,
    expected_last_seq: Option<i64>,
    entry: &NewEntry,
    projection: &DossierProjection,
) -> StoreResult<(EntryId, i64)> {
    let last: i64 = conn
        .prepare_cached("SELECT last_seq FROM dossiers WHERE org_id = ? AND id = ?")
        .and_then(|mut s| s.query_row(params![tenant.org.0, dossier.0], |r| r.get(0)))
        .map_err(sql_err)?;
    if let Some(expected) = expected_last_seq
        && expected != last
    {
        return Err(StoreError::Conflict(format!("the dossier changed: expected last entry {expected}, found {last}")));
    }
    let seq = last + 1;
    conn.prepare_cached(
        "UPDATE dossiers SET last_seq = ?, step = ?, closed = ?, urgent = ?, next_due = ?, closed_on = ?, updated_at = ? \
         WHERE org_id = ? AND id = ?",
    )
    .and_then(|mut s| {
        s.execute(params![
            seq,
            i64::from(projection.step),
            projection.closed,
            projection.urgent,
            day(projection.next_due),
            day(projection.closed_on),
            Ts(entry.recorded_at),
            tenant.org.0,
            dossier.0
        ])
    })
    .map_err(sql_err)?;
    let id = insert_entry(conn, tenant, dossier, seq, entry, &entry.payload)?;
    Ok((id, seq))
}

/// Inserts one chronology row at `seq` with `payload` (the entry's own, or an imported one rewritten).
pub(crate) fn insert_entry(
    conn: &Connection,
    tenant: &TenantCtx,
    dossier: DossierId,
    seq: i64,
    entry: &NewEntry,
    payload: &[u8],
) -> StoreResult<EntryId> {
    conn.prepare_cached(
        "INSERT INTO entries (org_id, dossier_id, seq, recorded_at, author_id, kind, payload) \
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .and_then(|mut s| {
        s.query_row(
            params![tenant.org.0, dossier.0, seq, Ts(entry.recorded_at), entry.author.0, entry.kind, payload],
            |r| r.get(0),
        )
    })
    .map(EntryId)
    .map_err(fk_not_found)
}
