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
use meldroute_domain::team_session::{AnswerValue, JoinCode, Phase, TeamError, check_join, validate_answer};
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
        shape: shape(&snap.run),
        text_max: meldroute_domain::team_session::MAX_ANSWER_CHARS,
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
        Ok(j) if j.participant.is_some() => {
            if parse_session(j.session.clone()).is_ok_and(|l| l.run.phase == Phase::Closed) {
                // Nothing will change any more; the page already shows the end.
                return StatusCode::NO_CONTENT.into_response();
            }
            super::live::sse(state.clone(), j.tenant, j.session.id, Audience::Participant, I18n { lang })
        }
        Ok(_) | Err(Ok(_)) => StatusCode::NOT_FOUND.into_response(),
        Err(Err(response)) => response,
    }
}
