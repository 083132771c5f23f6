//! The one middleware every request passes through, in this order: the client's address behind a trusted
//! proxy ([`crate::client_addr`]), a request id (in a tracing span and the `x-request-id` response header),
//! the same-origin check for requests that change state ([`crate::auth::csrf`]), the handler, the security
//! headers ([`crate::headers`]), and the request's line in the log and the metrics. One layer rather than one
//! per concern: every `from_fn` layer boxes the request's future and clones the service behind it.
//!
//! Logs carry the method, the route template, the status and the duration: never the query string, a form
//! field or any other content that might hold personal data. A request that went well and quickly is logged
//! at `debug` only (`MELDROUTE_LOG=info,meldroute_web=debug` shows them): every such request is already
//! counted in the metrics, and every read or write of personal data is in the audit log, while one formatted
//! line per page was several percent of a busy server's CPU. Errors (status 400 and up) and slow requests are
//! logged at `info`; whatever a handler logs carries the request's id either way.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::AppState;

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

const REQUEST_ID: axum::http::HeaderName = axum::http::HeaderName::from_static("x-request-id");

/// The method as a label for the log and the metrics: one of a fixed few, so that a client cannot add series
/// (memory that is never given back) by sending made-up methods.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// From this long on, a request is logged whatever its status.
const SLOW: std::time::Duration = std::time::Duration::from_millis(500);

pub async fn edge(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    crate::client_addr::use_client_address(&state.trusted_proxies, &mut request);
    let id = new_request_id();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let method = method_label(request.method());
    let span = tracing::info_span!("request", request_id = %id, method, route);
    let started = Instant::now();
    let mut response = match crate::auth::csrf::refusal(&request) {
        Some(refused) => refused,
        None => next.run(request).instrument(span.clone()).await,
    };
    crate::headers::add_security_headers(response.headers_mut());
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
    state.metrics.record(route, method, status, elapsed);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_label() {
        use axum::http::Method;
        assert_eq!(method_label(&Method::POST), "POST");
        for made_up in ["FOO123", "BREW", "PROPFIND"] {
            assert_eq!(method_label(&Method::from_bytes(made_up.as_bytes()).unwrap()), "other");
        }
    }

    #[test]
    fn request_ids_are_distinct_hex_of_sixteen_digits() {
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| new_request_id()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())));
    }
}
