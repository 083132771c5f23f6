//! The route map of each location (issue 6), versioned. A saved version is never changed: saving creates
//! the next version, and refuses with `Conflict` when someone else saved in between (the caller says which
//! version it edited). The content is the domain's `RouteMap` as JSON; the store never looks inside.

use serde::Serialize;
use time::OffsetDateTime;

use crate::TenantCtx;
use crate::error::StoreResult;
use crate::ids::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteMapVersion {
    pub location: LocationId,
    pub version: i64,
    /// The domain's `RouteMap` as JSON.
    pub content: String,
    /// What changed, in the saver's words (may be empty).
    pub note: String,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRouteMapVersion {
    pub location: LocationId,
    /// The version the editor started from (`None`: there was none yet). Saving refuses with `Conflict`
    /// when the newest version is another one.
    pub based_on: Option<i64>,
    pub content: String,
    pub note: String,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
}

#[allow(async_fn_in_trait)]
pub trait RouteMapStore: Clone + Send + Sync + 'static {
    /// Saves the next version and returns it.
    async fn save_route_map(&self, t: &TenantCtx, new: NewRouteMapVersion) -> StoreResult<RouteMapVersion>;
    /// The newest version of a location's route map, if any.
    async fn current_route_map(&self, t: &TenantCtx, location: LocationId) -> StoreResult<Option<RouteMapVersion>>;
    /// One version; `NotFound` when it does not exist (or belongs to another organisation).
    async fn route_map_version(
        &self,
        t: &TenantCtx,
        location: LocationId,
        version: i64,
    ) -> StoreResult<RouteMapVersion>;
    /// Every version of a location, newest first.
    async fn route_map_history(&self, t: &TenantCtx, location: LocationId) -> StoreResult<Vec<RouteMapVersion>>;
}
