//! Team learning sessions (issue 10). The plan and the running state are the domain's types as JSON; the
//! store never looks inside. Participants are anonymous: a participant row holds only the hash of the token
//! in the participant's cookie and the session it belongs to; an answer holds the participant id, the
//! question and the value (no name, no address, no device, no time).
//!
//! Answers are durable records written through the group-commit writer
//! ([`crate::WriteOp::TeamAnswer`]); the one-answer-per-participant-per-question rule is a unique key, so a
//! double vote is refused with `Conflict` whatever the timing.

use serde::Serialize;
use time::OffsetDateTime;

use crate::TenantCtx;
use crate::error::StoreResult;
use crate::ids::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamSession {
    pub id: TeamSessionId,
    pub org: OrgId,
    pub location: LocationId,
    pub join_code: String,
    /// `draft`, `running` or `closed` (the domain's phase, for listing and joining).
    pub phase: String,
    /// The domain's `SessionPlan` as JSON.
    pub plan: String,
    /// The running state (phase, current item, poll states, when the item started) as JSON.
    pub state: String,
    /// Goes up by one with every change of plan or state (optimistic concurrency, live updates).
    pub version: i64,
    pub follow_up_of: Option<TeamSessionId>,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTeamSession {
    pub location: LocationId,
    pub join_code: String,
    pub plan: String,
    pub state: String,
    pub follow_up_of: Option<TeamSessionId>,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
}

/// A change of plan and state, refused with `Conflict` unless the session is still at `expected_version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamSessionUpdate {
    pub expected_version: i64,
    pub phase: String,
    pub plan: String,
    pub state: String,
}

/// One stored answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamAnswer {
    pub participant: ParticipantId,
    pub question: i64,
    /// The domain's `AnswerValue` as JSON.
    pub value: String,
}

#[allow(async_fn_in_trait)]
pub trait TeamSessionStore: Clone + Send + Sync + 'static {
    /// Creates a session; `Conflict` when the join code is taken (the caller draws another).
    async fn create_team_session(&self, t: &TenantCtx, new: NewTeamSession) -> StoreResult<TeamSession>;
    /// `NotFound` for another organisation's session, exactly as for one that does not exist.
    async fn get_team_session(&self, t: &TenantCtx, id: TeamSessionId) -> StoreResult<TeamSession>;
    /// The session a participant's code names, in any organisation (joining happens without an account).
    async fn find_team_session_by_code(&self, code: &str) -> StoreResult<Option<TeamSession>>;
    /// The sessions of a location, newest first.
    async fn list_team_sessions(&self, t: &TenantCtx, location: LocationId) -> StoreResult<Vec<TeamSession>>;
    /// Saves plan and state and returns the session at its next version.
    async fn update_team_session(
        &self,
        t: &TenantCtx,
        id: TeamSessionId,
        update: TeamSessionUpdate,
    ) -> StoreResult<TeamSession>;
    /// Registers an anonymous participant by the hash of their token; returns the id.
    async fn add_team_participant(
        &self,
        t: &TenantCtx,
        session: TeamSessionId,
        token_hash: &str,
    ) -> StoreResult<ParticipantId>;
    /// The participant of this session with this token hash, if any.
    async fn find_team_participant(
        &self,
        t: &TenantCtx,
        session: TeamSessionId,
        token_hash: &str,
    ) -> StoreResult<Option<ParticipantId>>;
    /// How many participants joined.
    async fn count_team_participants(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<i64>;
    /// Every answer of a session, in the order given.
    async fn list_team_answers(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamAnswer>>;
}
