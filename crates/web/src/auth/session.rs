//! Server-side sessions. The browser holds a random 128-bit token in a `__Host-` cookie (Secure, HttpOnly,
//! SameSite=Strict, Path=/); the database holds only its SHA-256 with the user, the times and the CSRF
//! token, so several nodes share sessions and a database leak does not leak sessions.
//!
//! A session starts "half" after the password and becomes full after the second factor, when its id is
//! rotated. It ends after 15 minutes without requests or 12 hours after login (configurable), on logout,
//! and when the account is disabled or its roles change.

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use meldroute_i18n::Lang;
use meldroute_store::{AccountStore, RoleGrant, SessionContext, SessionRecord, TenantCtx, User};
use time::OffsetDateTime;

use crate::auth::{new_token, token_hash};
use crate::{AppState, clock};

pub const COOKIE_SECURE: &str = "__Host-meldroute";
/// Without TLS (tests on plain HTTP) the `__Host-` prefix is not allowed; same attributes otherwise.
pub const COOKIE_PLAIN: &str = "meldroute";
/// Sessions are touched at most once a minute, to spare the database a write per request ...
const TOUCH_AT_MOST_EVERY: time::Duration = time::Duration::seconds(60);

/// ... and at least every sixtieth of the idle timeout. The stored "last seen" lags the last request by at
/// most this interval, so a session may end this much before the idle timeout: a second with a timeout of
/// one minute, 15 seconds with the default 15 minutes. (Touching once a minute while checking a one-minute
/// timeout against that stale time ended sessions of users who kept clicking.)
fn touch_interval(idle: time::Duration) -> time::Duration {
    (idle / 60_i32).min(TOUCH_AT_MOST_EVERY)
}

/// Whether a request at `now` refreshes the session's "last seen".
fn needs_touch(last_seen: OffsetDateTime, now: OffsetDateTime, idle: time::Duration) -> bool {
    now - last_seen >= touch_interval(idle)
}

pub fn cookie_name(state: &AppState) -> &'static str {
    if state.auth.secure_cookie { COOKIE_SECURE } else { COOKIE_PLAIN }
}

/// The `Set-Cookie` value for a session token.
pub fn set_cookie(state: &AppState, token: &str) -> HeaderValue {
    let secure = if state.auth.secure_cookie { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{}={token}; Path=/; HttpOnly; SameSite=Strict{secure}", cookie_name(state)))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(state: &AppState) -> HeaderValue {
    let secure = if state.auth.secure_cookie { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}", cookie_name(state)))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The session token in the request's cookies, if any.
pub fn token_from(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name && v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit())).then(|| v.to_string())
    })
}

/// Creates a session for `user` and returns the cookie token.
pub async fn start(state: &AppState, user: &User, second_factor_done: bool) -> Result<(String, SessionRecord), String> {
    let token = new_token()?;
    let now = clock::now_utc();
    let record = SessionRecord {
        id_hash: token_hash(&token),
        org: user.org,
        user: user.id,
        created_at: now,
        last_seen_at: now,
        second_factor_done,
        csrf_token: new_token()?,
    };
    state.db.create_session(&record).await.map_err(|e| e.to_string())?;
    Ok((token, record))
}

/// Replaces a session by a new one with a new id (after the second factor); returns the new token.
pub async fn rotate(state: &AppState, old: &SessionRecord, second_factor_done: bool) -> Result<String, String> {
    let token = new_token()?;
    let now = clock::now_utc();
    let record = SessionRecord {
        id_hash: token_hash(&token),
        org: old.org,
        user: old.user,
        created_at: old.created_at,
        last_seen_at: now,
        second_factor_done,
        csrf_token: new_token()?,
    };
    state.db.rotate_session(&old.id_hash, &record).await.map_err(|e| e.to_string())?;
    Ok(token)
}

/// Why a request has no usable session.
#[derive(Debug)]
pub enum NoSession {
    /// No cookie, unknown, expired or ended session: log in (again).
    Login,
    /// Password done, second factor not yet.
    SecondFactor,
    /// The database failed; nothing is known.
    Unavailable,
}

impl IntoResponse for NoSession {
    fn into_response(self) -> Response {
        match self {
            NoSession::Login => Redirect::to("/login").into_response(),
            NoSession::SecondFactor => Redirect::to("/login/code").into_response(),
            NoSession::Unavailable => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        }
    }
}

/// A session found for the request, valid in time, with its user (not disabled).
pub struct Found {
    pub record: SessionRecord,
    pub user: User,
    /// The user's role grants and unread notifications, read with the session in the same query.
    pub grants: Vec<RoleGrant>,
    pub unread: i64,
}

fn idle_timeout(state: &AppState) -> time::Duration {
    time::Duration::try_from(state.auth.idle_timeout).unwrap_or(time::Duration::minutes(15))
}

fn expired(state: &AppState, record: &SessionRecord, now: OffsetDateTime) -> bool {
    let idle = idle_timeout(state);
    let absolute = time::Duration::try_from(state.auth.absolute_timeout).unwrap_or(time::Duration::hours(12));
    now - record.last_seen_at > idle || now - record.created_at > absolute
}

/// Looks up the request's session (half or full): one query for the session, its user, the user's grants
/// and unread notifications, or this node's memory of that query (`meldroute_store::LookupCache`).
pub async fn find(state: &AppState, headers: &HeaderMap) -> Result<Found, NoSession> {
    let token = token_from(headers, cookie_name(state)).ok_or(NoSession::Login)?;
    let hash = token_hash(&token);
    let mut context =
        state.db.session_context(&hash).await.map_err(|_| NoSession::Unavailable)?.ok_or(NoSession::Login)?;
    let now = clock::now_utc();
    let ended = |c: &SessionContext| expired(state, &c.session, now) || c.user.disabled;
    if ended(&context) {
        // The lookup may have come from this node's memory: only the database's own answer ends a session.
        context =
            state.db.session_context_fresh(&hash).await.map_err(|_| NoSession::Unavailable)?.ok_or(NoSession::Login)?;
        if ended(&context) {
            let _ = state.db.delete_session(&hash).await;
            return Err(NoSession::Login);
        }
    }
    let record = context.session;
    if needs_touch(record.last_seen_at, now, idle_timeout(state)) {
        let _ = state.db.touch_session(&hash, now).await;
    }
    Ok(Found { record, user: context.user, grants: context.grants, unread: context.unread })
}

/// A fully logged-in user (password and second factor), for every protected page.
pub struct CurrentUser {
    pub session: SessionRecord,
    pub user: User,
    pub tenant: TenantCtx,
    pub grants: Vec<RoleGrant>,
    pub lang: Lang,
    /// Unread in-app notifications (shown in the header); 0 for API calls.
    pub unread: i64,
    /// The user as the access policy sees them ([`CurrentUser::new`] derives it from `grants`).
    actor: meldroute_domain::access::Actor,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = NoSession;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let found = find(state, &parts.headers).await?;
        if !found.record.second_factor_done {
            return Err(NoSession::SecondFactor);
        }
        Ok(CurrentUser::new(found.record, found.user, found.grants, found.unread))
    }
}

/// A session after the password but before the second factor (only the code pages accept it).
pub struct HalfSession(pub Found);

impl FromRequestParts<AppState> for HalfSession {
    type Rejection = NoSession;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let found = find(state, &parts.headers).await?;
        if found.record.second_factor_done {
            return Err(NoSession::Login);
        }
        Ok(HalfSession(found))
    }
}

/// Adds a `Set-Cookie` header to a response.
pub fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(SET_COOKIE, cookie);
    response
}

impl CurrentUser {
    pub fn new(session: SessionRecord, user: User, grants: Vec<RoleGrant>, unread: i64) -> CurrentUser {
        let tenant = TenantCtx::new(user.org);
        let lang = Lang::from_code(&user.lang).unwrap_or_default();
        let actor = meldroute_domain::access::Actor {
            user: user.id.0,
            grants: grants
                .iter()
                .map(|g| meldroute_domain::access::Grant { role: g.role, location: g.location.map(|l| l.0) })
                .collect(),
        };
        CurrentUser { session, user, tenant, grants, lang, unread, actor }
    }

    /// The user as the domain's access policy sees them (derived once, from the grants).
    pub fn actor(&self) -> &meldroute_domain::access::Actor {
        &self.actor
    }

    /// Asks the access policy; a denial becomes a plain 404 that reveals nothing (whether the thing exists
    /// or is merely out of reach is nobody's business).
    pub fn authorize(
        &self,
        action: meldroute_domain::access::Action,
        resource: &meldroute_domain::access::Resource,
    ) -> Result<(), Denied> {
        match meldroute_domain::access::authorize(self.actor(), action, resource) {
            meldroute_domain::access::Decision::Allow => Ok(()),
            meldroute_domain::access::Decision::Deny(reason) => Err(Denied { reason: reason.code() }),
        }
    }
}

/// A refused action. Answered as 404 so that ids of other people's records reveal nothing.
#[derive(Debug)]
pub struct Denied {
    pub reason: &'static str,
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        tracing::info!(reason = self.reason, "access denied");
        StatusCode::NOT_FOUND.into_response()
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;

    /// Replays requests at the given seconds after login against the touch rule; returns the second of the
    /// first request that finds the session idle-expired, if any.
    fn first_expiry(idle: Duration, requests: impl IntoIterator<Item = i64>) -> Option<i64> {
        let login = OffsetDateTime::UNIX_EPOCH;
        let mut last_seen = login;
        for at in requests {
            let now = login + Duration::seconds(at);
            if now - last_seen > idle {
                return Some(at);
            }
            if needs_touch(last_seen, now, idle) {
                last_seen = now;
            }
        }
        None
    }

    #[test]
    fn clicking_every_25_seconds_keeps_a_one_minute_session_alive() {
        assert_eq!(first_expiry(Duration::minutes(1), (1..=40).map(|n| n * 25)), None);
    }

    #[test]
    fn the_touch_interval_is_a_small_part_of_the_idle_timeout() {
        assert_eq!(touch_interval(Duration::minutes(1)), Duration::seconds(1));
        assert_eq!(touch_interval(Duration::minutes(15)), Duration::seconds(15));
        assert_eq!(touch_interval(Duration::hours(2)), Duration::seconds(60), "at most once a minute");
    }

    #[test]
    fn a_session_never_ends_much_before_the_idle_timeout() {
        for idle in [Duration::minutes(1), Duration::minutes(15), Duration::hours(2)] {
            let slack = touch_interval(idle).whole_seconds();
            let idle_s = idle.whole_seconds();
            // Requests every few seconds for a while (each one possibly just short of a touch), then a pause
            // a touch interval shorter than the timeout: still alive. A pause longer than the timeout: ended.
            for step in [1, 7, 13, 29, 59] {
                let busy: Vec<i64> = (1..=200).map(|n| n * step).collect();
                let last = *busy.last().unwrap_or(&0);
                let alive = busy.iter().copied().chain([last + idle_s - slack]);
                assert_eq!(first_expiry(idle, alive), None, "idle {idle}, step {step}");
                let gone = busy.iter().copied().chain([last + idle_s + 1]);
                assert_eq!(first_expiry(idle, gone), Some(last + idle_s + 1), "idle {idle}, step {step}");
            }
        }
    }
}
