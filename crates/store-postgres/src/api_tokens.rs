//! Personal API tokens on PostgreSQL.

use meldroute_store::api_tokens::LAST_USED_GRANULARITY;
use meldroute_store::*;
use sqlx::Row;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;

use crate::{FK_PREFIX, PgStore, other};

fn api_token(row: PgRow) -> Result<ApiToken, sqlx::Error> {
    Ok(ApiToken {
        id: row.try_get("id")?,
        org: OrgId(row.try_get("org_id")?),
        user: UserId(row.try_get("user_id")?),
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

const COLUMNS: &str = "id, org_id, user_id, name, created_at, expires_at, revoked_at, last_used_at";

/// An active token, its user (every column, as `SELECT *` of `users` gives them) and the user's grants; token
/// columns carry a `t_` prefix.
const TOKEN_CONTEXT: &str = "SELECT u.*, t.id AS t_id, t.name AS t_name, t.created_at AS t_created_at, \
     t.expires_at AS t_expires_at, t.revoked_at AS t_revoked_at, t.last_used_at AS t_last_used_at, \
     (SELECT string_agg(r.location_id::text || ':' || r.role, ',') FROM role_grants r \
       WHERE r.org_id = t.org_id AND r.user_id = t.user_id) AS t_grants \
     FROM api_tokens t JOIN users u ON u.org_id = t.org_id AND u.id = t.user_id \
     WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2";

fn token_context(row: PgRow) -> Result<TokenContext, sqlx::Error> {
    let aggregated: Option<String> = row.try_get("t_grants")?;
    let token_id: i64 = row.try_get("t_id")?;
    let name: String = row.try_get("t_name")?;
    let created_at = row.try_get("t_created_at")?;
    let expires_at = row.try_get("t_expires_at")?;
    let revoked_at = row.try_get("t_revoked_at")?;
    let last_used_at = row.try_get("t_last_used_at")?;
    let user = crate::user(row)?;
    let token =
        ApiToken { id: token_id, org: user.org, user: user.id, name, created_at, expires_at, revoked_at, last_used_at };
    let grants =
        SessionContext::parse_grants(user.id, aggregated.as_deref()).map_err(|e| sqlx::Error::Decode(e.into()))?;
    Ok(TokenContext { token, user, grants })
}

impl ApiTokenStore for PgStore {
    async fn create_api_token(&self, t: &TenantCtx, new: NewApiToken) -> StoreResult<ApiToken> {
        sqlx::query(&format!(
            "INSERT INTO api_tokens (org_id, user_id, name, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
        ))
        .bind(t.org.0)
        .bind(new.user.0)
        .bind(&new.name)
        .bind(&new.token_hash)
        .bind(new.created_at)
        .bind(new.expires_at)
        .try_map(api_token)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match other(e) {
            StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
            e => e,
        })
    }

    async fn find_api_token(&self, token_hash: &[u8], now: OffsetDateTime) -> StoreResult<Option<TokenContext>> {
        let found = sqlx::query(TOKEN_CONTEXT)
            .bind(token_hash)
            .bind(now)
            .try_map(token_context)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)?;
        let Some(mut found) = found else { return Ok(None) };
        if found.token.last_used_at.is_none_or(|at| now - at >= LAST_USED_GRANULARITY) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE org_id = $2 AND id = $3")
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
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE org_id = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC"
        ))
        .bind(t.org.0)
        .bind(user.0)
        .try_map(api_token)
        .fetch_all(&self.pool)
        .await
        .map_err(other)
    }

    async fn revoke_api_token(&self, t: &TenantCtx, user: UserId, id: i64, at: OffsetDateTime) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE org_id = $2 AND user_id = $3 AND id = $4 AND revoked_at IS NULL",
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
