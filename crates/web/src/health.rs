//! `/healthz`: the process answers. `/readyz`: the database answers and its schema is current, so a load
//! balancer only sends traffic to nodes that can serve it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use meldroute_store::Store;
use serde_json::{Value, json};

use crate::AppState;

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.db.schema_status().await {
        Ok(status) if status.is_current() => {
            (StatusCode::OK, Json(json!({ "status": "ready", "schema_version": status.applied })))
        }
        Ok(status) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "migrations_pending", "applied": status.applied, "expected": status.expected })),
        ),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "database_unreachable" })))
        }
    }
}
