//! The JSON API under `/api/v1`, for integrations and tests, over the same domain services, authorization
//! and audit log as the HTML pages.
//!
//! * Authentication: a personal API token (`Authorization: Bearer mr_...`), created by the user on
//!   `/account/tokens` or by an operator with `meldroute admin token create` ([`tokens`]). Cookies are
//!   ignored here, so the API needs no CSRF tokens (the CSRF middleware exempts requests with
//!   `Authorization` and without `Cookie`).
//! * Authorization: every handler asks the domain policy through [`CurrentUser::authorize`], exactly like
//!   the pages; what is not allowed is answered as not found (404), so ids reveal nothing.
//! * Errors: always `{"error": {"code": "...", "message": "..."}}` with a stable code and a message in the
//!   user's language ([`error`]).
//! * The OpenAPI 3.1 document is at `/api/v1/openapi.json` ([`openapi`]); a test keeps it in step with the
//!   route table.
//!
//! [`CurrentUser::authorize`]: crate::auth::session::CurrentUser::authorize

pub mod dossiers;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod pupils;
pub mod tasks;
pub mod tokens;

use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{MethodRouter, get, post};
use meldroute_domain::EntryKind;
use meldroute_domain::access::Action;

use crate::AppState;
use crate::routes::{Access, RouteSpec, entry};

pub use error::ApiError;
pub use extract::{ApiJson, ApiUser};

/// Largest JSON body the API accepts.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The API's routes and the token pages, for the route table.
pub fn routes() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    use Access::{Public, User};
    let limit = || DefaultBodyLimit::max(MAX_BODY_BYTES);
    vec![
        entry(Method::GET, "/api/v1/openapi.json", Public, get(openapi::document_handler)),
        entry(Method::GET, "/api/v1/pupils", User(Action::ListPupils), get(pupils::list)),
        entry(Method::GET, "/api/v1/pupils/{id}", User(Action::ViewPupil), get(pupils::show)),
        entry(
            Method::POST,
            "/api/v1/pupils/{id}/dossiers",
            User(Action::OpenDossier),
            post(dossiers::open).layer(limit()),
        ),
        entry(Method::GET, "/api/v1/dossiers/{id}", User(Action::ReadDossier), get(dossiers::show)),
        entry(Method::GET, "/api/v1/dossiers/{id}/entries", User(Action::ReadDossier), get(dossiers::entries)),
        entry(
            Method::POST,
            "/api/v1/dossiers/{id}/entries",
            // The entry kind comes with the body: the handler asks `authorize_append` for that kind.
            User(Action::AppendEntry(EntryKind::Observation)),
            post(dossiers::append).layer(limit()),
        ),
        entry(Method::GET, "/api/v1/dossiers/{id}/state", User(Action::ReadDossier), get(dossiers::state)),
        entry(
            Method::GET,
            "/api/v1/dossiers/{id}/attachments/{attachment}",
            // As the page: readable dossier and visible attachment entries, else 404.
            User(Action::ReadDossier),
            get(dossiers::attachment),
        ),
        entry(Method::GET, "/api/v1/tasks", User(Action::ViewTasks), get(tasks::list)),
        entry(Method::GET, "/account/tokens", User(Action::ManageApiTokens), get(tokens::page)),
        entry(Method::POST, "/account/tokens", User(Action::ManageApiTokens), post(tokens::create)),
        entry(Method::POST, "/account/tokens/{id}/revoke", User(Action::ManageApiTokens), post(tokens::revoke)),
    ]
}

/// A moment as RFC 3339 in UTC (`2026-03-02T09:00:00Z`), the API's one timestamp format.
pub fn rfc3339(at: time::OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// An engine reason as the API shows it: the stable rule id, its arguments, and the text in `lang`.
pub fn reason_json(lang: meldroute_i18n::Lang, reason: &meldroute_domain::Reason) -> serde_json::Value {
    let args: serde_json::Map<String, serde_json::Value> =
        reason.args.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
    serde_json::json!({
        "rule": reason.rule.as_str(),
        "args": args,
        "text": meldroute_i18n::text(lang, &reason.message_key(), &reason.fluent_args()),
    })
}
