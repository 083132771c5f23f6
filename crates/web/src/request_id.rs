//! Gives every request an id (in a tracing span and the `x-request-id` response header) and records it in
//! the metrics. Logs carry the method, the route template, the status and the duration: never the query
//! string, a form field or any other content that might hold personal data.
//!
//! A request that went well and quickly is logged at `debug` only (`MELDROUTE_LOG=info,meldroute_web=debug`
//! shows them): every such request is already counted in the metrics, and every read or write of personal
//! data is in the audit log, while one formatted line per page was several percent of a busy server's CPU.
//! Errors (status 400 and up) and slow requests are logged at `info`; whatever a handler logs carries the
//! request's id either way.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::metrics::Metrics;

/// A fresh random request id (64 bits, hex).
pub fn new_request_id() -> String {
    let mut bytes = [0u8; 8];
    // Failure of the OS random source leaves zeros: the id is for correlation only, not security.
    let _ = getrandom::fill(&mut bytes);
    hex::encode(bytes)
}

/// From this long on, a request is logged whatever its status.
const SLOW: std::time::Duration = std::time::Duration::from_millis(500);

pub async fn trace_request(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let id = new_request_id();
    let method = request.method().as_str().to_string();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.in_scope(|| {
        let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
        if status >= 400 || elapsed >= SLOW {
            tracing::info!(status, elapsed_ms, "answered");
        } else {
            tracing::debug!(status, elapsed_ms, "answered");
        }
    });
    metrics.record(&route, &method, status, elapsed);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
