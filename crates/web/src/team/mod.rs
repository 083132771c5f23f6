//! Team learning sessions (teamleergesprek, issue 10): the facilitator prepares a session from the standard
//! template, runs it (control view and presenter view for the projector), and participants join on their
//! phones with a short code, without an account ([`participant`]). Live updates go through [`live`].
//!
//! The rules (template, agenda edits, states, answer limits, join codes) are in
//! `meldroute_domain::team_session`; this module reads forms, stores and renders.

#![allow(clippy::result_large_err)]

pub mod actions;
pub mod live;
pub mod participant;
pub mod qr;
pub mod report;
pub mod route_draft;

use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use meldroute_domain::access::{Action, Resource};
use meldroute_domain::team_session::{
    AgendaEdit, Control, JoinCode, Phase, PollControl, PollResult, QuestionKind, RunState, SessionPlan, TeamError,
    seconds_left, standard_plan,
};
use meldroute_store::*;
use serde::Deserialize;

use crate::admin::locations::location_for;
use crate::admin::{Outcome, db, finish, not_found, parse_id, record};
use crate::auth::csrf;
use crate::auth::session::CurrentUser;
use crate::dossier_pages::format_datetime;
use crate::pages::{I18n, Layout, render};
use crate::{AppState, clock};

// --- loading ---------------------------------------------------------------------------------------------

/// A session with its plan and state, after the access check.
pub struct Loaded {
    pub session: TeamSession,
    pub plan: SessionPlan,
    pub run: RunState,
}

pub(crate) fn parse_session(session: TeamSession) -> Result<Loaded, Response> {
    let plan = serde_json::from_str(&session.plan).map_err(|e| {
        tracing::error!(line = e.line(), "stored team plan does not parse");
        StatusCode::SERVICE_UNAVAILABLE.into_response()
    })?;
    let run = serde_json::from_str(&session.state).map_err(|e| {
        tracing::error!(line = e.line(), "stored team state does not parse");
        StatusCode::SERVICE_UNAVAILABLE.into_response()
    })?;
    Ok(Loaded { session, plan, run })
}

/// The session at `raw` if this user may manage sessions at its location; otherwise the standard 404.
async fn load(state: &AppState, me: &CurrentUser, raw: &str) -> Result<Loaded, Response> {
    let id = TeamSessionId(parse_id(raw)?);
    let session = db(state.db.get_team_session(&me.tenant, id).await)?;
    me.authorize(Action::ManageTeamSession, &Resource::Location { location: session.location.0 })
        .map_err(IntoResponse::into_response)?;
    parse_session(session)
}

/// Saves a new plan and state; a concurrent change by another window is a conflict the caller reports.
async fn save(state: &AppState, me: &CurrentUser, loaded: &Loaded, plan: &SessionPlan, run: &RunState) -> Outcome {
    let update = TeamSessionUpdate {
        expected_version: loaded.session.version,
        phase: run.phase.as_str().to_string(),
        plan: serde_json::to_string(plan).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?,
        state: serde_json::to_string(run).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?,
    };
    match state.db.update_team_session(&me.tenant, loaded.session.id, update).await {
        Ok(_) => {
            state.team.changed(loaded.session.id);
            Ok(Redirect::to(&format!("/team-sessions/{}", loaded.session.id)).into_response())
        }
        Err(StoreError::Conflict(_)) => {
            Ok(Redirect::to(&format!("/team-sessions/{}?changed=1", loaded.session.id)).into_response())
        }
        Err(e) => Err(crate::admin::store_error(e)),
    }
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8], me: &CurrentUser) -> Result<T, Response> {
    csrf::parse_form(body, &me.session.csrf_token).map_err(IntoResponse::into_response)
}

// --- views -----------------------------------------------------------------------------------------------

pub struct Bar {
    pub label: String,
    pub count: u32,
    pub max: u32,
}

pub struct QuestionView {
    pub index: usize,
    pub number: usize,
    pub text: String,
    pub open_question: bool,
    pub open: bool,
    pub results_shown: bool,
    pub answers: u32,
    pub answers_text: String,
    pub bars: Vec<Bar>,
    pub texts: Vec<String>,
    /// The choices a participant picks from (scales only).
    pub choices: Vec<(u8, String)>,
}

/// The label of choice `c` of a question kind.
pub fn choice_label(i: &I18n, kind: QuestionKind, c: u8) -> String {
    match kind.choice_key(c) {
        Some(key) => i.t(&key),
        None => c.to_string(),
    }
}

pub fn question_views(i: &I18n, plan: &SessionPlan, run: &RunState, results: &[PollResult]) -> Vec<QuestionView> {
    plan.questions
        .iter()
        .enumerate()
        .map(|(index, q)| {
            let poll = run.poll_state(index);
            let result = results.get(index).cloned().unwrap_or_default();
            let max = result.counts.iter().copied().max().unwrap_or(0).max(1);
            let choices: Vec<(u8, String)> =
                (0..q.kind.choices().unwrap_or(0)).map(|c| (c, choice_label(i, q.kind, c))).collect();
            QuestionView {
                index,
                number: index + 1,
                text: q.text.clone(),
                open_question: q.kind == QuestionKind::Open,
                open: poll.open,
                results_shown: poll.results_shown,
                answers: result.answers,
                answers_text: i.t_args("team-answers", &[("count", result.answers.to_string())]),
                bars: result
                    .counts
                    .iter()
                    .enumerate()
                    .map(|(c, &count)| Bar { label: choice_label(i, q.kind, c as u8), count, max })
                    .collect(),
                texts: result.texts,
                choices,
            }
        })
        .collect()
}

/// The part of a page that live updates replace.
#[derive(Template)]
#[template(path = "team_live.html")]
pub struct LiveRegion {
    pub i: I18n,
    pub phase: &'static str,
    pub item_title: String,
    pub item_minutes: u16,
    /// Seconds left of the current item's time box (negative: over time).
    pub remaining: i64,
    pub participants: i64,
    pub participants_text: String,
    pub minutes_text: String,
    pub questions: Vec<QuestionView>,
    /// Whether results are shown regardless of "show results" (the facilitator's own screen).
    pub all_results: bool,
    /// The action points, most dots first.
    pub points: Vec<PointLive>,
    /// The draft route map from the case work (facilitator and presenter only; empty when nothing yet).
    pub draft: Vec<meldroute_domain::team_casework::DraftStep>,
    pub groups_text: String,
}

/// An action point as everyone sees it live: no author.
pub struct PointLive {
    pub text: String,
    pub level: String,
    pub dots_text: String,
}

pub fn points_live(i: &I18n, points: &[meldroute_domain::team_session::RankedPoint]) -> Vec<PointLive> {
    points
        .iter()
        .map(|p| PointLive {
            text: p.text.clone(),
            level: i.t(&format!("team-level-{}", p.level.as_str())),
            dots_text: i.t_args("team-dots", &[("count", p.dots.to_string())]),
        })
        .collect()
}

impl LiveRegion {
    pub fn minutes_left(&self) -> String {
        let s = self.remaining.unsigned_abs();
        format!("{}{}:{:02}", if self.remaining < 0 { "-" } else { "" }, s / 60, s % 60)
    }
}

/// Who looks at a live region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Facilitator,
    Presenter,
    Participant,
}

pub fn live_region(i: I18n, snap: &live::Snapshot, audience: Audience, now: i64) -> LiveRegion {
    let item = snap.run.current_item(&snap.plan);
    let remaining = match (item, snap.run.item_started_at) {
        (Some(item), Some(started)) => seconds_left(item, now - started),
        _ => 0,
    };
    let mut questions = question_views(&i, &snap.plan, &snap.run, &snap.results);
    if audience != Audience::Facilitator {
        questions.retain(|q| q.results_shown);
    }
    let minutes = item.map_or(0, |x| x.minutes);
    let points = points_live(&i, &snap.points);
    let draft = if audience != Audience::Participant && snap.draft.iter().any(|d| !d.is_empty()) {
        snap.draft.clone()
    } else {
        Vec::new()
    };
    LiveRegion {
        points,
        draft,
        groups_text: i.t_args("team-draft-groups", &[("count", snap.groups.to_string())]),
        participants_text: i.t_args("team-participants", &[("count", snap.participants.to_string())]),
        minutes_text: i.t_args("team-minutes", &[("minutes", minutes.to_string())]),
        i,
        phase: snap.run.phase.as_str(),
        item_title: item.map(|x| x.title.clone()).unwrap_or_default(),
        item_minutes: item.map_or(0, |x| x.minutes),
        remaining,
        participants: snap.participants,
        questions,
        all_results: audience == Audience::Facilitator,
    }
}

/// What makes a page stale (participants and the control view reload when it changes): the phase, the
/// current item and which polls are open.
/// The numbers of action points and groups count too: a new point brings its dot button to every
/// participant's page, a new group its join button.
pub fn shape(run: &RunState, points: usize, groups: usize) -> String {
    let current = match run.phase {
        Phase::Running { current } => current.to_string(),
        _ => String::new(),
    };
    let polls: String = run.polls.iter().map(|p| if p.open { 'o' } else { '-' }).collect();
    format!("{}:{current}:{polls}:{points}:{groups}", run.phase.as_str())
}

pub fn now_unix() -> i64 {
    clock::now_utc().unix_timestamp()
}

/// The address participants open: at the configured public address, or else from the request's host (https
/// unless cookies are not secure, as in local development).
pub fn join_url(state: &AppState, headers: &HeaderMap, code: &str) -> String {
    format!("{}/t/{code}", state.public_base(headers))
}

// --- the list and creating -------------------------------------------------------------------------------

pub struct SessionRow {
    pub id: i64,
    pub title: String,
    pub phase: String,
    pub created: String,
}

pub struct LocationSessions {
    pub id: i64,
    pub name: String,
    pub sessions: Vec<SessionRow>,
}

#[derive(Template)]
#[template(path = "team_sessions.html")]
pub struct SessionsPage {
    pub layout: Layout,
    pub csrf: String,
    pub locations: Vec<LocationSessions>,
}

/// `GET /team-sessions`: the sessions of every location where this user may lead one.
pub async fn index(State(state): State<AppState>, me: CurrentUser) -> Response {
    finish(
        async {
            let layout = Layout::for_user(&state, &me, "team-title");
            let i = layout.i;
            let mut locations = Vec::new();
            for l in db(state.db.list_locations(&me.tenant).await)? {
                if me.authorize(Action::ManageTeamSession, &Resource::Location { location: l.id.0 }).is_err() {
                    continue;
                }
                let sessions = db(state.db.list_team_sessions(&me.tenant, l.id).await)?
                    .into_iter()
                    .map(|s| {
                        let title = serde_json::from_str::<SessionPlan>(&s.plan).map(|p| p.title).unwrap_or_default();
                        SessionRow {
                            id: s.id.0,
                            title,
                            phase: i.t(&format!("team-phase-{}", s.phase)),
                            created: format_datetime(s.created_at),
                        }
                    })
                    .collect();
                locations.push(LocationSessions { id: l.id.0, name: l.name, sessions });
            }
            if locations.is_empty() {
                return Err(not_found());
            }
            let csrf = me.session.csrf_token.clone();
            Ok(render(&SessionsPage { layout, csrf, locations }, StatusCode::OK))
        }
        .await,
    )
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    pub follow_up_of: Option<String>,
}

/// A new join code from the system's randomness.
fn new_join_code() -> Result<JoinCode, Response> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())?;
    JoinCode::from_random(&bytes).ok_or_else(|| StatusCode::SERVICE_UNAVAILABLE.into_response())
}

/// `POST /locations/{id}/team-sessions`: a new session from the standard template, in the facilitator's
/// language.
pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    finish(
        async {
            let location = location_for(&state, &me, &id, Action::ManageTeamSession).await?;
            let form: CreateForm = parse_body(&body, &me)?;
            // A follow-up starts from a previous session of the same location: its plan (as prepared, so the
            // facilitator's own changes carry over) and, on its page, the open actions for review.
            let previous = match form.follow_up_of.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(raw) => {
                    let previous = db(state.db.get_team_session(&me.tenant, TeamSessionId(parse_id(raw)?)).await)?;
                    if previous.location != location.id {
                        return Err(not_found());
                    }
                    Some(parse_session(previous)?)
                }
                None => None,
            };
            let i = I18n { lang: me.lang };
            let plan = match &previous {
                Some(p) => p.plan.clone(),
                None => standard_plan(&|key| i.t(key)),
            };
            let run = RunState::new(&plan);
            let plan_json =
                serde_json::to_string(&plan).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?;
            let run_json =
                serde_json::to_string(&run).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?;
            // A taken code (very rare) is simply drawn again.
            for _ in 0..5 {
                let new = NewTeamSession {
                    location: location.id,
                    join_code: new_join_code()?.as_str().to_string(),
                    plan: plan_json.clone(),
                    state: run_json.clone(),
                    follow_up_of: previous.as_ref().map(|p| p.session.id),
                    created_by: me.user.id,
                    created_at: clock::now_utc(),
                };
                match state.db.create_team_session(&me.tenant, new).await {
                    Ok(session) => {
                        record(&state, &me, &addr, "team_session.create", None).await?;
                        return Ok(Redirect::to(&format!("/team-sessions/{}", session.id)).into_response());
                    }
                    Err(StoreError::Conflict(_)) => continue,
                    Err(e) => return Err(crate::admin::store_error(e)),
                }
            }
            Err(StatusCode::SERVICE_UNAVAILABLE.into_response())
        }
        .await,
    )
}

// --- the facilitator's page ------------------------------------------------------------------------------

pub struct AgendaRow {
    pub index: usize,
    pub title: String,
    pub minutes: u16,
    pub instructions: String,
    pub optional: bool,
    pub included: bool,
    pub own: bool,
    pub current: bool,
    pub first: bool,
    pub last: bool,
}

pub struct CaseView {
    pub title: String,
    pub text: String,
    pub own: bool,
}

#[derive(Template)]
#[template(path = "team_session.html")]
pub struct SessionPage {
    pub layout: Layout,
    pub csrf: String,
    pub id: i64,
    pub title: String,
    pub phase: &'static str,
    pub phase_label: String,
    pub join_code: String,
    pub join_url: String,
    pub total_minutes: u32,
    pub goals: Vec<String>,
    pub invitation: String,
    pub agenda: Vec<AgendaRow>,
    pub worksheet: Vec<(String, String)>,
    pub cases: Vec<CaseView>,
    pub own_case_title: String,
    pub own_case_text: String,
    pub dots: u8,
    pub error: Option<String>,
    pub changed: bool,
    pub live: String,
    pub live_questions: Vec<QuestionView>,
    pub shape: String,
    pub actions: actions::SessionActions,
    /// The index of the "keeping the theme on the agenda" item, where the follow-up review is shown.
    pub keep_item: Option<usize>,
}

impl SessionPage {
    /// Whether agenda item `index` is "keeping the theme on the agenda" (the follow-up review goes there).
    pub fn is_keep_item(&self, index: impl std::borrow::Borrow<usize>) -> bool {
        self.keep_item == Some(*index.borrow())
    }
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    pub changed: Option<String>,
}

/// `GET /team-sessions/{id}`: preparing (draft) and controlling (running) a session.
pub async fn show(
    State(state): State<AppState>,
    me: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Response {
    finish(
        async {
            let loaded = load(&state, &me, &id).await?;
            session_page(&state, &me, &headers, &loaded, None, q.changed.is_some(), StatusCode::OK).await
        }
        .await,
    )
}

async fn session_page(
    state: &AppState,
    me: &CurrentUser,
    headers: &HeaderMap,
    loaded: &Loaded,
    error: Option<TeamError>,
    changed: bool,
    status: StatusCode,
) -> Outcome {
    let layout = Layout::for_user(state, me, "team-session-title");
    let i = layout.i;
    let (plan, run) = (&loaded.plan, &loaded.run);
    let snap = db(state.team.snapshot(state, &me.tenant, loaded.session.id).await)?;
    let live = live_region(i, &snap, Audience::Facilitator, now_unix()).render().unwrap_or_default();
    let session_actions = actions::session_actions(state, me, loaded, &snap).await?;
    let current = match run.phase {
        Phase::Running { current } => Some(current),
        _ => None,
    };
    let last = plan.agenda.len().saturating_sub(1);
    let own = plan.cases.iter().find(|c| c.own);
    let page = SessionPage {
        csrf: me.session.csrf_token.clone(),
        id: loaded.session.id.0,
        title: plan.title.clone(),
        phase: run.phase.as_str(),
        phase_label: i.t(&format!("team-phase-{}", run.phase.as_str())),
        join_code: loaded.session.join_code.clone(),
        join_url: join_url(state, headers, &loaded.session.join_code),
        total_minutes: plan.total_minutes(),
        goals: plan.goals.clone(),
        invitation: plan.invitation.clone(),
        agenda: plan
            .agenda
            .iter()
            .enumerate()
            .map(|(n, a)| AgendaRow {
                index: n,
                title: a.title.clone(),
                minutes: a.minutes,
                instructions: a.instructions.clone(),
                optional: a.optional,
                included: a.included,
                own: a.part == meldroute_domain::team_session::Part::Own,
                current: current == Some(n),
                first: n == 0,
                last: n == last,
            })
            .collect(),
        worksheet: plan.worksheet.iter().map(|w| (w.title.clone(), w.questions.clone())).collect(),
        cases: plan
            .cases
            .iter()
            .map(|c| CaseView { title: c.title.clone(), text: c.text.clone(), own: c.own })
            .collect(),
        own_case_title: own.map(|c| c.title.clone()).unwrap_or_default(),
        own_case_text: own.map(|c| c.text.clone()).unwrap_or_default(),
        dots: plan.dots_per_participant,
        error: error.map(|e| i.t(&e.message_key())),
        changed,
        live,
        live_questions: question_views(&i, plan, run, &snap.results),
        shape: shape(run, snap.points.len(), snap.groups),
        actions: session_actions,
        keep_item: plan.agenda.iter().position(|a| a.part == meldroute_domain::team_session::Part::KeepOnAgenda),
        layout,
    };
    Ok(render(&page, status))
}

#[derive(Deserialize)]
pub struct AgendaForm {
    pub op: String,
    #[serde(default)]
    pub index: Option<usize>,
    #[serde(default)]
    pub minutes: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
}

/// `POST /team-sessions/{id}/agenda`: one change to the agenda while preparing.
pub async fn edit_agenda(
    State(state): State<AppState>,
    me: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    finish(
        async {
            let loaded = load(&state, &me, &id).await?;
            let form: AgendaForm = parse_body(&body, &me)?;
            let index = form.index.unwrap_or(usize::MAX);
            let minutes = || form.minutes.as_deref().unwrap_or("").trim().parse::<u16>().unwrap_or(0);
            let edit = match form.op.as_str() {
                "up" => AgendaEdit::MoveUp(index),
                "down" => AgendaEdit::MoveDown(index),
                "minutes" => AgendaEdit::SetMinutes(index, minutes()),
                "include" => AgendaEdit::SetIncluded(index, true),
                "exclude" => AgendaEdit::SetIncluded(index, false),
                "remove" => AgendaEdit::Remove(index),
                "add" => AgendaEdit::Add { title: form.title.clone().unwrap_or_default(), minutes: minutes() },
                _ => return Err(StatusCode::BAD_REQUEST.into_response()),
            };
            let refused =
                |e| session_page(&state, &me, &headers, &loaded, Some(e), false, StatusCode::UNPROCESSABLE_ENTITY);
            if loaded.run.phase != Phase::Draft {
                return refused(TeamError::AlreadyRunning).await;
            }
            let mut plan = loaded.plan.clone();
            if let Err(e) = plan.edit_agenda(edit) {
                return refused(e).await;
            }
            let mut run = loaded.run.clone();
            run.polls.resize(plan.questions.len(), Default::default());
            save(&state, &me, &loaded, &plan, &run).await
        }
        .await,
    )
}

#[derive(Deserialize)]
pub struct CaseForm {
    pub title: String,
    pub text: String,
    pub dots: String,
}

/// `POST /team-sessions/{id}/case`: the school's own case and the dots per participant.
pub async fn edit_case(
    State(state): State<AppState>,
    me: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    finish(
        async {
            let loaded = load(&state, &me, &id).await?;
            let form: CaseForm = parse_body(&body, &me)?;
            let mut plan = loaded.plan.clone();
            let result = if loaded.run.phase == Phase::Draft {
                plan.set_own_case(form.title, form.text)
                    .and_then(|()| plan.set_dots(form.dots.trim().parse::<u8>().unwrap_or(0)))
            } else {
                Err(TeamError::AlreadyRunning)
            };
            if let Err(e) = result {
                return session_page(&state, &me, &headers, &loaded, Some(e), false, StatusCode::UNPROCESSABLE_ENTITY)
                    .await;
            }
            save(&state, &me, &loaded, &plan, &loaded.run).await
        }
        .await,
    )
}

#[derive(Deserialize)]
pub struct ControlForm {
    pub action: String,
    #[serde(default)]
    pub question: Option<usize>,
}

/// `POST /team-sessions/{id}/control`: start, next, previous, close, and the polls.
pub async fn control(
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
            let form: ControlForm = parse_body(&body, &me)?;
            let question = form.question.unwrap_or(usize::MAX);
            let now = now_unix();
            let run = &loaded.run;
            let next = match form.action.as_str() {
                "start" => run.control(&loaded.plan, Control::Start, now),
                "next" => run.control(&loaded.plan, Control::Next, now),
                "previous" => run.control(&loaded.plan, Control::Previous, now),
                "close" => run.control(&loaded.plan, Control::Close, now),
                "open" => run.poll(question, PollControl::Open),
                "close-poll" => run.poll(question, PollControl::Close),
                "show" => run.poll(question, PollControl::ShowResults),
                "hide" => run.poll(question, PollControl::HideResults),
                _ => return Err(StatusCode::BAD_REQUEST.into_response()),
            };
            match next {
                Ok(next) => {
                    if matches!(form.action.as_str(), "start" | "close") {
                        let action = format!("team_session.{}", form.action);
                        record(&state, &me, &addr, &action, None).await?;
                    }
                    save(&state, &me, &loaded, &loaded.plan, &next).await
                }
                Err(e) => {
                    session_page(&state, &me, &headers, &loaded, Some(e), false, StatusCode::UNPROCESSABLE_ENTITY).await
                }
            }
        }
        .await,
    )
}

// --- the presenter view ----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "team_presenter.html")]
pub struct PresenterPage {
    pub layout: Layout,
    pub id: i64,
    pub title: String,
    pub join_code: String,
    pub join_url: String,
    pub qr: String,
    pub live: String,
    pub shape: String,
}

/// `GET /team-sessions/{id}/presenter`: the projector view.
pub async fn presenter(
    State(state): State<AppState>,
    me: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    finish(
        async {
            let loaded = load(&state, &me, &id).await?;
            let layout = Layout::for_user(&state, &me, "team-presenter-title");
            let i = layout.i;
            let snap = db(state.team.snapshot(&state, &me.tenant, loaded.session.id).await)?;
            let join_url = join_url(&state, &headers, &loaded.session.join_code);
            let page = PresenterPage {
                id: loaded.session.id.0,
                title: loaded.plan.title.clone(),
                join_code: loaded.session.join_code.clone(),
                qr: qr::svg(&join_url, &i.t("team-qr-label")).unwrap_or_default(),
                join_url,
                live: live_region(i, &snap, Audience::Presenter, now_unix()).render().unwrap_or_default(),
                shape: shape(&loaded.run, snap.points.len(), snap.groups),
                layout,
            };
            Ok(render(&page, StatusCode::OK))
        }
        .await,
    )
}

#[derive(Deserialize, Default)]
pub struct EventsQuery {
    #[serde(default)]
    pub view: Option<String>,
}

/// `GET /team-sessions/{id}/events`: live updates for the control view (`?view=control`) or the
/// presenter view.
pub async fn events(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
) -> Response {
    finish(
        async {
            let loaded = load(&state, &me, &id).await?;
            let audience =
                if q.view.as_deref() == Some("control") { Audience::Facilitator } else { Audience::Presenter };
            let holder = format!("user:{}:{}", me.tenant.org.0, me.user.id.0);
            Ok(live::sse(state.clone(), me.tenant, loaded.session.id, audience, I18n { lang: me.lang }, holder))
        }
        .await,
    )
}
