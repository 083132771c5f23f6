//! Retention and erasure (issue 7 part 4): the organisation's retention period, the review list of closed
//! dossiers past it, the two-person erasure (propose, confirm, withdraw) and erasure requests.
//!
//! The rules live in the domain ([`meldroute_domain::retention`]): these handlers load the facts, ask the
//! domain, and show its refusal in the user's language without changing anything. The erasure itself is one
//! [`WriteOp::EraseDossier`] through the writer, which checks the same conditions again inside its savepoint
//! (so a proposal withdrawn or a dossier reopened a moment ago is still refused).

// Handlers answer a refused form with the ready response (a page); it is large, and returned once.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use meldroute_domain::UserRef;
use meldroute_domain::access::{Action, Resource};
use meldroute_domain::retention::{
    ErasureFacts, ErasureRefusal, MAX_RETENTION_MONTHS, Proposal, RequestDecision, Requester, RetentionPeriod,
    RetentionStatus, check_request, may_confirm, may_propose, may_withdraw, retention_status,
};
use meldroute_store::*;
use serde::Deserialize;

use crate::dossier_pages::{PageError, audit_read, dossier_resource, format_date, format_datetime};
use crate::dossiers::{self, Loaded};
use crate::pages::{I18n, Layout, render};
use crate::{AppState, auth::session::CurrentUser, clock};

/// Longest reason or basis, in characters.
const MAX_TEXT: usize = 2000;

fn form(body: &[u8], me: &CurrentUser) -> Result<HashMap<String, String>, Response> {
    crate::auth::csrf::parse_form::<HashMap<String, String>>(body, &me.session.csrf_token)
        .map_err(|e| e.into_response())
}

fn field<'a>(f: &'a HashMap<String, String>, name: &str) -> &'a str {
    f.get(name).map_or("", |v| v.as_str())
}

fn bounded(text: &str) -> String {
    text.trim().chars().take(MAX_TEXT).collect()
}

fn refusal_text(i: I18n, r: ErasureRefusal) -> String {
    i.t(&format!("erasure-refusal-{}", r.as_str()))
}

async fn current_period(state: &AppState, t: &TenantCtx) -> Result<Option<RetentionSetting>, PageError> {
    Ok(state.db.retention_history(t).await?.into_iter().next())
}

async fn user_names(state: &AppState, t: &TenantCtx) -> Result<HashMap<i64, String>, PageError> {
    Ok(state.db.list_users(t).await?.into_iter().map(|u| (u.id.0, u.display_name)).collect())
}

// --- the retention period -----------------------------------------------------------------------------------

pub struct SettingRow {
    pub months: u32,
    pub basis: String,
    pub by: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "retention_period.html")]
pub struct PeriodPage {
    pub layout: Layout,
    pub csrf: String,
    pub history: Vec<SettingRow>,
    pub months: String,
    pub basis: String,
    pub max_months: u32,
    pub months_hint: String,
    pub error: Option<(String, String)>,
    pub saved: bool,
}

impl PeriodPage {
    /// The error message of `field`, if the form failed there.
    pub fn err(&self, field: &str) -> Option<String> {
        self.error.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.clone())
    }
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    erased: Option<String>,
}

async fn period_page(
    state: &AppState,
    me: &CurrentUser,
    months: String,
    basis: String,
    error: Option<(String, String)>,
    saved: bool,
) -> Result<Response, PageError> {
    let layout = Layout::for_user(state, me, "retention-period-title");
    let names = user_names(state, &me.tenant).await?;
    let history = state
        .db
        .retention_history(&me.tenant)
        .await?
        .into_iter()
        .map(|s| SettingRow {
            months: s.months,
            basis: s.basis,
            by: names.get(&s.set_by.0).cloned().unwrap_or_default(),
            at: format_datetime(s.set_at),
        })
        .collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let months_hint = layout.i.t_args("retention-months-hint", &[("max", MAX_RETENTION_MONTHS.to_string())]);
    let page = PeriodPage {
        months_hint,
        layout,
        csrf: me.session.csrf_token.clone(),
        history,
        months,
        basis,
        max_months: MAX_RETENTION_MONTHS,
        error,
        saved,
    };
    Ok(render(&page, status))
}

pub async fn period(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    me.authorize(Action::ManageRetention, &Resource::Organisation)?;
    let current = current_period(&state, &me.tenant).await?;
    let months = current.as_ref().map_or_else(String::new, |s| s.months.to_string());
    period_page(&state, &me, months, String::new(), None, q.saved.is_some()).await
}

pub async fn period_save(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let f = match form(&body, &me) {
        Ok(f) => f,
        Err(r) => return Ok(r),
    };
    me.authorize(Action::ManageRetention, &Resource::Organisation)?;
    let i = I18n { lang: me.lang };
    let months_text = field(&f, "months").trim().to_string();
    let basis = bounded(field(&f, "basis"));
    let period = months_text.parse::<u32>().ok().and_then(RetentionPeriod::from_months);
    let error = match (&period, basis.is_empty()) {
        (None, _) => Some(("months".to_string(), i.t("retention-error-months"))),
        (_, true) => Some(("basis".to_string(), i.t("retention-error-basis"))),
        _ => None,
    };
    let Some(period) = period.filter(|_| error.is_none()) else {
        return period_page(&state, &me, months_text, basis, error, false).await;
    };
    state
        .db
        .set_retention(
            &me.tenant,
            RetentionSetting { months: period.months(), basis, set_by: me.user.id, set_at: clock::now_utc() },
        )
        .await?;
    audit_read(&state, &me, &addr, "retention.set", "allowed", None, None).await?;
    Ok(Redirect::to("/retention/period?saved=1").into_response())
}

async fn pupil_name(
    state: &AppState,
    t: &TenantCtx,
    cache: &mut HashMap<i64, String>,
    id: PupilId,
) -> Result<String, PageError> {
    if let Some(n) = cache.get(&id.0) {
        return Ok(n.clone());
    }
    let p = state.db.get_pupil(t, id).await?;
    let n = format!("{} {}", p.first_name, p.last_name);
    cache.insert(id.0, n.clone());
    Ok(n)
}

// --- the review list ------------------------------------------------------------------------------------------

pub struct DueRow {
    pub id: i64,
    pub pupil: String,
    pub location: String,
    pub closed_on: String,
    pub due_on: String,
    pub days_past_due: i64,
    pub proposed_by: Option<String>,
}

pub struct ProposalRow {
    pub id: i64,
    pub pupil: String,
    pub proposed_by: String,
    pub proposed_at: String,
}

#[derive(Template)]
#[template(path = "retention_review.html")]
pub struct ReviewPage {
    pub layout: Layout,
    /// The period in force and what it rests on.
    pub period_months: Option<u32>,
    pub period_basis: String,
    pub can_set: bool,
    pub due: Vec<DueRow>,
    pub proposals: Vec<ProposalRow>,
    pub erased: bool,
}

pub async fn review(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let locations = state.db.list_locations(&me.tenant).await?;
    let mine: Vec<&Location> = locations
        .iter()
        .filter(|l| me.authorize(Action::ReviewRetention, &Resource::Location { location: l.id.0 }).is_ok())
        .collect();
    if mine.is_empty() {
        return Err(PageError::NotFound);
    }
    let layout = Layout::for_user(&state, &me, "retention-review-title");
    let today = clock::today_nl();
    let current = current_period(&state, &me.tenant).await?;
    let period = current.as_ref().and_then(|s| RetentionPeriod::from_months(s.months));
    let names = user_names(&state, &me.tenant).await?;
    let pending = state.db.erasure_proposals(&me.tenant).await?;
    let location_name = |id: LocationId| mine.iter().find(|l| l.id == id).map(|l| l.name.clone());
    let mut pupil_names: HashMap<i64, String> = HashMap::new();
    let mut due = Vec::new();
    if period.is_some() {
        for c in state.db.closed_dossiers(&me.tenant, today).await? {
            let Some(location) = location_name(c.location) else { continue };
            if let RetentionStatus::Due { closed_on, due_on, days_past_due } =
                retention_status(Some(c.closed_on), period, today)
            {
                due.push(DueRow {
                    id: c.dossier.0,
                    pupil: pupil_name(&state, &me.tenant, &mut pupil_names, c.pupil).await?,
                    location,
                    closed_on: format_date(closed_on),
                    due_on: format_date(due_on),
                    days_past_due,
                    proposed_by: pending
                        .iter()
                        .find(|p| p.dossier == c.dossier)
                        .map(|p| names.get(&p.proposed_by.0).cloned().unwrap_or_default()),
                });
            }
        }
    }
    let mut proposals = Vec::new();
    for p in &pending {
        let d = state.db.get_dossier(&me.tenant, p.dossier).await?;
        if location_name(d.location).is_none() {
            continue;
        }
        proposals.push(ProposalRow {
            id: p.dossier.0,
            pupil: pupil_name(&state, &me.tenant, &mut pupil_names, d.pupil).await?,
            proposed_by: names.get(&p.proposed_by.0).cloned().unwrap_or_default(),
            proposed_at: format_datetime(p.proposed_at),
        });
    }
    audit_read(&state, &me, &addr, "retention.review", "allowed", None, None).await?;
    let page = ReviewPage {
        layout,
        period_months: current.as_ref().map(|s| s.months),
        period_basis: current.map(|s| s.basis).unwrap_or_default(),
        can_set: me.authorize(Action::ManageRetention, &Resource::Organisation).is_ok(),
        due,
        proposals,
        erased: q.erased.is_some(),
    };
    Ok(render(&page, StatusCode::OK))
}

// --- one dossier: propose, confirm, withdraw, requests ----------------------------------------------------

pub struct RequestRow {
    pub requester: String,
    pub received_on: String,
    pub decision: String,
    pub granted: bool,
    pub reason: String,
    pub by: String,
}

pub struct ProposalView {
    pub id: i64,
    pub by: String,
    pub at: String,
    pub reason: String,
    pub mine: bool,
}

#[derive(Template)]
#[template(path = "dossier_erasure.html")]
pub struct ErasurePage {
    pub layout: Layout,
    pub id: i64,
    pub pupil_name: String,
    pub csrf: String,
    pub closed: bool,
    /// Plain-language status against the retention period.
    pub status: String,
    pub requests: Vec<RequestRow>,
    pub proposal: Option<ProposalView>,
    /// The form may be offered (closed, and due or with a granted request); otherwise the status says why.
    pub may_propose: bool,
    pub error: Option<(String, String)>,
    /// Values to show again in the request form after an error.
    pub request_values: HashMap<String, String>,
}

impl ErasurePage {
    /// The error message of `field`, if the form failed there.
    pub fn err(&self, field: &str) -> Option<String> {
        self.error.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.clone())
    }

    /// The error message, wherever it belongs (shown once at the top as well).
    pub fn message(&self) -> Option<String> {
        self.error.as_ref().map(|(_, m)| m.clone())
    }

    /// The value to show again in the request form.
    pub fn val(&self, field: &str) -> String {
        self.request_values.get(field).cloned().unwrap_or_default()
    }
}

struct Facts {
    facts: ErasureFacts,
    pending: Option<ErasureProposal>,
    requests: Vec<ErasureRequest>,
}

async fn facts_of(state: &AppState, me: &CurrentUser, loaded: &Loaded) -> Result<Facts, PageError> {
    let period = current_period(state, &me.tenant).await?.and_then(|s| RetentionPeriod::from_months(s.months));
    let requests = state.db.erasure_requests(&me.tenant, loaded.dossier.id).await?;
    let pending = state.db.erasure_proposal(&me.tenant, loaded.dossier.id).await?;
    let facts = ErasureFacts {
        closed: loaded.state().closed,
        last_seq: loaded.dossier.last_seq,
        retention: retention_status(loaded.state().closed_on, period, clock::today_nl()),
        granted_request: requests.iter().any(|r| r.decision == RequestDecision::Granted.as_str()),
    };
    Ok(Facts { facts, pending, requests })
}

/// The pending proposal as the domain sees it. `proposer_may_erase` matters only when confirming (see
/// [`proposer_may_erase`]); elsewhere it is taken as true.
fn domain_proposal(p: &ErasureProposal, proposer_may_erase: bool) -> Proposal {
    Proposal { id: p.id, proposed_by: UserRef(p.proposed_by.0), dossier_seq: p.dossier_seq, proposer_may_erase }
}

/// Whether the proposer's account is still active and still holds the right to erase this dossier.
async fn proposer_may_erase(
    state: &AppState,
    me: &CurrentUser,
    loaded: &Loaded,
    proposer: meldroute_store::UserId,
) -> Result<bool, PageError> {
    let user = match state.db.get_user(&me.tenant, proposer).await {
        Ok(user) => user,
        Err(StoreError::NotFound) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    if user.disabled {
        return Ok(false);
    }
    let grants = state.db.roles_of(&me.tenant, proposer).await?;
    let actor = meldroute_domain::access::Actor {
        user: proposer.0,
        grants: grants
            .iter()
            .map(|g| meldroute_domain::access::Grant { role: g.role, location: g.location.map(|l| l.0) })
            .collect(),
    };
    // The proposer's own view: whether they are involved in the dossier, and what is shared with them.
    let resource = crate::dossier_pages::resource_for(proposer, loaded);
    Ok(matches!(
        meldroute_domain::access::authorize(&actor, Action::EraseDossier, &resource),
        meldroute_domain::access::Decision::Allow
    ))
}

async fn load_for_erasure(state: &AppState, me: &CurrentUser, id: i64) -> Result<Loaded, PageError> {
    let loaded = dossiers::load(&state.db, &state.chronologies, &me.tenant, DossierId(id)).await?;
    let resource = dossier_resource(me, &loaded);
    me.authorize(Action::EraseDossier, &resource)?;
    Ok(loaded)
}

async fn erasure_page(
    state: &AppState,
    me: &CurrentUser,
    loaded: &Loaded,
    error: Option<(String, String)>,
    status: StatusCode,
    request_values: HashMap<String, String>,
) -> Result<Response, PageError> {
    let layout = Layout::for_user(state, me, "erasure-title");
    let i = layout.i;
    let names = user_names(state, &me.tenant).await?;
    let f = facts_of(state, me, loaded).await?;
    let status_text = match f.facts.retention {
        RetentionStatus::NoPeriod => i.t("erasure-status-no-period"),
        RetentionStatus::Open => i.t("erasure-status-open"),
        RetentionStatus::Kept { closed_on, due_on } => {
            i.t_args("erasure-status-kept", &[("closed", format_date(closed_on)), ("due", format_date(due_on))])
        }
        RetentionStatus::Due { closed_on, due_on, days_past_due } => i.t_args(
            "erasure-status-due",
            &[("closed", format_date(closed_on)), ("due", format_date(due_on)), ("days", days_past_due.to_string())],
        ),
    };
    let requests = f
        .requests
        .iter()
        .map(|r| RequestRow {
            requester: i.t(&format!("erasure-requester-{}", r.requester)),
            received_on: format_date(r.received_on),
            decision: i.t(&format!("erasure-decision-{}", r.decision)),
            granted: r.decision == RequestDecision::Granted.as_str(),
            reason: r.reason.clone(),
            by: names.get(&r.decided_by.0).cloned().unwrap_or_default(),
        })
        .collect();
    let proposal = f.pending.as_ref().map(|p| ProposalView {
        id: p.id,
        by: names.get(&p.proposed_by.0).cloned().unwrap_or_default(),
        at: format_datetime(p.proposed_at),
        reason: p.reason.clone(),
        mine: p.proposed_by == me.user.id,
    });
    let page = ErasurePage {
        id: loaded.dossier.id.0,
        pupil_name: format!("{} {}", loaded.pupil.first_name, loaded.pupil.last_name),
        csrf: me.session.csrf_token.clone(),
        closed: f.facts.closed,
        status: status_text,
        requests,
        may_propose: may_propose(&f.facts, None, "reason").is_ok(),
        proposal,
        error,
        request_values,
        layout,
    };
    Ok(render(&page, status))
}

pub async fn show(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let loaded = load_for_erasure(&state, &me, id).await?;
    audit_read(&state, &me, &addr, "dossier.erasure.view", "allowed", Some(loaded.pupil.id), Some(loaded.dossier.id))
        .await?;
    erasure_page(&state, &me, &loaded, None, StatusCode::OK, HashMap::new()).await
}

/// Shows the refusal on the page (nothing changed) and records the refused attempt.
async fn refused(
    state: &AppState,
    me: &CurrentUser,
    addr: &SocketAddr,
    loaded: &Loaded,
    action: &str,
    (field, r): (&str, ErasureRefusal),
    values: HashMap<String, String>,
) -> Result<Response, PageError> {
    audit_read(state, me, addr, action, "refused", Some(loaded.pupil.id), Some(loaded.dossier.id)).await?;
    let i = I18n { lang: me.lang };
    let status = match r {
        ErasureRefusal::NoProposal | ErasureRefusal::StaleProposal | ErasureRefusal::AlreadyProposed => {
            StatusCode::CONFLICT
        }
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    erasure_page(state, me, loaded, Some((field.to_string(), refusal_text(i, r))), status, values).await
}

pub async fn propose(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let f = match form(&body, &me) {
        Ok(f) => f,
        Err(r) => return Ok(r),
    };
    let loaded = load_for_erasure(&state, &me, id).await?;
    let reason = bounded(field(&f, "reason"));
    let facts = facts_of(&state, &me, &loaded).await?;
    let pending = facts.pending.as_ref().map(|p| domain_proposal(p, true));
    if let Err(r) = may_propose(&facts.facts, pending.as_ref(), &reason) {
        return refused(&state, &me, &addr, &loaded, "dossier.erase.propose", ("reason", r), HashMap::new()).await;
    }
    let result = state
        .db
        .propose_erasure(
            &me.tenant,
            NewErasureProposal {
                dossier: loaded.dossier.id,
                proposed_by: me.user.id,
                proposed_at: clock::now_utc(),
                reason,
                dossier_seq: loaded.dossier.last_seq,
            },
        )
        .await;
    match result {
        Ok(_) => {}
        // Someone else proposed a moment ago.
        Err(StoreError::Conflict(_)) => {
            let r = ("reason", ErasureRefusal::AlreadyProposed);
            return refused(&state, &me, &addr, &loaded, "dossier.erase.propose", r, HashMap::new()).await;
        }
        Err(e) => return Err(e.into()),
    }
    audit_read(&state, &me, &addr, "dossier.erase.propose", "allowed", Some(loaded.pupil.id), Some(loaded.dossier.id))
        .await?;
    Ok(Redirect::to(&format!("/dossiers/{id}/erasure")).into_response())
}

pub async fn withdraw(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let f = match form(&body, &me) {
        Ok(f) => f,
        Err(r) => return Ok(r),
    };
    let loaded = load_for_erasure(&state, &me, id).await?;
    let expected = field(&f, "proposal").parse::<i64>().unwrap_or(-1);
    let facts = facts_of(&state, &me, &loaded).await?;
    let pending = facts.pending.as_ref().map(|p| domain_proposal(p, true));
    let outcome = match may_withdraw(pending.as_ref(), expected) {
        Ok(()) => match state.db.withdraw_erasure(&me.tenant, loaded.dossier.id, expected).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(ErasureRefusal::NoProposal),
            Err(e) => return Err(e.into()),
        },
        Err(r) => Err(r),
    };
    if let Err(r) = outcome {
        return refused(&state, &me, &addr, &loaded, "dossier.erase.withdraw", ("proposal", r), HashMap::new()).await;
    }
    audit_read(&state, &me, &addr, "dossier.erase.withdraw", "allowed", Some(loaded.pupil.id), Some(loaded.dossier.id))
        .await?;
    Ok(Redirect::to(&format!("/dossiers/{id}/erasure")).into_response())
}

pub async fn confirm(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let f = match form(&body, &me) {
        Ok(f) => f,
        Err(r) => return Ok(r),
    };
    let loaded = load_for_erasure(&state, &me, id).await?;
    let expected = field(&f, "proposal").parse::<i64>().unwrap_or(-1);
    // Deliberate: the dossier number typed and the box ticked.
    let deliberate = field(&f, "confirm_number").trim() == id.to_string() && field(&f, "understood") == "yes";
    let facts = facts_of(&state, &me, &loaded).await?;
    let proposer_ok = match &facts.pending {
        Some(p) => proposer_may_erase(&state, &me, &loaded, p.proposed_by).await?,
        None => true,
    };
    let pending = facts.pending.as_ref().map(|p| domain_proposal(p, proposer_ok));
    if let Err(r) = may_confirm(&facts.facts, pending.as_ref(), expected, UserRef(me.user.id.0), deliberate) {
        return refused(&state, &me, &addr, &loaded, "dossier.erase.confirm", ("confirm_number", r), HashMap::new())
            .await;
    }
    let op = WriteOp::EraseDossier {
        tenant: me.tenant,
        dossier: loaded.dossier.id,
        proposal: expected,
        confirmed_by: me.user.id,
        at: clock::now_utc(),
        source: addr.ip().to_string(),
    };
    // Before and after the erasure commits: no chronology read in between is kept, and none of the erased
    // text stays cached. In a task of its own, so that the second emptying waits for the writer's answer even
    // when this request is cancelled (the erasure still commits then).
    let task = state.clone();
    let erasure = tokio::spawn(async move {
        let guard = task.chronologies.erasure_guard();
        let result = task.writer.submit(op).await;
        drop(guard);
        result
    });
    let result = erasure.await.map_err(|_| PageError::Unavailable)?;
    match result {
        Ok(WriteOutcome::DossierErased { .. }) => Ok(Redirect::to("/retention?erased=1").into_response()),
        // Withdrawn, reopened or confirmed by someone else between the check and the write.
        Err(StoreError::Conflict(_)) | Err(StoreError::NotFound) => {
            let r = ("confirm_number", ErasureRefusal::StaleProposal);
            refused(&state, &me, &addr, &loaded, "dossier.erase.confirm", r, HashMap::new()).await
        }
        Ok(other) => {
            tracing::error!(?other, "the writer answered an erasure with another outcome");
            Err(PageError::Unavailable)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn record_request(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let f = match form(&body, &me) {
        Ok(f) => f,
        Err(r) => return Ok(r),
    };
    let loaded = load_for_erasure(&state, &me, id).await?;
    let i = I18n { lang: me.lang };
    let values: HashMap<String, String> = ["requester", "received_on", "decision", "decision_reason"]
        .into_iter()
        .map(|k| (k.to_string(), bounded(field(&f, k))))
        .collect();
    let requester = Requester::from_code(field(&f, "requester"));
    let decision = RequestDecision::from_code(field(&f, "decision"));
    let received_on =
        time::Date::parse(field(&f, "received_on"), time::macros::format_description!("[year]-[month]-[day]")).ok();
    let reason = bounded(field(&f, "decision_reason"));
    let input_error = match (requester, received_on, decision) {
        (None, _, _) => Some(("requester", i.t("erasure-error-requester"))),
        (_, None, _) => Some(("received_on", i.t("erasure-error-received-on"))),
        (_, _, None) => Some(("decision", i.t("erasure-error-decision"))),
        _ => None,
    };
    if let Some((field, message)) = input_error {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return erasure_page(&state, &me, &loaded, Some((field.to_string(), message)), status, values).await;
    }
    let (Some(requester), Some(received_on), Some(decision)) = (requester, received_on, decision) else {
        return Err(PageError::NotFound);
    };
    if let Err(r) = check_request(requester, loaded.pupil.date_of_birth, received_on, clock::today_nl(), &reason) {
        let field = match r {
            ErasureRefusal::ReasonRequired => "decision_reason",
            ErasureRefusal::RequestDateInFuture => "received_on",
            _ => "requester",
        };
        return refused(&state, &me, &addr, &loaded, "dossier.erasure_request", (field, r), values).await;
    }
    state
        .db
        .record_erasure_request(
            &me.tenant,
            NewErasureRequest {
                dossier: loaded.dossier.id,
                requester: requester.as_str().into(),
                received_on,
                decision: decision.as_str().into(),
                reason,
                decided_by: me.user.id,
                recorded_at: clock::now_utc(),
            },
        )
        .await?;
    audit_read(
        &state,
        &me,
        &addr,
        "dossier.erasure_request",
        decision.as_str(),
        Some(loaded.pupil.id),
        Some(loaded.dossier.id),
    )
    .await?;
    Ok(Redirect::to(&format!("/dossiers/{id}/erasure")).into_response())
}
