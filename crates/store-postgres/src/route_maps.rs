//! Route map versions on PostgreSQL.

use meldroute_store::*;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

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
        // A new version changes the dossier context of every dossier at the location.
        let _changed = self.lookups.marking(Change::Organisation(t.org));
        let mut tx = self.pool.begin().await.map_err(other)?;
        let WriteOutcome::RouteMapSaved { version } = insert_version(&mut tx, t, &new).await? else {
            return Err(StoreError::Other("unexpected outcome of a route map save".into()));
        };
        tx.commit().await.map_err(other)?;
        Ok(RouteMapVersion {
            location: new.location,
            version,
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

/// The writer's half of [`WriteOp::SaveRouteMap`] (and of `save_route_map`): the next version, if the newest is
/// still the one the editor built on. Two nodes saving at once both read the same newest version; the second
/// insert then breaks the unique key on the version and is answered as the same `Conflict`.
pub(crate) async fn insert_version(
    conn: &mut PgConnection,
    tenant: &TenantCtx,
    new: &NewRouteMapVersion,
) -> StoreResult<WriteOutcome> {
    let newest: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM route_maps WHERE org_id = $1 AND location_id = $2")
            .bind(tenant.org.0)
            .bind(new.location.0)
            .fetch_one(&mut *conn)
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
    .bind(tenant.org.0)
    .bind(new.location.0)
    .bind(next)
    .bind(&new.content)
    .bind(&new.note)
    .bind(new.created_by.0)
    .bind(new.created_at)
    .execute(&mut *conn)
    .await
    .map_err(|e| match other(e) {
        StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
        StoreError::Conflict(_) => StoreError::Conflict("the route map was changed in the meantime".into()),
        e => e,
    })?;
    Ok(WriteOutcome::RouteMapSaved { version: next })
}
