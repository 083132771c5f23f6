//! The API's one error shape: `{"error": {"code": "not_found", "message": "...", "field": "..."}}`.
//!
//! `code` is stable (integrations branch on it); `message` is for people, in the user's language (from
//! `locales/<lang>/api.ftl`, or the domain's own texts in `domain.ftl` for refusals by the meldcode);
//! `field` names the offending body field where there is one; `detail` carries the JSON parser's technical
//! explanation for malformed or mistyped bodies.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use meldroute_domain::DomainError;
use meldroute_i18n::Lang;
use meldroute_store::StoreError;
use serde_json::json;

use crate::audit::AuditFailed;
use crate::auth::session::Denied;
use crate::dossier_pages::PageError;
use crate::dossiers::DossierError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// The stable code.
    pub code: &'static str,
    /// A refusal by the domain (message `error-<code>` in domain.ftl) rather than an API error
    /// (`api-error-<code>` in api.ftl).
    domain: bool,
    args: Vec<(String, String)>,
    pub field: Option<String>,
    pub detail: Option<String>,
    /// A token was presented but refused (for `WWW-Authenticate`).
    invalid_token: bool,
}

impl ApiError {
    fn api(status: StatusCode, code: &'static str) -> ApiError {
        ApiError { status, code, domain: false, args: Vec::new(), field: None, detail: None, invalid_token: false }
    }

    /// 401: no token (or not a bearer token).
    pub fn unauthorized() -> ApiError {
        ApiError::api(StatusCode::UNAUTHORIZED, "unauthorized")
    }

    /// 401: a token that is unknown, expired, revoked, or belongs to a disabled account.
    pub fn invalid_token() -> ApiError {
        ApiError { invalid_token: true, ..ApiError::api(StatusCode::UNAUTHORIZED, "invalid_token") }
    }

    /// 404: not there, or not for you (indistinguishable on purpose).
    pub fn not_found() -> ApiError {
        ApiError::api(StatusCode::NOT_FOUND, "not_found")
    }

    /// 400: the body is not JSON.
    pub fn malformed_json(detail: String) -> ApiError {
        ApiError { detail: Some(detail), ..ApiError::api(StatusCode::BAD_REQUEST, "malformed_json") }
    }

    /// 422: JSON of the wrong shape (missing, unknown or mistyped fields).
    pub fn invalid_body(detail: String) -> ApiError {
        ApiError { detail: Some(detail), ..ApiError::api(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body") }
    }

    /// 415: not `application/json`.
    pub fn unsupported_media_type() -> ApiError {
        ApiError::api(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    }

    /// 413: the body is larger than the API accepts.
    pub fn payload_too_large() -> ApiError {
        ApiError::api(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    }

    /// 409: `expected_last_seq` is not the dossier's newest entry any more.
    pub fn stale() -> ApiError {
        ApiError::api(StatusCode::CONFLICT, "stale")
    }

    /// 503: the database or the audit log failed; nothing was done (or nothing is known).
    pub fn unavailable() -> ApiError {
        ApiError::api(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    }

    /// 422: the meldcode does not allow this entry now; the domain's code, message and field.
    pub fn refused(err: &DomainError) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: err.code.as_str(),
            domain: true,
            args: err.args.clone(),
            field: err.field.clone(),
            detail: None,
            invalid_token: false,
        }
    }

    /// Names the request field the error concerns.
    pub fn with_field(mut self, field: &str) -> ApiError {
        self.field = Some(field.to_string());
        self
    }

    /// The Fluent key of the message.
    fn key(&self) -> String {
        if self.domain { format!("error-{}", self.code) } else { format!("api-error-{}", self.code) }
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let args: Vec<(&str, String)> = self.args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        meldroute_i18n::text(lang, &self.key(), &args)
    }

    /// The response, with the message in `lang`.
    pub fn response(self, lang: Lang) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message(lang) });
        if let Some(field) = &self.field {
            error["field"] = json!(field);
        }
        if let Some(detail) = &self.detail {
            error["detail"] = json!(detail);
        }
        let mut response = (self.status, Json(json!({ "error": error }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            let value = if self.invalid_token {
                "Bearer realm=\"meldroute\", error=\"invalid_token\""
            } else {
                "Bearer realm=\"meldroute\""
            };
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(value));
        }
        response
    }
}

/// Without a known user (before authentication): the message in the language the client asks for.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.response(Lang::Nl)
    }
}

/// The first language of `Accept-Language` that we speak; Dutch otherwise.
pub fn accepted_language(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .into_iter()
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.split(';').next())
        .find_map(Lang::from_code)
        .unwrap_or_default()
}

/// A handler's result as a response, errors in `lang`.
pub fn respond<T: IntoResponse>(lang: Lang, result: Result<T, ApiError>) -> Response {
    match result {
        Ok(ok) => ok.into_response(),
        Err(err) => err.response(lang),
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::not_found(),
            other => {
                tracing::error!(error = %other, "store failure");
                ApiError::unavailable()
            }
        }
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        tracing::info!(reason = denied.reason, "api access denied");
        ApiError::not_found()
    }
}

impl From<AuditFailed> for ApiError {
    fn from(_: AuditFailed) -> Self {
        ApiError::unavailable()
    }
}

impl From<PageError> for ApiError {
    fn from(err: PageError) -> Self {
        match err {
            PageError::NotFound => ApiError::not_found(),
            PageError::Unavailable => ApiError::unavailable(),
        }
    }
}

impl From<DossierError> for ApiError {
    fn from(err: DossierError) -> Self {
        match err {
            DossierError::Refused(e) => ApiError::refused(&e),
            DossierError::NotFound => ApiError::not_found(),
            DossierError::Stale => ApiError::stale(),
            DossierError::Store(e) => ApiError::from(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_from_accept_language() {
        let mut h = HeaderMap::new();
        assert_eq!(accepted_language(&h), Lang::Nl);
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("de-DE, en-GB;q=0.8, nl;q=0.5"));
        assert_eq!(accepted_language(&h), Lang::En);
    }

    #[test]
    fn every_api_error_has_a_message_in_both_languages() {
        for err in [
            ApiError::unauthorized(),
            ApiError::invalid_token(),
            ApiError::not_found(),
            ApiError::malformed_json(String::new()),
            ApiError::invalid_body(String::new()),
            ApiError::unsupported_media_type(),
            ApiError::payload_too_large(),
            ApiError::stale(),
            ApiError::unavailable(),
        ] {
            for lang in Lang::ALL {
                assert!(meldroute_i18n::has(lang, &err.key()), "{} missing in {}", err.key(), lang.code());
            }
        }
    }

    #[test]
    fn refusals_carry_the_domain_code_and_field() {
        let e = DomainError::new(meldroute_domain::ErrorCode::BoardMustTakePart).field("board_informed");
        let api = ApiError::refused(&e);
        assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(api.code, "board_must_take_part");
        assert_eq!(api.field.as_deref(), Some("board_informed"));
        assert!(!api.message(Lang::En).starts_with("error-"), "a real text: {}", api.message(Lang::En));
    }
}
