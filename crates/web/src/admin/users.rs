//! Accounts: list, create (with a one-time first-login link instead of a password), roles per location,
//! blocking and new login links. Changing roles or blocking ends the person's sessions (the store does it).

use std::collections::BTreeSet;
use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use meldroute_domain::access::{Action, Resource, Role};
use meldroute_store::{
    AccountStore, LinkPurpose, Location, LocationId, NewUser, RoleGrant, Store, StoreError, User, UserId,
};
use serde::Deserialize;
use time::macros::format_description;

use super::{FieldErrors, Outcome, allow, check_name, db, field, finish, not_found, parse_id, record, store_error};
use crate::auth::session::CurrentUser;
use crate::auth::{csrf, new_token, token_hash};
use crate::pages::{Layout, render};
use crate::{AppState, clock, password};

/// A first-login link is valid this long.
pub const FIRST_LOGIN_VALID: time::Duration = time::Duration::days(7);
/// A password-reset link is valid this long.
pub const RESET_VALID: time::Duration = time::Duration::hours(24);

pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub login: String,
    pub roles: Vec<String>,
    pub disabled: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub layout: Layout,
    pub rows: Vec<UserRow>,
}

/// One checkbox of the role grid.
pub struct RoleBox {
    pub id: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// The roles at one location (or organisation-wide), as a fieldset.
pub struct RoleSection {
    pub legend: String,
    pub boxes: Vec<RoleBox>,
}

#[derive(Template)]
#[template(path = "admin/user_new.html")]
pub struct NewUserPage {
    pub layout: Layout,
    pub csrf: String,
    pub login: String,
    pub display_name: String,
    pub email: String,
    pub lang: String,
    pub sections: Vec<RoleSection>,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "admin/user_edit.html")]
pub struct EditUserPage {
    pub layout: Layout,
    pub csrf: String,
    pub id: i64,
    pub name: String,
    pub login: String,
    pub disabled: bool,
    pub own_account: bool,
    pub sections: Vec<RoleSection>,
    pub saved: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/link.html")]
pub struct LinkPage {
    pub layout: Layout,
    pub created: bool,
    pub name: String,
    pub login: String,
    pub link: String,
    pub valid_until: String,
    pub totp_reset: bool,
}

/// "Role · place" in the reader's language.
fn grant_label(layout: &Layout, grant: &RoleGrant, locations: &[Location]) -> String {
    let place = match grant.location {
        Some(id) => locations.iter().find(|l| l.id == id).map_or_else(|| id.to_string(), |l| l.name.clone()),
        None => layout.i.t("role-whole-organisation"),
    };
    format!("{} · {place}", layout.i.t(&format!("role-{}", grant.role.code())))
}

/// The value of a role checkbox: `<role code>@<location id or "org">`.
fn role_value(role: Role, location: Option<LocationId>) -> String {
    match location {
        Some(l) => format!("{}@{}", role.code(), l.0),
        None => format!("{}@org", role.code()),
    }
}

fn role_sections(layout: &Layout, locations: &[Location], chosen: &BTreeSet<String>) -> Vec<RoleSection> {
    let places = std::iter::once((None, layout.i.t("role-whole-organisation")))
        .chain(locations.iter().map(|l| (Some(l.id), l.name.clone())));
    places
        .map(|(location, legend)| RoleSection {
            legend,
            boxes: Role::ALL
                .iter()
                .map(|role| {
                    let value = role_value(*role, location);
                    RoleBox {
                        id: format!("role-{}", value.replace('@', "-")),
                        label: layout.i.t(&format!("role-{}", role.code())),
                        checked: chosen.contains(&value),
                        value,
                    }
                })
                .collect(),
        })
        .collect()
}

/// The role grants a form asks for. A role or location that is not ours means a forged form: 404.
fn parse_roles(
    pairs: &[(String, String)],
    user: UserId,
    locations: &[Location],
) -> Result<(Vec<RoleGrant>, BTreeSet<String>), Response> {
    let mut grants = Vec::new();
    let mut values = BTreeSet::new();
    for (_, value) in pairs.iter().filter(|(k, _)| k == "role") {
        let (code, place) = value.split_once('@').ok_or_else(not_found)?;
        let role = Role::from_code(code).ok_or_else(not_found)?;
        let location = match place {
            "org" => None,
            id => {
                let id = id.parse::<i64>().map_err(|_| not_found())?;
                Some(locations.iter().find(|l| l.id.0 == id).ok_or_else(not_found)?.id)
            }
        };
        if values.insert(role_value(role, location)) {
            grants.push(RoleGrant { user, location, role });
        }
    }
    Ok((grants, values))
}

fn login_is_valid(login: &str) -> bool {
    (3..=100).contains(&login.len())
        && login.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b))
}

fn email_is_valid(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    email.len() <= 200
        && !local.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.contains('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ',' | ';'))
}

fn valid_until_text(at: time::OffsetDateTime) -> String {
    clock::dutch_local(at).format(format_description!("[day]-[month]-[year] [hour]:[minute]")).unwrap_or_default()
}

/// The absolute link: at the configured public address, or as the administrator's browser reached this server.
fn link_url(state: &AppState, headers: &HeaderMap, token: &str) -> String {
    format!("{}/welkom/{token}", state.public_base(headers))
}

/// Creates a one-time link for `user` and returns the token (shown once, stored only as its hash).
async fn make_link(
    state: &AppState,
    me: &CurrentUser,
    user: UserId,
    purpose: LinkPurpose,
    valid: time::Duration,
) -> Result<(String, time::OffsetDateTime), Response> {
    let token = new_token().map_err(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())?;
    let now = clock::now_utc();
    let expires = now + valid;
    db(state.db.create_link(&me.tenant, user, &token_hash(&token), purpose, now, expires).await)?;
    Ok((token, expires))
}

pub async fn list(State(state): State<AppState>, me: CurrentUser) -> Response {
    finish(list_inner(&state, &me).await)
}

async fn list_inner(state: &AppState, me: &CurrentUser) -> Outcome {
    allow(me, Action::ManageUsers, &Resource::Organisation)?;
    let layout = Layout::for_user(state, me, "admin-users-title");
    let locations = db(state.db.list_locations(&me.tenant).await)?;
    let mut rows = Vec::new();
    let grants = db(state.db.list_role_grants(&me.tenant).await)?;
    for user in db(state.db.list_users(&me.tenant).await)? {
        rows.push(UserRow {
            id: user.id.0,
            roles: grants.iter().filter(|g| g.user == user.id).map(|g| grant_label(&layout, g, &locations)).collect(),
            name: user.display_name,
            login: user.login,
            disabled: user.disabled,
        });
    }
    Ok(render(&UsersPage { layout, rows }, StatusCode::OK))
}

pub async fn new_form(State(state): State<AppState>, me: CurrentUser) -> Response {
    finish(new_form_inner(&state, &me).await)
}

async fn new_form_inner(state: &AppState, me: &CurrentUser) -> Outcome {
    allow(me, Action::ManageUsers, &Resource::Organisation)?;
    let layout = Layout::for_user(state, me, "admin-user-new-title");
    let locations = db(state.db.list_locations(&me.tenant).await)?;
    let sections = role_sections(&layout, &locations, &BTreeSet::new());
    let page = NewUserPage {
        layout,
        csrf: me.session.csrf_token.clone(),
        login: String::new(),
        display_name: String::new(),
        email: String::new(),
        lang: "nl".into(),
        sections,
        errors: FieldErrors::default(),
    };
    Ok(render(&page, StatusCode::OK))
}

pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    finish(create_inner(&state, &me, &addr, &headers, &body).await)
}

async fn create_inner(
    state: &AppState,
    me: &CurrentUser,
    addr: &SocketAddr,
    headers: &HeaderMap,
    body: &[u8],
) -> Outcome {
    allow(me, Action::ManageUsers, &Resource::Organisation)?;
    let pairs: Vec<(String, String)> =
        csrf::parse_form(body, &me.session.csrf_token).map_err(IntoResponse::into_response)?;
    let layout = Layout::for_user(state, me, "admin-user-new-title");
    let locations = db(state.db.list_locations(&me.tenant).await)?;
    // The user id is not known yet; the grants are re-targeted after creation.
    let (grants, chosen) = parse_roles(&pairs, UserId(0), &locations)?;

    let login = field(&pairs, "login").to_lowercase();
    let display_name = field(&pairs, "display_name");
    let email = field(&pairs, "email");
    let lang = field(&pairs, "lang");
    let mut errors = FieldErrors::default();
    if login.is_empty() {
        errors.add("login", layout.i.t("admin-error-required"));
    } else if !login_is_valid(&login) {
        errors.add("login", layout.i.t("admin-error-login-format"));
    }
    check_name(&mut errors, &layout, "display_name", &display_name);
    if !email.is_empty() && !email_is_valid(&email) {
        errors.add("email", layout.i.t("admin-error-email"));
    }
    if lang != "nl" && lang != "en" {
        errors.add("lang", layout.i.t("admin-error-lang"));
    }
    if errors.get("login").is_none() && db(state.db.find_user_by_login(&login).await)?.is_some() {
        errors.add("login", layout.i.t("admin-error-login-taken"));
    }

    let again = |layout: Layout, errors: FieldErrors| {
        let sections = role_sections(&layout, &locations, &chosen);
        let page = NewUserPage {
            layout,
            csrf: me.session.csrf_token.clone(),
            login: login.chars().take(300).collect(),
            display_name: display_name.chars().take(300).collect(),
            email: email.chars().take(300).collect(),
            lang: lang.clone(),
            sections,
            errors,
        };
        render(&page, StatusCode::UNPROCESSABLE_ENTITY)
    };
    if !errors.is_empty() {
        return Ok(again(layout, errors));
    }

    // No password is set by the administrator: the account gets the hash of a random secret nobody knows
    // (so a login attempt costs the same time as for any account) until the link sets a real one.
    let unknown = new_token().map_err(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())?;
    let placeholder = {
        let _permit =
            state.auth.hashing.acquire().await.map_err(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())?;
        password::hash(unknown).await.map_err(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())?
    };
    let new = NewUser {
        login: login.clone(),
        display_name: display_name.clone(),
        email: (!email.is_empty()).then(|| email.clone()),
        password_hash: placeholder,
        totp_secret: None,
        lang: lang.clone(),
        created_at: clock::now_utc(),
    };
    let user = match state.db.create_user(&me.tenant, new).await {
        Ok(user) => user,
        Err(StoreError::Conflict(_)) => {
            let mut errors = FieldErrors::default();
            errors.add("login", layout.i.t("admin-error-login-taken"));
            return Ok(again(layout, errors));
        }
        Err(e) => return Err(store_error(e)),
    };
    let grants: Vec<RoleGrant> = grants.into_iter().map(|g| RoleGrant { user: user.id, ..g }).collect();
    db(state.db.replace_roles(&me.tenant, user.id, &grants).await)?;
    let (token, expires) = make_link(state, me, user.id, LinkPurpose::FirstLogin, FIRST_LOGIN_VALID).await?;
    record(state, me, addr, "admin.user.create", None).await?;
    record(state, me, addr, "admin.user.link", None).await?;
    let page = LinkPage {
        layout: Layout::for_user(state, me, "admin-link-title"),
        created: true,
        name: user.display_name,
        login: user.login,
        link: link_url(state, headers, &token),
        valid_until: valid_until_text(expires),
        totp_reset: false,
    };
    Ok(render(&page, StatusCode::OK))
}

#[derive(Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// The user of the URL, in the caller's organisation (another tenant's id is a 404).
async fn target(state: &AppState, me: &CurrentUser, raw: &str) -> Result<User, Response> {
    let id = parse_id(raw)?;
    db(state.db.get_user(&me.tenant, UserId(id)).await)
}

async fn edit_page(
    state: &AppState,
    me: &CurrentUser,
    user: &User,
    saved: bool,
    error: Option<&str>,
    status: StatusCode,
) -> Outcome {
    let layout = Layout::for_user(state, me, "admin-user-edit-title");
    let locations = db(state.db.list_locations(&me.tenant).await)?;
    let grants = db(state.db.roles_of(&me.tenant, user.id).await)?;
    let chosen = grants.iter().map(|g| role_value(g.role, g.location)).collect();
    let sections = role_sections(&layout, &locations, &chosen);
    let error = error.map(|key| layout.i.t(key));
    let page = EditUserPage {
        layout,
        csrf: me.session.csrf_token.clone(),
        id: user.id.0,
        name: user.display_name.clone(),
        login: user.login.clone(),
        disabled: user.disabled,
        own_account: user.id == me.user.id,
        sections,
        saved,
        error,
    };
    Ok(render(&page, status))
}

pub async fn edit(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Response {
    finish(
        async {
            allow(&me, Action::ManageUsers, &Resource::Organisation)?;
            let user = target(&state, &me, &id).await?;
            edit_page(&state, &me, &user, q.saved.is_some(), None, StatusCode::OK).await
        }
        .await,
    )
}

pub async fn save_roles(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    finish(
        async {
            allow(&me, Action::ManageUsers, &Resource::Organisation)?;
            let pairs: Vec<(String, String)> =
                csrf::parse_form(&body, &me.session.csrf_token).map_err(IntoResponse::into_response)?;
            let user = target(&state, &me, &id).await?;
            let locations = db(state.db.list_locations(&me.tenant).await)?;
            let (grants, _) = parse_roles(&pairs, user.id, &locations)?;
            if user.id == me.user.id {
                // Separation of duties: nobody grants themselves access (or locks themselves out).
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return edit_page(&state, &me, &user, false, Some("admin-error-own-account"), status).await;
            }
            db(state.db.replace_roles(&me.tenant, user.id, &grants).await)?;
            record(&state, &me, &addr, "admin.user.roles", None).await?;
            Ok(Redirect::to(&format!("/admin/users/{}?saved=1", user.id)).into_response())
        }
        .await,
    )
}

pub async fn set_disabled(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    finish(
        async {
            allow(&me, Action::ManageUsers, &Resource::Organisation)?;
            let pairs: Vec<(String, String)> =
                csrf::parse_form(&body, &me.session.csrf_token).map_err(IntoResponse::into_response)?;
            let user = target(&state, &me, &id).await?;
            let disabled = match field(&pairs, "disabled").as_str() {
                "1" => true,
                "0" => false,
                _ => return Err(StatusCode::BAD_REQUEST.into_response()),
            };
            if user.id == me.user.id {
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return edit_page(&state, &me, &user, false, Some("admin-error-own-account"), status).await;
            }
            db(state.db.set_user_disabled(&me.tenant, user.id, disabled).await)?;
            let action = if disabled { "admin.user.disable" } else { "admin.user.enable" };
            record(&state, &me, &addr, action, None).await?;
            Ok(Redirect::to(&format!("/admin/users/{}?saved=1", user.id)).into_response())
        }
        .await,
    )
}

pub async fn new_link(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    finish(
        async {
            allow(&me, Action::ManageUsers, &Resource::Organisation)?;
            let pairs: Vec<(String, String)> =
                csrf::parse_form(&body, &me.session.csrf_token).map_err(IntoResponse::into_response)?;
            let user = target(&state, &me, &id).await?;
            if user.disabled {
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return edit_page(&state, &me, &user, false, Some("admin-error-disabled-link"), status).await;
            }
            let reset_totp = field(&pairs, "reset_totp") == "1";
            let (token, expires) = make_link(&state, &me, user.id, LinkPurpose::PasswordReset, RESET_VALID).await?;
            record(&state, &me, &addr, "admin.user.link", None).await?;
            if reset_totp {
                db(state.db.set_totp_secret(&me.tenant, user.id, None).await)?;
                db(state.db.replace_recovery_codes(&me.tenant, user.id, &[]).await)?;
                db(state.db.delete_user_sessions(&me.tenant, user.id).await)?;
                db(crate::api::tokens::revoke_all(&state, &me.tenant, user.id).await)?;
                record(&state, &me, &addr, "admin.user.reset_second_factor", None).await?;
            }
            let page = LinkPage {
                layout: Layout::for_user(&state, &me, "admin-link-title"),
                created: false,
                name: user.display_name,
                login: user.login,
                link: link_url(&state, &headers, &token),
                valid_until: valid_until_text(expires),
                totp_reset: reset_totp,
            };
            Ok(render(&page, StatusCode::OK))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_and_email_addresses() {
        assert!(login_is_valid("j.devries"));
        assert!(login_is_valid("ib@school-1_a"));
        assert!(!login_is_valid("jd"));
        assert!(!login_is_valid("J.deVries"));
        assert!(!login_is_valid("j devries"));
        assert!(!login_is_valid(&"a".repeat(101)));
        assert!(email_is_valid("j.devries@school.example"));
        assert!(!email_is_valid("j.devries"));
        assert!(!email_is_valid("j@devries"));
        assert!(!email_is_valid("@school.example"));
        assert!(!email_is_valid("a b@school.example"));
        assert!(!email_is_valid("a@b@school.example"));
    }

    #[test]
    fn role_values_round_trip_and_refuse_strangers() {
        let loc = Location {
            id: LocationId(5),
            org: meldroute_store::OrgId(1),
            name: "A".into(),
            sector: meldroute_domain::Sector::Po,
        };
        let pairs = vec![
            ("role".to_string(), "medewerker@5".to_string()),
            ("role".to_string(), "beheerder@org".to_string()),
            ("role".to_string(), "medewerker@5".to_string()),
        ];
        let (grants, _) = parse_roles(&pairs, UserId(9), std::slice::from_ref(&loc)).unwrap();
        assert_eq!(grants.len(), 2);
        assert_eq!(grants[0], RoleGrant { user: UserId(9), location: Some(LocationId(5)), role: Role::Medewerker });
        assert_eq!(grants[1].location, None);
        let foreign = vec![("role".to_string(), "medewerker@6".to_string())];
        assert_eq!(
            parse_roles(&foreign, UserId(9), std::slice::from_ref(&loc)).unwrap_err().status(),
            StatusCode::NOT_FOUND
        );
        let unknown = vec![("role".to_string(), "koning@org".to_string())];
        assert_eq!(parse_roles(&unknown, UserId(9), &[loc]).unwrap_err().status(), StatusCode::NOT_FOUND);
    }
}
