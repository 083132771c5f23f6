//! Received dossiers on SQLite: the import op (inside the writer's savepoint) and the read of the marks.

use meldroute_store::transfers::{ImportedDossier, check_imported, retarget_correction};
use meldroute_store::*;
use rusqlite::{Connection, OptionalExtension, params};

use crate::SqliteStore;
use crate::direct::{Ts, day, fk_not_found, sql_err};

/// Writes pupil, dossier, entries, files and received marks. Runs inside the writer's savepoint for this
/// op, so any error leaves nothing behind.
pub(crate) fn import(conn: &Connection, tenant: &TenantCtx, d: &ImportedDossier) -> StoreResult<WriteOutcome> {
    check_imported(d)?;
    let p = &d.pupil;
    let existing: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM pupils WHERE org_id = ? AND ( (external_ref IS NOT NULL AND external_ref = ?) \
             OR (lower(first_name) = lower(?) AND lower(last_name) = lower(?) AND date_of_birth IS ?) )",
        )
        .and_then(|mut s| {
            s.query_row(
                params![tenant.org.0, p.external_ref, p.first_name.trim(), p.last_name.trim(), day(p.date_of_birth)],
                |r| r.get(0),
            )
        })
        .map_err(sql_err)?;
    if existing > 0 {
        return Err(StoreError::Conflict("pupil_exists".into()));
    }
    if p.location != d.location {
        return Err(StoreError::Other("the pupil's location differs from the dossier's".into()));
    }
    let pupil: i64 = conn
        .prepare_cached(
            "INSERT INTO pupils (id, org_id, location_id, group_id, first_name, last_name, date_of_birth, family_id, external_ref, created_at) \
             VALUES ((SELECT last + 1 FROM id_high_water WHERE name = 'pupils'), ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .and_then(|mut s| {
            s.query_row(
                params![
                    tenant.org.0,
                    p.location.0,
                    p.group.map(|g| g.0),
                    p.first_name,
                    p.last_name,
                    day(p.date_of_birth),
                    p.family.map(|f| f.0),
                    p.external_ref,
                    Ts(p.created_at)
                ],
                |r| r.get(0),
            )
        })
        .map_err(fk_not_found)?;
    let last = d.entries.last().map_or(d.opened_at, |e| e.entry.recorded_at);
    let projection = &d.projection;
    let dossier: i64 = conn
        .prepare_cached(
            "INSERT INTO dossiers (id, org_id, location_id, pupil_id, opened_at, opened_by, step, closed, urgent, next_due, closed_on, last_seq, updated_at) \
             VALUES ((SELECT last + 1 FROM id_high_water WHERE name = 'dossiers'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .and_then(|mut s| {
            s.query_row(
                params![
                    tenant.org.0,
                    d.location.0,
                    pupil,
                    Ts(d.opened_at),
                    d.received_by.0,
                    i64::from(projection.step),
                    projection.closed,
                    projection.urgent,
                    day(projection.next_due),
                    day(projection.closed_on),
                    d.entries.len() as i64,
                    Ts(last)
                ],
                |r| r.get(0),
            )
        })
        .map_err(fk_not_found)?;
    conn.prepare_cached(
        "INSERT INTO received_dossiers (org_id, dossier_id, sending_organisation, sending_location, exported_at, received_at, received_by, chain_head) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .and_then(|mut s| {
        s.execute(params![
            tenant.org.0,
            dossier,
            d.sending_organisation,
            d.sending_location,
            Ts(d.exported_at),
            Ts(d.received_at),
            d.received_by.0,
            d.chain_head
        ])
    })
    .map_err(fk_not_found)?;
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
        let seq = index as i64 + 1;
        let id = crate::batch::insert_entry(conn, tenant, DossierId(dossier), seq, &e.entry, &payload)?.0;
        conn.prepare_cached(
            "INSERT INTO received_entries (org_id, entry_id, dossier_id, author_name, author_role, original_hash) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .and_then(|mut s| s.execute(params![tenant.org.0, id, dossier, e.author_name, e.author_role, e.original_hash]))
        .map_err(sql_err)?;
        if let Some(file) = &e.attachment {
            crate::attachments::insert(conn, tenant, DossierId(dossier), EntryId(id), file)?;
        }
        ids.push(id);
    }
    Ok(WriteOutcome::DossierImported { pupil: PupilId(pupil), dossier: DossierId(dossier) })
}

impl TransferStore for SqliteStore {
    async fn received_dossier(&self, t: &TenantCtx, dossier: DossierId) -> StoreResult<Option<ReceivedDossier>> {
        self.readers.read(|c| {
            let found = c
                .prepare_cached("SELECT * FROM received_dossiers WHERE org_id = ? AND dossier_id = ?")?
                .query_row(params![t.org.0, dossier.0], |row| {
                    Ok(ReceivedDossier {
                        dossier,
                        sending_organisation: row.get("sending_organisation")?,
                        sending_location: row.get("sending_location")?,
                        exported_at: row.get::<_, Ts>("exported_at")?.0,
                        received_at: row.get::<_, Ts>("received_at")?.0,
                        received_by: UserId(row.get("received_by")?),
                        chain_head: row.get("chain_head")?,
                        entries: Vec::new(),
                    })
                })
                .optional()?;
            let Some(mut received) = found else { return Ok(None) };
            received.entries = c
                .prepare_cached(
                    "SELECT r.* FROM received_entries r JOIN entries e ON e.id = r.entry_id \
                     WHERE r.org_id = ? AND r.dossier_id = ? ORDER BY e.seq",
                )?
                .query_map(params![t.org.0, dossier.0], |r| {
                    Ok(ReceivedEntry {
                        entry: EntryId(r.get("entry_id")?),
                        author_name: r.get("author_name")?,
                        author_role: r.get("author_role")?,
                        original_hash: r.get("original_hash")?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(Some(received))
        })
    }
}
