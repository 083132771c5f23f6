//! Team learning sessions on PostgreSQL.

use meldroute_store::*;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::{FK_PREFIX, PgStore, other};

fn session(row: PgRow) -> Result<TeamSession, sqlx::Error> {
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

impl TeamSessionStore for PgStore {
    async fn create_team_session(&self, t: &TenantCtx, new: NewTeamSession) -> StoreResult<TeamSession> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO team_sessions (org_id, location_id, join_code, phase, plan, state, follow_up_of, created_by, created_at) \
             VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(t.org.0)
        .bind(new.location.0)
        .bind(&new.join_code)
        .bind(&new.plan)
        .bind(&new.state)
        .bind(new.follow_up_of.map(|s| s.0))
        .bind(new.created_by.0)
        .bind(new.created_at)
        .fetch_one(&self.pool)
        .await
        .map_err(fk_as_not_found)?;
        self.get_team_session(t, TeamSessionId(id)).await
    }

    async fn get_team_session(&self, t: &TenantCtx, id: TeamSessionId) -> StoreResult<TeamSession> {
        sqlx::query("SELECT * FROM team_sessions WHERE org_id = $1 AND id = $2")
            .bind(t.org.0)
            .bind(id.0)
            .try_map(session)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)?
            .ok_or(StoreError::NotFound)
    }

    async fn find_team_session_by_code(&self, code: &str) -> StoreResult<Option<TeamSession>> {
        sqlx::query("SELECT * FROM team_sessions WHERE join_code = $1")
            .bind(code)
            .try_map(session)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)
    }

    async fn list_team_sessions(&self, t: &TenantCtx, location: LocationId) -> StoreResult<Vec<TeamSession>> {
        sqlx::query("SELECT * FROM team_sessions WHERE org_id = $1 AND location_id = $2 ORDER BY id DESC LIMIT 200")
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
            "UPDATE team_sessions SET phase = $1, plan = $2, state = $3, version = version + 1 \
             WHERE org_id = $4 AND id = $5 AND version = $6",
        )
        .bind(&update.phase)
        .bind(&update.plan)
        .bind(&update.state)
        .bind(t.org.0)
        .bind(id.0)
        .bind(update.expected_version)
        .execute(&self.pool)
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
            "INSERT INTO team_participants (org_id, session_id, token_hash) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(t.org.0)
        .bind(session.0)
        .bind(token_hash)
        .fetch_one(&self.pool)
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
        sqlx::query_scalar("SELECT id FROM team_participants WHERE org_id = $1 AND session_id = $2 AND token_hash = $3")
            .bind(t.org.0)
            .bind(session.0)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map(|id| id.map(ParticipantId))
            .map_err(other)
    }

    async fn count_team_participants(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT count(*) FROM team_participants WHERE org_id = $1 AND session_id = $2")
            .bind(t.org.0)
            .bind(session.0)
            .fetch_one(&self.pool)
            .await
            .map_err(other)
    }

    async fn list_team_answers(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamAnswer>> {
        sqlx::query("SELECT participant_id, question, value FROM team_answers WHERE org_id = $1 AND session_id = $2 ORDER BY id")
            .bind(t.org.0)
            .bind(session.0)
            .try_map(|row: PgRow| {
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
    conn: &mut PgConnection,
    tenant: &TenantCtx,
    session: TeamSessionId,
    participant: ParticipantId,
    question: i64,
    value: &str,
) -> StoreResult<WriteOutcome> {
    sqlx::query(
        "INSERT INTO team_answers (org_id, session_id, participant_id, question, value) VALUES ($1, $2, $3, $4, $5)",
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

impl PgStore {
    /// Publishes `payload` on a notification channel (all nodes listening on it receive it).
    pub async fn notify_channel(&self, channel: &str, payload: &str) -> StoreResult<()> {
        sqlx::query("SELECT pg_notify($1, $2)").bind(channel).bind(payload).execute(&self.pool).await.map_err(other)?;
        Ok(())
    }

    /// Listens on a notification channel and calls `on` with every payload, until the task is aborted. A lost
    /// connection is re-established by the listener (notifications sent meanwhile are lost; the pages
    /// recover because every stream starts again from the current state).
    pub async fn listen_channel(
        &self,
        channel: &str,
        on: impl Fn(&str) + Send + 'static,
    ) -> StoreResult<tokio::task::JoinHandle<()>> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await.map_err(other)?;
        listener.listen(channel).await.map_err(other)?;
        Ok(tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(notification) => on(notification.payload()),
                    Err(err) => {
                        tracing::warn!(error = %err, "notification listener lost its connection; reconnecting");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        }))
    }
}
