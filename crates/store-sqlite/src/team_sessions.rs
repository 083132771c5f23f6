//! Team learning sessions on SQLite.

use meldroute_store::*;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::{FK_PREFIX, SqliteStore, other};

fn session(row: SqliteRow) -> Result<TeamSession, sqlx::Error> {
    Ok(TeamSession {
        id: TeamSessionId(row.try_get("id")?),
        org: OrgId(row.try_get("org_id")?),
        location: LocationId(row.try_get("location_id")?),
        join_code: row.try_get("join_code")?,
        phase: row.try_get("phase")?,
        plan: row.try_get("plan")?,
        state: row.try_get("state")?,
        version: row.try_get("version")?,
        follow_up_of: row.try_get::<Option<i64>, _>("follow_up_of")?.map(TeamSessionId),
        created_by: UserId(row.try_get("created_by")?),
        created_at: row.try_get("created_at")?,
    })
}

fn fk_as_not_found(err: sqlx::Error) -> StoreError {
    match other(err) {
        StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
        e => e,
    }
}

impl TeamSessionStore for SqliteStore {
    async fn create_team_session(&self, t: &TenantCtx, new: NewTeamSession) -> StoreResult<TeamSession> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO team_sessions (org_id, location_id, join_code, phase, plan, state, follow_up_of, created_by, created_at) \
             VALUES (?, ?, ?, 'draft', ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(t.org.0)
        .bind(new.location.0)
        .bind(&new.join_code)
        .bind(&new.plan)
        .bind(&new.state)
        .bind(new.follow_up_of.map(|s| s.0))
        .bind(new.created_by.0)
        .bind(new.created_at)
        .fetch_one(&self.write_pool)
        .await
        .map_err(fk_as_not_found)?;
        self.get_team_session(t, TeamSessionId(id)).await
    }

    async fn get_team_session(&self, t: &TenantCtx, id: TeamSessionId) -> StoreResult<TeamSession> {
        sqlx::query("SELECT * FROM team_sessions WHERE org_id = ? AND id = ?")
            .bind(t.org.0)
            .bind(id.0)
            .try_map(session)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)?
            .ok_or(StoreError::NotFound)
    }

    async fn find_team_session_by_code(&self, code: &str) -> StoreResult<Option<TeamSession>> {
        sqlx::query("SELECT * FROM team_sessions WHERE join_code = ?")
            .bind(code)
            .try_map(session)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)
    }

    async fn list_team_sessions(&self, t: &TenantCtx, location: LocationId) -> StoreResult<Vec<TeamSession>> {
        sqlx::query("SELECT * FROM team_sessions WHERE org_id = ? AND location_id = ? ORDER BY id DESC LIMIT 200")
            .bind(t.org.0)
            .bind(location.0)
            .try_map(session)
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }

    async fn update_team_session(
        &self,
        t: &TenantCtx,
        id: TeamSessionId,
        update: TeamSessionUpdate,
    ) -> StoreResult<TeamSession> {
        let done = sqlx::query(
            "UPDATE team_sessions SET phase = ?, plan = ?, state = ?, version = version + 1 \
             WHERE org_id = ? AND id = ? AND version = ?",
        )
        .bind(&update.phase)
        .bind(&update.plan)
        .bind(&update.state)
        .bind(t.org.0)
        .bind(id.0)
        .bind(update.expected_version)
        .execute(&self.write_pool)
        .await
        .map_err(other)?;
        if done.rows_affected() == 0 {
            // Either it does not exist (for this tenant) or someone changed it in between.
            self.get_team_session(t, id).await?;
            return Err(StoreError::Conflict("the team session changed in the meantime".into()));
        }
        self.get_team_session(t, id).await
    }

    async fn add_team_participant(
        &self,
        t: &TenantCtx,
        session: TeamSessionId,
        token_hash: &str,
    ) -> StoreResult<ParticipantId> {
        sqlx::query_scalar(
            "INSERT INTO team_participants (org_id, session_id, token_hash) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(t.org.0)
        .bind(session.0)
        .bind(token_hash)
        .fetch_one(&self.write_pool)
        .await
        .map(ParticipantId)
        .map_err(fk_as_not_found)
    }

    async fn find_team_participant(
        &self,
        t: &TenantCtx,
        session: TeamSessionId,
        token_hash: &str,
    ) -> StoreResult<Option<ParticipantId>> {
        sqlx::query_scalar("SELECT id FROM team_participants WHERE org_id = ? AND session_id = ? AND token_hash = ?")
            .bind(t.org.0)
            .bind(session.0)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map(|id| id.map(ParticipantId))
            .map_err(other)
    }

    async fn count_team_participants(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT count(*) FROM team_participants WHERE org_id = ? AND session_id = ?")
            .bind(t.org.0)
            .bind(session.0)
            .fetch_one(&self.pool)
            .await
            .map_err(other)
    }

    async fn list_team_answers(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamAnswer>> {
        sqlx::query(
            "SELECT participant_id, question, value FROM team_answers WHERE org_id = ? AND session_id = ? ORDER BY id",
        )
        .bind(t.org.0)
        .bind(session.0)
        .try_map(|row: SqliteRow| {
            Ok(TeamAnswer {
                participant: ParticipantId(row.try_get("participant_id")?),
                question: row.try_get("question")?,
                value: row.try_get("value")?,
            })
        })
        .fetch_all(&self.pool)
        .await
        .map_err(other)
    }
}

/// The writer's half: one answer, inside the batch's transaction.
pub(crate) async fn insert_answer(
    conn: &mut SqliteConnection,
    tenant: &TenantCtx,
    session: TeamSessionId,
    participant: ParticipantId,
    question: i64,
    value: &str,
) -> StoreResult<WriteOutcome> {
    sqlx::query(
        "INSERT INTO team_answers (org_id, session_id, participant_id, question, value) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(tenant.org.0)
    .bind(session.0)
    .bind(participant.0)
    .bind(question)
    .bind(value)
    .execute(&mut *conn)
    .await
    .map_err(fk_as_not_found)?;
    Ok(WriteOutcome::TeamAnswered)
}
