//! Request extractors of the API: the bearer token ([`ApiUser`]) and JSON bodies ([`ApiJson`]), both
//! refusing in the API's error shape.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use meldroute_database::Database;
use meldroute_store::*;
use serde::de::DeserializeOwned;

use super::error::{ApiError, accepted_language};
use super::tokens;
use crate::auth::session::CurrentUser;
use crate::auth::token_hash;
use crate::{AppState, clock};

/// The user of a request authenticated with a personal API token.
///
/// It is a [`CurrentUser`], so handlers authorize and audit exactly as the pages do. Its `session` field
/// then describes the token rather than a browser session: `id_hash` is the token's SHA-256, `created_at`
/// the token's creation, `last_seen_at` this request, `second_factor_done` is true (the token was created
/// behind a full login with the second factor, or by an operator on the server) and `csrf_token` is empty
/// (bearer requests carry no ambient credentials, so there is nothing to protect against forgery; no form
/// of the API ever checks it).
pub struct ApiUser(pub CurrentUser);

/// The `Bearer` credentials of a request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The user a token stands for, or the API error to answer with.
pub async fn authenticate(db: &Database, headers: &HeaderMap) -> Result<CurrentUser, ApiError> {
    let token = bearer(headers).ok_or_else(ApiError::unauthorized)?;
    if !tokens::looks_like_token(token) {
        return Err(ApiError::invalid_token());
    }
    let hash = token_hash(token);
    let now = clock::now_utc();
    let TokenContext { token, user, grants } =
        db.find_api_token(&hash, now).await?.ok_or_else(ApiError::invalid_token)?;
    // The user is read by the token's organisation and id; a user of another organisation is refused.
    if user.disabled || user.org != token.org || user.id != token.user {
        return Err(ApiError::invalid_token());
    }
    let session = SessionRecord {
        id_hash: hash,
        org: token.org,
        user: token.user,
        created_at: token.created_at,
        last_seen_at: now,
        second_factor_done: true,
        csrf_token: String::new(),
    };
    Ok(CurrentUser::new(session, user, grants, 0))
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        authenticate(&state.db, &parts.headers)
            .await
            .map(ApiUser)
            .map_err(|e| e.response(accepted_language(&parts.headers)))
    }
}

/// A JSON body: `application/json`, at most [`super::MAX_BODY_BYTES`] (the route's body limit), parsed
/// strictly (the entry types refuse unknown fields). Take it as `Result<ApiJson<T>, ApiError>` to answer
/// errors in the user's language.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|v| v == "application/json" || (v.starts_with("application/") && v.ends_with("+json")));
        if !json {
            return Err(ApiError::unsupported_media_type());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.into_response().status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large()
            } else {
                ApiError::malformed_json("the body could not be read".into())
            }
        })?;
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => ApiError::invalid_body(e.to_string()),
            serde_json::error::Category::Syntax
            | serde_json::error::Category::Eof
            | serde_json::error::Category::Io => ApiError::malformed_json(e.to_string()),
        })
    }
}

/// A numeric id from the path; anything else is simply not found.
pub fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(ApiError::not_found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn bearer_credentials() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic dXNlcjpwdw=="));
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("bearer  mr_abc "));
        assert_eq!(bearer(&h), Some("mr_abc"));
    }

    #[test]
    fn ids() {
        assert_eq!(parse_id("12"), Ok(12));
        assert!(parse_id("0").is_err());
        assert!(parse_id("-3").is_err());
        assert!(parse_id("12abc").is_err());
    }
}
