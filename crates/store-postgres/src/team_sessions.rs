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

    async fn list_team_points(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamPoint>> {
        sqlx::query(
            "SELECT id, participant_id, level, text FROM team_points WHERE org_id = $1 AND session_id = $2 ORDER BY id",
        )
        .bind(t.org.0)
        .bind(session.0)
        .try_map(|row: PgRow| {
            Ok(TeamPoint {
                id: row.try_get("id")?,
                participant: ParticipantId(row.try_get("participant_id")?),
                level: row.try_get("level")?,
                text: row.try_get("text")?,
            })
        })
        .fetch_all(&self.pool)
        .await
        .map_err(other)
    }

    async fn list_team_dots(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamDot>> {
        sqlx::query("SELECT participant_id, point_id FROM team_dots WHERE org_id = $1 AND session_id = $2 ORDER BY id")
            .bind(t.org.0)
            .bind(session.0)
            .try_map(|row: PgRow| {
                Ok(TeamDot {
                    participant: ParticipantId(row.try_get("participant_id")?),
                    point: row.try_get("point_id")?,
                })
            })
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }

    async fn list_team_actions(&self, t: &TenantCtx, location: LocationId) -> StoreResult<Vec<TeamAction>> {
        sqlx::query(
            "SELECT * FROM team_actions WHERE org_id = $1 AND location_id = $2 ORDER BY planned_on, id LIMIT 1000",
        )
        .bind(t.org.0)
        .bind(location.0)
        .try_map(action)
        .fetch_all(&self.pool)
        .await
        .map_err(other)
    }

    async fn list_session_team_actions(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamAction>> {
        sqlx::query("SELECT * FROM team_actions WHERE org_id = $1 AND session_id = $2 ORDER BY id")
            .bind(t.org.0)
            .bind(session.0)
            .try_map(action)
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }

    async fn list_owned_team_actions(&self, t: &TenantCtx, owner: UserId) -> StoreResult<Vec<TeamAction>> {
        sqlx::query("SELECT * FROM team_actions WHERE org_id = $1 AND owner_id = $2 ORDER BY planned_on, id LIMIT 1000")
            .bind(t.org.0)
            .bind(owner.0)
            .try_map(action)
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }

    async fn get_team_action(&self, t: &TenantCtx, id: i64) -> StoreResult<TeamAction> {
        sqlx::query("SELECT * FROM team_actions WHERE org_id = $1 AND id = $2")
            .bind(t.org.0)
            .bind(id)
            .try_map(action)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)?
            .ok_or(StoreError::NotFound)
    }

    async fn list_team_groups(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamGroup>> {
        sqlx::query("SELECT id, name, case_index FROM team_groups WHERE org_id = $1 AND session_id = $2 ORDER BY id")
            .bind(t.org.0)
            .bind(session.0)
            .try_map(|row: PgRow| {
                Ok(TeamGroup {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    case_index: row.try_get("case_index")?,
                })
            })
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }

    async fn list_team_group_members(
        &self,
        t: &TenantCtx,
        session: TeamSessionId,
    ) -> StoreResult<Vec<TeamGroupMember>> {
        sqlx::query(
            "SELECT group_id, participant_id FROM team_group_members WHERE org_id = $1 AND session_id = $2 ORDER BY id",
        )
        .bind(t.org.0)
        .bind(session.0)
        .try_map(|row: PgRow| {
            Ok(TeamGroupMember {
                group: row.try_get("group_id")?,
                participant: ParticipantId(row.try_get("participant_id")?),
            })
        })
        .fetch_all(&self.pool)
        .await
        .map_err(other)
    }

    async fn list_team_group_fields(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamGroupField>> {
        sqlx::query(
            "SELECT group_id, step, field, text, version FROM team_group_fields WHERE org_id = $1 AND session_id = $2 \
             ORDER BY group_id, step, field",
        )
        .bind(t.org.0)
        .bind(session.0)
        .try_map(|row: PgRow| {
            Ok(TeamGroupField {
                group: row.try_get("group_id")?,
                step: row.try_get("step")?,
                field: row.try_get("field")?,
                text: row.try_get("text")?,
                version: row.try_get("version")?,
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

fn action(row: PgRow) -> Result<TeamAction, sqlx::Error> {
    Ok(TeamAction {
        id: row.try_get("id")?,
        location: LocationId(row.try_get("location_id")?),
        session: TeamSessionId(row.try_get("session_id")?),
        point: row.try_get("point_id")?,
        text: row.try_get("text")?,
        level: row.try_get("level")?,
        owner: UserId(row.try_get("owner_id")?),
        planned_on: row.try_get("planned_on")?,
        state: row.try_get("state")?,
        done_at: row.try_get("done_at")?,
        done_by: row.try_get::<Option<i64>, _>("done_by")?.map(UserId),
        created_by: UserId(row.try_get("created_by")?),
        created_at: row.try_get("created_at")?,
    })
}

/// The writer's half: one action point, inside the batch's transaction.
pub(crate) async fn insert_point(
    conn: &mut PgConnection,
    tenant: &TenantCtx,
    session: TeamSessionId,
    participant: ParticipantId,
    seq: i64,
    level: &str,
    text: &str,
) -> StoreResult<WriteOutcome> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO team_points (org_id, session_id, participant_id, seq, level, text) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(tenant.org.0)
    .bind(session.0)
    .bind(participant.0)
    .bind(seq)
    .bind(level)
    .bind(text)
    .fetch_one(&mut *conn)
    .await
    .map_err(fk_as_not_found)?;
    Ok(WriteOutcome::TeamPointPosted { id })
}

/// The writer's half: one dot, inside the batch's transaction.
pub(crate) async fn insert_dot(
    conn: &mut PgConnection,
    tenant: &TenantCtx,
    session: TeamSessionId,
    participant: ParticipantId,
    point: i64,
    slot: i64,
) -> StoreResult<WriteOutcome> {
    sqlx::query(
        "INSERT INTO team_dots (org_id, session_id, participant_id, point_id, slot) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tenant.org.0)
    .bind(session.0)
    .bind(participant.0)
    .bind(point)
    .bind(slot)
    .execute(&mut *conn)
    .await
    .map_err(fk_as_not_found)?;
    Ok(WriteOutcome::TeamDotPlaced)
}

/// The writer's half: a new action at the session's location.
pub(crate) async fn insert_action(
    conn: &mut PgConnection,
    tenant: &TenantCtx,
    new: &NewTeamAction,
) -> StoreResult<WriteOutcome> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO team_actions (org_id, location_id, session_id, point_id, text, level, owner_id, planned_on, created_by, created_at) \
         SELECT org_id, location_id, id, $1, $2, $3, $4, $5, $6, $7 FROM team_sessions WHERE org_id = $8 AND id = $9 RETURNING id",
    )
    .bind(new.point)
    .bind(&new.text)
    .bind(&new.level)
    .bind(new.owner.0)
    .bind(new.planned_on)
    .bind(new.created_by.0)
    .bind(new.created_at)
    .bind(tenant.org.0)
    .bind(new.session.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(fk_as_not_found)?;
    id.map(|id| WriteOutcome::TeamActionCreated { id }).ok_or(StoreError::NotFound)
}

/// The writer's half: an open action marked done.
pub(crate) async fn mark_action_done(
    conn: &mut PgConnection,
    tenant: &TenantCtx,
    action: i64,
    by: UserId,
    at: time::OffsetDateTime,
) -> StoreResult<WriteOutcome> {
    let done = sqlx::query(
        "UPDATE team_actions SET state = 'done', done_at = $1, done_by = $2 WHERE org_id = $3 AND id = $4 AND state = 'open'",
    )
    .bind(at)
    .bind(by.0)
    .bind(tenant.org.0)
    .bind(action)
    .execute(&mut *conn)
    .await
    .map_err(fk_as_not_found)?;
    if done.rows_affected() == 1 {
        return Ok(WriteOutcome::TeamActionDone);
    }
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM team_actions WHERE org_id = $1 AND id = $2")
        .bind(tenant.org.0)
        .bind(action)
        .fetch_optional(&mut *conn)
        .await
        .map_err(other)?;
    match exists {
        Some(_) => Err(StoreError::Conflict("the action is done already".into())),
        None => Err(StoreError::NotFound),
    }
}

/// The writer's half: a group and its maker's seat, in one savepoint.
pub(crate) async fn insert_group(
    conn: &mut PgConnection,
    tenant: &TenantCtx,
    session: TeamSessionId,
    participant: ParticipantId,
    name: &str,
    case_index: i64,
) -> StoreResult<WriteOutcome> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO team_groups (org_id, session_id, name, case_index) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(tenant.org.0)
    .bind(session.0)
    .bind(name)
    .bind(case_index)
    .fetch_one(&mut *conn)
    .await
    .map_err(fk_as_not_found)?;
    insert_member(conn, tenant, session, id, participant, 0).await?;
    Ok(WriteOutcome::TeamGroupCreated { id })
}

/// The writer's half: one seat in a group.
pub(crate) async fn insert_member(
    conn: &mut PgConnection,
    tenant: &TenantCtx,
    session: TeamSessionId,
    group: i64,
    participant: ParticipantId,
    seat: i64,
) -> StoreResult<WriteOutcome> {
    sqlx::query(
        "INSERT INTO team_group_members (org_id, session_id, group_id, participant_id, seat) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tenant.org.0)
    .bind(session.0)
    .bind(group)
    .bind(participant.0)
    .bind(seat)
    .execute(&mut *conn)
    .await
    .map_err(fk_as_not_found)?;
    Ok(WriteOutcome::TeamGroupJoined)
}

/// The writer's half: one worksheet field, by a member of the group, at the version the member edited.
pub(crate) async fn save_field(
    conn: &mut PgConnection,
    tenant: &TenantCtx,
    (session, group, participant): (TeamSessionId, i64, ParticipantId),
    (step, field): (i64, &str),
    text: &str,
    expected_version: i64,
) -> StoreResult<WriteOutcome> {
    let member: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM team_group_members WHERE org_id = $1 AND session_id = $2 AND group_id = $3 AND participant_id = $4",
    )
    .bind(tenant.org.0)
    .bind(session.0)
    .bind(group)
    .bind(participant.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(other)?;
    if member.is_none() {
        return Err(StoreError::NotFound);
    }
    if expected_version == 0 {
        sqlx::query(
            "INSERT INTO team_group_fields (org_id, session_id, group_id, step, field, text, version) VALUES ($1, $2, $3, $4, $5, $6, 1)",
        )
        .bind(tenant.org.0)
        .bind(session.0)
        .bind(group)
        .bind(step)
        .bind(field)
        .bind(text)
        .execute(&mut *conn)
        .await
        .map_err(fk_as_not_found)?;
        return Ok(WriteOutcome::TeamFieldSaved { version: 1 });
    }
    let done = sqlx::query(
        "UPDATE team_group_fields SET text = $1, version = version + 1 \
         WHERE org_id = $2 AND group_id = $3 AND step = $4 AND field = $5 AND version = $6",
    )
    .bind(text)
    .bind(tenant.org.0)
    .bind(group)
    .bind(step)
    .bind(field)
    .bind(expected_version)
    .execute(&mut *conn)
    .await
    .map_err(other)?;
    if done.rows_affected() == 1 {
        Ok(WriteOutcome::TeamFieldSaved { version: expected_version + 1 })
    } else {
        Err(StoreError::Conflict("the field changed in the meantime".into()))
    }
}

impl PgStore {
    /// Publishes `payload` on a notification channel (all nodes listening on it receive it).
    pub async fn notify_channel(&self, channel: &str, payload: &str) -> StoreResult<()> {
        sqlx::query("SELECT pg_notify($1, $2)").bind(channel).bind(payload).execute(&self.pool).await.map_err(other)?;
        Ok(())
    }

    /// Listens on a notification channel and tells `on` what it hears, until the task is aborted or the pool
    /// is closed: [`Heard::Listening`] once listening (before this returns, and again after every reconnect),
    /// every payload, and [`Heard::Lost`] as soon as the connection is found lost (notifications sent until it
    /// listens again are lost, and whoever listens must assume it missed some). A connection that stays silent
    /// for [`LISTEN_CHECK_AFTER`] is asked to answer, so one that a firewall dropped without a word counts as
    /// lost too.
    pub async fn listen_channel(
        &self,
        channel: &str,
        on: impl Fn(Heard<'_>) + Send + 'static,
    ) -> StoreResult<tokio::task::JoinHandle<()>> {
        let mut listener = listen(&self.pool, channel).await.map_err(other)?;
        on(Heard::Listening);
        let (pool, channel) = (self.pool.clone(), channel.to_owned());
        Ok(tokio::spawn(async move {
            loop {
                // Receiving is cancel-safe (sqlx reads whole messages only), so a timeout loses nothing.
                let heard = match tokio::time::timeout(LISTEN_CHECK_AFTER, listener.try_recv()).await {
                    Ok(heard) => heard,
                    Err(_silence) => match still_answers(&mut listener).await {
                        Ok(()) => continue,
                        Err(err) => Err(err),
                    },
                };
                let lost = match heard {
                    Ok(Some(notification)) => {
                        on(Heard::Notification(notification.payload()));
                        continue;
                    }
                    Err(sqlx::Error::PoolClosed) => return on(Heard::Lost),
                    // sqlx would listen again on the next receive; a new listener tells when it does.
                    Ok(None) => "the connection was closed".to_string(),
                    Err(err) => err.to_string(),
                };
                on(Heard::Lost);
                tracing::warn!(error = %lost, "notification listener lost its connection; reconnecting");
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    match listen(&pool, &channel).await {
                        Ok(again) => break listener = again,
                        Err(sqlx::Error::PoolClosed) => return,
                        Err(err) => tracing::warn!(error = %err, "notification listener cannot reconnect yet"),
                    }
                }
                on(Heard::Listening);
            }
        }))
    }
}

/// A listener on its own connection, listening on `channel`.
async fn listen(pool: &sqlx::PgPool, channel: &str) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    Ok(listener)
}

/// How long a listener waits in silence before it checks that its connection still answers.
const LISTEN_CHECK_AFTER: std::time::Duration = std::time::Duration::from_secs(30);
/// How long that check may take before the connection counts as lost.
const LISTEN_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Whether the listener's connection answers a query in time (notifications that arrive meanwhile are kept
/// for the next receive).
async fn still_answers(listener: &mut sqlx::postgres::PgListener) -> Result<(), sqlx::Error> {
    match tokio::time::timeout(LISTEN_CHECK_TIMEOUT, sqlx::query("SELECT 1").execute(&mut *listener)).await {
        Ok(answer) => answer.map(drop),
        Err(_) => Err(sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the listening connection did not answer",
        ))),
    }
}
