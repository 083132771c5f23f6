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

/// A fresh request id (64 bits, hex): unique within the process and unpredictable across processes, for
/// correlation only (never for security). A counter from a random start, through a bijective mix
/// (SplitMix64's finaliser), so ids do not look sequential, without asking the OS for randomness per
/// request (a system call on every page).
pub fn new_request_id() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: OnceLock<AtomicU64> = OnceLock::new();
    let next = NEXT.get_or_init(|| {
        let mut bytes = [0u8; 8];
        // Failure of the OS random source leaves a zero start: ids stay unique, only predictable.
        let _ = getrandom::fill(&mut bytes);
        AtomicU64::new(u64::from_le_bytes(bytes))
    });
    let mut z = next.fetch_add(1, Ordering::Relaxed).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    format!("{:016x}", z ^ (z >> 31))
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
