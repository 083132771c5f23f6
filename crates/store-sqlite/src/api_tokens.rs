//! Personal API tokens on SQLite.

use meldroute_store::api_tokens::LAST_USED_GRANULARITY;
use meldroute_store::*;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;

use crate::{FK_PREFIX, SqliteStore, other};

fn api_token(row: SqliteRow) -> Result<ApiToken, sqlx::Error> {
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

impl ApiTokenStore for SqliteStore {
    async fn create_api_token(&self, t: &TenantCtx, new: NewApiToken) -> StoreResult<ApiToken> {
        sqlx::query(&format!(
            "INSERT INTO api_tokens (org_id, user_id, name, token_hash, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
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

    async fn find_api_token(&self, token_hash: &[u8], now: OffsetDateTime) -> StoreResult<Option<ApiToken>> {
        let found = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?"
        ))
        .bind(token_hash)
        .bind(now)
        .try_map(api_token)
        .fetch_optional(&self.pool)
        .await
        .map_err(other)?;
        let Some(mut token) = found else { return Ok(None) };
        if token.last_used_at.is_none_or(|at| now - at >= LAST_USED_GRANULARITY) {
            sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE org_id = ? AND id = ?")
                .bind(now)
                .bind(token.org.0)
                .bind(token.id)
                .execute(&self.pool)
                .await
                .map_err(other)?;
            token.last_used_at = Some(now);
        }
        Ok(Some(token))
    }

    async fn list_api_tokens(&self, t: &TenantCtx, user: UserId) -> StoreResult<Vec<ApiToken>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE org_id = ? AND user_id = ? ORDER BY created_at DESC, id DESC"
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
