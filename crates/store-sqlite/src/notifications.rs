//! Notifications on SQLite.

use meldroute_store::*;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;

use crate::{FK_PREFIX, SqliteStore, other};

fn notification(row: SqliteRow) -> Result<Notification, sqlx::Error> {
    Ok(Notification {
        id: row.try_get("id")?,
        user: UserId(row.try_get("user_id")?),
        dossier: DossierId(row.try_get("dossier_id")?),
        kind: row.try_get("kind")?,
        urgent: row.try_get("urgent")?,
        created_at: row.try_get("created_at")?,
        read_at: row.try_get("read_at")?,
    })
}

impl NotificationStore for SqliteStore {
    async fn notify(&self, t: &TenantCtx, new: &[NewNotification]) -> StoreResult<()> {
        let (store, t, new) = (self.clone(), *t, new.to_vec());
        self.detached(async move {
            let new = &new[..];
            let _changed: Vec<_> = new.iter().map(|n| store.lookups.marking(Change::User(t.org, n.user))).collect();
            let mut tx = store.pool.begin_with("BEGIN IMMEDIATE").await.map_err(other)?;
            for n in new {
                sqlx::query("INSERT INTO notifications (org_id, user_id, dossier_id, kind, urgent, created_at) VALUES (?, ?, ?, ?, ?, ?)")
                    .bind(t.org.0)
                    .bind(n.user.0)
                    .bind(n.dossier.0)
                    .bind(&n.kind)
                    .bind(n.urgent)
                    .bind(n.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| match other(e) {
                        StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
                        e => e,
                    })?;
            }
            tx.commit().await.map_err(other)
        })
        .await
    }

    async fn notifications_for(&self, t: &TenantCtx, user: UserId, limit: i64) -> StoreResult<Vec<Notification>> {
        sqlx::query("SELECT * FROM notifications WHERE org_id = ? AND user_id = ? ORDER BY id DESC LIMIT ?")
            .bind(t.org.0)
            .bind(user.0)
            .bind(limit.clamp(1, 1000))
            .try_map(notification)
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }

    async fn unread_count(&self, t: &TenantCtx, user: UserId) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT count(*) FROM notifications WHERE org_id = ? AND user_id = ? AND read_at IS NULL")
            .bind(t.org.0)
            .bind(user.0)
            .fetch_one(&self.pool)
            .await
            .map_err(other)
    }

    async fn mark_all_read(&self, t: &TenantCtx, user: UserId, at: OffsetDateTime) -> StoreResult<u64> {
        let (store, t) = (self.clone(), *t);
        self.detached(async move {
            let _changed = store.lookups.marking(Change::User(t.org, user));
            let done = sqlx::query(
                "UPDATE notifications SET read_at = ? WHERE org_id = ? AND user_id = ? AND read_at IS NULL",
            )
            .bind(at)
            .bind(t.org.0)
            .bind(user.0)
            .execute(&store.pool)
            .await
            .map_err(other)?;
            Ok(done.rows_affected())
        })
        .await
    }
}
