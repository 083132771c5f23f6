//! Team learning sessions (issue 10). The plan and the running state are the domain's types as JSON; the
//! store never looks inside. Participants are anonymous: a participant row holds only the hash of the token
//! in the participant's cookie and the session it belongs to; an answer holds the participant id, the
//! question and the value (no name, no address, no device, no time).
//!
//! Answers are durable records written through the group-commit writer
//! ([`crate::WriteOp::TeamAnswer`]); the one-answer-per-participant-per-question rule is a unique key, so a
//! double vote is refused with `Conflict` whatever the timing.

use serde::Serialize;
use time::{Date, OffsetDateTime};

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

/// One action point (a typed post-it). Anonymous like an answer: the participant id only serves the limits
/// (points and dots per participant) and shows a participant which points are their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamPoint {
    pub id: i64,
    pub participant: ParticipantId,
    /// The domain's `Level` code.
    pub level: String,
    pub text: String,
}

/// One dot a participant put on an action point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TeamDot {
    pub participant: ParticipantId,
    pub point: i64,
}

/// An action agreed in a session: owned by a staff member of the location, with a planned date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamAction {
    pub id: i64,
    pub location: LocationId,
    pub session: TeamSessionId,
    /// The action point it came from, if any.
    pub point: Option<i64>,
    pub text: String,
    /// The domain's `Level` code.
    pub level: String,
    pub owner: UserId,
    pub planned_on: Date,
    /// The domain's `ActionState` code (`open`, `done`).
    pub state: String,
    pub done_at: Option<OffsetDateTime>,
    pub done_by: Option<UserId>,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
}

/// A new action (through [`crate::WriteOp::TeamActionCreate`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTeamAction {
    pub session: TeamSessionId,
    pub point: Option<i64>,
    pub text: String,
    pub level: String,
    pub owner: UserId,
    pub planned_on: Date,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
}

/// A case work group of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamGroup {
    pub id: i64,
    pub name: String,
    /// Index into the plan's cases.
    pub case_index: i64,
}

/// A participant's seat in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TeamGroupMember {
    pub group: i64,
    pub participant: ParticipantId,
}

/// One worksheet field of one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamGroupField {
    pub group: i64,
    pub step: i64,
    /// The domain's `CaseField` code.
    pub field: String,
    pub text: String,
    /// 1 for the first save, one up with every save.
    pub version: i64,
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
    /// Every action point of a session, in the order posted.
    async fn list_team_points(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamPoint>>;
    /// Every dot of a session.
    async fn list_team_dots(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamDot>>;
    /// The actions of a location from all its sessions, by planned date.
    async fn list_team_actions(&self, t: &TenantCtx, location: LocationId) -> StoreResult<Vec<TeamAction>>;
    /// The actions agreed in one session, in the order made.
    async fn list_session_team_actions(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamAction>>;
    /// The actions one person owns, at any location, by planned date.
    async fn list_owned_team_actions(&self, t: &TenantCtx, owner: UserId) -> StoreResult<Vec<TeamAction>>;
    /// One action; `NotFound` for another organisation's, exactly as for one that does not exist.
    async fn get_team_action(&self, t: &TenantCtx, id: i64) -> StoreResult<TeamAction>;
    /// The case work groups of a session, in the order made.
    async fn list_team_groups(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamGroup>>;
    /// Who sits in which group.
    async fn list_team_group_members(&self, t: &TenantCtx, session: TeamSessionId)
    -> StoreResult<Vec<TeamGroupMember>>;
    /// Every worksheet field of every group of a session, by group, step and field.
    async fn list_team_group_fields(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamGroupField>>;
}
