//! Attachments: written by the batch writer together with their entry, read by id within one dossier.

use meldroute_store::*;
use rusqlite::{Connection, params};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::direct::{Ts, sql_err};

/// Stores the file of attachment entry `entry` (inside the writer's savepoint for that entry).
pub(crate) fn insert(
    conn: &Connection,
    tenant: &TenantCtx,
    dossier: DossierId,
    entry: EntryId,
    a: &NewAttachment,
) -> StoreResult<()> {
    let size = i64::try_from(a.content.len()).map_err(|_| StoreError::Other("attachment too large".into()))?;
    conn.prepare_cached(
        "INSERT INTO attachments (org_id, id, dossier_id, entry_id, media_type, size_bytes, sha256, created_at, content) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .and_then(|mut s| {
        s.execute(params![
            tenant.org.0,
            a.id,
            dossier.0,
            entry.0,
            a.media_type,
            size,
            a.sha256,
            Ts(a.created_at),
            &a.content[..]
        ])
    })
    .map_err(sql_err)?;
    Ok(())
}

pub(crate) fn attachment(row: SqliteRow) -> Result<StoredAttachment, sqlx::Error> {
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
