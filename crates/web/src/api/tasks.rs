//! `GET /api/v1/tasks`: what is due across the dossiers the user may see (Veilig Thuis's decision, the end
//! of a help term, an evaluation, an agreed follow-up conversation), sorted by date, overdue flagged.
//!
//! Which dossiers: per location, [`dossier_list_scope`] (all of the location for the care roles, the ones
//! the user opened or wrote in for a medewerker). Shared dossiers are left out: a partner's limited view
//! shows no engine state. Each dossier is checked with the same `authorize` as the dossier page before its
//! deadlines are shown.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use meldroute_domain::access::{Action, EntryKindFilter, ListScope, Resource, dossier_list_scope, visible_entry_kinds};
use meldroute_store::*;
use serde_json::{Value, json};

use super::error::{ApiError, respond};
use super::extract::ApiUser;
use super::reason_json;
use crate::auth::session::CurrentUser;
use crate::dossier_pages::{audit_read, dossier_resource};
use crate::{AppState, clock, dossiers};

pub async fn list(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiUser(me): ApiUser,
) -> Response {
    respond(me.lang, tasks(&state, &me, &addr).await)
}

/// Open dossiers at the user's locations that they may read as a whole.
async fn candidate_dossiers(state: &AppState, me: &CurrentUser) -> Result<Vec<Dossier>, ApiError> {
    let mut out: Vec<Dossier> = Vec::new();
    for location in state.db.list_locations(&me.tenant).await? {
        let base =
            DossierFilter { location: Some(location.id), open_only: true, limit: Some(1000), ..Default::default() };
        let found = match dossier_list_scope(me.actor(), location.id.0) {
            ListScope::AllAtLocation => state.db.list_dossiers(&me.tenant, &base).await?,
            ListScope::InvolvedOnly | ListScope::InvolvedOrShared => {
                state.db.list_dossiers(&me.tenant, &DossierFilter { involving: Some(me.user.id), ..base }).await?
            }
            ListScope::SharedOnly | ListScope::Nothing => Vec::new(),
        };
        for d in found {
            if !out.iter().any(|x| x.id == d.id) {
                out.push(d);
            }
        }
    }
    Ok(out)
}

async fn tasks(state: &AppState, me: &CurrentUser, addr: &SocketAddr) -> Result<Json<Value>, ApiError> {
    me.authorize(Action::ViewTasks, &Resource::OwnAccount)?;
    let today = clock::today_nl();
    let mut rows: Vec<(time::Date, i64, Value)> = Vec::new();
    for d in candidate_dossiers(state, me).await? {
        if d.projection.next_due.is_none() {
            continue;
        }
        let loaded = dossiers::load(&state.db, &state.chronologies, &me.tenant, d.id).await?;
        let resource = dossier_resource(me, &loaded);
        if me.authorize(Action::ReadDossier, &resource).is_err()
            || !matches!(visible_entry_kinds(me.actor(), &resource), EntryKindFilter::All)
        {
            continue;
        }
        for deadline in &loaded.state().deadlines {
            rows.push((
                deadline.due,
                d.id.0,
                json!({
                    "dossier_id": d.id,
                    "pupil": {
                        "id": loaded.pupil.id,
                        "first_name": loaded.pupil.first_name,
                        "last_name": loaded.pupil.last_name,
                    },
                    "kind": deadline.kind,
                    "due": deadline.due,
                    "overdue": deadline.due < today,
                    "source_entry": deadline.source,
                    "reason": reason_json(me.lang, &deadline.reason),
                }),
            ));
        }
    }
    rows.sort_by_key(|(due, dossier, _)| (*due, *dossier));
    audit_read(state, me, addr, "task.list", "allowed", None, None).await?;
    Ok(Json(json!({ "today": today, "tasks": rows.into_iter().map(|(_, _, v)| v).collect::<Vec<_>>() })))
}
