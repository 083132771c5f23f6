//! Personal API tokens on SQLite.

use meldroute_store::api_tokens::LAST_USED_GRANULARITY;
use meldroute_store::*;
use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use crate::direct::Ts;
use crate::{FK_PREFIX, SqliteStore, other};

fn api_token(row: &rusqlite::Row<'_>) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: row.get("id")?,
        org: OrgId(row.get("org_id")?),
        user: UserId(row.get("user_id")?),
        name: row.get("name")?,
        created_at: row.get::<_, Ts>("created_at")?.0,
        expires_at: row.get::<_, Ts>("expires_at")?.0,
        revoked_at: row.get::<_, Option<Ts>>("revoked_at")?.map(|t| t.0),
        last_used_at: row.get::<_, Option<Ts>>("last_used_at")?.map(|t| t.0),
    })
}

const COLUMNS: &str = "id, org_id, user_id, name, created_at, expires_at, revoked_at, last_used_at";

/// An active token, its user (every column, as `SELECT *` of `users` gives them) and the user's grants; token
/// columns carry a `t_` prefix.
const TOKEN_CONTEXT: &str = "SELECT u.*, t.id AS t_id, t.name AS t_name, t.created_at AS t_created_at, \
     t.expires_at AS t_expires_at, t.revoked_at AS t_revoked_at, t.last_used_at AS t_last_used_at, \
     (SELECT group_concat(r.location_id || ':' || r.role, ',') FROM role_grants r \
       WHERE r.org_id = t.org_id AND r.user_id = t.user_id) AS t_grants \
     FROM api_tokens t JOIN users u ON u.org_id = t.org_id AND u.id = t.user_id \
     WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ?";

fn token_context(row: &rusqlite::Row<'_>) -> rusqlite::Result<TokenContext> {
    let user = crate::user(row)?;
    let token = ApiToken {
        id: row.get("t_id")?,
        org: user.org,
        user: user.id,
        name: row.get("t_name")?,
        created_at: row.get::<_, Ts>("t_created_at")?.0,
        expires_at: row.get::<_, Ts>("t_expires_at")?.0,
        revoked_at: row.get::<_, Option<Ts>>("t_revoked_at")?.map(|t| t.0),
        last_used_at: row.get::<_, Option<Ts>>("t_last_used_at")?.map(|t| t.0),
    };
    let aggregated: Option<String> = row.get("t_grants")?;
    let grants = SessionContext::parse_grants(user.id, aggregated.as_deref())
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))?;
    Ok(TokenContext { token, user, grants })
}

impl ApiTokenStore for SqliteStore {
    async fn create_api_token(&self, t: &TenantCtx, new: NewApiToken) -> StoreResult<ApiToken> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (org_id, user_id, name, token_hash, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(t.org.0)
        .bind(new.user.0)
        .bind(&new.name)
        .bind(&new.token_hash)
        .bind(new.created_at)
        .bind(new.expires_at)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match other(e) {
            StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
            e => e,
        })?;
        Ok(ApiToken {
            id,
            org: t.org,
            user: new.user,
            name: new.name,
            created_at: new.created_at,
            expires_at: new.expires_at,
            revoked_at: None,
            last_used_at: None,
        })
    }

    async fn find_api_token(&self, token_hash: &[u8], now: OffsetDateTime) -> StoreResult<Option<TokenContext>> {
        let found = self.readers.read(|c| {
            c.prepare_cached(TOKEN_CONTEXT)?.query_row(params![token_hash, Ts(now)], token_context).optional()
        })?;
        let Some(mut found) = found else { return Ok(None) };
        if found.token.last_used_at.is_none_or(|at| now - at >= LAST_USED_GRANULARITY) {
            sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE org_id = ? AND id = ?")
                .bind(now)
                .bind(found.token.org.0)
                .bind(found.token.id)
                .execute(&self.pool)
                .await
                .map_err(other)?;
            found.token.last_used_at = Some(now);
        }
        Ok(Some(found))
    }

    async fn list_api_tokens(&self, t: &TenantCtx, user: UserId) -> StoreResult<Vec<ApiToken>> {
        self.readers.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM api_tokens WHERE org_id = ? AND user_id = ? ORDER BY created_at DESC, id DESC"
            ))?
            .query_map(params![t.org.0, user.0], api_token)?
            .collect()
        })
    }

    async fn revoke_api_token(&self, t: &TenantCtx, user: UserId, id: i64, at: OffsetDateTime) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = ? WHERE org_id = ? AND user_id = ? AND id = ? AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(t.org.0)
        .bind(user.0)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(other)?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}
