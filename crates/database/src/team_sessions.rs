//! `TeamSessionStore` for the backend enum.

use meldroute_store::*;

use crate::{Database, delegate};

delegate! { TeamSessionStore {
    async fn create_team_session(&self, t: &TenantCtx, new: NewTeamSession) -> StoreResult<TeamSession>;
    async fn get_team_session(&self, t: &TenantCtx, id: TeamSessionId) -> StoreResult<TeamSession>;
    async fn find_team_session_by_code(&self, code: &str) -> StoreResult<Option<TeamSession>>;
    async fn list_team_sessions(&self, t: &TenantCtx, location: LocationId) -> StoreResult<Vec<TeamSession>>;
    async fn update_team_session(&self, t: &TenantCtx, id: TeamSessionId, update: TeamSessionUpdate) -> StoreResult<TeamSession>;
    async fn add_team_participant(&self, t: &TenantCtx, session: TeamSessionId, token_hash: &str) -> StoreResult<ParticipantId>;
    async fn find_team_participant(&self, t: &TenantCtx, session: TeamSessionId, token_hash: &str) -> StoreResult<Option<ParticipantId>>;
    async fn count_team_participants(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<i64>;
    async fn list_team_answers(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamAnswer>>;
    async fn list_team_points(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamPoint>>;
    async fn list_team_dots(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamDot>>;
    async fn list_team_actions(&self, t: &TenantCtx, location: LocationId) -> StoreResult<Vec<TeamAction>>;
    async fn list_session_team_actions(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamAction>>;
    async fn list_owned_team_actions(&self, t: &TenantCtx, owner: UserId) -> StoreResult<Vec<TeamAction>>;
    async fn get_team_action(&self, t: &TenantCtx, id: i64) -> StoreResult<TeamAction>;
    async fn list_team_groups(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamGroup>>;
    async fn list_team_group_members(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamGroupMember>>;
    async fn list_team_group_fields(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamGroupField>>;
} }
