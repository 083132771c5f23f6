//! The dossier service: the bridge between stored rows and the domain. Loading folds the chronology;
//! appending validates with the domain, computes the new listing projection with the same fold, and hands
//! the write to the group-commit writer with the sequence number it validated against. When another entry
//! landed in between, the append is re-validated against the new chronology and retried, so two people
//! adding entries at the same time both land, in order, and no rule is ever checked against a stale state.

use meldroute_database::Database;
use meldroute_domain::{
    Attachment, Calendar, CheckedFile, DomainError, DossierState, Entry, EntryBody, EntryId as DomainEntryId,
    FoldContext, UserRef, fold, validate_append, validate_occurred_on,
};
use meldroute_store::*;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::chronology::{Chronologies, Chronology, Epoch, Rendered};
use crate::clock;

/// How an entry's content is stored in the opaque payload column.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Payload {
    #[serde(default)]
    occurred_on: Option<Date>,
    body: EntryBody,
}

#[derive(Debug)]
pub enum DossierError {
    /// The meldcode does not allow this entry now; the error says why (and which field).
    Refused(DomainError),
    NotFound,
    /// The caller's view of the dossier is stale (a form based on an older chronology).
    Stale,
    Store(StoreError),
}

impl From<StoreError> for DossierError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => DossierError::NotFound,
            other => DossierError::Store(other),
        }
    }
}

pub fn encode(body: &EntryBody, occurred_on: Option<Date>) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(&Payload { occurred_on, body: body.clone() })
        .map_err(|e| StoreError::Other(format!("cannot encode entry: {e}")))
}

/// The domain entry of a stored row.
pub fn decode(stored: &StoredEntry) -> Result<Entry, StoreError> {
    let payload: Payload = serde_json::from_slice(&stored.payload)
        .map_err(|e| StoreError::Other(format!("entry {} cannot be read: {e}", stored.id)))?;
    Ok(Entry {
        id: DomainEntryId(stored.id.0),
        seq: u32::try_from(stored.seq).map_err(|_| StoreError::Other("entry sequence out of range".into()))?,
        recorded_at: stored.recorded_at,
        occurred_on: payload.occurred_on,
        author: UserRef(stored.author.0),
        body: payload.body,
    })
}

/// The listing columns of a dossier in `state`.
pub fn projection(state: &DossierState) -> DossierProjection {
    DossierProjection {
        step: state.step.number(),
        closed: state.closed,
        urgent: state.meldingen_due().next().is_some() && !state.closed,
        next_due: state.deadlines.iter().map(|d| d.due).min(),
        closed_on: state.closed_on,
    }
}

/// The fold context for a pupil at a location, today.
pub async fn context(db: &Database, t: &TenantCtx, pupil: &Pupil) -> Result<FoldContext, StoreError> {
    let locations = db.list_locations(t).await?;
    let location = locations.iter().find(|l| l.id == pupil.location).ok_or(StoreError::NotFound)?;
    let pupil_age = pupil.date_of_birth.map(|dob| age_on(dob, clock::today_nl()));
    Ok(FoldContext { sector: location.sector, pupil_age, calendar: Calendar::new() })
}

/// Whole years between `dob` and `on`.
pub fn age_on(dob: Date, on: Date) -> u8 {
    let mut years = on.year() - dob.year();
    if (on.month() as u8, on.day()) < (dob.month() as u8, dob.day()) {
        years -= 1;
    }
    u8::try_from(years.max(0)).unwrap_or(u8::MAX)
}

/// A dossier with its chronology and state.
#[derive(Clone)]
pub struct Loaded {
    pub dossier: Dossier,
    pub pupil: Pupil,
    /// The location the dossier belongs to.
    pub location: Location,
    /// Every share of the dossier (active, expired and revoked), read with the dossier.
    pub shares: Vec<Share>,
    /// Whether it was received from another school (the details: `TransferStore::received_dossier`).
    pub received: bool,
    /// The newest route map version of the dossier's location, if any.
    pub route_map_version: Option<i64>,
    pub ctx: FoldContext,
    /// Shared with the chronology cache: entries never change once written.
    pub entries: Arc<Vec<Entry>>,
    /// The entries' stored size in bytes (for the cache's limit).
    pub entries_bytes: usize,
    /// What pages show of the first entries, per language, as far as the cache had them rendered.
    pub texts: Rendered,
    /// Taken before the dossier row was read: an append keeps its new chronology in the cache only if no
    /// erasure began since.
    pub epoch: Epoch,
    /// The folded state, computed when first asked for ([`Loaded::state`]): an append validates and folds
    /// the chronology with its new entry itself, and has no use for the state before it.
    state: std::sync::OnceLock<DossierState>,
}

impl Loaded {
    /// The dossier's state: the fold of its chronology.
    pub fn state(&self) -> &DossierState {
        self.state.get_or_init(|| fold(&self.ctx, &self.entries))
    }

    /// Whether the dossier is closed: from the dossier row (which the fold wrote with its newest entry) when the
    /// chronology ends where the row does, so a page that needs no more than this does not fold.
    pub fn closed(&self) -> bool {
        if self.is_the_rows_state() { self.dossier.projection.closed } else { self.state().closed }
    }

    /// Whether the chronology ends exactly where the dossier row says: what is rendered from it may then be
    /// kept for that state (an entry that landed between the two reads makes the chronology one longer).
    pub fn is_the_rows_state(&self) -> bool {
        self.entries.last().map_or(0, |e| i64::from(e.seq)) == self.dossier.last_seq
    }
}

/// A dossier of this tenant with what pages and writes need: its pupil, location and shares in one query, its
/// chronology from this node's cache when the cache holds exactly the chronology the row ends at, and its state.
pub async fn load(db: &Database, cache: &Chronologies, t: &TenantCtx, id: DossierId) -> Result<Loaded, DossierError> {
    let epoch = cache.epoch();
    let DossierContext { dossier, pupil, location, pupil_location, shares, received, route_map_version } =
        db.dossier_context(t, id).await?;
    let pupil_age = pupil.date_of_birth.map(|dob| age_on(dob, clock::today_nl()));
    let ctx = FoldContext { sector: pupil_location.sector, pupil_age, calendar: Calendar::new() };
    let chronology = match cache.get(&dossier) {
        Some(chronology) => chronology,
        None => {
            let stored = db.list_entries(t, dossier.id).await?;
            let chronology = Chronology {
                entries: Arc::new(stored.iter().map(decode).collect::<Result<Vec<_>, _>>()?),
                bytes: stored.iter().map(|e| e.payload.len()).sum(),
                texts: Rendered::default(),
            };
            // Kept only when the rows read are exactly the chronology up to the dossier row's `last_seq`
            // (an entry that landed between the two reads makes it one longer).
            if chronology.entries.last().map_or(0, |e| i64::from(e.seq)) == dossier.last_seq {
                cache.put(&dossier, dossier.last_seq, epoch, chronology.clone());
            }
            chronology
        }
    };
    let Chronology { entries, bytes: entries_bytes, texts } = chronology;
    Ok(Loaded {
        dossier,
        pupil,
        location,
        shares,
        received,
        route_map_version,
        ctx,
        entries,
        entries_bytes,
        texts,
        epoch,
        state: std::sync::OnceLock::new(),
    })
}

/// What writing to a dossier needs: the database, the group-commit writer and this node's chronology
/// cache ([`crate::AppState::dossier_io`] gives them).
#[derive(Clone, Copy)]
pub struct Io<'a> {
    pub db: &'a Database,
    pub writer: &'a Writer,
    pub cache: &'a Chronologies,
}

/// A new entry as a user submits it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub author: UserId,
    pub body: EntryBody,
    /// When it happened, if not today.
    pub occurred_on: Option<Date>,
}

/// Opens a dossier for `pupil` with its first entry.
pub async fn open(
    db: &Database,
    writer: &Writer,
    t: &TenantCtx,
    pupil: PupilId,
    draft: Draft,
) -> Result<DossierId, DossierError> {
    let Draft { author, body, occurred_on } = draft;
    refuse_attachment_without_file(&body)?;
    let pupil = db.get_pupil(t, pupil).await?;
    let ctx = context(db, t, &pupil).await?;
    let now = clock::now_utc();
    validate_occurred_on(occurred_on, clock::dutch_local(now)).map_err(DossierError::Refused)?;
    validate_append(&ctx, &[], &body, UserRef(author.0), clock::dutch_local(now)).map_err(DossierError::Refused)?;
    let first = Entry {
        id: DomainEntryId(0),
        seq: 1,
        recorded_at: now,
        occurred_on,
        author: UserRef(author.0),
        body: body.clone(),
    };
    let state = fold(&ctx, std::slice::from_ref(&first));
    let outcome = writer
        .submit(WriteOp::OpenDossier {
            tenant: *t,
            location: pupil.location,
            pupil: pupil.id,
            opened_by: author,
            opened_at: now,
            first_entry: NewEntry {
                recorded_at: now,
                author,
                kind: body.kind().as_str().to_string(),
                payload: encode(&body, occurred_on)?,
            },
            projection: projection(&state),
        })
        .await?;
    match outcome {
        WriteOutcome::DossierOpened { dossier, .. } => Ok(dossier),
        _ => Err(DossierError::Store(StoreError::Other("unexpected write outcome".into()))),
    }
}

/// How many times an append is re-validated when other entries keep landing first.
const RETRIES: usize = 5;

/// Appends `body` to a dossier. With `seen_last_seq` (a form that showed the chronology up to that entry),
/// a newer chronology is refused as [`DossierError::Stale`]; without it, the append is re-validated and
/// retried against whatever landed in between.
pub async fn append(
    io: Io<'_>,
    t: &TenantCtx,
    id: DossierId,
    draft: Draft,
    seen_last_seq: Option<i64>,
) -> Result<(EntryId, i64), DossierError> {
    refuse_attachment_without_file(&draft.body)?;
    append_with(io, t, id, None, draft, seen_last_seq, None, None).await
}

/// [`append`], with the audit row that records it written in the same transaction: the entry and its
/// audit row land together or not at all, and the request waits for one commit instead of two. `audit.at`
/// is set to the moment of the write. `loaded` is the dossier as the caller just loaded it (to authorise):
/// the first attempt validates against it instead of reading it all again, and if anything landed in
/// between, the writer refuses that attempt as stale and the next one reads afresh.
pub async fn append_audited(
    io: Io<'_>,
    t: &TenantCtx,
    loaded: Loaded,
    draft: Draft,
    seen_last_seq: Option<i64>,
    audit: NewAuditEvent,
) -> Result<(EntryId, i64), DossierError> {
    refuse_attachment_without_file(&draft.body)?;
    let id = loaded.dossier.id;
    append_with(io, t, id, Some(loaded), draft, seen_last_seq, None, Some(audit)).await
}

/// An attachment entry (not a correction of one) only ever comes with its file, through [`append_attachment`]:
/// an entry naming a file that was never stored would be a dangling reference.
fn refuse_attachment_without_file(body: &EntryBody) -> Result<(), DossierError> {
    meldroute_domain::attachment::require_file(body, false).map_err(DossierError::Refused)
}

/// A file that passed [`meldroute_domain::check_upload`], ready to be added to a dossier.
pub struct Upload {
    pub author: UserId,
    pub checked: CheckedFile,
    pub content: std::sync::Arc<[u8]>,
    pub description: Option<String>,
}

/// Adds an attachment entry and its file to a dossier in one write: the id is 128 random bits, the SHA-256
/// is computed here, and entry and file land in the same transaction or not at all. Returns the entry id,
/// its seq and the attachment id.
pub async fn append_attachment(
    io: Io<'_>,
    t: &TenantCtx,
    id: DossierId,
    upload: Upload,
    seen_last_seq: Option<i64>,
) -> Result<(EntryId, i64, String), DossierError> {
    use sha2::{Digest, Sha256};
    let attachment_id =
        crate::auth::new_token().map_err(|e| DossierError::Store(StoreError::Other(format!("attachment id: {e}"))))?;
    let sha256 = hex::encode(Sha256::digest(&upload.content));
    let body = EntryBody::Attachment(Attachment {
        attachment_id: attachment_id.clone(),
        file_name: upload.checked.file_name,
        media_type: upload.checked.media_type,
        size_bytes: upload.checked.size_bytes,
        sha256: sha256.clone(),
        description: upload.description.map(|d| d.trim().to_string()).filter(|d| !d.is_empty()),
    });
    let file = NewAttachment {
        id: attachment_id.clone(),
        media_type: upload.checked.media_type.as_str().to_string(),
        sha256,
        content: upload.content,
        created_at: clock::now_utc(),
    };
    let draft = Draft { author: upload.author, body, occurred_on: None };
    let (entry, seq) = append_with(io, t, id, None, draft, seen_last_seq, Some(file), None).await?;
    Ok((entry, seq, attachment_id))
}

#[allow(clippy::too_many_arguments)]
async fn append_with(
    Io { db, writer, cache }: Io<'_>,
    t: &TenantCtx,
    id: DossierId,
    mut first: Option<Loaded>,
    draft: Draft,
    seen_last_seq: Option<i64>,
    attachment: Option<NewAttachment>,
    audit: Option<NewAuditEvent>,
) -> Result<(EntryId, i64), DossierError> {
    let Draft { author, body, occurred_on } = draft;
    for _ in 0..RETRIES {
        let loaded = match first.take() {
            Some(loaded) => loaded,
            None => load(db, cache, t, id).await?,
        };
        if let Some(seen) = seen_last_seq
            && seen != loaded.dossier.last_seq
        {
            return Err(DossierError::Stale);
        }
        // Whole microseconds, as PostgreSQL keeps them: the entry kept in the chronology cache below is then
        // exactly what a later read from either database gives.
        let now: OffsetDateTime = clock::now_utc();
        let now = now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now);
        let local = clock::dutch_local(now);
        validate_occurred_on(occurred_on, local).map_err(DossierError::Refused)?;
        validate_append(&loaded.ctx, &loaded.entries, &body, UserRef(author.0), local)
            .map_err(DossierError::Refused)?;
        // The new chronology is the loaded one plus this entry. Taken out of the cache first: unless a page
        // is reading the same chronology at this moment, it is then extended in place, not copied.
        cache.remove(&loaded.dossier);
        let mut entries = Arc::unwrap_or_clone(loaded.entries);
        let seq = loaded.dossier.last_seq + 1;
        entries.push(Entry {
            id: DomainEntryId(0),
            seq: u32::try_from(seq).unwrap_or(u32::MAX),
            recorded_at: now,
            occurred_on,
            author: UserRef(author.0),
            body: body.clone(),
        });
        let state = fold(&loaded.ctx, &entries);
        let (tenant, dossier, expected_last_seq) = (*t, id, Some(loaded.dossier.last_seq));
        let entry = NewEntry {
            recorded_at: now,
            author,
            kind: body.kind().as_str().to_string(),
            payload: encode(&body, occurred_on)?,
        };
        let written = StoredEntry {
            id: EntryId(0),
            dossier: id,
            seq,
            recorded_at: now,
            author,
            kind: entry.kind.clone(),
            payload: entry.payload.clone(),
        };
        let projection = projection(&state);
        // The file is shared (`Arc`), so a retry does not copy it.
        let op = match &attachment {
            None => WriteOp::AppendEntry { tenant, dossier, expected_last_seq, entry, projection },
            Some(file) => WriteOp::AppendAttachment {
                tenant,
                dossier,
                expected_last_seq,
                entry,
                projection,
                attachment: file.clone(),
            },
        };
        let op = match &audit {
            Some(event) => WriteOp::Audited { op: Box::new(op), audit: NewAuditEvent { at: now, ..event.clone() } },
            None => op,
        };
        let result = writer.submit(op).await;
        match result {
            Ok(WriteOutcome::EntryAppended { entry, seq }) => {
                // The chronology now ends with exactly this entry: keep it, so the next page or append on
                // this dossier need not read it again. It is decoded from the bytes written, as a read would.
                let bytes = loaded.entries_bytes + written.payload.len();
                if let (Some(last), Ok(decoded)) =
                    (entries.last_mut(), decode(&StoredEntry { id: entry, seq, ..written }))
                {
                    *last = decoded;
                    // The texts rendered so far still hold: they cover the entries before this one.
                    let chronology = Chronology { entries: Arc::new(entries), bytes, texts: loaded.texts };
                    cache.put(&loaded.dossier, seq, loaded.epoch, chronology);
                }
                return Ok((entry, seq));
            }
            Ok(_) => return Err(DossierError::Store(StoreError::Other("unexpected write outcome".into()))),
            Err(StoreError::Conflict(_)) if seen_last_seq.is_none() => continue,
            Err(StoreError::Conflict(_)) => return Err(DossierError::Stale),
            Err(other) => return Err(other.into()),
        }
    }
    Err(DossierError::Stale)
}

#[cfg(test)]
mod tests {
    use super::age_on;
    use time::macros::date;

    #[test]
    fn ages() {
        assert_eq!(age_on(date!(2014 - 05 - 17), date!(2026 - 05 - 16)), 11);
        assert_eq!(age_on(date!(2014 - 05 - 17), date!(2026 - 05 - 17)), 12);
        assert_eq!(age_on(date!(2030 - 01 - 01), date!(2026 - 05 - 17)), 0);
    }
}
