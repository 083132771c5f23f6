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

/// A fresh request id (64 bits, hex), for correlation only (never for security): a counter put through
/// SipHash with a key drawn at start-up (std's `RandomState`), so ids neither repeat in practice nor tell how
/// many requests came in between, without asking the OS for randomness on every request.
pub fn new_request_id() -> String {
    use std::hash::BuildHasher;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static IDS: OnceLock<(std::hash::RandomState, AtomicU64)> = OnceLock::new();
    let (key, next) = IDS.get_or_init(|| (std::hash::RandomState::new(), AtomicU64::new(0)));
    format!("{:016x}", key.hash_one(next.fetch_add(1, Ordering::Relaxed)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_hex_of_sixteen_digits() {
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| new_request_id()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())));
    }
}
