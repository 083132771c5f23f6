//! In-app notifications (issue 5: opening a dossier alerts the location's IB-er and aandachtsfunctionaris;
//! a disclosure is urgent). They name the dossier, never its content.

use serde::Serialize;
use time::OffsetDateTime;

use crate::TenantCtx;
use crate::error::StoreResult;
use crate::ids::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: i64,
    pub user: UserId,
    pub dossier: DossierId,
    /// `dossier_opened` or `disclosure`.
    pub kind: String,
    pub urgent: bool,
    pub created_at: OffsetDateTime,
    pub read_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub user: UserId,
    pub dossier: DossierId,
    pub kind: String,
    pub urgent: bool,
    pub created_at: OffsetDateTime,
}

#[allow(async_fn_in_trait)]
pub trait NotificationStore: Clone + Send + Sync + 'static {
    async fn notify(&self, t: &TenantCtx, new: &[NewNotification]) -> StoreResult<()>;
    /// Newest first.
    async fn notifications_for(&self, t: &TenantCtx, user: UserId, limit: i64) -> StoreResult<Vec<Notification>>;
    async fn unread_count(&self, t: &TenantCtx, user: UserId) -> StoreResult<i64>;
    async fn mark_all_read(&self, t: &TenantCtx, user: UserId, at: OffsetDateTime) -> StoreResult<u64>;
}
