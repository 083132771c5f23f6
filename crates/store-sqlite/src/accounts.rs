//! Accounts on SQLite: sessions, second factor, throttling, one-time links, shares.

use meldroute_store::*;
use rusqlite::{OptionalExtension, params};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use time::OffsetDateTime;

use crate::direct::{Day, Ts};
use crate::{FK_PREFIX, SqliteStore, other};

fn session(row: SqliteRow) -> Result<SessionRecord, sqlx::Error> {
    Ok(SessionRecord {
        id_hash: row.try_get("id_hash")?,
        org: OrgId(row.try_get("org_id")?),
        user: UserId(row.try_get("user_id")?),
        created_at: row.try_get("created_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        second_factor_done: row.try_get("second_factor_done")?,
        csrf_token: row.try_get("csrf_token")?,
    })
}

fn share(row: &rusqlite::Row<'_>) -> rusqlite::Result<Share> {
    let kinds: String = row.get("entry_kinds")?;
    Ok(Share {
        id: row.get("id")?,
        dossier: DossierId(row.get("dossier_id")?),
        partner: UserId(row.get("partner_user_id")?),
        entry_kinds: kinds.split(',').filter(|k| !k.is_empty()).map(str::to_string).collect(),
        until: row.get::<_, Day>("until")?.0,
        created_by: UserId(row.get("created_by")?),
        created_at: row.get::<_, Ts>("created_at")?.0,
        revoked_at: row.get::<_, Option<Ts>>("revoked_at")?.map(|t| t.0),
    })
}

fn fk_as_not_found(err: sqlx::Error) -> StoreError {
    match other(err) {
        StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
        e => e,
    }
}

/// The one INSERT of a session (new, or the replacement in a rotation).
async fn insert_session(conn: &mut SqliteConnection, s: &SessionRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, org_id, user_id, created_at, last_seen_at, second_factor_done, csrf_token) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&s.id_hash)
    .bind(s.org.0)
    .bind(s.user.0)
    .bind(s.created_at)
    .bind(s.last_seen_at)
    .bind(s.second_factor_done)
    .bind(&s.csrf_token)
    .execute(&mut *conn)
    .await
    .map_err(fk_as_not_found)?;
    Ok(())
}

/// The session, its user (every column, as `SELECT *` of `users` gives them), the grants and the unread
/// count; session columns carry an `s_` prefix.
const SESSION_CONTEXT: &str = "SELECT u.*, s.id_hash AS s_id_hash, s.created_at AS s_created_at, \
     s.last_seen_at AS s_last_seen_at, s.second_factor_done AS s_second_factor_done, s.csrf_token AS s_csrf_token, \
     (SELECT count(*) FROM notifications n \
       WHERE n.org_id = s.org_id AND n.user_id = s.user_id AND n.read_at IS NULL) AS s_unread, \
     (SELECT group_concat(r.location_id || ':' || r.role, ',') FROM role_grants r \
       WHERE r.org_id = s.org_id AND r.user_id = s.user_id) AS s_grants \
     FROM sessions s JOIN users u ON u.org_id = s.org_id AND u.id = s.user_id WHERE s.id_hash = ?";

fn session_context(row: &rusqlite::Row<'_>) -> rusqlite::Result<SessionContext> {
    let session = SessionRecord {
        id_hash: row.get("s_id_hash")?,
        org: OrgId(row.get("org_id")?),
        user: UserId(row.get("id")?),
        created_at: row.get::<_, Ts>("s_created_at")?.0,
        last_seen_at: row.get::<_, Ts>("s_last_seen_at")?.0,
        second_factor_done: row.get("s_second_factor_done")?,
        csrf_token: row.get("s_csrf_token")?,
    };
    let unread: i64 = row.get("s_unread")?;
    let aggregated: Option<String> = row.get("s_grants")?;
    let grants = SessionContext::parse_grants(session.user, aggregated.as_deref())
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))?;
    let user = crate::user(row)?;
    Ok(SessionContext { session, user, grants, unread })
}

fn one_row(affected: u64) -> StoreResult<()> {
    if affected == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

impl AccountStore for SqliteStore {
    async fn create_session(&self, s: &SessionRecord) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(other)?;
        insert_session(&mut conn, s).await
    }

    async fn get_session(&self, id_hash: &[u8]) -> StoreResult<Option<SessionRecord>> {
        sqlx::query("SELECT * FROM sessions WHERE id_hash = ?")
            .bind(id_hash)
            .try_map(session)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)
    }

    async fn session_context(&self, id_hash: &[u8]) -> StoreResult<Option<SessionContext>> {
        if let Some(kept) = self.lookups.get(id_hash) {
            return Ok(Some(kept));
        }
        self.session_context_fresh(id_hash).await
    }

    async fn session_context_fresh(&self, id_hash: &[u8]) -> StoreResult<Option<SessionContext>> {
        let stamp = self.lookups.stamp();
        let context = self
            .readers
            .read(|c| c.prepare_cached(SESSION_CONTEXT)?.query_row([id_hash], session_context).optional())?;
        if let Some(context) = &context {
            self.lookups.put(stamp, context);
        }
        Ok(context)
    }

    async fn touch_session(&self, id_hash: &[u8], at: OffsetDateTime) -> StoreResult<()> {
        let (store, id_hash) = (self.clone(), id_hash.to_vec());
        self.detached(async move {
            let id_hash = &id_hash[..];
            let _changed = store.lookups.marking(Change::Session(id_hash.to_vec()));
            sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?")
                .bind(at)
                .bind(id_hash)
                .execute(&store.pool)
                .await
                .map_err(other)?;
            Ok(())
        })
        .await
    }

    async fn rotate_session(&self, old_hash: &[u8], new: &SessionRecord) -> StoreResult<()> {
        let (store, old_hash, new) = (self.clone(), old_hash.to_vec(), new.clone());
        self.detached(async move {
            let old_hash = &old_hash[..];
            let new = &new;
            let _changed = store.lookups.marking(Change::Session(old_hash.to_vec()));
            let mut tx = store.pool.begin_with("BEGIN IMMEDIATE").await.map_err(other)?;
            let gone = sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
                .bind(old_hash)
                .execute(&mut *tx)
                .await
                .map_err(other)?;
            if gone.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            insert_session(&mut tx, new).await?;
            tx.commit().await.map_err(other)
        })
        .await
    }

    async fn delete_session(&self, id_hash: &[u8]) -> StoreResult<()> {
        let (store, id_hash) = (self.clone(), id_hash.to_vec());
        self.detached(async move {
            let id_hash = &id_hash[..];
            let _changed = store.lookups.marking(Change::Session(id_hash.to_vec()));
            sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
                .bind(id_hash)
                .execute(&store.pool)
                .await
                .map_err(other)?;
            Ok(())
        })
        .await
    }

    async fn delete_user_sessions(&self, t: &TenantCtx, user: UserId) -> StoreResult<u64> {
        let (store, t) = (self.clone(), *t);
        self.detached(async move {
            let _changed = store.lookups.marking(Change::User(t.org, user));
            let done = sqlx::query("DELETE FROM sessions WHERE org_id = ? AND user_id = ?")
                .bind(t.org.0)
                .bind(user.0)
                .execute(&store.pool)
                .await
                .map_err(other)?;
            Ok(done.rows_affected())
        })
        .await
    }

    async fn purge_expired(&self, purge: &Purge) -> StoreResult<Purged> {
        let (store, purge) = (self.clone(), *purge);
        self.detached(async move {
            let _changed = store.lookups.marking(Change::Everything);
            // Three statements, each on its own: every row they delete is of no use, so there is nothing to keep
            // together, and short statements hold their locks briefly.
            let sessions = sqlx::query("DELETE FROM sessions WHERE last_seen_at < ?1 OR created_at < ?2")
                .bind(purge.sessions_idle_before)
                .bind(purge.sessions_created_before)
                .execute(&store.pool)
                .await
                .map_err(other)?
                .rows_affected();
            let throttle = sqlx::query(
                "DELETE FROM login_throttle WHERE window_start < ?1 AND (locked_until IS NULL OR locked_until <= ?2)",
            )
            .bind(purge.throttle_window_before)
            .bind(purge.now)
            .execute(&store.pool)
            .await
            .map_err(other)?
            .rows_affected();
            let links = sqlx::query("DELETE FROM one_time_links WHERE expires_at <= ?1 OR used_at IS NOT NULL")
                .bind(purge.now)
                .execute(&store.pool)
                .await
                .map_err(other)?
                .rows_affected();
            Ok(Purged { sessions, throttle, links })
        })
        .await
    }

    async fn set_password_hash(&self, t: &TenantCtx, user: UserId, hash: &str) -> StoreResult<()> {
        let (store, t, hash) = (self.clone(), *t, hash.to_string());
        self.detached(async move {
            let hash = hash.as_str();
            let _changed = store.lookups.marking(Change::User(t.org, user));
            let done = sqlx::query("UPDATE users SET password_hash = ? WHERE org_id = ? AND id = ?")
                .bind(hash)
                .bind(t.org.0)
                .bind(user.0)
                .execute(&store.pool)
                .await
                .map_err(other)?;
            one_row(done.rows_affected())
        })
        .await
    }

    async fn set_totp_secret(&self, t: &TenantCtx, user: UserId, secret: Option<&str>) -> StoreResult<()> {
        let (store, t, secret) = (self.clone(), *t, secret.map(str::to_string));
        self.detached(async move {
            let secret = secret.as_deref();
            let _changed = store.lookups.marking(Change::User(t.org, user));
            let done =
                sqlx::query("UPDATE users SET totp_secret = ?, totp_last_step = NULL WHERE org_id = ? AND id = ?")
                    .bind(secret)
                    .bind(t.org.0)
                    .bind(user.0)
                    .execute(&store.pool)
                    .await
                    .map_err(other)?;
            one_row(done.rows_affected())
        })
        .await
    }

    async fn accept_totp_step(&self, t: &TenantCtx, user: UserId, step: i64) -> StoreResult<bool> {
        let (store, t) = (self.clone(), *t);
        self.detached(async move {
            let _changed = store.lookups.marking(Change::User(t.org, user));
            let done = sqlx::query(
                "UPDATE users SET totp_last_step = ? WHERE org_id = ? AND id = ? \
                 AND (totp_last_step IS NULL OR totp_last_step < ?)",
            )
            .bind(step)
            .bind(t.org.0)
            .bind(user.0)
            .bind(step)
            .execute(&store.pool)
            .await
            .map_err(other)?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    async fn replace_recovery_codes(&self, t: &TenantCtx, user: UserId, hashes: &[Vec<u8>]) -> StoreResult<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(other)?;
        sqlx::query("DELETE FROM recovery_codes WHERE org_id = ? AND user_id = ?")
            .bind(t.org.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(other)?;
        for hash in hashes {
            sqlx::query("INSERT INTO recovery_codes (org_id, user_id, code_hash) VALUES (?, ?, ?)")
                .bind(t.org.0)
                .bind(user.0)
                .bind(hash)
                .execute(&mut *tx)
                .await
                .map_err(fk_as_not_found)?;
        }
        tx.commit().await.map_err(other)
    }

    async fn use_recovery_code(
        &self,
        t: &TenantCtx,
        user: UserId,
        hash: &[u8],
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at = ? WHERE org_id = ? AND user_id = ? AND code_hash = ? AND used_at IS NULL",
        )
        .bind(at)
        .bind(t.org.0)
        .bind(user.0)
        .bind(hash)
        .execute(&self.pool)
        .await
        .map_err(other)?;
        Ok(done.rows_affected() == 1)
    }

    async fn count_unused_recovery_codes(&self, t: &TenantCtx, user: UserId) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT count(*) FROM recovery_codes WHERE org_id = ? AND user_id = ? AND used_at IS NULL")
            .bind(t.org.0)
            .bind(user.0)
            .fetch_one(&self.pool)
            .await
            .map_err(other)
    }

    async fn set_user_disabled(&self, t: &TenantCtx, user: UserId, disabled: bool) -> StoreResult<()> {
        let (store, t) = (self.clone(), *t);
        self.detached(async move {
            let _changed = store.lookups.marking(Change::User(t.org, user));
            let mut tx = store.pool.begin_with("BEGIN IMMEDIATE").await.map_err(other)?;
            let done = sqlx::query("UPDATE users SET disabled = ? WHERE org_id = ? AND id = ?")
                .bind(disabled)
                .bind(t.org.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await
                .map_err(other)?;
            one_row(done.rows_affected())?;
            sqlx::query("DELETE FROM sessions WHERE org_id = ? AND user_id = ?")
                .bind(t.org.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await
                .map_err(other)?;
            tx.commit().await.map_err(other)
        })
        .await
    }

    async fn replace_roles(&self, t: &TenantCtx, user: UserId, grants: &[RoleGrant]) -> StoreResult<()> {
        let (store, t, grants) = (self.clone(), *t, grants.to_vec());
        self.detached(async move {
            let grants = &grants[..];
            let _changed = store.lookups.marking(Change::User(t.org, user));
            let mut tx = store.pool.begin_with("BEGIN IMMEDIATE").await.map_err(other)?;
            let exists: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE org_id = ? AND id = ?")
                .bind(t.org.0)
                .bind(user.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(other)?;
            if exists == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("DELETE FROM role_grants WHERE org_id = ? AND user_id = ?")
                .bind(t.org.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await
                .map_err(other)?;
            for grant in grants {
                if let Some(loc) = grant.location {
                    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM locations WHERE org_id = ? AND id = ?")
                        .bind(t.org.0)
                        .bind(loc.0)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(other)?;
                    if n == 0 {
                        return Err(StoreError::NotFound);
                    }
                }
                sqlx::query(
                    "INSERT OR IGNORE INTO role_grants (org_id, user_id, location_id, role) VALUES (?, ?, ?, ?)",
                )
                .bind(t.org.0)
                .bind(user.0)
                .bind(grant.location.map_or(0, |l| l.0))
                .bind(grant.role.code())
                .execute(&mut *tx)
                .await
                .map_err(other)?;
            }
            sqlx::query("DELETE FROM sessions WHERE org_id = ? AND user_id = ?")
                .bind(t.org.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await
                .map_err(other)?;
            tx.commit().await.map_err(other)
        })
        .await
    }

    async fn set_user_lang(&self, t: &TenantCtx, user: UserId, lang: &str) -> StoreResult<()> {
        let (store, t, lang) = (self.clone(), *t, lang.to_string());
        self.detached(async move {
            let lang = lang.as_str();
            let _changed = store.lookups.marking(Change::User(t.org, user));
            let done = sqlx::query("UPDATE users SET lang = ? WHERE org_id = ? AND id = ?")
                .bind(lang)
                .bind(t.org.0)
                .bind(user.0)
                .execute(&store.pool)
                .await
                .map_err(other)?;
            one_row(done.rows_affected())
        })
        .await
    }

    async fn throttle_get(&self, key: &str) -> StoreResult<Option<ThrottleState>> {
        let mut conn = self.pool.acquire().await.map_err(other)?;
        read_throttle(&mut conn, key).await
    }

    async fn throttle_put(&self, key: &str, s: &ThrottleState) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(other)?;
        write_throttle(&mut conn, key, Some(s)).await
    }

    async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(other)?;
        write_throttle(&mut conn, key, None).await
    }

    async fn throttle_update(&self, key: &str, change: &mut ThrottleChange<'_>) -> StoreResult<Option<ThrottleState>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(other)?;
        // `BEGIN IMMEDIATE` takes the database's write lock: every other update waits until this one commits.
        let previous = read_throttle(&mut tx, key).await?;
        let next = change(previous.clone());
        if next != previous {
            write_throttle(&mut tx, key, next.as_ref()).await?;
        }
        tx.commit().await.map_err(other)?;
        Ok(next)
    }

    async fn create_link(
        &self,
        t: &TenantCtx,
        user: UserId,
        token_hash: &[u8],
        purpose: LinkPurpose,
        created_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO one_time_links (token_hash, org_id, user_id, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(t.org.0)
        .bind(user.0)
        .bind(purpose.code())
        .bind(created_at)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(fk_as_not_found)?;
        Ok(())
    }

    async fn consume_link(
        &self,
        token_hash: &[u8],
        purpose: LinkPurpose,
        now: OffsetDateTime,
    ) -> StoreResult<Option<(OrgId, UserId)>> {
        let row = sqlx::query(
            "UPDATE one_time_links SET used_at = ?1 WHERE token_hash = ?2 AND purpose = ?3 AND used_at IS NULL \
             AND expires_at > ?1 RETURNING org_id, user_id",
        )
        .bind(now)
        .bind(token_hash)
        .bind(purpose.code())
        .fetch_optional(&self.pool)
        .await
        .map_err(other)?;
        row.map(|row| {
            Ok((OrgId(row.try_get("org_id").map_err(other)?), UserId(row.try_get("user_id").map_err(other)?)))
        })
        .transpose()
    }

    async fn peek_link(
        &self,
        token_hash: &[u8],
        purpose: LinkPurpose,
        now: OffsetDateTime,
    ) -> StoreResult<Option<(OrgId, UserId)>> {
        let row = sqlx::query(
            "SELECT org_id, user_id FROM one_time_links WHERE token_hash = ?2 AND purpose = ?3 AND used_at IS NULL \
             AND expires_at > ?1",
        )
        .bind(now)
        .bind(token_hash)
        .bind(purpose.code())
        .fetch_optional(&self.pool)
        .await
        .map_err(other)?;
        row.map(|row| {
            Ok((OrgId(row.try_get("org_id").map_err(other)?), UserId(row.try_get("user_id").map_err(other)?)))
        })
        .transpose()
    }

    async fn create_share(&self, t: &TenantCtx, s: NewShare) -> StoreResult<Share> {
        let (store, t) = (self.clone(), *t);
        self.detached(async move {
            let _changed = store.lookups.marking(Change::Dossier(t.org, s.dossier));
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO shares (org_id, dossier_id, partner_user_id, entry_kinds, until, created_by, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(t.org.0)
            .bind(s.dossier.0)
            .bind(s.partner.0)
            .bind(s.entry_kinds.join(","))
            .bind(s.until)
            .bind(s.created_by.0)
            .bind(s.created_at)
            .fetch_one(&store.pool)
            .await
            .map_err(fk_as_not_found)?;
            Ok(Share {
                id,
                dossier: s.dossier,
                partner: s.partner,
                entry_kinds: s.entry_kinds.into_iter().filter(|k| !k.is_empty()).collect(),
                until: s.until,
                created_by: s.created_by,
                created_at: s.created_at,
                revoked_at: None,
            })
        })
        .await
    }

    async fn shares_for_partner(&self, t: &TenantCtx, partner: UserId) -> StoreResult<Vec<Share>> {
        self.readers.read(|c| {
            c.prepare_cached("SELECT * FROM shares WHERE org_id = ? AND partner_user_id = ? ORDER BY id")?
                .query_map(params![t.org.0, partner.0], share)?
                .collect()
        })
    }

    async fn shares_of_dossier(&self, t: &TenantCtx, dossier: DossierId) -> StoreResult<Vec<Share>> {
        self.readers.read(|c| {
            c.prepare_cached("SELECT * FROM shares WHERE org_id = ? AND dossier_id = ? ORDER BY id")?
                .query_map(params![t.org.0, dossier.0], share)?
                .collect()
        })
    }

    async fn revoke_share(&self, t: &TenantCtx, id: i64, at: OffsetDateTime) -> StoreResult<()> {
        let (store, t) = (self.clone(), *t);
        self.detached(async move {
            // By the share's id: its dossier is not at hand, and revoking is rare.
            let _changed = store.lookups.marking(Change::Organisation(t.org));
            let done =
                sqlx::query("UPDATE shares SET revoked_at = ? WHERE org_id = ? AND id = ? AND revoked_at IS NULL")
                    .bind(at)
                    .bind(t.org.0)
                    .bind(id)
                    .execute(&store.pool)
                    .await
                    .map_err(other)?;
            one_row(done.rows_affected())
        })
        .await
    }
}

async fn read_throttle(conn: &mut sqlx::SqliteConnection, key: &str) -> StoreResult<Option<ThrottleState>> {
    let row = sqlx::query("SELECT failures, window_start, locked_until FROM login_throttle WHERE key = ?1")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await
        .map_err(other)?;
    row.map(|row| {
        Ok(ThrottleState {
            failures: row.try_get("failures").map_err(other)?,
            window_start: row.try_get("window_start").map_err(other)?,
            locked_until: row.try_get("locked_until").map_err(other)?,
        })
    })
    .transpose()
}

/// Stores `state` for `key`, or removes the key's state.
async fn write_throttle(
    conn: &mut sqlx::SqliteConnection,
    key: &str,
    state: Option<&ThrottleState>,
) -> StoreResult<()> {
    let Some(s) = state else {
        sqlx::query("DELETE FROM login_throttle WHERE key = ?1").bind(key).execute(&mut *conn).await.map_err(other)?;
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (key) DO UPDATE SET failures = ?2, window_start = ?3, locked_until = ?4",
    )
    .bind(key)
    .bind(s.failures)
    .bind(s.window_start)
    .bind(s.locked_until)
    .execute(&mut *conn)
    .await
    .map_err(other)?;
    Ok(())
}
