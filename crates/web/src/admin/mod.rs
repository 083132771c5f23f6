//! Administration screens for the `beheerder` role: accounts and roles, locations and groups, pupil import
//! and the audit overview; plus the public page behind one-time login links (`/welkom/{token}`).
//!
//! Administrators manage users and settings and never see dossier content (separation of duties). Every
//! handler authorizes through the domain policy first (a denial is a plain 404), every POST carries the
//! session's form token, and every change is recorded in the audit log before the response says "done".

// Handlers carry a finished `Response` as their error (a 404, 403 or 503): it is built once per request at
// most, so boxing it would only add noise.
#![allow(clippy::result_large_err)]

pub mod audit_log;
pub mod import;
pub mod locations;
pub mod users;
pub mod welcome;

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use meldroute_domain::access::{Action, Resource};
use meldroute_store::{PupilId, StoreError, StoreResult};

use crate::AppState;
use crate::audit::{self, Event};
use crate::auth::session::CurrentUser;
use crate::pages::{Layout, render};
use crate::routes::{Access, RouteSpec, entry};

/// Longest accepted name (of a person, location or group), in characters.
pub const MAX_NAME: usize = 200;

/// The administration routes; included in the route table by `routes::table`.
pub fn routes() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    use Access::{Public, User};
    vec![
        entry(Method::GET, "/admin", User(Action::ManageUsers), get(overview)),
        entry(Method::GET, "/admin/users", User(Action::ManageUsers), get(users::list)),
        entry(Method::GET, "/admin/users/new", User(Action::ManageUsers), get(users::new_form)),
        entry(Method::POST, "/admin/users", User(Action::ManageUsers), post(users::create)),
        entry(Method::GET, "/admin/users/{id}", User(Action::ManageUsers), get(users::edit)),
        entry(Method::POST, "/admin/users/{id}/roles", User(Action::ManageUsers), post(users::save_roles)),
        entry(Method::POST, "/admin/users/{id}/disabled", User(Action::ManageUsers), post(users::set_disabled)),
        entry(Method::POST, "/admin/users/{id}/link", User(Action::ManageUsers), post(users::new_link)),
        entry(Method::GET, "/admin/locations", User(Action::ManageLocations), get(locations::list)),
        entry(Method::POST, "/admin/locations", User(Action::ManageLocations), post(locations::create)),
        entry(Method::GET, "/admin/locations/{id}", User(Action::ManageLocations), get(locations::show)),
        entry(
            Method::POST,
            "/admin/locations/{id}/groups",
            User(Action::ManageLocations),
            post(locations::create_group),
        ),
        entry(Method::GET, "/admin/locations/{id}/import", User(Action::ManagePupils), get(import::form)),
        entry(
            Method::POST,
            "/admin/locations/{id}/import",
            User(Action::ManagePupils),
            post(import::submit).layer(DefaultBodyLimit::max(import::MAX_BODY_BYTES)),
        ),
        entry(Method::GET, "/admin/audit", User(Action::ViewAuditLog), get(audit_log::list)),
        entry(Method::GET, "/welkom/{token}", Public, get(welcome::form)),
        entry(Method::POST, "/welkom/{token}", Public, post(welcome::submit)),
    ]
}

/// A handler's result where the error side is already a response (404, 403, 503, ...).
pub(crate) type Outcome = Result<Response, Response>;

pub(crate) fn finish(outcome: Outcome) -> Response {
    outcome.unwrap_or_else(|response| response)
}

pub(crate) fn not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// A store result for a handler: another tenant's (or a missing) row is a plain 404, anything unexpected a
/// 503 without details (the details go to the operator log).
pub(crate) fn db<T>(result: StoreResult<T>) -> Result<T, Response> {
    result.map_err(store_error)
}

pub(crate) fn store_error(err: StoreError) -> Response {
    match err {
        StoreError::NotFound => not_found(),
        other => {
            tracing::error!(error = %other, "admin: database call failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// An id from the URL; anything but a positive number is simply not found.
pub(crate) fn parse_id(raw: &str) -> Result<i64, Response> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(not_found)
}

/// Asks the access policy about `action` on `resource`; a denial is a 404.
pub(crate) fn allow(me: &CurrentUser, action: Action, resource: &Resource) -> Result<(), Response> {
    me.authorize(action, resource).map_err(IntoResponse::into_response)
}

pub(crate) fn source(addr: &SocketAddr) -> String {
    addr.ip().to_string()
}

/// Records an administrator's action; if the audit log cannot be written the request fails.
pub(crate) async fn record(
    state: &AppState,
    me: &CurrentUser,
    addr: &SocketAddr,
    action: &str,
    pupil: Option<PupilId>,
) -> Result<(), Response> {
    let ip = source(addr);
    let event = Event {
        org: Some(me.tenant.org),
        actor: Some(me.user.id),
        pupil,
        dossier: None,
        action,
        outcome: "ok",
        source: &ip,
    };
    audit::record(state, event).await.map_err(IntoResponse::into_response)
}

/// A problem with one form field, shown at the field and in the summary at the top.
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

#[derive(Default)]
pub struct FieldErrors {
    pub items: Vec<FieldError>,
}

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: String) {
        if self.get(field).is_none() {
            self.items.push(FieldError { field, message });
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.items.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Checks a required name field: present and at most [`MAX_NAME`] characters.
pub(crate) fn check_name(errors: &mut FieldErrors, layout: &Layout, field: &'static str, value: &str) {
    if value.trim().is_empty() {
        errors.add(field, layout.i.t("admin-error-required"));
    } else if value.chars().count() > MAX_NAME {
        errors.add(field, layout.i.t("admin-error-too-long"));
    }
}

/// The value of a form field (first occurrence), trimmed.
pub(crate) fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).unwrap_or_default()
}

/// The label of a sector in the reader's language.
pub(crate) fn sector_label(layout: &Layout, sector: meldroute_domain::Sector) -> String {
    layout.i.t(&format!("sector-{}", sector.as_str()))
}

#[derive(Template)]
#[template(path = "admin/overview.html")]
pub struct OverviewPage {
    pub layout: Layout,
    pub users: bool,
    pub locations: bool,
    pub audit: bool,
}

pub async fn overview(State(state): State<AppState>, me: CurrentUser) -> Response {
    let org = Resource::Organisation;
    if let Err(denied) = me.authorize(Action::ManageUsers, &org) {
        return denied.into_response();
    }
    let page = OverviewPage {
        layout: Layout::for_user(&state, &me, "admin-title"),
        users: true,
        locations: me.authorize(Action::ManageLocations, &org).is_ok(),
        audit: me.authorize(Action::ViewAuditLog, &org).is_ok(),
    };
    render(&page, StatusCode::OK)
}
