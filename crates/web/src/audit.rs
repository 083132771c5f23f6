//! Recording audit events: who did what to whose data, from where; never the content. The write goes through
//! the group-commit writer and must succeed: if it fails, the request fails.

use meldroute_store::{DossierId, NewAuditEvent, OrgId, Pending, PupilId, UserId, WriteOp};

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
    begin(state, e).await?.done().await
}

/// Hands the audit row of `e` to the writer and returns while it commits, so a page can be prepared
/// meanwhile; the page may only be sent once [`Recording::done`] has answered `Ok`.
pub async fn begin(state: &AppState, e: Event<'_>) -> Result<Recording, AuditFailed> {
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
    match state.writer.enqueue(op).await {
        Ok(pending) => Ok(Recording { pending }),
        Err(err) => {
            tracing::error!(error = %err, action = e.action, "audit write failed");
            Err(AuditFailed)
        }
    }
}

/// An audit row on its way to the log (see [`begin`]).
#[must_use = "what the audit row records may only be shown once `done` has answered"]
pub struct Recording {
    pending: Pending,
}

impl Recording {
    /// Hands `page` over once the row is committed, and never when it was not: the way to send what the row
    /// records (a page built while the row commits has no other way out).
    pub async fn release<T>(self, page: T) -> Result<T, AuditFailed> {
        self.done().await.map(|()| page)
    }

    /// Waits until the row is committed; `Err` when it was not, and then nothing of what it records may be
    /// shown.
    pub async fn done(self) -> Result<(), AuditFailed> {
        match self.pending.outcome().await {
            Ok(_) => Ok(()),
            // The request's span names the route.
            Err(err) => {
                tracing::error!(error = %err, "audit write failed");
                Err(AuditFailed)
            }
        }
    }
}
