//! Security headers on every response (OWASP ASVS V14): a strict Content-Security-Policy without inline
//! script or style, no framing, HSTS, no MIME sniffing, no referrer, and no caching (pages carry personal
//! data; the few static assets are small).

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue};

pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The policy for files served from a dossier (attachments): stricter than [`CSP`]. `sandbox` gives the
/// document a unique opaque origin without scripts, forms or plugins, so even a file a browser decided to
/// render could never act in the application's origin.
pub const DOWNLOAD_CSP: &str =
    "sandbox; default-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Header names without a constant in `http`, made once rather than parsed on every response.
const COOP: HeaderName = HeaderName::from_static("cross-origin-opener-policy");
const CORP: HeaderName = HeaderName::from_static("cross-origin-resource-policy");
const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");

/// Sets the security headers on a response (part of [`crate::edge`]).
pub fn add_security_headers(h: &mut HeaderMap) {
    h.reserve(9);
    // A handler may only ever make the policy stricter: the download policy is kept, anything else replaced.
    if h.get(CONTENT_SECURITY_POLICY).is_none_or(|v| v.as_bytes() != DOWNLOAD_CSP.as_bytes()) {
        h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    }
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=63072000; includeSubDomains"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(COOP, HeaderValue::from_static("same-origin"));
    h.insert(CORP, HeaderValue::from_static("same-origin"));
    h.insert(PERMISSIONS_POLICY, HeaderValue::from_static("camera=(), microphone=(), geolocation=()"));
}
