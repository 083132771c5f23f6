//! The login flow: password, then the second factor (TOTP, or a one-time recovery code), or on a first
//! login the enrolment of the authenticator app. Unknown accounts, wrong passwords and disabled accounts get
//! the same message, status and (through a dummy hash) timing.

use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use meldroute_i18n::Lang;
use meldroute_store::{AccountStore, Store, TenantCtx, User};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::audit::{self, Event};
use crate::auth::session::{self, CurrentUser, HalfSession};
use crate::auth::{csrf, throttle, totp};
use crate::pages::{Layout, render};
use crate::{AppState, clock, password};

/// Number of recovery codes handed out at enrolment.
pub const RECOVERY_CODES: usize = 10;

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub login: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "login_code.html")]
pub struct CodePage {
    pub layout: Layout,
    pub csrf: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "login_setup.html")]
pub struct SetupPage {
    pub layout: Layout,
    pub csrf: String,
    pub secret: String,
    pub uri: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
pub struct RecoveryCodesPage {
    pub layout: Layout,
    pub codes: Vec<String>,
}

fn source(addr: &SocketAddr) -> String {
    addr.ip().to_string()
}

pub async fn login_form(State(state): State<AppState>) -> Response {
    let layout = Layout::new(&state, Lang::Nl, "login-title");
    render(&LoginPage { layout, login: String::new(), error: None }, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

pub async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let now = clock::now_utc();
    let ip = source(&addr);
    let login = form.login.trim().to_lowercase();
    let account_key = throttle::account_key(&login);
    let address_key = throttle::address_key(&crate::client_addr::limit_key(addr.ip()).to_string());
    let failed_page = |key: &str| {
        let layout = Layout::new(&state, Lang::Nl, "login-title");
        let error = Some(layout.i.t(key));
        render(&LoginPage { layout, login: form.login.chars().take(100).collect(), error }, StatusCode::OK)
    };

    // Input that can never be right is refused before anything is counted or stored.
    if form.password.chars().count() > password::MAX_LEN || login.len() > 200 {
        return failed_page("login-failed");
    }
    let keys = [
        (address_key.as_str(), throttle::ADDRESS_FREE_FAILURES),
        (account_key.as_str(), throttle::ACCOUNT_FREE_FAILURES),
    ];
    let counted = match throttle::begin_attempt(&state, &keys, now).await {
        Ok(Some(counted)) => counted,
        Ok(None) => return failed_page("login-throttled"),
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };

    let user = match state.db.find_user_by_login(&login).await {
        Ok(user) => user,
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let hash = user.as_ref().map_or(state.auth.dummy_hash.clone(), |u| u.password_hash.clone());
    let verified = {
        let Ok(_permit) = state.auth.hashing.acquire().await else {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        };
        let password = form.password.clone();
        tokio::task::spawn_blocking(move || password::verify_blocking(&password, &hash)).await.unwrap_or(false)
    };
    let user = match user {
        Some(u) if verified && !u.disabled => u,
        other => {
            // Already counted, with its lock, by `begin_attempt`.
            let event = Event {
                org: other.as_ref().map(|u| u.org),
                actor: other.as_ref().map(|u| u.id),
                pupil: None,
                dossier: None,
                action: "login.password",
                outcome: "failed",
                source: &ip,
            };
            if audit::record(&state, event).await.is_err() {
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            return failed_page("login-failed");
        }
    };

    throttle::clear(&state, &account_key).await;
    throttle::take_back(&state, &address_key, &counted[0]).await;
    let (token, _) = match session::start(&state, &user, false).await {
        Ok(started) => started,
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let event = Event {
        org: Some(user.org),
        actor: Some(user.id),
        pupil: None,
        dossier: None,
        action: "login.password",
        outcome: "ok",
        source: &ip,
    };
    if let Err(e) = audit::record(&state, event).await {
        return e.into_response();
    }
    let next = if enrolled(&state, &user).await { "/login/code" } else { "/login/setup" };
    session::with_cookie(Redirect::to(next).into_response(), session::set_cookie(&state, &token))
}

/// A user is enrolled once a TOTP secret exists. (Recovery codes are not part of the test: a user who
/// used them all must not be sent back to enrolment, where the secret would be shown after the password
/// alone.)
async fn enrolled(_state: &AppState, user: &User) -> bool {
    user.totp_secret.is_some()
}

pub async fn code_form(State(state): State<AppState>, HalfSession(found): HalfSession) -> Response {
    if !enrolled(&state, &found.user).await {
        return Redirect::to("/login/setup").into_response();
    }
    let lang = Lang::from_code(&found.user.lang).unwrap_or_default();
    let layout = Layout::new(&state, lang, "login-code-title");
    render(&CodePage { layout, csrf: found.record.csrf_token, error: None }, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn code_submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    HalfSession(found): HalfSession,
    body: Bytes,
) -> Response {
    let form: CodeForm = match csrf::parse_form(&body, &found.record.csrf_token) {
        Ok(form) => form,
        Err(e) => return e.into_response(),
    };
    let now = clock::now_utc();
    let ip = source(&addr);
    let user = &found.user;
    let t = TenantCtx::new(user.org);
    let lang = Lang::from_code(&user.lang).unwrap_or_default();
    // Code guesses have their own counter, which a correct password does not reset, and count against the
    // address too.
    let code_key = throttle::second_factor_key(user.id.0);
    let address_key = throttle::address_key(&crate::client_addr::limit_key(addr.ip()).to_string());
    let retry = |key: &str| {
        let layout = Layout::new(&state, lang, "login-code-title");
        let error = Some(layout.i.t(key));
        render(&CodePage { layout, csrf: found.record.csrf_token.clone(), error }, StatusCode::OK)
    };
    let keys =
        [(address_key.as_str(), throttle::ADDRESS_FREE_FAILURES), (code_key.as_str(), throttle::ACCOUNT_FREE_FAILURES)];
    let counted = match throttle::begin_attempt(&state, &keys, now).await {
        Ok(Some(counted)) => counted,
        Ok(None) => return retry("login-throttled"),
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };

    let code = form.code.trim();
    let accepted = if code.chars().filter(|c| c.is_ascii_digit()).count() == 6 && code.len() <= 7 {
        match user.totp_secret.as_deref().and_then(totp::base32_decode) {
            Some(secret) => match totp::matching_step(&secret, code, now.unix_timestamp()) {
                // The store refuses a step at or before the last accepted one: no replay.
                Some(step) => state.db.accept_totp_step(&t, user.id, step).await.unwrap_or(false),
                None => false,
            },
            None => false,
        }
    } else {
        let normalised = normalise_recovery_code(code);
        !normalised.is_empty()
            && state.db.use_recovery_code(&t, user.id, &recovery_hash(&normalised), now).await.unwrap_or(false)
    };

    if !accepted {
        // Already counted, with its lock, by `begin_attempt`.
        let event = Event {
            org: Some(user.org),
            actor: Some(user.id),
            pupil: None,
            dossier: None,
            action: "login.second_factor",
            outcome: "failed",
            source: &ip,
        };
        if let Err(e) = audit::record(&state, event).await {
            return e.into_response();
        }
        return retry("login-code-failed");
    }
    throttle::clear(&state, &code_key).await;
    throttle::take_back(&state, &address_key, &counted[0]).await;
    let token = match session::rotate(&state, &found.record, true).await {
        Ok(token) => token,
        Err(_) => return session::NoSession::Login.into_response(),
    };
    let event = Event {
        org: Some(user.org),
        actor: Some(user.id),
        pupil: None,
        dossier: None,
        action: "login",
        outcome: "ok",
        source: &ip,
    };
    if let Err(e) = audit::record(&state, event).await {
        return e.into_response();
    }
    session::with_cookie(Redirect::to("/").into_response(), session::set_cookie(&state, &token))
}

pub async fn setup_form(State(state): State<AppState>, HalfSession(found): HalfSession) -> Response {
    if enrolled(&state, &found.user).await {
        return Redirect::to("/login/code").into_response();
    }
    let t = TenantCtx::new(found.user.org);
    // The secret is created once and shown until enrolment is confirmed with a code.
    let secret = match &found.user.totp_secret {
        Some(secret) => secret.clone(),
        None => {
            let Ok(secret) = totp::new_secret() else { return StatusCode::SERVICE_UNAVAILABLE.into_response() };
            if state.db.set_totp_secret(&t, found.user.id, Some(&secret)).await.is_err() {
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            secret
        }
    };
    let lang = Lang::from_code(&found.user.lang).unwrap_or_default();
    let layout = Layout::new(&state, lang, "login-setup-title");
    let uri = totp::otpauth_uri(&secret, &found.user.login);
    render(
        &SetupPage { layout, csrf: found.record.csrf_token, secret: group4(&secret), uri, error: None },
        StatusCode::OK,
    )
}

pub async fn setup_submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    HalfSession(found): HalfSession,
    body: Bytes,
) -> Response {
    let form: CodeForm = match csrf::parse_form(&body, &found.record.csrf_token) {
        Ok(form) => form,
        Err(e) => return e.into_response(),
    };
    let user = &found.user;
    let t = TenantCtx::new(user.org);
    let now = clock::now_utc();
    let lang = Lang::from_code(&user.lang).unwrap_or_default();
    let Some(secret_text) = user.totp_secret.clone() else { return Redirect::to("/login/setup").into_response() };
    let accepted = match totp::base32_decode(&secret_text)
        .and_then(|s| totp::matching_step(&s, &form.code, now.unix_timestamp()))
    {
        Some(step) => state.db.accept_totp_step(&t, user.id, step).await.unwrap_or(false),
        None => false,
    };
    if !accepted {
        let layout = Layout::new(&state, lang, "login-setup-title");
        let error = Some(layout.i.t("login-code-failed"));
        let uri = totp::otpauth_uri(&secret_text, &user.login);
        return render(
            &SetupPage { layout, csrf: found.record.csrf_token, secret: group4(&secret_text), uri, error },
            StatusCode::OK,
        );
    }
    let codes = match new_recovery_codes() {
        Ok(codes) => codes,
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| recovery_hash(&normalise_recovery_code(c))).collect();
    if state.db.replace_recovery_codes(&t, user.id, &hashes).await.is_err() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let token = match session::rotate(&state, &found.record, true).await {
        Ok(token) => token,
        Err(_) => return session::NoSession::Login.into_response(),
    };
    let ip = source(&addr);
    let event = Event {
        org: Some(user.org),
        actor: Some(user.id),
        pupil: None,
        dossier: None,
        action: "account.second_factor_enrolled",
        outcome: "ok",
        source: &ip,
    };
    if let Err(e) = audit::record(&state, event).await {
        return e.into_response();
    }
    let layout = Layout::new(&state, lang, "recovery-codes-title");
    session::with_cookie(
        render(&RecoveryCodesPage { layout, codes }, StatusCode::OK),
        session::set_cookie(&state, &token),
    )
}

pub async fn logout(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Works for half and full sessions alike.
    if let Ok(found) = session::find(&state, &headers).await {
        if let Err(e) = csrf::parse_form::<std::collections::HashMap<String, String>>(&body, &found.record.csrf_token) {
            return e.into_response();
        }
        let _ = state.db.delete_session(&found.record.id_hash).await;
        let ip = source(&addr);
        let event = Event {
            org: Some(found.user.org),
            actor: Some(found.user.id),
            pupil: None,
            dossier: None,
            action: "logout",
            outcome: "ok",
            source: &ip,
        };
        if let Err(e) = audit::record(&state, event).await {
            return e.into_response();
        }
    }
    session::with_cookie(Redirect::to("/login").into_response(), session::clear_cookie(&state))
}

pub async fn logout_everywhere(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    body: Bytes,
) -> Response {
    if let Err(e) = csrf::parse_form::<std::collections::HashMap<String, String>>(&body, &me.session.csrf_token) {
        return e.into_response();
    }
    if state.db.delete_user_sessions(&me.tenant, me.user.id).await.is_err() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let ip = source(&addr);
    let event = Event {
        org: Some(me.user.org),
        actor: Some(me.user.id),
        pupil: None,
        dossier: None,
        action: "logout.everywhere",
        outcome: "ok",
        source: &ip,
    };
    if let Err(e) = audit::record(&state, event).await {
        return e.into_response();
    }
    session::with_cookie(Redirect::to("/login").into_response(), session::clear_cookie(&state))
}

/// Ten codes like `k7mq-2xwr-9p`, each usable once instead of a TOTP code.
pub fn new_recovery_codes() -> Result<Vec<String>, String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let mut bytes = [0u8; 10];
        getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
        let chars: String = bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
        codes.push(format!("{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..10]));
    }
    Ok(codes)
}

fn normalise_recovery_code(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

fn recovery_hash(normalised: &str) -> Vec<u8> {
    Sha256::digest(format!("meldroute-recovery:{normalised}").as_bytes()).to_vec()
}

/// Hashes of recovery codes as the store keeps them (for seeding demo accounts).
pub fn recovery_hashes(codes: &[String]) -> Vec<Vec<u8>> {
    codes.iter().map(|c| recovery_hash(&normalise_recovery_code(c))).collect()
}

/// `ABCDEFGH...` as `ABCD EFGH ...` for reading aloud and typing.
fn group4(secret: &str) -> String {
    secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).to_string()).collect::<Vec<_>>().join(" ")
}
