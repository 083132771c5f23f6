//! The actions agreed in team sessions (issue 10 point 4): the facilitator turns the top action points into
//! actions with an owner (a staff member of the location) and a planned date. They appear in the owner's
//! "Mijn taken" and in the school action list of the location, where the owner or a facilitator marks them
//! done. A follow-up session shows the open actions of the sessions before it, for review.
//!
//! The rules (text, owner, date, done once) are in `meldroute_domain::team_session`; writes go through the
//! group-commit writer.

use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use meldroute_domain::access::{Action, Resource, Role};
use meldroute_domain::team_session::{ActionState, Level, SessionPlan, TeamError, validate_action};
use meldroute_store::*;
use serde::Deserialize;

use super::{Loaded, load, parse_body, session_page};
use crate::admin::{Outcome, db, finish, not_found, parse_id};
use crate::auth::session::CurrentUser;
use crate::dossier_pages::format_date;
use crate::pages::{I18n, Layout, render};
use crate::{AppState, clock};

/// The roles that may own an action: the staff of the location.
const OWNER_ROLES: [Role; 4] = [Role::Medewerker, Role::InternBegeleider, Role::Aandachtsfunctionaris, Role::Directeur];

/// How far back a follow-up session looks for open actions (sessions, following `follow_up_of`).
const MAX_CHAIN: usize = 20;

/// Active staff accounts of `location`, by name: the people an action can be given to.
pub(crate) async fn staff_of(
    state: &AppState,
    tenant: &TenantCtx,
    location: LocationId,
) -> StoreResult<Vec<(UserId, String)>> {
    let grants = state.db.list_role_grants(tenant).await?;
    let mut staff: Vec<(UserId, String)> = state
        .db
        .list_users(tenant)
        .await?
        .into_iter()
        .filter(|u| !u.disabled)
        .filter(|u| {
            grants
                .iter()
                .any(|g| g.user == u.id && OWNER_ROLES.contains(&g.role) && g.location.is_none_or(|l| l == location))
        })
        .map(|u| (u.id, u.display_name))
        .collect();
    staff.sort_by_key(|(_, name)| name.to_lowercase());
    Ok(staff)
}

/// One action as the pages show it.
pub struct ActionRow {
    pub id: i64,
    pub text: String,
    pub level: String,
    pub owner: String,
    pub planned: String,
    pub state: String,
    pub done: bool,
    pub done_text: String,
    pub session_title: String,
    pub session: i64,
    /// This person may mark it done (its owner, or a facilitator of the location).
    pub can_mark: bool,
}

fn action_row(
    i: &I18n,
    a: &TeamAction,
    names: &[(UserId, String)],
    session_title: String,
    can_mark: bool,
) -> ActionRow {
    let done = a.state == ActionState::Done.as_str();
    ActionRow {
        id: a.id,
        text: a.text.clone(),
        level: Level::parse(&a.level).map(|l| i.t(&format!("team-level-{}", l.as_str()))).unwrap_or_default(),
        owner: names.iter().find(|(id, _)| *id == a.owner).map(|(_, n)| n.clone()).unwrap_or_default(),
        planned: format_date(a.planned_on),
        state: i.t(&format!("team-action-state-{}", if done { "done" } else { "open" })),
        done,
        done_text: a
            .done_at
            .map(|at| i.t_args("team-action-done-on", &[("date", format_date(clock::dutch_local(at).date()))]))
            .unwrap_or_default(),
        session_title,
        session: a.session.0,
        can_mark: can_mark && !done,
    }
}

async fn all_names(state: &AppState, tenant: &TenantCtx) -> StoreResult<Vec<(UserId, String)>> {
    Ok(state.db.list_users(tenant).await?.into_iter().map(|u| (u.id, u.display_name)).collect())
}

fn may_facilitate(me: &CurrentUser, location: LocationId) -> bool {
    me.authorize(Action::ManageTeamSession, &Resource::Location { location: location.0 }).is_ok()
}

// --- in the facilitator's session page ---------------------------------------------------------------------

/// An action point on the facilitator's page, with what became of it.
pub struct FacilitatorPoint {
    pub id: i64,
    pub rank: usize,
    pub text: String,
    pub level: String,
    pub dots_text: String,
    pub has_action: bool,
}

/// The action part of the facilitator's page.
#[derive(Default)]
pub struct SessionActions {
    pub points: Vec<FacilitatorPoint>,
    pub staff: Vec<(i64, String)>,
    pub actions: Vec<ActionRow>,
    /// Open actions of the sessions this one follows up, for review at "keeping the theme on the agenda".
    pub carried: Vec<ActionRow>,
    pub today: String,
}

pub(crate) async fn session_actions(
    state: &AppState,
    me: &CurrentUser,
    loaded: &Loaded,
    snap: &super::live::Snapshot,
) -> Result<SessionActions, Response> {
    let i = I18n { lang: me.lang };
    let id = loaded.session.id;
    let actions = db(state.db.list_session_team_actions(&me.tenant, id).await)?;
    let names = db(all_names(state, &me.tenant).await)?;
    let facilitator = may_facilitate(me, loaded.session.location);
    let points = snap
        .points
        .iter()
        .enumerate()
        .map(|(n, p)| FacilitatorPoint {
            id: p.id,
            rank: n + 1,
            text: p.text.clone(),
            level: i.t(&format!("team-level-{}", p.level.as_str())),
            dots_text: i.t_args("team-dots", &[("count", p.dots.to_string())]),
            has_action: actions.iter().any(|a| a.point == Some(p.id)),
        })
        .collect();
    // The chain of sessions this one follows up.
    let mut carried = Vec::new();
    let mut previous = loaded.session.follow_up_of;
    let mut seen = 0;
    while let Some(prev) = previous
        && seen < MAX_CHAIN
    {
        seen += 1;
        let Ok(session) = state.db.get_team_session(&me.tenant, prev).await else { break };
        let title = serde_json::from_str::<SessionPlan>(&session.plan).map(|p| p.title).unwrap_or_default();
        for a in db(state.db.list_session_team_actions(&me.tenant, prev).await)? {
            if a.state == ActionState::Open.as_str() {
                carried.push(action_row(&i, &a, &names, title.clone(), facilitator));
            }
        }
        previous = session.follow_up_of;
    }
    let title = loaded.plan.title.clone();
    Ok(SessionActions {
        points,
        staff: db(staff_of(state, &me.tenant, loaded.session.location).await)?
            .into_iter()
            .map(|(id, name)| (id.0, name))
            .collect(),
        actions: actions.iter().map(|a| action_row(&i, a, &names, title.clone(), facilitator)).collect(),
        carried,
        today: clock::today_nl().to_string(),
    })
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    pub point: String,
    /// Empty: the point's own text.
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub planned: String,
}

/// `POST /team-sessions/{id}/actions`: turn an action point into an action with an owner and a date.
pub async fn make_action(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    finish(
        async {
            let loaded = load(&state, &me, &id).await?;
            let form: ActionForm = parse_body(&body, &me)?;
            let refused = |e: TeamError| {
                let status = match e {
                    TeamError::PointAlreadyAction => StatusCode::CONFLICT,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                session_page(&state, &me, &headers, &loaded, Some(e), false, status)
            };
            let points = db(state.db.list_team_points(&me.tenant, loaded.session.id).await)?;
            let Some(point) = form.point.trim().parse::<i64>().ok().and_then(|p| points.iter().find(|x| x.id == p))
            else {
                return refused(TeamError::NoSuchPoint).await;
            };
            let staff = db(staff_of(&state, &me.tenant, loaded.session.location).await)?;
            let owner = form.owner.trim().parse::<i64>().ok().and_then(|o| staff.iter().find(|(id, _)| id.0 == o));
            let text = if form.text.trim().is_empty() { point.text.as_str() } else { form.text.as_str() };
            let (text, planned_on) = match validate_action(text, owner.is_some(), &form.planned, clock::today_nl()) {
                Ok(v) => v,
                Err(e) => return refused(e).await,
            };
            let Some((owner, _)) = owner else { return refused(TeamError::OwnerNotStaff).await };
            let action = NewTeamAction {
                session: loaded.session.id,
                point: Some(point.id),
                text,
                level: point.level.clone(),
                owner: *owner,
                planned_on,
                created_by: me.user.id,
                created_at: clock::now_utc(),
            };
            // The action and its audit row land together or not at all.
            let op = WriteOp::Audited {
                op: Box::new(WriteOp::TeamActionCreate { tenant: me.tenant, action }),
                audit: crate::dossier_pages::audit_event(&me, &addr, "team_action.create", "ok", None, None),
            };
            match state.writer.submit(op).await {
                Ok(_) => {}
                Err(StoreError::Conflict(_)) => return refused(TeamError::PointAlreadyAction).await,
                Err(e) => return Err(crate::admin::store_error(e)),
            }
            state.team.changed(loaded.session.id);
            Ok(Redirect::to(&format!("/team-sessions/{}#actions", loaded.session.id)).into_response())
        }
        .await,
    )
}

// --- the school action list --------------------------------------------------------------------------------

pub struct LocationActions {
    pub id: i64,
    pub name: String,
    pub actions: Vec<ActionRow>,
}

#[derive(Template)]
#[template(path = "team_actions.html")]
pub struct ActionsPage {
    pub layout: Layout,
    pub csrf: String,
    pub locations: Vec<LocationActions>,
    pub error: Option<String>,
}

async fn actions_page(state: &AppState, me: &CurrentUser, error: Option<TeamError>, status: StatusCode) -> Outcome {
    let layout = Layout::for_user(state, me, "team-actions-title");
    let i = layout.i;
    let names = db(all_names(state, &me.tenant).await)?;
    let mut locations = Vec::new();
    for l in db(state.db.list_locations(&me.tenant).await)? {
        if me.authorize(Action::ViewTeamActions, &Resource::Location { location: l.id.0 }).is_err() {
            continue;
        }
        let titles: Vec<(TeamSessionId, String)> = db(state.db.list_team_sessions(&me.tenant, l.id).await)?
            .into_iter()
            .map(|s| (s.id, serde_json::from_str::<SessionPlan>(&s.plan).map(|p| p.title).unwrap_or_default()))
            .collect();
        let facilitator = may_facilitate(me, l.id);
        let actions = db(state.db.list_team_actions(&me.tenant, l.id).await)?
            .iter()
            .map(|a| {
                let title = titles.iter().find(|(id, _)| *id == a.session).map(|(_, t)| t.clone()).unwrap_or_default();
                action_row(&i, a, &names, title, facilitator || a.owner == me.user.id)
            })
            .collect();
        locations.push(LocationActions { id: l.id.0, name: l.name, actions });
    }
    if locations.is_empty() {
        return Err(not_found());
    }
    let page = ActionsPage {
        layout,
        csrf: me.session.csrf_token.clone(),
        locations,
        error: error.map(|e| i.t(&e.message_key())),
    };
    Ok(render(&page, status))
}

/// `GET /team-actions`: the actions of every location where this person works, from all sessions.
pub async fn index(State(state): State<AppState>, me: CurrentUser) -> Response {
    finish(actions_page(&state, &me, None, StatusCode::OK).await)
}

#[derive(Deserialize)]
pub struct DoneForm {
    #[serde(default)]
    pub back: Option<String>,
}

/// `POST /team-actions/{id}/done`: the owner or a facilitator marks an action done.
pub async fn mark_done(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    finish(
        async {
            let id = parse_id(&id)?;
            let action = db(state.db.get_team_action(&me.tenant, id).await)?;
            me.authorize(Action::ViewTeamActions, &Resource::Location { location: action.location.0 })
                .map_err(IntoResponse::into_response)?;
            if action.owner != me.user.id && !may_facilitate(&me, action.location) {
                return Err(not_found());
            }
            let form: DoneForm = parse_body(&body, &me)?;
            let current = ActionState::parse(&action.state).unwrap_or(ActionState::Done);
            if let Err(e) = current.mark_done() {
                return actions_page(&state, &me, Some(e), StatusCode::CONFLICT).await;
            }
            let op = WriteOp::Audited {
                op: Box::new(WriteOp::TeamActionDone {
                    tenant: me.tenant,
                    action: action.id,
                    by: me.user.id,
                    at: clock::now_utc(),
                }),
                audit: crate::dossier_pages::audit_event(&me, &addr, "team_action.done", "ok", None, None),
            };
            match state.writer.submit(op).await {
                Ok(_) => {}
                Err(StoreError::Conflict(_)) => {
                    return actions_page(&state, &me, Some(TeamError::ActionAlreadyDone), StatusCode::CONFLICT).await;
                }
                Err(e) => return Err(crate::admin::store_error(e)),
            }
            state.team.changed(action.session);
            // Back to where the button was: a session page the person may see, or the action list.
            let to = match form.back.as_deref() {
                Some("session") if may_facilitate(&me, action.location) => {
                    format!("/team-sessions/{}#actions", action.session)
                }
                Some("tasks") => "/tasks".to_string(),
                _ => "/team-actions".to_string(),
            };
            Ok(Redirect::to(&to).into_response())
        }
        .await,
    )
}

// --- "Mijn taken" ------------------------------------------------------------------------------------------

/// The open actions this person owns, for "Mijn taken".
pub async fn owned_open(state: &AppState, me: &CurrentUser) -> StoreResult<Vec<ActionRow>> {
    let i = I18n { lang: me.lang };
    let mine: Vec<TeamAction> = state
        .db
        .list_owned_team_actions(&me.tenant, me.user.id)
        .await?
        .into_iter()
        .filter(|a| a.state == ActionState::Open.as_str())
        .filter(|a| me.authorize(Action::ViewTeamActions, &Resource::Location { location: a.location.0 }).is_ok())
        .collect();
    let names = vec![(me.user.id, me.user.display_name.clone())];
    Ok(mine.iter().map(|a| action_row(&i, a, &names, String::new(), true)).collect())
}
