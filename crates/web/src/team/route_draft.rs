//! Applying the draft route map of a session's case work to the location's route map (issue 10 point 3):
//! the facilitator first sees, per step, what the route map says now and what it will say, then confirms
//! explicitly. Saving goes through the route map's own write path: a new version based on the one reviewed
//! (refused when someone saved in between), checked by the route map's rules; nothing is removed.
//!
//! Needs both [`Action::ManageTeamSession`] (the session) and [`Action::EditRouteMap`] (the location).

use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use meldroute_domain::access::{Action, Resource};
use meldroute_domain::route_map::RouteMap;
use meldroute_domain::team_casework::{DraftLabels, apply_draft};
use meldroute_domain::team_session::TeamError;
use meldroute_store::*;
use serde::Deserialize;

use super::{Loaded, load, parse_body};
use crate::admin::{Outcome, db, finish, not_found};
use crate::auth::session::CurrentUser;
use crate::pages::{I18n, Layout, render};
use crate::{AppState, clock, route_map};

/// One step of the route map before and after.
pub struct StepChange {
    pub label: String,
    pub before: String,
    pub after: String,
    pub people_added: Vec<String>,
    pub changed: bool,
}

#[derive(Template)]
#[template(path = "team_route_draft.html")]
pub struct ReviewPage {
    pub layout: Layout,
    pub csrf: String,
    pub id: i64,
    pub location: i64,
    pub steps: Vec<StepChange>,
    pub based_on: String,
    /// SHA-256 of the result shown: applying is refused unless the result is still exactly this.
    pub reviewed: String,
    /// Something can be applied (a draft, and the result passes the route map's rules).
    pub can_apply: bool,
    pub error: Option<String>,
}

struct Prepared {
    location: Location,
    next: RouteMap,
    based_on: Option<i64>,
    /// SHA-256 (hex) of `next` as it would be saved: the review form carries it, so what is saved is what
    /// was reviewed (participants may still be editing worksheets).
    digest: String,
    steps: Vec<StepChange>,
    problem: Option<TeamError>,
}

async fn prepare(state: &AppState, me: &CurrentUser, loaded: &Loaded) -> Result<Prepared, Response> {
    let i = I18n { lang: me.lang };
    me.authorize(Action::EditRouteMap, &Resource::Location { location: loaded.session.location.0 })
        .map_err(IntoResponse::into_response)?;
    let location = db(state.db.list_locations(&me.tenant).await)?
        .into_iter()
        .find(|l| l.id == loaded.session.location)
        .ok_or_else(not_found)?;
    let snap = db(state.team.snapshot(state, &me.tenant, loaded.session.id).await)?;
    let current = db(route_map::current(state, &me.tenant, &location).await)?;
    let staff = db(route_map::location_staff(state, &me.tenant, location.id).await)?;
    // Names the session, not the day, so applying the same draft again (another day) finds its block.
    let heading = i.t_args(
        "team-draft-heading",
        &[("title", loaded.plan.title.clone()), ("number", loaded.session.id.0.to_string())],
    );
    let (positives, attention) = (i.t("team-draft-positives"), i.t("team-draft-attention"));
    let labels = DraftLabels { heading: &heading, positives: &positives, attention: &attention };
    let next = apply_draft(&current.map, &snap.draft, &labels, &|name| route_map::person(name, &staff).user_id);
    let steps: Vec<StepChange> = current
        .map
        .steps
        .iter()
        .zip(&next.steps)
        .map(|(before, after)| {
            let people_added: Vec<String> =
                after.people.iter().skip(before.people.len()).map(|p| p.name.clone()).collect();
            StepChange {
                label: i.t_args("team-draft-step", &[("step", before.step.to_string())]),
                changed: before != after,
                before: before.agreements.clone(),
                after: after.agreements.clone(),
                people_added,
            }
        })
        .collect();
    let problem = if snap.draft.iter().all(|d| d.is_empty()) {
        Some(TeamError::DraftEmpty)
    } else if !steps.iter().any(|s| s.changed) {
        Some(TeamError::DraftAlreadyApplied)
    } else if !next.validate().is_empty() {
        Some(TeamError::RouteMapInvalid)
    } else {
        None
    };
    let content = serde_json::to_string(&next).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?;
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(content.as_bytes()));
    Ok(Prepared { location, next, based_on: current.version.map(|v| v.version), digest, steps, problem })
}

fn page(
    me: &CurrentUser,
    state: &AppState,
    loaded: &Loaded,
    p: Prepared,
    error: Option<TeamError>,
    status: StatusCode,
) -> Response {
    let layout = Layout::for_user(state, me, "team-draft-review-title");
    let i = layout.i;
    let error = error.or(p.problem).map(|e| i.t(&e.message_key()));
    let review = ReviewPage {
        csrf: me.session.csrf_token.clone(),
        id: loaded.session.id.0,
        location: p.location.id.0,
        can_apply: p.problem.is_none(),
        based_on: p.based_on.map(|v| v.to_string()).unwrap_or_default(),
        reviewed: p.digest,
        steps: p.steps,
        error,
        layout,
    };
    render(&review, status)
}

/// `GET /team-sessions/{id}/route-map-draft`: what applying the draft changes, for review.
pub async fn review(State(state): State<AppState>, me: CurrentUser, Path(id): Path<String>) -> Response {
    finish(
        async {
            let loaded = load(&state, &me, &id).await?;
            let prepared = prepare(&state, &me, &loaded).await?;
            Ok(page(&me, &state, &loaded, prepared, None, StatusCode::OK))
        }
        .await,
    )
}

#[derive(Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    pub based_on: String,
    #[serde(default)]
    pub reviewed: String,
    #[serde(default)]
    pub confirm: Option<String>,
}

/// `POST /team-sessions/{id}/route-map-draft`: save the reviewed result as the route map's next version.
pub async fn apply(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    finish(apply_inner(&state, &addr, &me, &id, &body).await)
}

async fn apply_inner(state: &AppState, addr: &SocketAddr, me: &CurrentUser, id: &str, body: &Bytes) -> Outcome {
    let loaded = load(state, me, id).await?;
    let form: ApplyForm = parse_body(body, me)?;
    let prepared = prepare(state, me, &loaded).await?;
    if let Some(problem) = prepared.problem {
        return Ok(page(me, state, &loaded, prepared, Some(problem), StatusCode::UNPROCESSABLE_ENTITY));
    }
    // The route map moved on, or the draft changed since the review (a group still editing): review again.
    let reviewed = form.based_on.trim().parse::<i64>().ok();
    if reviewed != prepared.based_on || form.reviewed.trim() != prepared.digest {
        return Ok(page(me, state, &loaded, prepared, Some(TeamError::RouteMapChanged), StatusCode::CONFLICT));
    }
    if !matches!(form.confirm.as_deref(), Some("on" | "yes" | "1" | "true")) {
        return Ok(page(me, state, &loaded, prepared, Some(TeamError::NotConfirmed), StatusCode::UNPROCESSABLE_ENTITY));
    }
    let i = I18n { lang: me.lang };
    let content =
        serde_json::to_string(&prepared.next).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?;
    let new = NewRouteMapVersion {
        location: prepared.location.id,
        based_on: prepared.based_on,
        content,
        note: i.t_args("team-draft-note", &[("title", loaded.plan.title.clone())]).chars().take(500).collect(),
        created_by: me.user.id,
        created_at: clock::now_utc(),
    };
    // The version and its audit row in one transaction: no saved version without its record.
    let op = WriteOp::Audited {
        op: Box::new(WriteOp::SaveRouteMap { tenant: me.tenant, version: new }),
        audit: crate::dossier_pages::audit_event(me, addr, "route_map.save", "ok", None, None),
    };
    match state.writer.submit(op).await {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            let fresh = prepare(state, me, &loaded).await?;
            return Ok(page(me, state, &loaded, fresh, Some(TeamError::RouteMapChanged), StatusCode::CONFLICT));
        }
        Err(e) => return Err(crate::admin::store_error(e)),
    }
    Ok(Redirect::to(&format!("/locations/{}/route-map", prepared.location.id.0)).into_response())
}
