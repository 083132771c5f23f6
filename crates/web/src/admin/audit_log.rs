//! The organisation's audit overview: who did what, when and from where, newest first; never content.

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use meldroute_domain::access::{Action, Resource};
use meldroute_store::{AuditFilter, DossierId, Store, UserId};
use serde::Deserialize;
use time::macros::format_description;

use super::{Outcome, allow, db, finish, record};
use crate::AppState;
use crate::auth::session::CurrentUser;
use crate::clock;
use crate::pages::{Layout, render};

/// The page sizes offered; the first is the default.
const LIMITS: [i64; 4] = [100, 50, 250, 1000];

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: Option<String>,
    #[serde(default)]
    dossier: Option<String>,
    #[serde(default)]
    limit: Option<String>,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct EventRow {
    pub when: String,
    pub actor: String,
    pub action: String,
    pub outcome: String,
    pub pupil: String,
    pub dossier: String,
    pub source: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    pub layout: Layout,
    pub actors: Vec<Choice>,
    pub limits: Vec<Choice>,
    pub dossier: String,
    pub dossier_error: Option<String>,
    pub rows: Vec<EventRow>,
}

pub async fn list(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Response {
    finish(list_inner(&state, &me, &addr, q).await)
}

async fn list_inner(state: &AppState, me: &CurrentUser, addr: &SocketAddr, q: AuditQuery) -> Outcome {
    allow(me, Action::ViewAuditLog, &Resource::Organisation)?;
    let layout = Layout::for_user(state, me, "admin-audit-title");
    let users = db(state.db.list_users(&me.tenant).await)?;
    let names: HashMap<UserId, String> = users.iter().map(|u| (u.id, u.display_name.clone())).collect();

    // An actor that is not one of ours simply matches nothing of ours: the query is scoped to the tenant.
    let actor = q.actor.as_deref().and_then(|a| a.trim().parse::<i64>().ok()).map(UserId);
    let dossier_text = q.dossier.unwrap_or_default().trim().chars().take(20).collect::<String>();
    let mut dossier_error = None;
    let dossier = if dossier_text.is_empty() {
        None
    } else {
        match dossier_text.parse::<i64>() {
            Ok(id) if id > 0 => Some(DossierId(id)),
            _ => {
                dossier_error = Some(layout.i.t("admin-audit-bad-dossier"));
                None
            }
        }
    };
    let limit =
        q.limit.as_deref().and_then(|l| l.parse::<i64>().ok()).filter(|l| LIMITS.contains(l)).unwrap_or(LIMITS[0]);

    record(state, me, addr, "admin.audit.view", None).await?;
    let events = if dossier_error.is_some() {
        Vec::new()
    } else {
        db(state.db.list_audit(&me.tenant, &AuditFilter { dossier, actor, limit: Some(limit) }).await)?
    };
    let system = layout.i.t("admin-audit-system");
    let format = format_description!("[day]-[month]-[year] [hour]:[minute]:[second]");
    let rows = events
        .into_iter()
        .map(|e| {
            let e = e.event;
            EventRow {
                when: clock::dutch_local(e.at).format(format).unwrap_or_default(),
                actor: e.actor.map_or_else(
                    || system.clone(),
                    |id| names.get(&id).map_or_else(|| format!("#{id}"), |n| format!("{n} (#{id})")),
                ),
                action: e.action,
                outcome: e.outcome,
                pupil: e.pupil.map(|p| p.to_string()).unwrap_or_default(),
                dossier: e.dossier.map(|d| d.to_string()).unwrap_or_default(),
                source: e.source,
            }
        })
        .collect();
    let mut actors =
        vec![Choice { value: String::new(), label: layout.i.t("admin-audit-actor-any"), selected: actor.is_none() }];
    actors.extend(users.iter().map(|u| Choice {
        value: u.id.to_string(),
        label: format!("{} ({})", u.display_name, u.login),
        selected: actor == Some(u.id),
    }));
    let limits =
        LIMITS.iter().map(|l| Choice { value: l.to_string(), label: l.to_string(), selected: *l == limit }).collect();
    let status = if dossier_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(&AuditPage { layout, actors, limits, dossier: dossier_text, dossier_error, rows }, status))
}
