//! Received dossiers on PostgreSQL: the import op (inside the writer's savepoint) and the read of the marks.

use meldroute_store::transfers::{ImportedDossier, check_imported, retarget_correction};
use meldroute_store::*;
use sqlx::PgConnection;
use sqlx::Row;

use crate::{FK_PREFIX, PgStore, other};

fn fk_as_not_found(err: sqlx::Error) -> StoreError {
    match other(err) {
        StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
        e => e,
    }
}

/// Writes pupil, dossier, entries, files and received marks. Runs inside the writer's savepoint for this
/// op, so any error leaves nothing behind.
pub(crate) async fn import(
    conn: &mut PgConnection,
    tenant: &TenantCtx,
    d: &ImportedDossier,
) -> StoreResult<WriteOutcome> {
    check_imported(d)?;
    let p = &d.pupil;
    let existing: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pupils WHERE org_id = $1 AND ( (external_ref IS NOT NULL AND external_ref = $2) \
         OR (lower(first_name) = lower($3) AND lower(last_name) = lower($4) AND date_of_birth IS NOT DISTINCT FROM $5) )",
    )
    .bind(tenant.org.0)
    .bind(&p.external_ref)
    .bind(p.first_name.trim())
    .bind(p.last_name.trim())
    .bind(p.date_of_birth)
    .fetch_one(&mut *conn)
    .await
    .map_err(other)?;
    if existing > 0 {
        return Err(StoreError::Conflict("pupil_exists".into()));
    }
    if p.location != d.location {
        return Err(StoreError::Other("the pupil's location differs from the dossier's".into()));
    }
    let pupil: i64 = sqlx::query_scalar(
        "INSERT INTO pupils (org_id, location_id, group_id, first_name, last_name, date_of_birth, family_id, external_ref, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(tenant.org.0)
    .bind(p.location.0)
    .bind(p.group.map(|g| g.0))
    .bind(&p.first_name)
    .bind(&p.last_name)
    .bind(p.date_of_birth)
    .bind(p.family.map(|f| f.0))
    .bind(&p.external_ref)
    .bind(p.created_at)
    .fetch_one(&mut *conn)
    .await
    .map_err(fk_as_not_found)?;
    let last = d.entries.last().map_or(d.opened_at, |e| e.entry.recorded_at);
    let dossier: i64 = sqlx::query_scalar(
        "INSERT INTO dossiers (org_id, location_id, pupil_id, opened_at, opened_by, step, closed, urgent, next_due, closed_on, last_seq, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(tenant.org.0)
    .bind(d.location.0)
    .bind(pupil)
    .bind(d.opened_at)
    .bind(d.received_by.0)
    .bind(i64::from(d.projection.step))
    .bind(d.projection.closed)
    .bind(d.projection.urgent)
    .bind(d.projection.next_due)
    .bind(d.projection.closed_on)
    .bind(d.entries.len() as i64)
    .bind(last)
    .fetch_one(&mut *conn)
    .await
    .map_err(fk_as_not_found)?;
    sqlx::query(
        "INSERT INTO received_dossiers (org_id, dossier_id, sending_organisation, sending_location, exported_at, received_at, received_by, chain_head) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant.org.0)
    .bind(dossier)
    .bind(&d.sending_organisation)
    .bind(&d.sending_location)
    .bind(d.exported_at)
    .bind(d.received_at)
    .bind(d.received_by.0)
    .bind(&d.chain_head)
    .execute(&mut *conn)
    .await
    .map_err(fk_as_not_found)?;
    let mut ids: Vec<i64> = Vec::with_capacity(d.entries.len());
    for (index, e) in d.entries.iter().enumerate() {
        let payload = match e.corrects_seq {
            Some(target) => {
                let target_id = usize::try_from(target - 1)
                    .ok()
                    .and_then(|i| ids.get(i))
                    .ok_or_else(|| StoreError::Other("imported correction target missing".into()))?;
                retarget_correction(&e.entry.payload, EntryId(*target_id))?
            }
            None => e.entry.payload.clone(),
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO entries (org_id, dossier_id, seq, recorded_at, author_id, kind, payload) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(tenant.org.0)
        .bind(dossier)
        .bind(index as i64 + 1)
        .bind(e.entry.recorded_at)
        .bind(e.entry.author.0)
        .bind(&e.entry.kind)
        .bind(&payload)
        .fetch_one(&mut *conn)
        .await
        .map_err(fk_as_not_found)?;
        sqlx::query(
            "INSERT INTO received_entries (org_id, entry_id, dossier_id, author_name, author_role, original_hash) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tenant.org.0)
        .bind(id)
        .bind(dossier)
        .bind(&e.author_name)
        .bind(&e.author_role)
        .bind(&e.original_hash)
        .execute(&mut *conn)
        .await
        .map_err(other)?;
        if let Some(file) = &e.attachment {
            crate::attachments::insert(conn, tenant, DossierId(dossier), EntryId(id), file).await?;
        }
        ids.push(id);
    }
    Ok(WriteOutcome::DossierImported { pupil: PupilId(pupil), dossier: DossierId(dossier) })
}

impl TransferStore for PgStore {
    async fn received_dossier(&self, t: &TenantCtx, dossier: DossierId) -> StoreResult<Option<ReceivedDossier>> {
        let Some(row) = sqlx::query("SELECT * FROM received_dossiers WHERE org_id = $1 AND dossier_id = $2")
            .bind(t.org.0)
            .bind(dossier.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)?
        else {
            return Ok(None);
        };
        let entries = sqlx::query(
            "SELECT r.* FROM received_entries r JOIN entries e ON e.id = r.entry_id \
             WHERE r.org_id = $1 AND r.dossier_id = $2 ORDER BY e.seq",
        )
        .bind(t.org.0)
        .bind(dossier.0)
        .try_map(|r: sqlx::postgres::PgRow| {
            Ok(ReceivedEntry {
                entry: EntryId(r.try_get("entry_id")?),
                author_name: r.try_get("author_name")?,
                author_role: r.try_get("author_role")?,
                original_hash: r.try_get("original_hash")?,
            })
        })
        .fetch_all(&self.pool)
        .await
        .map_err(other)?;
        let get = |e: sqlx::Error| other(e);
        Ok(Some(ReceivedDossier {
            dossier,
            sending_organisation: row.try_get("sending_organisation").map_err(get)?,
            sending_location: row.try_get("sending_location").map_err(get)?,
            exported_at: row.try_get("exported_at").map_err(get)?,
            received_at: row.try_get("received_at").map_err(get)?,
            received_by: UserId(row.try_get("received_by").map_err(get)?),
            chain_head: row.try_get("chain_head").map_err(get)?,
            entries,
        }))
    }
}
