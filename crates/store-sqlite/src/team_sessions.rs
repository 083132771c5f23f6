//! Team learning sessions on SQLite.

use meldroute_store::*;
use rusqlite::{Connection, OptionalExtension, params};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::direct::{Day, Ts, fk_not_found, sql_err};
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

    async fn list_team_points(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamPoint>> {
        sqlx::query(
            "SELECT id, participant_id, level, text FROM team_points WHERE org_id = ? AND session_id = ? ORDER BY id",
        )
        .bind(t.org.0)
        .bind(session.0)
        .try_map(|row: SqliteRow| {
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
        sqlx::query("SELECT participant_id, point_id FROM team_dots WHERE org_id = ? AND session_id = ? ORDER BY id")
            .bind(t.org.0)
            .bind(session.0)
            .try_map(|row: SqliteRow| {
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
            "SELECT * FROM team_actions WHERE org_id = ? AND location_id = ? ORDER BY planned_on, id LIMIT 1000",
        )
        .bind(t.org.0)
        .bind(location.0)
        .try_map(action)
        .fetch_all(&self.pool)
        .await
        .map_err(other)
    }

    async fn list_session_team_actions(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamAction>> {
        sqlx::query("SELECT * FROM team_actions WHERE org_id = ? AND session_id = ? ORDER BY id")
            .bind(t.org.0)
            .bind(session.0)
            .try_map(action)
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }

    async fn list_owned_team_actions(&self, t: &TenantCtx, owner: UserId) -> StoreResult<Vec<TeamAction>> {
        sqlx::query("SELECT * FROM team_actions WHERE org_id = ? AND owner_id = ? ORDER BY planned_on, id LIMIT 1000")
            .bind(t.org.0)
            .bind(owner.0)
            .try_map(action)
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }

    async fn get_team_action(&self, t: &TenantCtx, id: i64) -> StoreResult<TeamAction> {
        sqlx::query("SELECT * FROM team_actions WHERE org_id = ? AND id = ?")
            .bind(t.org.0)
            .bind(id)
            .try_map(action)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)?
            .ok_or(StoreError::NotFound)
    }

    async fn list_team_groups(&self, t: &TenantCtx, session: TeamSessionId) -> StoreResult<Vec<TeamGroup>> {
        sqlx::query("SELECT id, name, case_index FROM team_groups WHERE org_id = ? AND session_id = ? ORDER BY id")
            .bind(t.org.0)
            .bind(session.0)
            .try_map(|row: SqliteRow| {
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
            "SELECT group_id, participant_id FROM team_group_members WHERE org_id = ? AND session_id = ? ORDER BY id",
        )
        .bind(t.org.0)
        .bind(session.0)
        .try_map(|row: SqliteRow| {
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
            "SELECT group_id, step, field, text, version FROM team_group_fields WHERE org_id = ? AND session_id = ? \
             ORDER BY group_id, step, field",
        )
        .bind(t.org.0)
        .bind(session.0)
        .try_map(|row: SqliteRow| {
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

fn action(row: SqliteRow) -> Result<TeamAction, sqlx::Error> {
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

/// The writer's half: one answer, inside the batch's transaction.
pub(crate) fn insert_answer(
    conn: &Connection,
    tenant: &TenantCtx,
    session: TeamSessionId,
    participant: ParticipantId,
    question: i64,
    value: &str,
) -> StoreResult<WriteOutcome> {
    conn.prepare_cached(
        "INSERT INTO team_answers (org_id, session_id, participant_id, question, value) VALUES (?, ?, ?, ?, ?)",
    )
    .and_then(|mut s| s.execute(params![tenant.org.0, session.0, participant.0, question, value]))
    .map_err(fk_not_found)?;
    Ok(WriteOutcome::TeamAnswered)
}

/// The writer's half: one action point, inside the batch's transaction.
pub(crate) fn insert_point(
    conn: &Connection,
    tenant: &TenantCtx,
    session: TeamSessionId,
    participant: ParticipantId,
    seq: i64,
    level: &str,
    text: &str,
) -> StoreResult<WriteOutcome> {
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO team_points (org_id, session_id, participant_id, seq, level, text) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .and_then(|mut s| {
            s.query_row(params![tenant.org.0, session.0, participant.0, seq, level, text], |r| r.get(0))
        })
        .map_err(fk_not_found)?;
    Ok(WriteOutcome::TeamPointPosted { id })
}

/// The writer's half: one dot, inside the batch's transaction.
pub(crate) fn insert_dot(
    conn: &Connection,
    tenant: &TenantCtx,
    session: TeamSessionId,
    participant: ParticipantId,
    point: i64,
    slot: i64,
) -> StoreResult<WriteOutcome> {
    conn.prepare_cached(
        "INSERT INTO team_dots (org_id, session_id, participant_id, point_id, slot) VALUES (?, ?, ?, ?, ?)",
    )
    .and_then(|mut s| s.execute(params![tenant.org.0, session.0, participant.0, point, slot]))
    .map_err(fk_not_found)?;
    Ok(WriteOutcome::TeamDotPlaced)
}

/// The writer's half: a new action at the session's location.
pub(crate) fn insert_action(conn: &Connection, tenant: &TenantCtx, new: &NewTeamAction) -> StoreResult<WriteOutcome> {
    let id: Option<i64> = conn
        .prepare_cached(
            "INSERT INTO team_actions (org_id, location_id, session_id, point_id, text, level, owner_id, planned_on, created_by, created_at) \
             SELECT org_id, location_id, id, ?, ?, ?, ?, ?, ?, ? FROM team_sessions WHERE org_id = ? AND id = ? RETURNING id",
        )
        .and_then(|mut s| {
            s.query_row(
                params![
                    new.point,
                    new.text,
                    new.level,
                    new.owner.0,
                    Day(new.planned_on),
                    new.created_by.0,
                    Ts(new.created_at),
                    tenant.org.0,
                    new.session.0
                ],
                |r| r.get(0),
            )
            .optional()
        })
        .map_err(fk_not_found)?;
    id.map(|id| WriteOutcome::TeamActionCreated { id }).ok_or(StoreError::NotFound)
}

/// The writer's half: an open action marked done.
pub(crate) fn mark_action_done(
    conn: &Connection,
    tenant: &TenantCtx,
    action: i64,
    by: UserId,
    at: time::OffsetDateTime,
) -> StoreResult<WriteOutcome> {
    let done = conn
        .prepare_cached(
            "UPDATE team_actions SET state = 'done', done_at = ?, done_by = ? WHERE org_id = ? AND id = ? AND state = 'open'",
        )
        .and_then(|mut s| s.execute(params![Ts(at), by.0, tenant.org.0, action]))
        .map_err(fk_not_found)?;
    if done == 1 {
        return Ok(WriteOutcome::TeamActionDone);
    }
    let exists: Option<i64> = conn
        .prepare_cached("SELECT id FROM team_actions WHERE org_id = ? AND id = ?")
        .and_then(|mut s| s.query_row(params![tenant.org.0, action], |r| r.get(0)).optional())
        .map_err(sql_err)?;
    match exists {
        Some(_) => Err(StoreError::Conflict("the action is done already".into())),
        None => Err(StoreError::NotFound),
    }
}

/// The writer's half: a group and its maker's seat, in one savepoint.
pub(crate) fn insert_group(
    conn: &Connection,
    tenant: &TenantCtx,
    session: TeamSessionId,
    participant: ParticipantId,
    name: &str,
    case_index: i64,
) -> StoreResult<WriteOutcome> {
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO team_groups (org_id, session_id, name, case_index) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .and_then(|mut s| s.query_row(params![tenant.org.0, session.0, name, case_index], |r| r.get(0)))
        .map_err(fk_not_found)?;
    insert_member(conn, tenant, session, id, participant, 0)?;
    Ok(WriteOutcome::TeamGroupCreated { id })
}

/// The writer's half: one seat in a group.
pub(crate) fn insert_member(
    conn: &Connection,
    tenant: &TenantCtx,
    session: TeamSessionId,
    group: i64,
    participant: ParticipantId,
    seat: i64,
) -> StoreResult<WriteOutcome> {
    conn.prepare_cached(
        "INSERT INTO team_group_members (org_id, session_id, group_id, participant_id, seat) VALUES (?, ?, ?, ?, ?)",
    )
    .and_then(|mut s| s.execute(params![tenant.org.0, session.0, group, participant.0, seat]))
    .map_err(fk_not_found)?;
    Ok(WriteOutcome::TeamGroupJoined)
}

/// The writer's half: one worksheet field, by a member of the group, at the version the member edited.
pub(crate) fn save_field(
    conn: &Connection,
    tenant: &TenantCtx,
    (session, group, participant): (TeamSessionId, i64, ParticipantId),
    (step, field): (i64, &str),
    text: &str,
    expected_version: i64,
) -> StoreResult<WriteOutcome> {
    let member: Option<i64> = conn
        .prepare_cached(
            "SELECT id FROM team_group_members WHERE org_id = ? AND session_id = ? AND group_id = ? AND participant_id = ?",
        )
        .and_then(|mut s| s.query_row(params![tenant.org.0, session.0, group, participant.0], |r| r.get(0)).optional())
        .map_err(sql_err)?;
    if member.is_none() {
        return Err(StoreError::NotFound);
    }
    if expected_version == 0 {
        conn.prepare_cached(
            "INSERT INTO team_group_fields (org_id, session_id, group_id, step, field, text, version) VALUES (?, ?, ?, ?, ?, ?, 1)",
        )
        .and_then(|mut s| s.execute(params![tenant.org.0, session.0, group, step, field, text]))
        .map_err(fk_not_found)?;
        return Ok(WriteOutcome::TeamFieldSaved { version: 1 });
    }
    let done = conn
        .prepare_cached(
            "UPDATE team_group_fields SET text = ?, version = version + 1 \
             WHERE org_id = ? AND group_id = ? AND step = ? AND field = ? AND version = ?",
        )
        .and_then(|mut s| s.execute(params![text, tenant.org.0, group, step, field, expected_version]))
        .map_err(sql_err)?;
    if done == 1 {
        Ok(WriteOutcome::TeamFieldSaved { version: expected_version + 1 })
    } else {
        Err(StoreError::Conflict("the field changed in the meantime".into()))
    }
}
