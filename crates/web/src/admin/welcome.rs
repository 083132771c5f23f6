//! The public page behind a one-time link (`/welkom/{token}`): choose a password. No session is needed: the
//! 128-bit token in the path is the proof. GET only looks the link up; POST checks the new password, hashes
//! it, and only then uses the link (atomically, once), sets the password and ends every session of the
//! account. Unknown, used and expired links all get the same message, which reveals nothing.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use meldroute_i18n::Lang;
use meldroute_store::{AccountStore, LinkPurpose, OrgId, Store, TenantCtx, User, UserId};
use serde::Deserialize;

use super::{Outcome, db, finish};
use crate::audit::{self, Event};
use crate::auth::token_hash;
use crate::pages::{Layout, render};
use crate::{AppState, clock, password};

#[derive(Template)]
#[template(path = "admin/welcome.html")]
pub struct WelcomePage {
    pub layout: Layout,
    pub token: String,
    pub login: String,
    pub error: Option<String>,
    pub confirm_error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/welcome_invalid.html")]
pub struct InvalidLinkPage {
    pub layout: Layout,
}

/// A token as we hand them out: 32 lower-case hex characters.
fn well_formed(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn invalid(state: &AppState) -> Response {
    render(&InvalidLinkPage { layout: Layout::new(state, Lang::Nl, "welcome-invalid-title") }, StatusCode::NOT_FOUND)
}

/// The link's purpose, organisation and user when it is usable now.
async fn find(state: &AppState, token: &str) -> Result<Option<(LinkPurpose, OrgId, UserId)>, Response> {
    if !well_formed(token) {
        return Ok(None);
    }
    let hash = token_hash(token);
    let now = clock::now_utc();
    for purpose in [LinkPurpose::FirstLogin, LinkPurpose::PasswordReset] {
        if let Some((org, user)) = db(state.db.peek_link(&hash, purpose, now).await)? {
            return Ok(Some((purpose, org, user)));
        }
    }
    Ok(None)
}

/// The account a usable link belongs to (blocked accounts have no usable links).
async fn account(state: &AppState, token: &str) -> Result<Option<(LinkPurpose, User)>, Response> {
    let Some((purpose, org, user)) = find(state, token).await? else { return Ok(None) };
    let user = db(state.db.get_user(&TenantCtx::new(org), user).await)?;
    Ok((!user.disabled).then_some((purpose, user)))
}

fn lang_of(user: &User) -> Lang {
    Lang::from_code(&user.lang).unwrap_or_default()
}

pub async fn form(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    finish(
        async {
            let Some((_, user)) = account(&state, &token).await? else { return Ok(invalid(&state)) };
            let page = WelcomePage {
                layout: Layout::new(&state, lang_of(&user), "welcome-title"),
                token,
                login: user.login,
                error: None,
                confirm_error: None,
            };
            Ok(render(&page, StatusCode::OK))
        }
        .await,
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    axum::Form(form): axum::Form<PasswordForm>,
) -> Response {
    finish(submit_inner(&state, &addr, &token, form).await)
}

async fn submit_inner(state: &AppState, addr: &SocketAddr, token: &str, form: PasswordForm) -> Outcome {
    let Some((purpose, user)) = account(state, token).await? else { return Ok(invalid(state)) };
    let layout = Layout::new(state, lang_of(&user), "welcome-title");
    let mut error =
        password::check_new_password(&form.password, &user.login).err().map(|p| layout.i.t(p.message_key()));
    let mut confirm_error = None;
    if error.is_none() && form.password != form.confirm {
        confirm_error = Some(layout.i.t("welcome-mismatch"));
    }
    if error.is_some() || confirm_error.is_some() {
        let page =
            WelcomePage { layout, token: token.to_string(), login: user.login, error: error.take(), confirm_error };
        return Ok(render(&page, StatusCode::UNPROCESSABLE_ENTITY));
    }

    let hash = {
        let _permit =
            state.auth.hashing.acquire().await.map_err(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())?;
        password::hash(form.password).await.map_err(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())?
    };
    // Only now use the link: once, atomically; a second request with the same link gets nothing.
    let now = clock::now_utc();
    let Some((org, user_id)) = db(state.db.consume_link(&token_hash(token), purpose, now).await)? else {
        return Ok(invalid(state));
    };
    let tenant = TenantCtx::new(org);
    db(state.db.set_password_hash(&tenant, user_id, &hash).await)?;
    db(state.db.delete_user_sessions(&tenant, user_id).await)?;
    db(crate::api::tokens::revoke_all(state, &tenant, user_id).await)?;
    let ip = addr.ip().to_string();
    let action = match purpose {
        LinkPurpose::FirstLogin => "account.first_login_link",
        LinkPurpose::PasswordReset => "account.password_reset_link",
    };
    let event =
        Event { org: Some(org), actor: Some(user_id), pupil: None, dossier: None, action, outcome: "ok", source: &ip };
    audit::record(state, event).await.map_err(IntoResponse::into_response)?;
    Ok(Redirect::to("/login").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_tokens_are_looked_up() {
        assert!(well_formed("0123456789abcdef0123456789abcdef"));
        assert!(!well_formed("0123456789ABCDEF0123456789ABCDEF"));
        assert!(!well_formed("0123456789abcdef"));
        assert!(!well_formed("0123456789abcdef0123456789abcdeg"));
    }
}
