//! `GET /api/v1/pupils?q=` and `GET /api/v1/pupils/{id}`: the same lists and checks as the pupil pages.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::response::Response;
use meldroute_domain::access::{Action, Resource};
use meldroute_store::*;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{ApiError, respond};
use super::extract::{ApiUser, parse_id};
use super::rfc3339;
use crate::AppState;
use crate::auth::session::CurrentUser;
use crate::dossier_pages::{audit_read, visible_dossiers_of};

#[derive(Deserialize, Default)]
pub struct PupilQuery {
    #[serde(default)]
    q: Option<String>,
}

/// `GET /api/v1/pupils?q=`: pupils of every location where the user may list pupils, optionally matching
/// a name.
pub async fn list(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiUser(me): ApiUser,
    Query(query): Query<PupilQuery>,
) -> Response {
    respond(me.lang, list_pupils(&state, &me, &addr, query).await)
}

async fn list_pupils(
    state: &AppState,
    me: &CurrentUser,
    addr: &SocketAddr,
    query: PupilQuery,
) -> Result<Json<Value>, ApiError> {
    let text = query.q.unwrap_or_default().trim().chars().take(100).collect::<String>();
    let locations = state.db.list_locations(&me.tenant).await?;
    let mut pupils = Vec::new();
    let mut any = false;
    for location in &locations {
        if me.authorize(Action::ListPupils, &Resource::Location { location: location.id.0 }).is_err() {
            continue;
        }
        any = true;
        let groups = state.db.list_groups(&me.tenant, location.id).await?;
        let filter = PupilFilter {
            location: Some(location.id),
            name_contains: (!text.is_empty()).then(|| text.clone()),
            limit: Some(200),
            ..Default::default()
        };
        for p in state.db.list_pupils(&me.tenant, &filter).await? {
            let group = p.group.and_then(|g| groups.iter().find(|x| x.id == g));
            pupils.push(json!({
                "id": p.id,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "location": { "id": location.id, "name": location.name },
                "group": group.map(|g| json!({ "id": g.id, "name": g.name })),
            }));
        }
    }
    if !any {
        return Err(ApiError::not_found());
    }
    audit_read(state, me, addr, "pupil.list", "allowed", None, None).await?;
    Ok(Json(json!({ "pupils": pupils })))
}

/// The listing form of a dossier.
pub fn dossier_summary(d: &Dossier) -> Value {
    json!({
        "id": d.id,
        "pupil_id": d.pupil,
        "opened_at": rfc3339(d.opened_at),
        "step": d.projection.step,
        "closed": d.projection.closed,
        "urgent": d.projection.urgent,
        "next_due": d.projection.next_due,
        "last_seq": d.last_seq,
    })
}

/// `GET /api/v1/pupils/{id}`: the pupil, the dossiers the user may read, and siblings with an open dossier
/// the user may also see.
pub async fn show(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
) -> Response {
    respond(me.lang, show_pupil(&state, &me, &addr, &id).await)
}

async fn show_pupil(state: &AppState, me: &CurrentUser, addr: &SocketAddr, id: &str) -> Result<Json<Value>, ApiError> {
    let id = PupilId(parse_id(id)?);
    let pupil = match state.db.get_pupil(&me.tenant, id).await {
        Ok(p) => p,
        Err(e) => {
            audit_read(state, me, addr, "pupil.read", "not_found", Some(id), None).await?;
            return Err(e.into());
        }
    };
    if let Err(denied) = me.authorize(Action::ViewPupil, &Resource::Pupil { location: pupil.location.0 }) {
        audit_read(state, me, addr, "pupil.read", "denied", Some(pupil.id), None).await?;
        return Err(denied.into());
    }
    audit_read(state, me, addr, "pupil.read", "allowed", Some(pupil.id), None).await?;
    let locations = state.db.list_locations(&me.tenant).await?;
    let location = locations.iter().find(|l| l.id == pupil.location);
    let group = match pupil.group {
        Some(g) => state.db.list_groups(&me.tenant, pupil.location).await?.into_iter().find(|x| x.id == g),
        None => None,
    };
    let dossiers: Vec<Value> = visible_dossiers_of(state, me, &pupil).await?.iter().map(dossier_summary).collect();
    let mut siblings = Vec::new();
    for sibling in state.db.siblings_of(&me.tenant, pupil.id).await? {
        if me.authorize(Action::ViewPupil, &Resource::Pupil { location: sibling.location.0 }).is_err() {
            continue;
        }
        if visible_dossiers_of(state, me, &sibling).await?.iter().any(|d| !d.projection.closed) {
            siblings
                .push(json!({ "id": sibling.id, "first_name": sibling.first_name, "last_name": sibling.last_name }));
        }
    }
    Ok(Json(json!({
        "id": pupil.id,
        "first_name": pupil.first_name,
        "last_name": pupil.last_name,
        "date_of_birth": pupil.date_of_birth,
        "location": location.map(|l| json!({ "id": l.id, "name": l.name, "sector": l.sector.as_str() })),
        "group": group.map(|g| json!({ "id": g.id, "name": g.name })),
        "dossiers": dossiers,
        "siblings_with_open_dossier": siblings,
    })))
}
