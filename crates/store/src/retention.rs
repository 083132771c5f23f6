//! Retention and erasure (issue 7 part 4): the organisation's retention period (append-only history, the
//! newest row counts), pending erasure proposals and recorded erasure requests. The erasure itself is a
//! [`crate::WriteOp::EraseDossier`] through the one writer.
//!
//! Proposals and requests belong to their dossier: the erasure removes them with it (their reasons are
//! free text about the pupil). What stays is the audit log's tombstone.

use time::{Date, OffsetDateTime};

use crate::TenantCtx;
use crate::error::StoreResult;
use crate::ids::*;

/// The notification channel on which an erasure tells every node, when it commits, that a dossier is gone
/// (PostgreSQL's `NOTIFY`; the payload is empty). Each node then forgets the chronologies it keeps in memory.
pub const ERASURE_CHANNEL: &str = "meldroute_erasure";

/// One setting of the retention period; every change is a new row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionSetting {
    pub months: u32,
    /// What the period rests on (e.g. "bestuursbesluit 12 maart 2026"); no personal data.
    pub basis: String,
    pub set_by: UserId,
    pub set_at: OffsetDateTime,
}

/// A pending proposal to erase a dossier (at most one per dossier).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureProposal {
    pub id: i64,
    pub dossier: DossierId,
    pub proposed_by: UserId,
    pub proposed_at: OffsetDateTime,
    pub reason: String,
    /// The dossier's newest entry when proposed: a later entry makes the proposal stale.
    pub dossier_seq: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewErasureProposal {
    pub dossier: DossierId,
    pub proposed_by: UserId,
    pub proposed_at: OffsetDateTime,
    pub reason: String,
    pub dossier_seq: i64,
}

/// A request to erase a dossier, with the school's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureRequest {
    pub id: i64,
    pub dossier: DossierId,
    /// `pupil` or `parent` ([`meldroute_domain::retention::Requester`]).
    pub requester: String,
    pub received_on: Date,
    /// `granted` or `refused`.
    pub decision: String,
    pub reason: String,
    pub decided_by: UserId,
    pub recorded_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewErasureRequest {
    pub dossier: DossierId,
    pub requester: String,
    pub received_on: Date,
    pub decision: String,
    pub reason: String,
    pub decided_by: UserId,
    pub recorded_at: OffsetDateTime,
}

/// A closed dossier as the retention review needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedDossier {
    pub dossier: DossierId,
    pub location: LocationId,
    pub pupil: PupilId,
    pub closed_on: Date,
}

#[allow(async_fn_in_trait)]
pub trait RetentionStore: Clone + Send + Sync + 'static {
    /// Records a new retention period (the history keeps the old ones).
    async fn set_retention(&self, t: &TenantCtx, setting: RetentionSetting) -> StoreResult<()>;
    /// Every setting, newest first; the first is the one in force.
    async fn retention_history(&self, t: &TenantCtx) -> StoreResult<Vec<RetentionSetting>>;
    /// Closed dossiers closed on or before `closed_on_or_before`, oldest closing first.
    async fn closed_dossiers(&self, t: &TenantCtx, closed_on_or_before: Date) -> StoreResult<Vec<ClosedDossier>>;
    /// `Conflict` when the dossier already has a proposal, `NotFound` for a dossier not of this tenant.
    async fn propose_erasure(&self, t: &TenantCtx, new: NewErasureProposal) -> StoreResult<ErasureProposal>;
    async fn erasure_proposal(&self, t: &TenantCtx, dossier: DossierId) -> StoreResult<Option<ErasureProposal>>;
    /// Every pending proposal of the organisation, oldest first.
    async fn erasure_proposals(&self, t: &TenantCtx) -> StoreResult<Vec<ErasureProposal>>;
    /// Removes the proposal `id` of `dossier`; `NotFound` when it is not (any more) there.
    async fn withdraw_erasure(&self, t: &TenantCtx, dossier: DossierId, id: i64) -> StoreResult<()>;
    async fn record_erasure_request(&self, t: &TenantCtx, new: NewErasureRequest) -> StoreResult<ErasureRequest>;
    /// Oldest first.
    async fn erasure_requests(&self, t: &TenantCtx, dossier: DossierId) -> StoreResult<Vec<ErasureRequest>>;
}
