//! Recording audit events: who did what to whose data, from where; never the content. The write goes through
//! the group-commit writer and must succeed: if it fails, the request fails.

use meldroute_store::{DossierId, NewAuditEvent, OrgId, PupilId, UserId, WriteOp};

use crate::{AppState, clock};

/// One thing that happened.
pub struct Event<'a> {
    pub org: Option<OrgId>,
    pub actor: Option<UserId>,
    pub pupil: Option<PupilId>,
    pub dossier: Option<DossierId>,
    pub action: &'a str,
    pub outcome: &'a str,
    pub source: &'a str,
}

#[derive(Debug)]
pub struct AuditFailed;

impl axum::response::IntoResponse for AuditFailed {
    fn into_response(self) -> axum::response::Response {
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, "the audit log could not be written; nothing was done")
            .into_response()
    }
}

pub async fn record(state: &AppState, e: Event<'_>) -> Result<(), AuditFailed> {
    let op = WriteOp::Audit(NewAuditEvent {
        at: clock::now_utc(),
        org: e.org,
        actor: e.actor,
        on_behalf_of: None,
        pupil: e.pupil,
        dossier: e.dossier,
        action: e.action.to_string(),
        outcome: e.outcome.to_string(),
        source: e.source.to_string(),
    });
    match state.writer.submit(op).await {
        Ok(_) => Ok(()),
        Err(err) => {
            tracing::error!(error = %err, action = e.action, "audit write failed");
            Err(AuditFailed)
        }
    }
}
