//! Attachments: written by the batch writer together with their entry, read by id within one dossier.

use meldroute_store::*;
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::other;

/// Stores the file of attachment entry `entry` (inside the writer's savepoint for that entry).
pub(crate) async fn insert(
    conn: &mut sqlx::PgConnection,
    tenant: &TenantCtx,
    dossier: DossierId,
    entry: EntryId,
    a: &NewAttachment,
) -> StoreResult<()> {
    let size = i64::try_from(a.content.len()).map_err(|_| StoreError::Other("attachment too large".into()))?;
    sqlx::query(
        "INSERT INTO attachments (org_id, id, dossier_id, entry_id, media_type, size_bytes, sha256, created_at, content) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tenant.org.0)
    .bind(&a.id)
    .bind(dossier.0)
    .bind(entry.0)
    .bind(&a.media_type)
    .bind(size)
    .bind(&a.sha256)
    .bind(a.created_at)
    .bind(&a.content[..])
    .execute(&mut *conn)
    .await
    .map_err(other)?;
    Ok(())
}

pub(crate) fn attachment(row: PgRow) -> Result<StoredAttachment, sqlx::Error> {
    Ok(StoredAttachment {
        id: row.try_get("id")?,
        dossier: DossierId(row.try_get("dossier_id")?),
        entry: EntryId(row.try_get("entry_id")?),
        media_type: row.try_get("media_type")?,
        size_bytes: row.try_get("size_bytes")?,
        sha256: row.try_get("sha256")?,
        created_at: row.try_get("created_at")?,
        content: row.try_get("content")?,
    })
}
