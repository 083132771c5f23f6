//! The one writer for durable, ordered writes (chronology entries and audit events).
//!
//! Every request that must be durable sends a [`WriteOp`] to the writer task and waits for its answer. The
//! task takes everything that is queued (up to [`MAX_BATCH`]) and applies it in ONE transaction, so many
//! concurrent requests share one commit (one fsync) instead of paying one each: group commit. An operation
//! is acknowledged only after the transaction that holds it has committed. Each operation runs inside its own
//! savepoint, so one refused operation (a stale chronology, say) does not fail its neighbours.
//!
//! On shutdown the channel closes; the task finishes every operation already queued before it stops.

use std::sync::Arc;

use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

use crate::TenantCtx;
use crate::error::{StoreError, StoreResult};
use crate::ids::*;
use crate::types::*;

/// Upper bound on operations in one transaction: keeps a transaction short under heavy load.
pub const MAX_BATCH: usize = 256;
/// Requests that may wait for the writer before senders are slowed down (back-pressure).
const QUEUE: usize = 4096;

/// A durable write.
#[derive(Debug, Clone)]
pub enum WriteOp {
    /// Open a dossier for a pupil with its first entry (a dossier never exists without a first entry).
    OpenDossier {
        tenant: TenantCtx,
        location: LocationId,
        pupil: PupilId,
        opened_by: UserId,
        opened_at: OffsetDateTime,
        first_entry: NewEntry,
        projection: DossierProjection,
    },
    /// Append an entry at the end of a dossier's chronology.
    AppendEntry {
        tenant: TenantCtx,
        dossier: DossierId,
        /// When set, the append is refused with `Conflict` unless the dossier's newest entry still has this
        /// sequence number (the state the caller validated against).
        expected_last_seq: Option<i64>,
        entry: NewEntry,
        /// The dossier's listing state after this entry (computed by the domain fold).
        projection: DossierProjection,
    },
    /// Append an attachment entry together with its file: both land in the same savepoint, so a refused
    /// append (stale chronology, unknown dossier) leaves no file behind, and no entry exists without its file.
    /// Outcome: [`WriteOutcome::EntryAppended`].
    AppendAttachment {
        tenant: TenantCtx,
        dossier: DossierId,
        /// As for [`WriteOp::AppendEntry`].
        expected_last_seq: Option<i64>,
        entry: NewEntry,
        projection: DossierProjection,
        attachment: NewAttachment,
    },
    /// Create a pupil and a dossier received from another instance with its whole chronology, files and
    /// received marks, in one savepoint: all of it lands or nothing does. `Conflict` when the organisation
    /// already has the pupil; `NotFound` for a location of another tenant.
    /// Outcome: [`WriteOutcome::DossierImported`].
    ImportDossier { tenant: TenantCtx, dossier: Box<crate::transfers::ImportedDossier> },
    /// Append an audit event.
    Audit(NewAuditEvent),
    /// Erase a closed dossier after the second person confirmed the proposal `proposal` (issue 7 part 4):
    /// in one savepoint, refused with `Conflict` unless the proposal is still pending, was made by someone
    /// else than `confirmed_by`, the dossier is closed and its chronology is still at the proposal's `seq`.
    /// Deletes the entries, attachments (bytes), notifications, shares, proposal, erasure requests and the
    /// dossier row, and the pupil row when no other dossier of the pupil remains; appends the tombstone to
    /// the audit log (`dossier.erased` by the confirmer, `dossier.erased.proposer` by the proposer; ids, no
    /// content). The audit rows written before keep their ids, so the hash chain stays intact.
    /// Outcome: [`WriteOutcome::DossierErased`].
    EraseDossier {
        tenant: TenantCtx,
        dossier: DossierId,
        proposal: i64,
        confirmed_by: UserId,
        at: OffsetDateTime,
        /// Source address (IP) or `cli`, for the tombstone rows.
        source: String,
    },
    /// `op`, and only when it succeeds, `audit` in the same savepoint: the write and the audit row that
    /// records it land together or not at all, in one commit (one fsync) instead of two in a row. The
    /// outcome is `op`'s. `op` is never itself `Audited` (the backends refuse that).
    Audited { op: Box<WriteOp>, audit: NewAuditEvent },
    /// Save a new version of a location's route map: refused with `Conflict` unless the location's newest
    /// version is still `version.based_on` (someone saved in between), `NotFound` for a location of another
    /// tenant. Wrapped in [`WriteOp::Audited`], the version and its audit row land together.
    /// Outcome: [`WriteOutcome::RouteMapSaved`].
    SaveRouteMap { tenant: TenantCtx, version: crate::route_maps::NewRouteMapVersion },
    /// Record one anonymous answer of a team session's participant (`value`: the domain's `AnswerValue` as
    /// JSON). Refused with `Conflict` when this participant already answered this question, and with
    /// `NotFound` when the participant is not of this session and tenant.
    TeamAnswer { tenant: TenantCtx, session: TeamSessionId, participant: ParticipantId, question: i64, value: String },
    /// Post one anonymous action point as the participant's `seq`-th (from 0). `Conflict` when the participant
    /// already has a point with this `seq` or this exact text (a double click counts once); `NotFound` when
    /// the participant is not of this session and tenant. Outcome: [`WriteOutcome::TeamPointPosted`].
    TeamPoint {
        tenant: TenantCtx,
        session: TeamSessionId,
        participant: ParticipantId,
        seq: i64,
        level: String,
        text: String,
    },
    /// Put the participant's `slot`-th dot (from 0) on action point `point`. `Conflict` when that slot is
    /// taken (so no participant ever has more dots than the slots the caller allows); `NotFound` when the
    /// point or the participant is not of this session and tenant. Outcome: [`WriteOutcome::TeamDotPlaced`].
    TeamDot { tenant: TenantCtx, session: TeamSessionId, participant: ParticipantId, point: i64, slot: i64 },
    /// Record an action agreed in a session, at the session's location. `Conflict` when the action point
    /// already became an action; `NotFound` when the session, point or owner is not this tenant's.
    /// Outcome: [`WriteOutcome::TeamActionCreated`].
    TeamActionCreate { tenant: TenantCtx, action: crate::team_sessions::NewTeamAction },
    /// Mark an open action done. `Conflict` when it is done already; `NotFound` when it is not this tenant's.
    /// Outcome: [`WriteOutcome::TeamActionDone`].
    TeamActionDone { tenant: TenantCtx, action: i64, by: UserId, at: OffsetDateTime },
    /// Make a case work group and seat its maker in it (seat 0), in one savepoint. `Conflict` when the name is
    /// taken in this session or the participant is in a group already; `NotFound` when the participant is not
    /// of this session and tenant. Outcome: [`WriteOutcome::TeamGroupCreated`].
    TeamGroupCreate {
        tenant: TenantCtx,
        session: TeamSessionId,
        participant: ParticipantId,
        name: String,
        case_index: i64,
    },
    /// Seat a participant in a group at `seat` (the caller hands out seats below the limit). `Conflict` when
    /// the seat is taken or the participant is in a group already; `NotFound` when the group or participant
    /// is not of this session and tenant. Outcome: [`WriteOutcome::TeamGroupJoined`].
    TeamGroupJoin { tenant: TenantCtx, session: TeamSessionId, group: i64, participant: ParticipantId, seat: i64 },
    /// Save one worksheet field of a group, by one of its members. `expected_version` is the version the
    /// member edited (0: the field was still empty); `Conflict` when the field is at another version by now,
    /// `NotFound` when the participant does not sit in this group of this session and tenant.
    /// Outcome: [`WriteOutcome::TeamFieldSaved`].
    TeamGroupField {
        tenant: TenantCtx,
        session: TeamSessionId,
        group: i64,
        participant: ParticipantId,
        step: i64,
        field: String,
        text: String,
        expected_version: i64,
    },
}

impl WriteOp {
    /// What this operation changes of what lookups return ([`crate::LookupCache`]), to mark once its batch is
    /// over: an append changes its dossier's row, and so does a refused one (it was refused because the row
    /// had moved on: the retry reads it again); a new route map version changes every dossier of its
    /// location, an imported dossier is marked with its organisation; an erasure deletes the notifications of
    /// a dossier for any number of users, its pupil and more.
    pub fn changes(&self) -> Option<crate::lookup_cache::Change> {
        use crate::lookup_cache::Change;
        match self {
            WriteOp::AppendEntry { tenant, dossier, .. } | WriteOp::AppendAttachment { tenant, dossier, .. } => {
                Some(Change::Dossier(tenant.org, *dossier))
            }
            WriteOp::SaveRouteMap { tenant, .. } | WriteOp::ImportDossier { tenant, .. } => {
                Some(Change::Organisation(tenant.org))
            }
            WriteOp::EraseDossier { .. } => Some(Change::Everything),
            WriteOp::Audited { op, .. } => op.changes(),
            _ => None,
        }
    }
}

/// What a committed operation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    DossierOpened {
        dossier: DossierId,
        entry: EntryId,
    },
    EntryAppended {
        entry: EntryId,
        seq: i64,
    },
    Audited {
        seq: i64,
    },
    DossierImported {
        pupil: PupilId,
        dossier: DossierId,
    },
    /// The dossier is gone; `pupil_erased` when the pupil's own row went too (no other dossier left).
    DossierErased {
        pupil_erased: bool,
    },
    RouteMapSaved {
        version: i64,
    },
    TeamAnswered,
    TeamPointPosted {
        id: i64,
    },
    TeamDotPlaced,
    TeamActionCreated {
        id: i64,
    },
    TeamActionDone,
    TeamGroupCreated {
        id: i64,
    },
    TeamGroupJoined,
    TeamFieldSaved {
        version: i64,
    },
}

/// Implemented by each backend: apply the operations in one transaction, each in its own savepoint, and
/// return one result per operation, in order. An `Err` of the whole call means nothing was committed.
pub trait BatchApply: Send + Sync + 'static {
    fn apply_batch(
        &self,
        ops: &[WriteOp],
    ) -> impl std::future::Future<Output = StoreResult<Vec<StoreResult<WriteOutcome>>>> + Send;

    /// How many batches had to be applied a second time, operation by operation, because one operation failed
    /// in the database (PostgreSQL first tries a batch without savepoints); always 0 where every batch has them.
    fn batches_retried(&self) -> u64 {
        0
    }
}

struct Request {
    op: WriteOp,
    reply: oneshot::Sender<StoreResult<WriteOutcome>>,
}

/// A handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Request>,
    stats: Arc<WriterStats>,
}

/// An operation queued by [`Writer::enqueue`], not yet known to be committed.
#[must_use = "a queued write is only known to be committed once its outcome has answered"]
pub struct Pending(oneshot::Receiver<StoreResult<WriteOutcome>>);

impl Pending {
    /// Waits until the operation's transaction has committed (or the operation was refused).
    pub async fn outcome(self) -> StoreResult<WriteOutcome> {
        self.0.await.map_err(|_| StoreError::Other("the writer stopped before answering".into()))?
    }
}

/// Counters for metrics and tests.
#[derive(Default)]
pub struct WriterStats {
    pub batches: std::sync::atomic::AtomicU64,
    pub ops: std::sync::atomic::AtomicU64,
}

impl Writer {
    /// Starts the writer task on the current Tokio runtime. It ends when every `Writer` handle is dropped,
    /// after draining what was queued; await the returned handle to know all writes have finished.
    pub fn spawn<B>(backend: B) -> (Writer, tokio::task::JoinHandle<()>)
    where
        B: BatchApply,
    {
        let (tx, rx) = mpsc::channel(QUEUE);
        let stats = Arc::new(WriterStats::default());
        let task = tokio::spawn(run(backend, rx, stats.clone()));
        (Writer { tx, stats }, task)
    }

    /// Submits one operation and waits until it is committed (or refused).
    pub async fn submit(&self, op: WriteOp) -> StoreResult<WriteOutcome> {
        self.enqueue(op).await?.outcome().await
    }

    /// Hands one operation to the writer and returns once it is queued (waiting only while the queue is
    /// full), so the caller can prepare what it will do next while the batch commits. Nothing that depends
    /// on the write may leave the process before [`Pending::outcome`] has answered `Ok`; dropping the
    /// `Pending` does not take the operation back.
    pub async fn enqueue(&self, op: WriteOp) -> StoreResult<Pending> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(Request { op, reply }).await.map_err(|_| StoreError::Other("the writer has stopped".into()))?;
        Ok(Pending(answer))
    }

    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }
}

async fn run<B: BatchApply>(backend: B, mut rx: mpsc::Receiver<Request>, stats: Arc<WriterStats>) {
    use std::sync::atomic::Ordering::Relaxed;
    let mut batch: Vec<Request> = Vec::with_capacity(MAX_BATCH);
    // `recv_many` waits for at least one request, then takes whatever else is already queued.
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // Give way once before committing: the runtime first runs the requests that are ready and polls the
        // sockets, and requests that are about to hand in a write (under load, most audit rows of page views)
        // join this transaction instead of waiting for the next. Fewer, larger commits cost less CPU per
        // write (each commit is an fsync); an idle writer pays one extra poll.
        if batch.len() < MAX_BATCH {
            tokio::task::yield_now().await;
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
        }
        let (ops, replies): (Vec<WriteOp>, Vec<_>) = batch.drain(..).map(|r| (r.op, r.reply)).unzip();
        let results = match backend.apply_batch(&ops).await {
            Ok(results) if results.len() == ops.len() => results,
            Ok(results) => {
                tracing::error!(
                    expected = ops.len(),
                    got = results.len(),
                    "backend answered a batch with the wrong number of results"
                );
                ops.iter().map(|_| Err(StoreError::Other("write batch answered incompletely".into()))).collect()
            }
            Err(err) => {
                tracing::error!(error = %err, ops = ops.len(), "write batch failed; nothing of it was committed");
                ops.iter().map(|_| Err(StoreError::Other(format!("write failed: {err}")))).collect()
            }
        };
        stats.batches.fetch_add(1, Relaxed);
        stats.ops.fetch_add(ops.len() as u64, Relaxed);
        for (reply, result) in replies.into_iter().zip(results) {
            // The requester may have gone away (client disconnected); the write stands regardless.
            let _ = reply.send(result);
        }
    }
}
