//! `NotificationStore` for the backend enum.

use meldroute_store::*;
use time::OffsetDateTime;

use crate::{Database, delegate};

delegate! { NotificationStore {
    async fn notify(&self, t: &TenantCtx, new: &[NewNotification]) -> StoreResult<()>;
    async fn notifications_for(&self, t: &TenantCtx, user: UserId, limit: i64) -> StoreResult<Vec<Notification>>;
    async fn unread_count(&self, t: &TenantCtx, user: UserId) -> StoreResult<i64>;
    async fn mark_all_read(&self, t: &TenantCtx, user: UserId, at: OffsetDateTime) -> StoreResult<u64>;
} }
