//! Personal API tokens: how they look, how they are issued (by the user on `/account/tokens` or by an
//! operator with `meldroute admin token create`), and the page where a user manages their own.
//!
//! A token is `mr_` followed by 64 hex digits (32 random bytes): recognisable in logs and secret scanners,
//! far beyond guessing. It is shown once; the database keeps only its SHA-256 ([`crate::auth::token_hash`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use meldroute_database::Database;
use meldroute_domain::access::{Action, Resource};
use meldroute_store::*;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::audit::{self, Event};
use crate::auth::csrf::parse_form;
use crate::auth::session::CurrentUser;
use crate::auth::token_hash;
use crate::dossier_pages::{PageError, format_datetime};
use crate::pages::{Layout, render};
use crate::{AppState, clock};

/// What every token starts with.
pub const PREFIX: &str = "mr_";
/// Random bytes in a token.
pub const RANDOM_BYTES: usize = 32;
/// A token lives at least one day and at most a year.
pub const MIN_DAYS: u32 = 1;
pub const MAX_DAYS: u32 = 365;
/// The default lifetime offered on the page.
pub const DEFAULT_DAYS: u32 = 90;
pub const MAX_NAME_CHARS: usize = 100;

/// A new random token.
pub fn new_token() -> Result<String, String> {
    let mut bytes = [0u8; RANDOM_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness available: {e}"))?;
    Ok(format!("{PREFIX}{}", hex::encode(bytes)))
}

/// Whether `s` has the shape of a token (checked before any database lookup).
pub fn looks_like_token(s: &str) -> bool {
    s.strip_prefix(PREFIX).is_some_and(|rest| {
        rest.len() == RANDOM_BYTES * 2 && rest.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// Why a token cannot be issued.
#[derive(Debug)]
pub enum IssueError {
    /// The name is empty or longer than [`MAX_NAME_CHARS`].
    Name,
    /// The lifetime is outside [`MIN_DAYS`]..=[`MAX_DAYS`].
    Days,
    Store(StoreError),
    Randomness(String),
}

impl std::fmt::Display for IssueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IssueError::Name => write!(f, "the name must be 1 to {MAX_NAME_CHARS} characters"),
            IssueError::Days => write!(f, "the lifetime must be {MIN_DAYS} to {MAX_DAYS} days"),
            IssueError::Store(e) => write!(f, "{e}"),
            IssueError::Randomness(e) => f.write_str(e),
        }
    }
}

/// Creates a token for `user`, valid for `days` days from `now`. Returns the token (to show once) and the
/// stored row.
pub async fn issue(
    db: &Database,
    t: &TenantCtx,
    user: UserId,
    name: &str,
    days: u32,
    now: OffsetDateTime,
) -> Result<(String, ApiToken), IssueError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(IssueError::Name);
    }
    if !(MIN_DAYS..=MAX_DAYS).contains(&days) {
        return Err(IssueError::Days);
    }
    let token = new_token().map_err(IssueError::Randomness)?;
    let row = db
        .create_api_token(
            t,
            NewApiToken {
                user,
                name: name.to_string(),
                token_hash: token_hash(&token),
                created_at: now,
                expires_at: now + time::Duration::days(i64::from(days)),
            },
        )
        .await
        .map_err(IssueError::Store)?;
    Ok((token, row))
}

// --- the page ------------------------------------------------------------------------------------------------

pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub status: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "account_tokens.html")]
pub struct TokensPage {
    pub layout: Layout,
    pub csrf: String,
    pub rows: Vec<TokenRow>,
    pub name: String,
    pub days: String,
    pub errors: BTreeMap<String, String>,
    /// The token just created: shown this once.
    pub new_token: Option<String>,
}

async fn tokens_page(
    state: &AppState,
    me: &CurrentUser,
    form: (String, String),
    errors: BTreeMap<String, String>,
    new_token: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let layout = Layout::for_user(state, me, "api-tokens-title");
    let i = layout.i;
    let now = clock::now_utc();
    let rows = state
        .db
        .list_api_tokens(&me.tenant, me.user.id)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name.clone(),
            created: format_datetime(t.created_at),
            expires: format_datetime(t.expires_at),
            last_used: t.last_used_at.map(format_datetime).unwrap_or_else(|| i.t("api-tokens-never")),
            status: i.t(if t.revoked_at.is_some() {
                "api-tokens-status-revoked"
            } else if t.is_active(now) {
                "api-tokens-status-active"
            } else {
                "api-tokens-status-expired"
            }),
            active: t.is_active(now),
        })
        .collect();
    let page =
        TokensPage { layout, csrf: me.session.csrf_token.clone(), rows, name: form.0, days: form.1, errors, new_token };
    Ok(render(&page, status))
}

fn may_manage(me: &CurrentUser) -> Result<(), PageError> {
    me.authorize(Action::ManageApiTokens, &Resource::OwnAccount).map_err(PageError::from)
}

/// `GET /account/tokens`: the user's tokens and the form for a new one.
pub async fn page(State(state): State<AppState>, me: CurrentUser) -> Result<Response, PageError> {
    may_manage(&me)?;
    tokens_page(&state, &me, (String::new(), DEFAULT_DAYS.to_string()), BTreeMap::new(), None, StatusCode::OK).await
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    days: String,
}

async fn audit_token(state: &AppState, me: &CurrentUser, addr: &SocketAddr, action: &str) -> Result<(), PageError> {
    let source = addr.ip().to_string();
    let event = Event {
        org: Some(me.tenant.org),
        actor: Some(me.user.id),
        pupil: None,
        dossier: None,
        action,
        outcome: "allowed",
        source: &source,
    };
    audit::record(state, event).await.map_err(PageError::from)
}

/// `POST /account/tokens`: creates a token and shows it once.
pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    body: Bytes,
) -> Result<Response, PageError> {
    may_manage(&me)?;
    let form: CreateForm = match parse_form(&body, &me.session.csrf_token) {
        Ok(f) => f,
        Err(e) => return Ok(e.into_response()),
    };
    let i = crate::pages::I18n { lang: me.lang };
    let mut errors = BTreeMap::new();
    let name = form.name.trim().to_string();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        errors.insert("name".to_string(), i.t("api-tokens-error-name"));
    }
    let days = form.days.trim().parse::<u32>().ok().filter(|d| (MIN_DAYS..=MAX_DAYS).contains(d));
    if days.is_none() {
        errors.insert("days".to_string(), i.t("api-tokens-error-days"));
    }
    let Some(days) = days.filter(|_| errors.is_empty()) else {
        return tokens_page(&state, &me, (form.name, form.days), errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let (token, _) = match issue(&state.db, &me.tenant, me.user.id, &name, days, clock::now_utc()).await {
        Ok(issued) => issued,
        Err(IssueError::Store(e)) => return Err(e.into()),
        Err(e) => {
            tracing::error!(error = %e, "cannot issue an API token");
            return Err(PageError::Unavailable);
        }
    };
    audit_token(&state, &me, &addr, "api_token.create").await?;
    tokens_page(&state, &me, (String::new(), DEFAULT_DAYS.to_string()), BTreeMap::new(), Some(token), StatusCode::OK)
        .await
}

#[derive(Deserialize)]
struct RevokeForm {}

/// `POST /account/tokens/{id}/revoke`: the token stops working at once.
pub async fn revoke(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    may_manage(&me)?;
    if let Err(e) = parse_form::<RevokeForm>(&body, &me.session.csrf_token) {
        return Ok(e.into_response());
    }
    let id = id.parse::<i64>().map_err(|_| PageError::NotFound)?;
    state.db.revoke_api_token(&me.tenant, me.user.id, id, clock::now_utc()).await?;
    audit_token(&state, &me, &addr, "api_token.revoke").await?;
    Ok(Redirect::to("/account/tokens").into_response())
}

/// Revokes every active API token of a user: after a password or second-factor reset, a token made by
/// whoever had the account before must stop working too.
pub async fn revoke_all(
    state: &crate::AppState,
    t: &meldroute_store::TenantCtx,
    user: meldroute_store::UserId,
) -> meldroute_store::StoreResult<()> {
    use meldroute_store::ApiTokenStore;
    let now = crate::clock::now_utc();
    for token in state.db.list_api_tokens(t, user).await? {
        if token.revoked_at.is_none() {
            match state.db.revoke_api_token(t, user, token.id, now).await {
                Ok(()) | Err(meldroute_store::StoreError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_recognisable_and_random() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("mr_") && a.len() == 3 + 64, "{a}");
        assert!(looks_like_token(&a));
        assert!(!looks_like_token(&a[..a.len() - 1]));
        assert!(!looks_like_token(&a.to_uppercase()));
        assert!(!looks_like_token(&a.replacen("mr_", "xx_", 1)));
        assert!(!looks_like_token("0123456789abcdef0123456789abcdef"), "a session token is not an API token");
    }
}
