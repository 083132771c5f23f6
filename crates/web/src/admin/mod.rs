//! Administration screens (users, roles, locations, groups, pupil import, audit overview).

use axum::routing::MethodRouter;

use crate::AppState;
use crate::routes::RouteSpec;

/// The administration routes; included in the route table by `routes::table`.
pub fn routes() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    Vec::new()
}
