//! Route map versions on PostgreSQL.

use meldroute_store::*;
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::{FK_PREFIX, PgStore, other};

fn version(row: PgRow) -> Result<RouteMapVersion, sqlx::Error> {
    Ok(RouteMapVersion {
        location: LocationId(row.try_get("location_id")?),
        version: row.try_get("version")?,
        content: row.try_get("content")?,
        note: row.try_get("note")?,
        created_by: UserId(row.try_get("created_by")?),
        created_at: row.try_get("created_at")?,
    })
}

impl RouteMapStore for PgStore {
    async fn save_route_map(&self, t: &TenantCtx, new: NewRouteMapVersion) -> StoreResult<RouteMapVersion> {
        let mut tx = self.pool.begin().await.map_err(other)?;
        let newest: Option<i64> =
            sqlx::query_scalar("SELECT max(version) FROM route_maps WHERE org_id = $1 AND location_id = $2")
                .bind(t.org.0)
                .bind(new.location.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(other)?;
        if newest != new.based_on {
            return Err(StoreError::Conflict("the route map was changed in the meantime".into()));
        }
        let next = newest.unwrap_or(0) + 1;
        sqlx::query(
            "INSERT INTO route_maps (org_id, location_id, version, content, note, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(t.org.0)
        .bind(new.location.0)
        .bind(next)
        .bind(&new.content)
        .bind(&new.note)
        .bind(new.created_by.0)
        .bind(new.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| match other(e) {
            StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
            e => e,
        })?;
        tx.commit().await.map_err(other)?;
        Ok(RouteMapVersion {
            location: new.location,
            version: next,
            content: new.content,
            note: new.note,
            created_by: new.created_by,
            created_at: new.created_at,
        })
    }

    async fn current_route_map(&self, t: &TenantCtx, location: LocationId) -> StoreResult<Option<RouteMapVersion>> {
        sqlx::query("SELECT * FROM route_maps WHERE org_id = $1 AND location_id = $2 ORDER BY version DESC LIMIT 1")
            .bind(t.org.0)
            .bind(location.0)
            .try_map(version)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)
    }

    async fn route_map_version(&self, t: &TenantCtx, location: LocationId, v: i64) -> StoreResult<RouteMapVersion> {
        sqlx::query("SELECT * FROM route_maps WHERE org_id = $1 AND location_id = $2 AND version = $3")
            .bind(t.org.0)
            .bind(location.0)
            .bind(v)
            .try_map(version)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)?
            .ok_or(StoreError::NotFound)
    }

    async fn route_map_history(&self, t: &TenantCtx, location: LocationId) -> StoreResult<Vec<RouteMapVersion>> {
        sqlx::query("SELECT * FROM route_maps WHERE org_id = $1 AND location_id = $2 ORDER BY version DESC")
            .bind(t.org.0)
            .bind(location.0)
            .try_map(version)
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }
}
