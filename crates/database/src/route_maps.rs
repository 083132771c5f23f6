//! `RouteMapStore` for the backend enum.

use meldroute_store::*;

use crate::{Database, delegate};

delegate! { RouteMapStore {
    async fn save_route_map(&self, t: &TenantCtx, new: NewRouteMapVersion) -> StoreResult<RouteMapVersion>;
    async fn current_route_map(&self, t: &TenantCtx, location: LocationId) -> StoreResult<Option<RouteMapVersion>>;
    async fn route_map_version(&self, t: &TenantCtx, location: LocationId, version: i64) -> StoreResult<RouteMapVersion>;
    async fn route_map_history(&self, t: &TenantCtx, location: LocationId) -> StoreResult<Vec<RouteMapVersion>>;
} }
