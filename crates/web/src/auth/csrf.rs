//! CSRF protection in three layers: the SameSite=Strict session cookie, a check that a state-changing
//! request comes from our own origin (Sec-Fetch-Site / Origin), and a per-session token in every form.
//! GET and HEAD never change state.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// The form field that carries the token.
pub const FIELD: &str = "_csrf";
/// Largest form body accepted (bigger uploads have their own routes and limits).
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// Refuses state-changing requests that a browser marks as coming from another site.
/// `Some` answer when the request is refused (part of [`crate::edge`]).
pub fn refusal(request: &Request) -> Option<Response> {
    if is_safe(request.method()) || from_same_origin(request.headers()) {
        None
    } else {
        Some((StatusCode::FORBIDDEN, "cross-site request refused").into_response())
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Browsers send `Sec-Fetch-Site` and/or `Origin` on every POST; requests with a bearer token (API clients)
/// carry no ambient credentials and are not subject to CSRF.
pub fn from_same_origin(headers: &HeaderMap) -> bool {
    if headers.get(header::AUTHORIZATION).is_some() && headers.get(header::COOKIE).is_none() {
        return true;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin" || site == "none";
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(origin), Some(host)) => {
            let bare = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")).unwrap_or("");
            bare == host
        }
        _ => false,
    }
}

/// Parses an url-encoded form body and checks its token against the session's.
pub fn parse_form<T: DeserializeOwned>(body: &[u8], session_token: &str) -> Result<T, FormError> {
    if body.len() > MAX_FORM_BYTES {
        return Err(FormError::TooLarge);
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| FormError::Malformed)?;
    let token = pairs.iter().find(|(k, _)| k == FIELD).map(|(_, v)| v.as_str()).unwrap_or("");
    if !token_matches(token, session_token) {
        return Err(FormError::BadToken);
    }
    serde_urlencoded::from_bytes(body).map_err(|_| FormError::Malformed)
}

/// Compares a posted form token with the session's in constant time (also for multipart forms, which
/// read the token themselves).
pub fn token_matches(posted: &str, session_token: &str) -> bool {
    posted.len() == session_token.len()
        && posted.bytes().zip(session_token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// Marks a response that refused a form because of its token (nothing was saved).
#[derive(Debug, Clone, Copy)]
pub struct TokenRefused;

#[derive(Debug, PartialEq, Eq)]
pub enum FormError {
    BadToken,
    Malformed,
    TooLarge,
}

impl IntoResponse for FormError {
    fn into_response(self) -> Response {
        match self {
            FormError::BadToken => {
                // `pages::readable_errors` turns this into a page in the user's language, with the layout.
                let mut response =
                    (StatusCode::FORBIDDEN, "invalid form token; reload the page and try again").into_response();
                response.extensions_mut().insert(TokenRefused);
                response
            }
            FormError::Malformed => (StatusCode::BAD_REQUEST, "malformed form").into_response(),
            FormError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn origin_checks() {
        let mut h = HeaderMap::new();
        assert!(!from_same_origin(&h), "no evidence: refused");
        h.insert(header::HOST, HeaderValue::from_static("school.example:8080"));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://school.example:8080"));
        assert!(from_same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!from_same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!from_same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(from_same_origin(&h));
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct F {
        name: String,
    }

    #[test]
    fn form_tokens_compare_exactly() {
        assert!(token_matches("abc", "abc"));
        assert!(!token_matches("abd", "abc"));
        assert!(!token_matches("", "abc"));
        assert!(!token_matches("abcd", "abc"));
    }

    #[test]
    fn form_token_is_required() {
        let token = "0123456789abcdef0123456789abcdef";
        let ok: F = parse_form(format!("_csrf={token}&name=Fleur").as_bytes(), token).unwrap();
        assert_eq!(ok.name, "Fleur");
        assert_eq!(parse_form::<F>(b"name=Fleur", token), Err(FormError::BadToken));
        assert_eq!(parse_form::<F>(b"_csrf=00000000000000000000000000000000&name=x", token), Err(FormError::BadToken));
        assert_eq!(parse_form::<F>(&vec![b'a'; MAX_FORM_BYTES + 1], token), Err(FormError::TooLarge));
    }
}
