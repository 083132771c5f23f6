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
} }
