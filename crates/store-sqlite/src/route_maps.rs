//! Route map versions on SQLite.

use meldroute_store::*;
use rusqlite::{OptionalExtension, params};

use crate::SqliteStore;
use crate::direct::{Ts, fk_not_found, sql_err};

fn version(row: &rusqlite::Row<'_>) -> rusqlite::Result<RouteMapVersion> {
    Ok(RouteMapVersion {
        location: LocationId(row.get("location_id")?),
        version: row.get("version")?,
        content: row.get("content")?,
        note: row.get("note")?,
        created_by: UserId(row.get("created_by")?),
        created_at: row.get::<_, Ts>("created_at")?.0,
    })
}

impl RouteMapStore for SqliteStore {
    async fn save_route_map(&self, t: &TenantCtx, new: NewRouteMapVersion) -> StoreResult<RouteMapVersion> {
        // Through the writer's thread, with the same code as `WriteOp::SaveRouteMap`; in a task of its own, so
        // the batch's mark of the cache follows its commit even when this request is cancelled.
        let (store, op) = (self.clone(), WriteOp::SaveRouteMap { tenant: *t, version: new.clone() });
        match self.detached(async move { store.apply_batch(&[op]).await }).await?.pop() {
            Some(Ok(WriteOutcome::RouteMapSaved { version })) => Ok(RouteMapVersion {
                location: new.location,
                version,
                content: new.content,
                note: new.note,
                created_by: new.created_by,
                created_at: new.created_at,
            }),
            Some(Err(e)) => Err(e),
            _ => Err(StoreError::Other("unexpected outcome of a route map save".into())),
        }
    }

    async fn current_route_map(&self, t: &TenantCtx, location: LocationId) -> StoreResult<Option<RouteMapVersion>> {
        self.readers.read(|c| {
            c.prepare_cached(
                "SELECT * FROM route_maps WHERE org_id = ? AND location_id = ? ORDER BY version DESC LIMIT 1",
            )?
            .query_row(params![t.org.0, location.0], version)
            .optional()
        })
    }

    async fn route_map_version(&self, t: &TenantCtx, location: LocationId, v: i64) -> StoreResult<RouteMapVersion> {
        self.readers.read(|c| {
            c.prepare_cached("SELECT * FROM route_maps WHERE org_id = ? AND location_id = ? AND version = ?")?
                .query_row(params![t.org.0, location.0, v], version)
        })
    }

    async fn route_map_history(&self, t: &TenantCtx, location: LocationId) -> StoreResult<Vec<RouteMapVersion>> {
        self.readers.read(|c| {
            c.prepare_cached("SELECT * FROM route_maps WHERE org_id = ? AND location_id = ? ORDER BY version DESC")?
                .query_map(params![t.org.0, location.0], version)?
                .collect()
        })
    }
}

/// The writer's half of [`WriteOp::SaveRouteMap`]: the next version, if the newest is still the one the
/// editor built on. The writer's transaction holds SQLite's write lock, so nobody saves in between.
pub(crate) fn insert_version(
    conn: &rusqlite::Connection,
    tenant: &TenantCtx,
    new: &NewRouteMapVersion,
) -> StoreResult<WriteOutcome> {
    let newest: Option<i64> = conn
        .prepare_cached("SELECT max(version) FROM route_maps WHERE org_id = ? AND location_id = ?")
        .and_then(|mut s| s.query_row(params![tenant.org.0, new.location.0], |r| r.get(0)))
        .map_err(sql_err)?;
    if newest != new.based_on {
        return Err(StoreError::Conflict("the route map was changed in the meantime".into()));
    }
    let next = newest.unwrap_or(0) + 1;
    conn.prepare_cached(
        "INSERT INTO route_maps (org_id, location_id, version, content, note, created_by, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .and_then(|mut s| {
        s.execute(params![
            tenant.org.0,
            new.location.0,
            next,
            new.content,
            new.note,
            new.created_by.0,
            Ts(new.created_at)
        ])
    })
    .map_err(fk_not_found)?;
    Ok(WriteOutcome::RouteMapSaved { version: next })
}
