//! Accounts on PostgreSQL: sessions, second factor, throttling, one-time links, shares.

use meldroute_store::*;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;

use crate::{FK_PREFIX, PgStore, other};

fn session(row: PgRow) -> Result<SessionRecord, sqlx::Error> {
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

fn share(row: PgRow) -> Result<Share, sqlx::Error> {
    let kinds: String = row.try_get("entry_kinds")?;
    Ok(Share {
        id: row.try_get("id")?,
        dossier: DossierId(row.try_get("dossier_id")?),
        partner: UserId(row.try_get("partner_user_id")?),
        entry_kinds: kinds.split(',').filter(|k| !k.is_empty()).map(str::to_string).collect(),
        until: row.try_get("until")?,
        created_by: UserId(row.try_get("created_by")?),
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

fn fk_as_not_found(err: sqlx::Error) -> StoreError {
    match other(err) {
        StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
        e => e,
    }
}

/// The one INSERT of a session (new, or the replacement in a rotation).
async fn insert_session(conn: &mut PgConnection, s: &SessionRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, org_id, user_id, created_at, last_seen_at, second_factor_done, csrf_token) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
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
     (SELECT string_agg(r.location_id::text || ':' || r.role, ',') FROM role_grants r \
       WHERE r.org_id = s.org_id AND r.user_id = s.user_id) AS s_grants \
     FROM sessions s JOIN users u ON u.org_id = s.org_id AND u.id = s.user_id WHERE s.id_hash = $1";

fn session_context(row: PgRow) -> Result<SessionContext, sqlx::Error> {
    let session = SessionRecord {
        id_hash: row.try_get("s_id_hash")?,
        org: OrgId(row.try_get("org_id")?),
        user: UserId(row.try_get("id")?),
        created_at: row.try_get("s_created_at")?,
        last_seen_at: row.try_get("s_last_seen_at")?,
        second_factor_done: row.try_get("s_second_factor_done")?,
        csrf_token: row.try_get("s_csrf_token")?,
    };
    let unread: i64 = row.try_get("s_unread")?;
    let aggregated: Option<String> = row.try_get("s_grants")?;
    let grants =
        SessionContext::parse_grants(session.user, aggregated.as_deref()).map_err(|e| sqlx::Error::Decode(e.into()))?;
    let user = crate::user(row)?;
    Ok(SessionContext { session, user, grants, unread })
}

fn one_row(affected: u64) -> StoreResult<()> {
    if affected == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

impl AccountStore for PgStore {
    async fn create_session(&self, s: &SessionRecord) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(other)?;
        insert_session(&mut conn, s).await
    }

    async fn get_session(&self, id_hash: &[u8]) -> StoreResult<Option<SessionRecord>> {
        sqlx::query("SELECT * FROM sessions WHERE id_hash = $1")
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
        let context = sqlx::query(SESSION_CONTEXT)
            .bind(id_hash)
            .try_map(session_context)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)?;
        if let Some(context) = &context {
            self.lookups.put(stamp, context);
        }
        Ok(context)
    }

    async fn touch_session(&self, id_hash: &[u8], at: OffsetDateTime) -> StoreResult<()> {
        let _changed = self.lookups.marking(Change::Session(id_hash.to_vec()));
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(at)
            .bind(id_hash)
            .execute(&self.pool)
            .await
            .map_err(other)?;
        Ok(())
    }

    async fn rotate_session(&self, old_hash: &[u8], new: &SessionRecord) -> StoreResult<()> {
        let _changed = self.lookups.marking(Change::Session(old_hash.to_vec()));
        let mut tx = self.pool.begin().await.map_err(other)?;
        let gone = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(old_hash)
            .execute(&mut *tx)
            .await
            .map_err(other)?;
        if gone.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        insert_session(&mut tx, new).await?;
        tx.commit().await.map_err(other)
    }

    async fn delete_session(&self, id_hash: &[u8]) -> StoreResult<()> {
        let _changed = self.lookups.marking(Change::Session(id_hash.to_vec()));
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await
            .map_err(other)?;
        Ok(())
    }

    async fn delete_user_sessions(&self, t: &TenantCtx, user: UserId) -> StoreResult<u64> {
        let _changed = self.lookups.marking(Change::User(t.org, user));
        let done = sqlx::query("DELETE FROM sessions WHERE org_id = $1 AND user_id = $2")
            .bind(t.org.0)
            .bind(user.0)
            .execute(&self.pool)
            .await
            .map_err(other)?;
        Ok(done.rows_affected())
    }

    async fn purge_expired(&self, purge: &Purge) -> StoreResult<Purged> {
        let _changed = self.lookups.marking(Change::Everything);
        // Three statements, each on its own: every row they delete is of no use, so there is nothing to keep
        // together, and short statements hold their locks briefly.
        let sessions = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
            .bind(purge.sessions_idle_before)
            .bind(purge.sessions_created_before)
            .execute(&self.pool)
            .await
            .map_err(other)?
            .rows_affected();
        let throttle = sqlx::query(
            "DELETE FROM login_throttle WHERE window_start < $1 AND (locked_until IS NULL OR locked_until <= $2)",
        )
        .bind(purge.throttle_window_before)
        .bind(purge.now)
        .execute(&self.pool)
        .await
        .map_err(other)?
        .rows_affected();
        let links = sqlx::query("DELETE FROM one_time_links WHERE expires_at <= $1 OR used_at IS NOT NULL")
            .bind(purge.now)
            .execute(&self.pool)
            .await
            .map_err(other)?
            .rows_affected();
        Ok(Purged { sessions, throttle, links })
    }

    async fn set_password_hash(&self, t: &TenantCtx, user: UserId, hash: &str) -> StoreResult<()> {
        let _changed = self.lookups.marking(Change::User(t.org, user));
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE org_id = $2 AND id = $3")
            .bind(hash)
            .bind(t.org.0)
            .bind(user.0)
            .execute(&self.pool)
            .await
            .map_err(other)?;
        one_row(done.rows_affected())
    }

    async fn set_totp_secret(&self, t: &TenantCtx, user: UserId, secret: Option<&str>) -> StoreResult<()> {
        let _changed = self.lookups.marking(Change::User(t.org, user));
        let done =
            sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = NULL WHERE org_id = $2 AND id = $3")
                .bind(secret)
                .bind(t.org.0)
                .bind(user.0)
                .execute(&self.pool)
                .await
                .map_err(other)?;
        one_row(done.rows_affected())
    }

    async fn accept_totp_step(&self, t: &TenantCtx, user: UserId, step: i64) -> StoreResult<bool> {
        let _changed = self.lookups.marking(Change::User(t.org, user));
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE org_id = $2 AND id = $3 \
             AND (totp_last_step IS NULL OR totp_last_step < $4)",
        )
        .bind(step)
        .bind(t.org.0)
        .bind(user.0)
        .bind(step)
        .execute(&self.pool)
        .await
        .map_err(other)?;
        Ok(done.rows_affected() == 1)
    }

    async fn replace_recovery_codes(&self, t: &TenantCtx, user: UserId, hashes: &[Vec<u8>]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(other)?;
        sqlx::query("DELETE FROM recovery_codes WHERE org_id = $1 AND user_id = $2")
            .bind(t.org.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(other)?;
        for hash in hashes {
            sqlx::query("INSERT INTO recovery_codes (org_id, user_id, code_hash) VALUES ($1, $2, $3)")
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
            "UPDATE recovery_codes SET used_at = $1 WHERE org_id = $2 AND user_id = $3 AND code_hash = $4 AND used_at IS NULL",
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
        sqlx::query_scalar("SELECT count(*) FROM recovery_codes WHERE org_id = $1 AND user_id = $2 AND used_at IS NULL")
            .bind(t.org.0)
            .bind(user.0)
            .fetch_one(&self.pool)
            .await
            .map_err(other)
    }

    async fn set_user_disabled(&self, t: &TenantCtx, user: UserId, disabled: bool) -> StoreResult<()> {
        let _changed = self.lookups.marking(Change::User(t.org, user));
        let mut tx = self.pool.begin().await.map_err(other)?;
        let done = sqlx::query("UPDATE users SET disabled = $1 WHERE org_id = $2 AND id = $3")
            .bind(disabled)
            .bind(t.org.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(other)?;
        one_row(done.rows_affected())?;
        sqlx::query("DELETE FROM sessions WHERE org_id = $1 AND user_id = $2")
            .bind(t.org.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(other)?;
        tx.commit().await.map_err(other)
    }

    async fn replace_roles(&self, t: &TenantCtx, user: UserId, grants: &[RoleGrant]) -> StoreResult<()> {
        let _changed = self.lookups.marking(Change::User(t.org, user));
        let mut tx = self.pool.begin().await.map_err(other)?;
        let exists: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE org_id = $1 AND id = $2")
            .bind(t.org.0)
            .bind(user.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(other)?;
        if exists == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM role_grants WHERE org_id = $1 AND user_id = $2")
            .bind(t.org.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(other)?;
        for grant in grants {
            if let Some(loc) = grant.location {
                let n: i64 = sqlx::query_scalar("SELECT count(*) FROM locations WHERE org_id = $1 AND id = $2")
                    .bind(t.org.0)
                    .bind(loc.0)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(other)?;
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
            }
            sqlx::query("INSERT INTO role_grants (org_id, user_id, location_id, role) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                .bind(t.org.0)
                .bind(user.0)
                .bind(grant.location.map_or(0, |l| l.0))
                .bind(grant.role.code())
                .execute(&mut *tx)
                .await
                .map_err(other)?;
        }
        sqlx::query("DELETE FROM sessions WHERE org_id = $1 AND user_id = $2")
            .bind(t.org.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(other)?;
        tx.commit().await.map_err(other)
    }

    async fn set_user_lang(&self, t: &TenantCtx, user: UserId, lang: &str) -> StoreResult<()> {
        let _changed = self.lookups.marking(Change::User(t.org, user));
        let done = sqlx::query("UPDATE users SET lang = $1 WHERE org_id = $2 AND id = $3")
            .bind(lang)
            .bind(t.org.0)
            .bind(user.0)
            .execute(&self.pool)
            .await
            .map_err(other)?;
        one_row(done.rows_affected())
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
        // Read committed (whatever the server's default), so the read below sees what the update before it wrote.
        let mut tx = self.pool.begin_with("BEGIN ISOLATION LEVEL READ COMMITTED").await.map_err(other)?;
        // The same key waits here for any other update of it, on every node (a transaction-scoped lock in a
        // class of its own; two keys with the same hash merely wait for each other).
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind(THROTTLE_LOCK_CLASS)
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(other)?;
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
            "INSERT INTO one_time_links (token_hash, org_id, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
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
            "UPDATE one_time_links SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL \
             AND expires_at > $1 RETURNING org_id, user_id",
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
            "SELECT org_id, user_id FROM one_time_links WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL \
             AND expires_at > $1",
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
        let _changed = self.lookups.marking(Change::Dossier(t.org, s.dossier));
        sqlx::query(
            "INSERT INTO shares (org_id, dossier_id, partner_user_id, entry_kinds, until, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        )
        .bind(t.org.0)
        .bind(s.dossier.0)
        .bind(s.partner.0)
        .bind(s.entry_kinds.join(","))
        .bind(s.until)
        .bind(s.created_by.0)
        .bind(s.created_at)
        .try_map(share)
        .fetch_one(&self.pool)
        .await
        .map_err(fk_as_not_found)
    }

    async fn shares_for_partner(&self, t: &TenantCtx, partner: UserId) -> StoreResult<Vec<Share>> {
        sqlx::query("SELECT * FROM shares WHERE org_id = $1 AND partner_user_id = $2 ORDER BY id")
            .bind(t.org.0)
            .bind(partner.0)
            .try_map(share)
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }

    async fn shares_of_dossier(&self, t: &TenantCtx, dossier: DossierId) -> StoreResult<Vec<Share>> {
        sqlx::query("SELECT * FROM shares WHERE org_id = $1 AND dossier_id = $2 ORDER BY id")
            .bind(t.org.0)
            .bind(dossier.0)
            .try_map(share)
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }

    async fn revoke_share(&self, t: &TenantCtx, id: i64, at: OffsetDateTime) -> StoreResult<()> {
        // By the share's id: its dossier is not at hand, and revoking is rare.
        let _changed = self.lookups.marking(Change::Organisation(t.org));
        let done =
            sqlx::query("UPDATE shares SET revoked_at = $1 WHERE org_id = $2 AND id = $3 AND revoked_at IS NULL")
                .bind(at)
                .bind(t.org.0)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(other)?;
        one_row(done.rows_affected())
    }
}

/// The first key of the advisory locks that serialise updates of one throttling key.
const THROTTLE_LOCK_CLASS: i32 = 0x6d72_7468;

async fn read_throttle(conn: &mut sqlx::PgConnection, key: &str) -> StoreResult<Option<ThrottleState>> {
    let row = sqlx::query("SELECT failures, window_start, locked_until FROM login_throttle WHERE key = $1")
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
async fn write_throttle(conn: &mut sqlx::PgConnection, key: &str, state: Option<&ThrottleState>) -> StoreResult<()> {
    let Some(s) = state else {
        sqlx::query("DELETE FROM login_throttle WHERE key = $1").bind(key).execute(&mut *conn).await.map_err(other)?;
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (key) DO UPDATE SET failures = $2, window_start = $3, locked_until = $4",
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
