//! Dossiers through the API: open one for a pupil, read its metadata, chronology and engine state, and
//! append entries. Validation is the domain's (`dossiers::open` / `dossiers::append`); refusals come back
//! as 422 with the domain's error code and field. Every read and write is audited like the pages do.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use meldroute_domain::access::{Action, EntryKindFilter, Resource, authorize_append, visible_entry_kinds};
use meldroute_domain::{EntryBody, EntryKind};
use meldroute_store::*;
use serde::Deserialize;
use serde_json::{Value, json};
use time::Date;

use super::error::{ApiError, respond};
use super::extract::{ApiJson, ApiUser, parse_id};
use super::{reason_json, rfc3339};
use crate::auth::session::CurrentUser;
use crate::dossier_pages::{audit_event, audit_read, dossier_resource};
use crate::dossiers::{self, DossierError, Draft, Loaded};
use crate::{AppState, clock};

/// `POST /api/v1/pupils/{id}/dossiers`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenRequest {
    /// The first entry (usually an observation or a disclosure), as `{"kind": ..., ...}`.
    pub entry: EntryBody,
    /// When it happened, if not today.
    #[serde(default)]
    pub occurred_on: Option<Date>,
}

/// `POST /api/v1/dossiers/{id}/entries`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppendRequest {
    pub entry: EntryBody,
    #[serde(default)]
    pub occurred_on: Option<Date>,
    /// The newest entry the client has seen; when another entry landed since, the append is refused (409)
    /// instead of being validated against a chronology the client did not see.
    #[serde(default)]
    pub expected_last_seq: Option<i64>,
}

fn created(location: String, body: Value) -> Response {
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

// --- open ------------------------------------------------------------------------------------------------------

/// `POST /api/v1/pupils/{id}/dossiers`: opens a dossier with its first entry → 201 `{"dossier_id": ...}`.
pub async fn open(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    body: Result<ApiJson<OpenRequest>, ApiError>,
) -> Response {
    respond(me.lang, open_dossier(&state, &me, &addr, &id, body).await)
}

async fn open_dossier(
    state: &AppState,
    me: &CurrentUser,
    addr: &SocketAddr,
    id: &str,
    body: Result<ApiJson<OpenRequest>, ApiError>,
) -> Result<Response, ApiError> {
    const ACTION: &str = "dossier.open";
    let id = PupilId(parse_id(id)?);
    let pupil = match state.db.get_pupil(&me.tenant, id).await {
        Ok(p) => p,
        Err(e) => {
            audit_read(state, me, addr, ACTION, "not_found", Some(id), None).await?;
            return Err(e.into());
        }
    };
    if let Err(denied) = me.authorize(Action::OpenDossier, &Resource::Pupil { location: pupil.location.0 }) {
        audit_read(state, me, addr, ACTION, "denied", Some(pupil.id), None).await?;
        return Err(denied.into());
    }
    let ApiJson(request) = body?;
    // The opener is involved in the new dossier; the first entry must be one they may record there.
    let future = Resource::Dossier { location: pupil.location.0, involved: true, share: None };
    if let meldroute_domain::AccessDecision::Deny(reason) = authorize_append(me.actor(), &request.entry, &future) {
        tracing::info!(reason = reason.code(), "api: first entry kind refused");
        audit_read(state, me, addr, ACTION, "denied", Some(pupil.id), None).await?;
        return Err(ApiError::not_found());
    }
    let draft = Draft { author: me.user.id, body: request.entry, occurred_on: request.occurred_on };
    match dossiers::open(&state.db, &state.writer, &me.tenant, pupil.id, draft).await {
        Ok(dossier) => {
            audit_read(state, me, addr, ACTION, "allowed", Some(pupil.id), Some(dossier)).await?;
            Ok(created(format!("/api/v1/dossiers/{dossier}"), json!({ "dossier_id": dossier })))
        }
        Err(DossierError::Refused(e)) => {
            audit_read(state, me, addr, ACTION, "refused", Some(pupil.id), None).await?;
            Err(ApiError::refused(&e))
        }
        Err(other) => Err(other.into()),
    }
}

// --- reading -----------------------------------------------------------------------------------------------------

/// Loads a dossier the user may read (auditing the read as the dossier page does), with its access
/// resource and which entry kinds the user sees.
async fn readable(
    state: &AppState,
    me: &CurrentUser,
    addr: &SocketAddr,
    id: &str,
) -> Result<(Loaded, Resource, EntryKindFilter), ApiError> {
    const ACTION: &str = "dossier.read";
    let id = DossierId(parse_id(id)?);
    let loaded = match dossiers::load(&state.db, &state.chronologies, &me.tenant, id).await {
        Ok(l) => l,
        Err(e) => {
            audit_read(state, me, addr, ACTION, "not_found", None, Some(id)).await?;
            return Err(e.into());
        }
    };
    let resource = dossier_resource(me, &loaded);
    if let Err(denied) = me.authorize(Action::ReadDossier, &resource) {
        audit_read(state, me, addr, ACTION, "denied", Some(loaded.pupil.id), Some(loaded.dossier.id)).await?;
        return Err(denied.into());
    }
    audit_read(state, me, addr, ACTION, "allowed", Some(loaded.pupil.id), Some(loaded.dossier.id)).await?;
    let filter = visible_entry_kinds(me.actor(), &resource);
    Ok((loaded, resource, filter))
}

/// `GET /api/v1/dossiers/{id}`: metadata and the listing projection.
pub async fn show(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let (loaded, _, filter) = readable(&state, &me, &addr, &id).await?;
        let d = &loaded.dossier;
        let limited = !matches!(filter, EntryKindFilter::All);
        Ok::<_, ApiError>(Json(json!({
            "id": d.id,
            "pupil": { "id": loaded.pupil.id, "first_name": loaded.pupil.first_name, "last_name": loaded.pupil.last_name },
            "location_id": d.location,
            "opened_at": rfc3339(d.opened_at),
            "opened_by": d.opened_by,
            "updated_at": rfc3339(d.updated_at),
            "last_seq": d.last_seq,
            "limited": limited,
            // A partner's limited view carries no engine state beyond the step, as on the HTML page.
            "projection": if limited {
                json!({ "step": d.projection.step, "closed": d.projection.closed })
            } else {
                json!({
                    "step": d.projection.step,
                    "closed": d.projection.closed,
                    "urgent": d.projection.urgent,
                    "next_due": d.projection.next_due,
                })
            },
        })))
    }
    .await;
    respond(me.lang, result)
}

#[derive(Deserialize, Default)]
pub struct EntriesQuery {
    #[serde(default)]
    kind: Option<String>,
}

/// `GET /api/v1/dossiers/{id}/entries?kind=`: the chronology as far as the user may see it.
pub async fn entries(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    Query(query): Query<EntriesQuery>,
) -> Response {
    let result = async {
        let (loaded, _, filter) = readable(&state, &me, &addr, &id).await?;
        let wanted = match query.kind.as_deref().filter(|k| !k.is_empty()) {
            None => None,
            Some(code) => Some(
                EntryKind::from_code(code)
                    .ok_or_else(|| ApiError::invalid_body(format!("unknown entry kind `{code}`")).with_field("kind"))?,
            ),
        };
        let corrected = &loaded.state().corrected;
        let entries: Vec<Value> = loaded
            .entries
            .iter()
            .filter(|e| crate::dossier_pages::entry_visible(&filter, &e.body))
            .filter(|e| wanted.is_none_or(|k| e.body.kind() == k))
            .map(|e| {
                json!({
                    "id": e.id,
                    "seq": e.seq,
                    "kind": e.body.kind().as_str(),
                    "author_id": e.author.0,
                    "recorded_at": rfc3339(e.recorded_at),
                    "occurred_on": e.occurred_on,
                    "corrected_by": corrected.iter().find(|c| c.original == e.id).map(|c| c.by),
                    "body": e.body,
                })
            })
            .collect();
        Ok::<_, ApiError>(Json(
            json!({ "dossier_id": loaded.dossier.id, "last_seq": loaded.dossier.last_seq, "entries": entries }),
        ))
    }
    .await;
    respond(me.lang, result)
}

/// `GET /api/v1/dossiers/{id}/state`: the engine's view: step, afwegingskader, meldingen, deadlines and the
/// next actions, each with its rule id and the reason in the user's language. A partner's limited view
/// gets the step only, as on the dossier page.
pub async fn state(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let (loaded, _, filter) = readable(&state, &me, &addr, &id).await?;
        Ok::<_, ApiError>(Json(state_json(&me, &loaded, !matches!(filter, EntryKindFilter::All))))
    }
    .await;
    respond(me.lang, result)
}

fn state_json(me: &CurrentUser, loaded: &Loaded, limited: bool) -> Value {
    let lang = me.lang;
    let s = loaded.state();
    let step = json!({
        "number": s.step.number(),
        "code": s.step,
        "label": meldroute_i18n::text(lang, &format!("step-{}", s.step.number()), &[]),
    });
    if limited {
        return json!({ "dossier_id": loaded.dossier.id, "limited": true, "step": step, "closed": s.closed });
    }
    let today = clock::today_nl();
    let a = &s.afwegingskader;
    json!({
        "dossier_id": loaded.dossier.id,
        "limited": false,
        "step": step,
        "closed": s.closed,
        "round": s.round,
        "answers": s.answers,
        "afwegingskader": {
            "next_question": a.next_question.map(|q| json!({
                "code": q.as_str(),
                "number": q.number(),
                "text": meldroute_i18n::text(lang, &q.message_key(), &[]),
            })),
            "with_veilig_thuis": a.with_veilig_thuis,
            "hulp": a.hulp.as_str(),
            "closed": a.closed,
            "reasons": a.reasons.iter().map(|r| reason_json(lang, r)).collect::<Vec<_>>(),
            "conflict": s.afwegingskader_conflict.map(|c| c.code().as_str()),
        },
        "meldingen": s.meldingen.iter().map(|m| json!({
            "meldnorm": m.melding.meldnorm,
            "after": m.melding.after.as_str(),
            "triggered_by": m.triggered_by,
            "reported_in": m.reported_in,
            "due": m.reported_in.is_none(),
            "reason": reason_json(lang, &m.melding.reason),
        })).collect::<Vec<_>>(),
        "deadlines": s.deadlines.iter().map(|d| json!({
            "kind": d.kind,
            "due": d.due,
            "overdue": d.due < today,
            "source_entry": d.source,
            "reason": reason_json(lang, &d.reason),
        })).collect::<Vec<_>>(),
        "next_actions": s.next_actions.iter().map(|r| json!({
            "kind": r.kind.as_str(),
            "reason": reason_json(lang, &r.reason),
        })).collect::<Vec<_>>(),
        "flags": s.flags,
    })
}

/// `GET /api/v1/dossiers/{id}/attachments/{attachment}`: the file of an attachment entry, with the same
/// checks, audit and headers as the page's download.
pub async fn attachment(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiUser(me): ApiUser,
    Path((id, attachment)): Path<(String, String)>,
) -> Response {
    let result = async {
        let id = DossierId(parse_id(&id)?);
        let file = crate::attachments::fetch(&state, &me, &addr, id, &attachment).await?;
        Ok::<_, ApiError>(crate::attachments::serve(file))
    }
    .await;
    respond(me.lang, result)
}

// --- appending ---------------------------------------------------------------------------------------------------

/// `POST /api/v1/dossiers/{id}/entries`: appends an entry → 201 `{"entry_id": ..., "seq": ...}`.
pub async fn append(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    body: Result<ApiJson<AppendRequest>, ApiError>,
) -> Response {
    respond(me.lang, append_entry(&state, &me, &addr, &id, body).await)
}

async fn append_entry(
    state: &AppState,
    me: &CurrentUser,
    addr: &SocketAddr,
    id: &str,
    body: Result<ApiJson<AppendRequest>, ApiError>,
) -> Result<Response, ApiError> {
    const ACTION: &str = "dossier.append";
    let id = DossierId(parse_id(id)?);
    let loaded = match dossiers::load(&state.db, &state.chronologies, &me.tenant, id).await {
        Ok(l) => l,
        Err(e) => {
            audit_read(state, me, addr, ACTION, "not_found", None, Some(id)).await?;
            return Err(e.into());
        }
    };
    let (pupil, dossier) = (Some(loaded.pupil.id), Some(loaded.dossier.id));
    let resource = dossier_resource(me, &loaded);
    // Who may not read the dossier learns nothing, not even whether their body was well-formed.
    if let Err(denied) = me.authorize(Action::ReadDossier, &resource) {
        audit_read(state, me, addr, ACTION, "denied", pupil, dossier).await?;
        return Err(denied.into());
    }
    let ApiJson(request) = body?;
    if let meldroute_domain::AccessDecision::Deny(reason) = authorize_append(me.actor(), &request.entry, &resource) {
        tracing::info!(reason = reason.code(), "api: append refused by the access policy");
        audit_read(state, me, addr, ACTION, "denied", pupil, dossier).await?;
        return Err(ApiError::not_found());
    }
    let draft = Draft { author: me.user.id, body: request.entry, occurred_on: request.occurred_on };
    // The entry and the audit row that records it land in one commit.
    let audit = audit_event(me, addr, ACTION, "allowed", pupil, dossier);
    match dossiers::append_audited(state.dossier_io(), &me.tenant, loaded, draft, request.expected_last_seq, audit)
        .await
    {
        Ok((entry, seq)) => {
            Ok(created(format!("/api/v1/dossiers/{id}/entries"), json!({ "entry_id": entry, "seq": seq })))
        }
        Err(DossierError::Refused(e)) => {
            audit_read(state, me, addr, ACTION, "refused", pupil, dossier).await?;
            Err(ApiError::refused(&e))
        }
        Err(DossierError::Stale) => {
            audit_read(state, me, addr, ACTION, "stale", pupil, dossier).await?;
            Err(ApiError::stale())
        }
        Err(other) => Err(other.into()),
    }
}
