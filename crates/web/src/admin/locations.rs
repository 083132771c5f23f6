//! Locations (schools, childcare sites, ... each with a sector) and their groups or classes.

use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use meldroute_domain::Sector;
use meldroute_domain::access::{Action, Resource};
use meldroute_store::{Group, Location, NewGroup, NewLocation, Store, StoreError};

use super::{
    FieldErrors, Outcome, allow, check_name, db, field, finish, not_found, parse_id, record, sector_label, store_error,
};
use crate::AppState;
use crate::auth::csrf;
use crate::auth::session::CurrentUser;
use crate::pages::{Layout, render};

pub struct LocationRow {
    pub id: i64,
    pub name: String,
    pub sector: String,
}

pub struct SectorOption {
    pub code: &'static str,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "admin/locations.html")]
pub struct LocationsPage {
    pub layout: Layout,
    pub csrf: String,
    pub rows: Vec<LocationRow>,
    pub name: String,
    pub sectors: Vec<SectorOption>,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "admin/location.html")]
pub struct LocationPage {
    pub layout: Layout,
    pub csrf: String,
    pub id: i64,
    pub name: String,
    pub sector: String,
    pub groups: Vec<Group>,
    pub group_name: String,
    pub errors: FieldErrors,
    pub can_import: bool,
}

/// The location of the URL, in the caller's organisation, after asking the policy about `action` there.
pub(crate) async fn location_for(
    state: &AppState,
    me: &CurrentUser,
    raw: &str,
    action: Action,
) -> Result<Location, Response> {
    let id = parse_id(raw)?;
    let location =
        db(state.db.list_locations(&me.tenant).await)?.into_iter().find(|l| l.id.0 == id).ok_or_else(not_found)?;
    allow(me, action, &Resource::Location { location: location.id.0 })?;
    Ok(location)
}

fn sector_options(layout: &Layout, chosen: &str) -> Vec<SectorOption> {
    Sector::ALL
        .iter()
        .map(|s| SectorOption { code: s.as_str(), label: sector_label(layout, *s), selected: s.as_str() == chosen })
        .collect()
}

async fn list_page(
    state: &AppState,
    me: &CurrentUser,
    name: String,
    sector: &str,
    errors: FieldErrors,
    status: StatusCode,
) -> Outcome {
    let layout = Layout::for_user(state, me, "admin-locations-title");
    let rows = db(state.db.list_locations(&me.tenant).await)?
        .into_iter()
        .map(|l| LocationRow { id: l.id.0, sector: sector_label(&layout, l.sector), name: l.name })
        .collect();
    let sectors = sector_options(&layout, sector);
    let page = LocationsPage { layout, csrf: me.session.csrf_token.clone(), rows, name, sectors, errors };
    Ok(render(&page, status))
}

pub async fn list(State(state): State<AppState>, me: CurrentUser) -> Response {
    finish(
        async {
            allow(&me, Action::ManageLocations, &Resource::Organisation)?;
            list_page(&state, &me, String::new(), "", FieldErrors::default(), StatusCode::OK).await
        }
        .await,
    )
}

pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    body: Bytes,
) -> Response {
    finish(
        async {
            allow(&me, Action::ManageLocations, &Resource::Organisation)?;
            let pairs: Vec<(String, String)> =
                csrf::parse_form(&body, &me.session.csrf_token).map_err(IntoResponse::into_response)?;
            let layout = Layout::for_user(&state, &me, "admin-locations-title");
            let name = field(&pairs, "name");
            let code = field(&pairs, "sector");
            let mut errors = FieldErrors::default();
            check_name(&mut errors, &layout, "name", &name);
            let sector = Sector::from_code(&code);
            if sector.is_none() {
                errors.add("sector", layout.i.t("admin-error-required"));
            }
            let kept: String = name.chars().take(300).collect();
            let sector = match sector {
                Some(sector) if errors.is_empty() => sector,
                _ => return list_page(&state, &me, kept, &code, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
            };
            let location = match state.db.create_location(&me.tenant, NewLocation { name, sector }).await {
                Ok(location) => location,
                Err(StoreError::Conflict(_)) => {
                    errors.add("name", layout.i.t("admin-error-location-taken"));
                    return list_page(&state, &me, kept, &code, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
                }
                Err(e) => return Err(store_error(e)),
            };
            record(&state, &me, &addr, "admin.location.create", None).await?;
            Ok(Redirect::to(&format!("/admin/locations/{}", location.id)).into_response())
        }
        .await,
    )
}

async fn location_page(
    state: &AppState,
    me: &CurrentUser,
    location: Location,
    group_name: String,
    errors: FieldErrors,
    status: StatusCode,
) -> Outcome {
    let layout = Layout::for_user(state, me, "admin-locations-title");
    let groups = db(state.db.list_groups(&me.tenant, location.id).await)?;
    let can_import = me.authorize(Action::ManagePupils, &Resource::Location { location: location.id.0 }).is_ok();
    let page = LocationPage {
        csrf: me.session.csrf_token.clone(),
        id: location.id.0,
        sector: sector_label(&layout, location.sector),
        name: location.name,
        layout,
        groups,
        group_name,
        errors,
        can_import,
    };
    Ok(render(&page, status))
}

pub async fn show(State(state): State<AppState>, me: CurrentUser, Path(id): Path<String>) -> Response {
    finish(
        async {
            let location = location_for(&state, &me, &id, Action::ManageLocations).await?;
            location_page(&state, &me, location, String::new(), FieldErrors::default(), StatusCode::OK).await
        }
        .await,
    )
}

pub async fn create_group(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    finish(
        async {
            let location = location_for(&state, &me, &id, Action::ManageLocations).await?;
            let pairs: Vec<(String, String)> =
                csrf::parse_form(&body, &me.session.csrf_token).map_err(IntoResponse::into_response)?;
            let layout = Layout::for_user(&state, &me, "admin-locations-title");
            let name = field(&pairs, "group_name");
            let mut errors = FieldErrors::default();
            check_name(&mut errors, &layout, "group_name", &name);
            let kept: String = name.chars().take(300).collect();
            if !errors.is_empty() {
                return location_page(&state, &me, location, kept, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
            match state.db.create_group(&me.tenant, NewGroup { location: location.id, name }).await {
                Ok(_) => {}
                Err(StoreError::Conflict(_)) => {
                    errors.add("group_name", layout.i.t("admin-error-group-taken"));
                    return location_page(&state, &me, location, kept, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
                }
                Err(e) => return Err(store_error(e)),
            }
            record(&state, &me, &addr, "admin.group.create", None).await?;
            Ok(Redirect::to(&format!("/admin/locations/{}", location.id)).into_response())
        }
        .await,
    )
}
