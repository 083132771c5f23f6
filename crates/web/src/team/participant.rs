//! The participant's side: join with the code on the screen, answer the open questions, see the results the
//! facilitator shows. No account: the browser gets a random token in a cookie; the database keeps only a
//! hash of it (per session, so two sessions cannot be linked). No name, address or device is stored.
//!
//! The routes are public, so they are bounded: small bodies, one answer per question, a per-address limit
//! on requests and on wrong codes (counted in memory, never stored).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use meldroute_domain::team_casework::{
    CaseField, MAX_FIELD_CHARS, MAX_GROUP_MEMBERS, MAX_GROUP_NAME_CHARS, check_join_group, validate_field,
    validate_group,
};
use meldroute_domain::team_session::{
    AnswerValue, At, JoinCode, Level, MAX_ACTION_POINT_CHARS, Part, Phase, TeamError, check_join, dots_left,
    validate_action_point, validate_answer, validate_dot,
};
use meldroute_i18n::Lang;
use meldroute_store::*;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{Audience, QuestionView, live_region, now_unix, parse_session, question_views, shape};
use crate::AppState;
use crate::admin::{Outcome, db, finish};
use crate::api::error::accepted_language;
use crate::pages::{I18n, Layout, render};

/// Largest participant form accepted (an open answer of 500 characters fits many times over).
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Largest worksheet step accepted: three fields of up to 1000 characters each, percent-encoded.
pub const WORKSHEET_BODY_BYTES: usize = 4 * MAX_BODY_BYTES;
/// Requests per address per minute on the participant routes (a school's phones may share one address).
const REQUESTS_PER_MINUTE: u32 = 1200;
/// Wrong codes per address per minute.
const WRONG_CODES_PER_MINUTE: u32 = 30;
/// Participants in one session.
pub const MAX_PARTICIPANTS: i64 = 500;

/// Counts per address and minute, in memory only.
#[derive(Default)]
pub struct Limiter {
    counts: Mutex<HashMap<(IpAddr, u8), (Instant, u32)>>,
}

impl Limiter {
    /// Whether one more request of `kind` from `ip` is within `limit` per minute.
    pub fn allow(&self, ip: IpAddr, kind: u8, limit: u32) -> bool {
        let ip = crate::client_addr::limit_key(ip);
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if counts.len() > 50_000 {
            counts.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let entry = counts.entry((ip, kind)).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= limit
    }

    /// Whether `ip` already used up `limit` for `kind` this minute (without counting this call).
    pub fn exhausted(&self, ip: IpAddr, kind: u8, limit: u32) -> bool {
        let ip = crate::client_addr::limit_key(ip);
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(&(ip, kind)).is_some_and(|(start, n)| start.elapsed() < Duration::from_secs(60) && *n >= limit)
    }
}

fn cookie_name(state: &AppState) -> &'static str {
    if state.auth.secure_cookie { "__Host-mr_team" } else { "mr_team" }
}

fn token_of(state: &AppState, headers: &HeaderMap) -> Option<String> {
    crate::auth::session::token_from(headers, cookie_name(state))
}

/// The stored hash of a participant token: per session, so the same browser is unlinkable across sessions.
fn token_hash(token: &str, session: TeamSessionId) -> String {
    hex::encode(Sha256::digest(format!("team-participant:{session}:{token}").as_bytes()))
}

/// The form token of a participant (the cookie stands in for a session).
fn form_token(token: &str) -> String {
    hex::encode(&Sha256::digest(format!("team-form:{token}").as_bytes())[..16])
}

fn too_many() -> Response {
    (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "60")], "too many requests; wait a minute").into_response()
}

// --- joining ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "team_join.html")]
pub struct JoinPage {
    pub layout: Layout,
    pub code: String,
    pub error: Option<String>,
    /// A known, running session: offer the join button for this code.
    pub can_join: bool,
}

#[derive(Deserialize, Default)]
pub struct CodeQuery {
    #[serde(default)]
    pub code: Option<String>,
}

fn join_page(
    state: &AppState,
    lang: Lang,
    code: &str,
    error: Option<TeamError>,
    can_join: bool,
    status: StatusCode,
) -> Response {
    let i = I18n { lang };
    let layout = Layout { i, demo: state.demo, title: i.t("team-join-title"), user: None };
    let page = JoinPage { layout, code: code.to_string(), error: error.map(|e| i.t(&e.message_key())), can_join };
    render(&page, status)
}

/// The session a typed code names, or why not.
async fn session_for(state: &AppState, raw: &str) -> Result<TeamSession, Result<TeamError, Response>> {
    let code = JoinCode::parse(raw).map_err(Ok)?;
    match state.db.find_team_session_by_code(code.as_str()).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(Ok(TeamError::WrongCode)),
        Err(e) => Err(Err(crate::admin::store_error(e))),
    }
}

/// `GET /t`: the form for the code; `?code=` looks it up and goes to the session.
pub async fn join_form(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<CodeQuery>,
) -> Response {
    let lang = accepted_language(&headers);
    let Some(raw) = q.code.filter(|c| !c.trim().is_empty()) else {
        return join_page(&state, lang, "", None, false, StatusCode::OK);
    };
    // Only wrong codes count: a whole staff room behind one school address joins at the same minute.
    if state.team.limiter.exhausted(addr.ip(), 1, WRONG_CODES_PER_MINUTE) {
        return too_many();
    }
    match session_for(&state, &raw).await {
        Ok(s) => Redirect::to(&format!("/t/{}", s.join_code)).into_response(),
        Err(Ok(e)) => {
            let _ = state.team.limiter.allow(addr.ip(), 1, WRONG_CODES_PER_MINUTE);
            join_page(
                &state,
                lang,
                raw.chars().take(20).collect::<String>().as_str(),
                Some(e),
                false,
                StatusCode::NOT_FOUND,
            )
        }
        Err(Err(response)) => response,
    }
}

// --- the participant's page ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "team_participant.html")]
pub struct ParticipantPage {
    pub layout: Layout,
    pub code: String,
    pub csrf: String,
    pub phase: &'static str,
    pub item_title: String,
    pub item_instructions: String,
    /// Open questions this participant has not answered yet.
    pub to_answer: Vec<QuestionView>,
    /// Open questions already answered.
    pub answered: Vec<QuestionView>,
    /// The question the error belongs to.
    pub error_question: Option<usize>,
    pub error: Option<String>,
    pub live: String,
    pub shape: String,
    pub text_max: usize,
    /// The current item is "keeping the theme on the agenda": post action points and give dots.
    pub show_points: bool,
    pub point_max: usize,
    pub levels: Vec<(&'static str, String)>,
    /// Every point, most dots first, with this participant's own dots on it.
    pub points: Vec<PointChoice>,
    pub dots_left: u32,
    pub dots_left_text: String,
    /// The current item is the case work: groups, and the worksheet of one's own group.
    pub casework: Option<CaseworkView>,
    pub group_name_max: usize,
    pub field_max: usize,
}

/// The case work part of a participant's page.
pub struct CaseworkView {
    /// The cases to choose from when making a group: (index, title).
    pub cases: Vec<(usize, String)>,
    pub groups: Vec<GroupChoice>,
    pub mine: Option<MyGroup>,
}

pub struct GroupChoice {
    pub id: i64,
    pub name: String,
    pub case_title: String,
    pub members_text: String,
    pub full: bool,
}

pub struct MyGroup {
    pub id: i64,
    pub name: String,
    pub case_title: String,
    pub case_text: String,
    pub steps: Vec<StepFields>,
}

pub struct StepFields {
    pub index: usize,
    pub title: String,
    pub questions: String,
    pub fields: Vec<FieldView>,
}

pub struct FieldView {
    pub name: &'static str,
    pub label: String,
    pub text: String,
    pub version: i64,
    /// The participant's own text when someone else saved this field in between.
    pub yours: Option<String>,
}

/// The session's groups and everyone seated in them.
async fn groups_and_members(
    state: &AppState,
    j: &Joined,
) -> Result<(Vec<meldroute_store::TeamGroup>, Vec<meldroute_store::TeamGroupMember>), Response> {
    let groups = db(state.db.list_team_groups(&j.tenant, j.session.id).await)?;
    let members = db(state.db.list_team_group_members(&j.tenant, j.session.id).await)?;
    Ok((groups, members))
}

async fn casework_view(
    state: &AppState,
    i: &I18n,
    j: &Joined,
    participant: ParticipantId,
    plan: &meldroute_domain::team_session::SessionPlan,
    conflicts: &[(usize, CaseField, String)],
) -> Result<CaseworkView, Response> {
    let (groups, members) = groups_and_members(state, j).await?;
    let case_title = |index: i64| {
        usize::try_from(index).ok().and_then(|c| plan.cases.get(c)).map(|c| c.title.clone()).unwrap_or_default()
    };
    let mine = match members.iter().find(|m| m.participant == participant).map(|m| m.group) {
        Some(group_id) => {
            let fields = db(state.db.list_team_group_fields(&j.tenant, j.session.id).await)?;
            groups.iter().find(|g| g.id == group_id).map(|g| {
                let case = usize::try_from(g.case_index).ok().and_then(|c| plan.cases.get(c));
                MyGroup {
                    id: g.id,
                    name: g.name.clone(),
                    case_title: case.map(|c| c.title.clone()).unwrap_or_default(),
                    case_text: case.map(|c| c.text.clone()).unwrap_or_default(),
                    steps: plan
                        .worksheet
                        .iter()
                        .enumerate()
                        .map(|(index, w)| StepFields {
                            index,
                            title: w.title.clone(),
                            questions: w.questions.clone(),
                            fields: CaseField::ALL
                                .iter()
                                .map(|&f| {
                                    let stored = fields
                                        .iter()
                                        .find(|x| x.group == g.id && x.step == index as i64 && x.field == f.as_str());
                                    FieldView {
                                        name: f.as_str(),
                                        label: i.t(&f.message_key()),
                                        text: stored.map(|x| x.text.clone()).unwrap_or_default(),
                                        version: stored.map_or(0, |x| x.version),
                                        yours: conflicts
                                            .iter()
                                            .find(|(s, cf, _)| *s == index && *cf == f)
                                            .map(|(_, _, t)| t.clone()),
                                    }
                                })
                                .collect(),
                        })
                        .collect(),
                }
            })
        }
        None => None,
    };
    Ok(CaseworkView {
        cases: plan.cases.iter().enumerate().map(|(n, c)| (n, c.title.clone())).collect(),
        groups: groups
            .iter()
            .map(|g| {
                let count = members.iter().filter(|m| m.group == g.id).count();
                GroupChoice {
                    id: g.id,
                    name: g.name.clone(),
                    case_title: case_title(g.case_index),
                    members_text: i.t_args("team-group-members", &[("count", count.to_string())]),
                    full: count >= MAX_GROUP_MEMBERS,
                }
            })
            .collect(),
        mine,
    })
}

/// An action point a participant can give a dot.
pub struct PointChoice {
    pub id: i64,
    pub text: String,
    pub level: String,
    pub dots_text: String,
    pub mine: bool,
    /// One mark per dot this participant gave this point.
    pub my_dots: String,
}

impl ParticipantPage {
    /// Whether the error belongs to question `index`.
    pub fn is_error_at(&self, index: impl std::borrow::Borrow<usize>) -> bool {
        self.error_question == Some(*index.borrow())
    }
}

struct Joined {
    session: TeamSession,
    tenant: TenantCtx,
    participant: Option<(ParticipantId, String)>,
}

/// Every handler that resolves a code goes through here: an address that typed too many wrong codes this
/// minute gets 429 before any lookup, and every unknown code counts (so codes cannot be guessed by
/// trying pages or event streams instead of the join form).
async fn joined(
    state: &AppState,
    ip: IpAddr,
    headers: &HeaderMap,
    raw: &str,
) -> Result<Joined, Result<TeamError, Response>> {
    if state.team.limiter.exhausted(ip, 1, WRONG_CODES_PER_MINUTE) {
        return Err(Err(too_many()));
    }
    let session = match session_for(state, raw).await {
        Ok(s) => s,
        Err(Ok(e)) => {
            let _ = state.team.limiter.allow(ip, 1, WRONG_CODES_PER_MINUTE);
            return Err(Ok(e));
        }
        Err(e) => return Err(e),
    };
    let tenant = TenantCtx::new(session.org);
    let participant = match token_of(state, headers) {
        Some(token) => state
            .db
            .find_team_participant(&tenant, session.id, &token_hash(&token, session.id))
            .await
            .map_err(|e| Err(crate::admin::store_error(e)))?
            .map(|p| (p, token)),
        None => None,
    };
    Ok(Joined { session, tenant, participant })
}

/// `GET /t/{code}`: the participant's page (or the join button for someone not yet in).
pub async fn page(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    let lang = accepted_language(&headers);
    match joined(&state, addr.ip(), &headers, &code).await {
        Ok(j) => finish(participant_page(&state, lang, &j, None, StatusCode::OK).await),
        Err(Ok(e)) => join_page(&state, lang, "", Some(e), false, StatusCode::NOT_FOUND),
        Err(Err(response)) => response,
    }
}

async fn participant_page(
    state: &AppState,
    lang: Lang,
    j: &Joined,
    error: Option<(Option<usize>, TeamError)>,
    status: StatusCode,
) -> Outcome {
    participant_page_with(state, lang, j, error, status, &[]).await
}

/// The participant's page; `conflicts` are worksheet fields (step, field, the participant's own text) that
/// someone else changed in between: the page shows the current text and theirs.
async fn participant_page_with(
    state: &AppState,
    lang: Lang,
    j: &Joined,
    error: Option<(Option<usize>, TeamError)>,
    status: StatusCode,
    conflicts: &[(usize, CaseField, String)],
) -> Outcome {
    let Some((participant, token)) = &j.participant else {
        let phase_error = parse_session(j.session.clone()).ok().and_then(|l| check_join(l.run.phase).err());
        let status = if phase_error.is_some() { StatusCode::CONFLICT } else { status };
        return Ok(join_page(state, lang, &j.session.join_code, phase_error, phase_error.is_none(), status));
    };
    let i = I18n { lang };
    let snap = db(state.team.snapshot(state, &j.tenant, j.session.id).await)?;
    let answers = db(state.db.list_team_answers(&j.tenant, j.session.id).await)?;
    let mine: Vec<i64> = answers.iter().filter(|a| a.participant == *participant).map(|a| a.question).collect();
    let (to_answer, answered): (Vec<_>, Vec<_>) = question_views(&i, &snap.plan, &snap.run, &snap.results)
        .into_iter()
        .filter(|q| q.open)
        .partition(|q| !mine.contains(&(q.index as i64)));
    let item = snap.run.current_item(&snap.plan);
    let show_points =
        matches!(snap.run.phase, Phase::Running { .. }) && item.is_some_and(|x| x.part == Part::KeepOnAgenda);
    let (points, dots_used) = if show_points {
        let mine = db(state.db.list_team_points(&j.tenant, j.session.id).await)?;
        let dots = db(state.db.list_team_dots(&j.tenant, j.session.id).await)?;
        let my_dots: Vec<i64> = dots.iter().filter(|d| d.participant == *participant).map(|d| d.point).collect();
        let points = snap
            .points
            .iter()
            .map(|p| PointChoice {
                id: p.id,
                text: p.text.clone(),
                level: i.t(&format!("team-level-{}", p.level.as_str())),
                dots_text: i.t_args("team-dots", &[("count", p.dots.to_string())]),
                mine: mine.iter().any(|m| m.id == p.id && m.participant == *participant),
                my_dots: "●".repeat(my_dots.iter().filter(|&&d| d == p.id).count()),
            })
            .collect();
        (points, my_dots.len() as u32)
    } else {
        (Vec::new(), 0)
    };
    let left = dots_left(snap.plan.dots_per_participant, dots_used);
    let show_casework =
        matches!(snap.run.phase, Phase::Running { .. }) && item.is_some_and(|x| x.part == Part::MeldcodeCases);
    let casework = if show_casework {
        Some(casework_view(state, &i, j, *participant, &snap.plan, conflicts).await?)
    } else {
        None
    };
    // An error about a question that is not on the page goes to the summary at the top.
    let shown = |q: usize| to_answer.iter().chain(&answered).any(|v| v.index == q);
    let error_question = error.and_then(|(q, _)| q).filter(|&q| shown(q));
    let page = ParticipantPage {
        layout: Layout { i, demo: state.demo, title: snap.plan.title.clone(), user: None },
        code: j.session.join_code.clone(),
        csrf: form_token(token),
        phase: snap.run.phase.as_str(),
        item_title: item.map(|x| x.title.clone()).unwrap_or_default(),
        item_instructions: item.map(|x| x.instructions.clone()).unwrap_or_default(),
        to_answer,
        answered,
        error_question,
        error: error.map(|(_, e)| i.t(&e.message_key())),
        live: live_region(i, &snap, Audience::Participant, now_unix()).render().unwrap_or_default(),
        shape: shape(&snap.run, snap.points.len(), snap.groups),
        text_max: meldroute_domain::team_session::MAX_ANSWER_CHARS,
        show_points,
        point_max: MAX_ACTION_POINT_CHARS,
        levels: Level::ALL.iter().map(|l| (l.as_str(), i.t(&format!("team-level-{}", l.as_str())))).collect(),
        points,
        dots_left: left,
        dots_left_text: i.t_args("team-dots-left", &[("count", left.to_string())]),
        casework,
        group_name_max: MAX_GROUP_NAME_CHARS,
        field_max: MAX_FIELD_CHARS,
    };
    Ok(render(&page, status))
}

/// `POST /t/{code}/join`: become a participant of a running session.
pub async fn join(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    let lang = accepted_language(&headers);
    if !state.team.limiter.allow(addr.ip(), 2, REQUESTS_PER_MINUTE) {
        return too_many();
    }
    let j = match joined(&state, addr.ip(), &headers, &code).await {
        Ok(j) => j,
        Err(Ok(e)) => return join_page(&state, lang, "", Some(e), false, StatusCode::NOT_FOUND),
        Err(Err(response)) => return response,
    };
    let to_page = Redirect::to(&format!("/t/{}", j.session.join_code)).into_response();
    if j.participant.is_some() {
        return to_page;
    }
    let phase = match parse_session(j.session.clone()) {
        Ok(l) => l.run.phase,
        Err(response) => return response,
    };
    if let Err(e) = check_join(phase) {
        return join_page(&state, lang, &j.session.join_code, Some(e), false, StatusCode::CONFLICT);
    }
    match state.db.count_team_participants(&j.tenant, j.session.id).await {
        Ok(n) if n >= MAX_PARTICIPANTS => return too_many(),
        Ok(_) => {}
        Err(e) => return crate::admin::store_error(e),
    }
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let token = hex::encode(bytes);
    if let Err(e) = state.db.add_team_participant(&j.tenant, j.session.id, &token_hash(&token, j.session.id)).await {
        return crate::admin::store_error(e);
    }
    state.team.changed(j.session.id);
    let secure = if state.auth.secure_cookie { "; Secure" } else { "" };
    let cookie = format!("{}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200{secure}", cookie_name(&state));
    let mut response = to_page;
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub question: usize,
    #[serde(default)]
    pub choice: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
}

/// `POST /t/{code}/answers`: one answer to one open question.
pub async fn answer(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Response {
    let lang = accepted_language(&headers);
    if !state.team.limiter.allow(addr.ip(), 2, REQUESTS_PER_MINUTE) {
        return too_many();
    }
    let j = match joined(&state, addr.ip(), &headers, &code).await {
        Ok(j) => j,
        Err(Ok(e)) => return join_page(&state, lang, "", Some(e), false, StatusCode::NOT_FOUND),
        Err(Err(response)) => return response,
    };
    let Some((participant, token)) = j.participant.clone() else {
        // Not (or no longer) a participant: the join page says what to do.
        return finish(participant_page(&state, lang, &j, None, StatusCode::OK).await);
    };
    let refuse = |q: Option<usize>, e: TeamError, status: StatusCode| {
        let j = &j;
        let state = &state;
        async move { finish(participant_page(state, lang, j, Some((q, e)), status).await) }
    };
    if body.len() > MAX_BODY_BYTES {
        return refuse(None, TeamError::AnswerTooLong, StatusCode::PAYLOAD_TOO_LARGE).await;
    }
    let Ok(form) = serde_urlencoded::from_bytes::<AnswerForm>(&body) else {
        return refuse(None, TeamError::AnswerEmpty, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if !crate::auth::csrf::token_matches(&form.csrf, &form_token(&token)) {
        return crate::auth::csrf::FormError::BadToken.into_response();
    }
    let loaded = match parse_session(j.session.clone()) {
        Ok(l) => l,
        Err(response) => return response,
    };
    let Some(question) = loaded.plan.questions.get(form.question) else {
        return refuse(None, TeamError::NoSuchQuestion, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let value = match (&form.choice, &form.text) {
        (Some(c), _) => AnswerValue::Choice(c.trim().parse::<u8>().unwrap_or(u8::MAX)),
        (None, Some(t)) => AnswerValue::Text(t.clone()),
        (None, None) => AnswerValue::Text(String::new()),
    };
    let value = match value {
        // A missing choice on a scale is "choose one".
        AnswerValue::Text(t) if question.kind.choices().is_some() && t.is_empty() => AnswerValue::Choice(u8::MAX),
        v => v,
    };
    let answers = match state.db.list_team_answers(&j.tenant, j.session.id).await {
        Ok(a) => a,
        Err(e) => return crate::admin::store_error(e),
    };
    let already = answers.iter().any(|a| a.participant == participant && a.question == form.question as i64);
    let status_of = |e: TeamError| match e {
        TeamError::AlreadyAnswered => StatusCode::CONFLICT,
        TeamError::SessionClosed | TeamError::SessionNotRunning | TeamError::PollNotOpen => StatusCode::CONFLICT,
        TeamError::AnswerTooLong => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let value = match validate_answer(loaded.run.phase, question, loaded.run.poll_state(form.question), already, value)
    {
        Ok(v) => v,
        Err(e) => return refuse(Some(form.question), e, status_of(e)).await,
    };
    let Ok(json) = serde_json::to_string(&value) else { return StatusCode::INTERNAL_SERVER_ERROR.into_response() };
    let op = WriteOp::TeamAnswer {
        tenant: j.tenant,
        session: j.session.id,
        participant,
        question: form.question as i64,
        value: json,
    };
    match state.writer.submit(op).await {
        Ok(_) => {
            state.team.changed(j.session.id);
            Redirect::to(&format!("/t/{}", j.session.join_code)).into_response()
        }
        // Two answers at the same moment: the database kept the first.
        Err(StoreError::Conflict(_)) => {
            let e = TeamError::AlreadyAnswered;
            refuse(Some(form.question), e, status_of(e)).await
        }
        Err(e) => crate::admin::store_error(e),
    }
}

#[derive(Deserialize)]
pub struct PointForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub level: String,
}

#[derive(Deserialize)]
pub struct DotForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    #[serde(default)]
    pub point: String,
}

/// What a participant's post about action points needs: the session, the participant and a checked form.
struct PointRequest<F> {
    j: Joined,
    participant: ParticipantId,
    form: F,
    loaded: super::Loaded,
}

/// The common start of the point and dot handlers: limits, the code, the participant, the body and the form
/// token. `Err` is the response to send.
/// A form a participant posts: where its form token is, and how large its body may be.
trait ParticipantForm: serde::de::DeserializeOwned {
    const MAX_BODY: usize = MAX_BODY_BYTES;
    fn csrf(&self) -> &str;
}

macro_rules! participant_forms {
    ($($form:ty $(= $max:expr)?),* $(,)?) => {$(
        impl ParticipantForm for $form {
            $(const MAX_BODY: usize = $max;)?
            fn csrf(&self) -> &str {
                &self.csrf
            }
        }
    )*};
}
participant_forms!(PointForm, DotForm, GroupForm, JoinGroupForm, WorksheetForm = WORKSHEET_BODY_BYTES);

async fn point_request<F: ParticipantForm>(
    state: &AppState,
    addr: &SocketAddr,
    headers: &HeaderMap,
    code: &str,
    body: &Bytes,
) -> Result<PointRequest<F>, Response> {
    let lang = accepted_language(headers);
    if !state.team.limiter.allow(addr.ip(), 2, REQUESTS_PER_MINUTE) {
        return Err(too_many());
    }
    let j = match joined(state, addr.ip(), headers, code).await {
        Ok(j) => j,
        Err(Ok(e)) => return Err(join_page(state, lang, "", Some(e), false, StatusCode::NOT_FOUND)),
        Err(Err(response)) => return Err(response),
    };
    let Some((participant, token)) = j.participant.clone() else {
        return Err(finish(participant_page(state, lang, &j, None, StatusCode::OK).await));
    };
    if body.len() > F::MAX_BODY {
        return Err(finish(
            participant_page(state, lang, &j, Some((None, TeamError::AnswerTooLong)), StatusCode::PAYLOAD_TOO_LARGE)
                .await,
        ));
    }
    let Ok(form) = serde_urlencoded::from_bytes::<F>(body) else {
        return Err(finish(
            participant_page(state, lang, &j, Some((None, TeamError::AnswerEmpty)), StatusCode::UNPROCESSABLE_ENTITY)
                .await,
        ));
    };
    if !crate::auth::csrf::token_matches(form.csrf(), &form_token(&token)) {
        return Err(crate::auth::csrf::FormError::BadToken.into_response());
    }
    let loaded = parse_session(j.session.clone())?;
    Ok(PointRequest { j, participant, form, loaded })
}

fn point_status(e: TeamError) -> StatusCode {
    match e {
        TeamError::AnswerTooLong => StatusCode::PAYLOAD_TOO_LARGE,
        TeamError::SessionClosed
        | TeamError::SessionNotRunning
        | TeamError::NotAtThisItem
        | TeamError::NoDotsLeft
        | TeamError::TooManyPoints
        | TeamError::PointAlreadyPosted => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// `POST /t/{code}/points`: post one action point (a typed post-it) with its level.
pub async fn post_point(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Response {
    let lang = accepted_language(&headers);
    let r = match point_request::<PointForm>(&state, &addr, &headers, &code, &body).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let refuse = |e: TeamError| {
        let (state, j) = (&state, &r.j);
        async move { finish(participant_page(state, lang, j, Some((None, e)), point_status(e)).await) }
    };
    // Twice, in case another tab of this participant took the same place in between.
    for _ in 0..2 {
        let points = match state.db.list_team_points(&r.j.tenant, r.j.session.id).await {
            Ok(p) => p,
            Err(e) => return crate::admin::store_error(e),
        };
        let mine: Vec<_> = points.iter().filter(|p| p.participant == r.participant).collect();
        let text = match validate_action_point(At::of(r.loaded.run.phase, &r.loaded.plan), &r.form.text, mine.len()) {
            Ok(text) => text,
            Err(e) => return refuse(e).await,
        };
        if mine.iter().any(|p| p.text == text) {
            return refuse(TeamError::PointAlreadyPosted).await;
        }
        let Some(level) = Level::parse(r.form.level.trim()) else {
            return refuse(TeamError::ChoiceOutOfRange).await;
        };
        let op = WriteOp::TeamPoint {
            tenant: r.j.tenant,
            session: r.j.session.id,
            participant: r.participant,
            seq: mine.len() as i64,
            level: level.as_str().to_string(),
            text,
        };
        match state.writer.submit(op).await {
            Ok(_) => {
                state.team.changed(r.j.session.id);
                return Redirect::to(&format!("/t/{}#points", r.j.session.join_code)).into_response();
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return crate::admin::store_error(e),
        }
    }
    refuse(TeamError::PointAlreadyPosted).await
}

/// `POST /t/{code}/dots`: give one dot to an action point (a participant has the plan's number of dots and
/// may put several on one point).
pub async fn dot(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Response {
    let lang = accepted_language(&headers);
    let r = match point_request::<DotForm>(&state, &addr, &headers, &code, &body).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let refuse = |e: TeamError| {
        let (state, j) = (&state, &r.j);
        async move { finish(participant_page(state, lang, j, Some((None, e)), point_status(e)).await) }
    };
    let Ok(point) = r.form.point.trim().parse::<i64>() else {
        return refuse(TeamError::NoSuchPoint).await;
    };
    let dots = match state.db.list_team_dots(&r.j.tenant, r.j.session.id).await {
        Ok(d) => d,
        Err(e) => return crate::admin::store_error(e),
    };
    let used = dots.iter().filter(|d| d.participant == r.participant).count() as u32;
    if let Err(e) = validate_dot(At::of(r.loaded.run.phase, &r.loaded.plan), r.loaded.plan.dots_per_participant, used) {
        return refuse(e).await;
    }
    let op = WriteOp::TeamDot {
        tenant: r.j.tenant,
        session: r.j.session.id,
        participant: r.participant,
        point,
        slot: i64::from(used),
    };
    match state.writer.submit(op).await {
        Ok(_) => {
            state.team.changed(r.j.session.id);
            Redirect::to(&format!("/t/{}#points", r.j.session.join_code)).into_response()
        }
        // The same slot twice: a double click, or two tabs at once. The first counted; this one does not.
        Err(StoreError::Conflict(_)) => Redirect::to(&format!("/t/{}#points", r.j.session.join_code)).into_response(),
        Err(StoreError::NotFound) => refuse(TeamError::NoSuchPoint).await,
        Err(e) => crate::admin::store_error(e),
    }
}

#[derive(Deserialize)]
pub struct GroupForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub case: String,
}

/// `POST /t/{code}/groups`: make a case work group (name and case) and sit in it.
pub async fn create_group(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Response {
    let lang = accepted_language(&headers);
    let r = match point_request::<GroupForm>(&state, &addr, &headers, &code, &body).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let refuse = |e: TeamError| {
        let (state, j) = (&state, &r.j);
        async move { finish(participant_page(state, lang, j, Some((None, e)), group_status(e)).await) }
    };
    let (groups, members) = match groups_and_members(&state, &r.j).await {
        Ok(both) => both,
        Err(response) => return response,
    };
    let in_group = members.iter().any(|m| m.participant == r.participant);
    let case = r.form.case.trim().parse::<usize>().unwrap_or(usize::MAX);
    let name = match validate_group(
        At::of(r.loaded.run.phase, &r.loaded.plan),
        &r.form.name,
        case,
        r.loaded.plan.cases.len(),
        in_group,
        groups.len(),
    ) {
        Ok(name) => name,
        Err(e) => return refuse(e).await,
    };
    if groups.iter().any(|g| g.name.to_lowercase() == name.to_lowercase()) {
        return refuse(TeamError::GroupNameInvalid).await;
    }
    let op = WriteOp::TeamGroupCreate {
        tenant: r.j.tenant,
        session: r.j.session.id,
        participant: r.participant,
        name,
        case_index: case as i64,
    };
    match state.writer.submit(op).await {
        Ok(_) => {
            state.team.changed(r.j.session.id);
            Redirect::to(&format!("/t/{}#casework", r.j.session.join_code)).into_response()
        }
        // The name was taken or this participant sat down elsewhere at the same moment.
        Err(StoreError::Conflict(_)) => refuse(TeamError::AlreadyInGroup).await,
        Err(e) => crate::admin::store_error(e),
    }
}

#[derive(Deserialize)]
pub struct JoinGroupForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    #[serde(default)]
    pub group: String,
}

fn group_status(e: TeamError) -> StatusCode {
    match e {
        TeamError::SessionClosed
        | TeamError::SessionNotRunning
        | TeamError::NotAtThisItem
        | TeamError::AlreadyInGroup
        | TeamError::GroupFull
        | TeamError::TooManyGroups
        | TeamError::FieldChanged => StatusCode::CONFLICT,
        TeamError::AnswerTooLong => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// `POST /t/{code}/groups/join`: sit in an existing group.
pub async fn join_group(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Response {
    let lang = accepted_language(&headers);
    let r = match point_request::<JoinGroupForm>(&state, &addr, &headers, &code, &body).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let refuse = |e: TeamError| {
        let (state, j) = (&state, &r.j);
        async move { finish(participant_page(state, lang, j, Some((None, e)), group_status(e)).await) }
    };
    let (groups, members) = match groups_and_members(&state, &r.j).await {
        Ok(both) => both,
        Err(response) => return response,
    };
    let Some(group) = r.form.group.trim().parse::<i64>().ok().and_then(|g| groups.iter().find(|x| x.id == g)) else {
        return refuse(TeamError::NoSuchGroup).await;
    };
    let in_group = members.iter().any(|m| m.participant == r.participant);
    let seated = members.iter().filter(|m| m.group == group.id).count();
    if let Err(e) = check_join_group(At::of(r.loaded.run.phase, &r.loaded.plan), seated, in_group) {
        return refuse(e).await;
    }
    let op = WriteOp::TeamGroupJoin {
        tenant: r.j.tenant,
        session: r.j.session.id,
        group: group.id,
        participant: r.participant,
        seat: seated as i64,
    };
    match state.writer.submit(op).await {
        Ok(_) => {
            state.team.changed(r.j.session.id);
            Redirect::to(&format!("/t/{}#casework", r.j.session.join_code)).into_response()
        }
        // Someone took the same seat at the same moment, or this participant sat down elsewhere: try again.
        Err(StoreError::Conflict(_)) => refuse(TeamError::GroupFull).await,
        Err(e) => crate::admin::store_error(e),
    }
}

#[derive(Deserialize)]
pub struct WorksheetForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub step: String,
    #[serde(default)]
    pub positives: Option<String>,
    #[serde(default)]
    pub positives_version: String,
    #[serde(default)]
    pub attention: Option<String>,
    #[serde(default)]
    pub attention_version: String,
    #[serde(default)]
    pub key_persons: Option<String>,
    #[serde(default)]
    pub key_persons_version: String,
}

/// `POST /t/{code}/worksheet`: save one step of the group's worksheet. Each field is saved at the version
/// the participant saw; a field someone else saved in between is not overwritten: the page says so and shows
/// both texts.
pub async fn save_worksheet(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Response {
    let lang = accepted_language(&headers);
    let r = match point_request::<WorksheetForm>(&state, &addr, &headers, &code, &body).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let refuse = |e: TeamError| {
        let (state, j) = (&state, &r.j);
        async move { finish(participant_page(state, lang, j, Some((None, e)), group_status(e)).await) }
    };
    let members = match state.db.list_team_group_members(&r.j.tenant, r.j.session.id).await {
        Ok(m) => m,
        Err(e) => return crate::admin::store_error(e),
    };
    let Some(group) = r
        .form
        .group
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|g| members.iter().any(|m| m.group == *g && m.participant == r.participant))
    else {
        return refuse(TeamError::NotInGroup).await;
    };
    let step = r.form.step.trim().parse::<usize>().unwrap_or(usize::MAX);
    let steps = r.loaded.plan.worksheet.len();
    let stored = match state.db.list_team_group_fields(&r.j.tenant, r.j.session.id).await {
        Ok(f) => f,
        Err(e) => return crate::admin::store_error(e),
    };
    let form = &r.form;
    let posted = [
        (CaseField::Positives, &form.positives, &form.positives_version),
        (CaseField::Attention, &form.attention, &form.attention_version),
        (CaseField::KeyPersons, &form.key_persons, &form.key_persons_version),
    ];
    let mut checked = Vec::new();
    for (field, text, version) in posted {
        let Some(text) = text else { continue };
        match validate_field(At::of(r.loaded.run.phase, &r.loaded.plan), step, steps, text) {
            Ok(text) => checked.push((field, text, version.trim().parse::<i64>().unwrap_or(0))),
            Err(e) => return refuse(e).await,
        }
    }
    let mut conflicts = Vec::new();
    let mut saved = false;
    for (field, text, version) in checked {
        let current = stored.iter().find(|x| x.group == group && x.step == step as i64 && x.field == field.as_str());
        if current.map(|c| c.text.as_str()).unwrap_or("") == text {
            continue; // unchanged
        }
        let op = WriteOp::TeamGroupField {
            tenant: r.j.tenant,
            session: r.j.session.id,
            group,
            participant: r.participant,
            step: step as i64,
            field: field.as_str().to_string(),
            text: text.clone(),
            expected_version: version,
        };
        match state.writer.submit(op).await {
            Ok(_) => saved = true,
            Err(StoreError::Conflict(_)) => conflicts.push((step, field, text)),
            Err(StoreError::NotFound) => return refuse(TeamError::NotInGroup).await,
            Err(e) => return crate::admin::store_error(e),
        }
    }
    if saved {
        state.team.changed(r.j.session.id);
    }
    if !conflicts.is_empty() {
        let e = TeamError::FieldChanged;
        return finish(participant_page_with(&state, lang, &r.j, Some((None, e)), group_status(e), &conflicts).await);
    }
    Redirect::to(&format!("/t/{}#step-{step}", r.j.session.join_code)).into_response()
}

/// `GET /t/{code}/events`: live updates for participants (the results the facilitator shows, and when the
/// page must reload because a question opened or the agenda moved on).
pub async fn events(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    let lang = accepted_language(&headers);
    match joined(&state, addr.ip(), &headers, &code).await {
        Ok(Joined { participant: Some((participant, _)), session, tenant }) => {
            if parse_session(session.clone()).is_ok_and(|l| l.run.phase == Phase::Closed) {
                // Nothing will change any more; the page already shows the end.
                return StatusCode::NO_CONTENT.into_response();
            }
            let holder = format!("participant:{}", participant.0);
            super::live::sse(state.clone(), tenant, session.id, Audience::Participant, I18n { lang }, holder)
        }
        Ok(_) | Err(Ok(_)) => StatusCode::NOT_FOUND.into_response(),
        Err(Err(response)) => response,
    }
}
