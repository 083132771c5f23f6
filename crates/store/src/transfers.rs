//! Dossiers received from another meldroute instance (issue 7, transfer): written in one piece by
//! [`crate::WriteOp::ImportDossier`], read back with [`TransferStore::received_dossier`].
//!
//! The original authors are not users of this instance. Their entries are stored with `author_id` = the
//! aandachtsfunctionaris who accepted the transfer (she brought them into this instance; the foreign key to
//! `users` stays intact), and a `received_entries` row per entry keeps the original author's name and role
//! and the entry's hash in the sender's export. A `received_dossiers` row names the sending school.

use time::OffsetDateTime;

use crate::TenantCtx;
use crate::error::{StoreError, StoreResult};
use crate::ids::*;
use crate::types::{DossierProjection, NewAttachment, NewEntry, NewPupil};

/// Everything a received dossier consists of, written atomically (pupil, dossier, entries, files, marks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedDossier {
    pub location: LocationId,
    /// The pupil to create. Refused with `Conflict` when the organisation already has a pupil with the same
    /// external reference, or the same first and last name (case-insensitive) and date of birth.
    pub pupil: NewPupil,
    /// When the dossier was opened at the sending school.
    pub opened_at: OffsetDateTime,
    /// The accepting user (author of record in this instance).
    pub received_by: UserId,
    pub received_at: OffsetDateTime,
    pub sending_organisation: String,
    pub sending_location: String,
    pub exported_at: OffsetDateTime,
    /// The export's `chain_head`.
    pub chain_head: String,
    /// The listing state after the last entry (the receiver's fold).
    pub projection: DossierProjection,
    /// In chronological order; seq 1, 2, ... is assigned in this order.
    pub entries: Vec<ImportedEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedEntry {
    /// `author` is the accepting user; `payload` is in the application's payload format, and for a
    /// correction its target is rewritten by [`retarget_correction`] once the target's id is known.
    pub entry: NewEntry,
    /// For a correction: the seq of the corrected entry (always an earlier one).
    pub corrects_seq: Option<i64>,
    pub author_name: String,
    pub author_role: Option<String>,
    /// The entry's hash in the sender's export.
    pub original_hash: String,
    pub attachment: Option<NewAttachment>,
}

/// The mark of a received dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedDossier {
    pub dossier: DossierId,
    pub sending_organisation: String,
    pub sending_location: String,
    pub exported_at: OffsetDateTime,
    pub received_at: OffsetDateTime,
    pub received_by: UserId,
    pub chain_head: String,
    /// The received entries (entries added here after the transfer have none).
    pub entries: Vec<ReceivedEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedEntry {
    pub entry: EntryId,
    pub author_name: String,
    pub author_role: Option<String>,
    pub original_hash: String,
}

#[allow(async_fn_in_trait)]
pub trait TransferStore: Clone + Send + Sync + 'static {
    /// The received mark of a dossier of this tenant; `None` for a dossier that was opened here.
    async fn received_dossier(&self, t: &TenantCtx, dossier: DossierId) -> StoreResult<Option<ReceivedDossier>>;
}

/// The payload of a correction with its target set to `target`. The application's payload is
/// `{"occurred_on": ..., "body": {"kind": "correction", "corrects": <entry id>, ...}}`; this is the one
/// place below the web layer that knows where the target sits.
pub fn retarget_correction(payload: &[u8], target: EntryId) -> StoreResult<Vec<u8>> {
    let mut value: serde_json::Value =
        serde_json::from_slice(payload).map_err(|e| StoreError::Other(format!("imported payload: {e}")))?;
    let slot = value
        .get_mut("body")
        .and_then(|b| b.get_mut("corrects"))
        .ok_or_else(|| StoreError::Other("imported correction without a target".into()))?;
    *slot = serde_json::Value::from(target.0);
    serde_json::to_vec(&value).map_err(|e| StoreError::Other(format!("imported payload: {e}")))
}

/// Checks the op's own consistency before a backend writes anything (seq order of corrections).
pub fn check_imported(d: &ImportedDossier) -> StoreResult<()> {
    if d.entries.is_empty() {
        return Err(StoreError::Other("an imported dossier needs at least one entry".into()));
    }
    for (index, e) in d.entries.iter().enumerate() {
        if let Some(target) = e.corrects_seq
            && (target < 1 || target > index as i64)
        {
            return Err(StoreError::Other(format!("imported entry {} corrects a later entry", index + 1)));
        }
    }
    Ok(())
}
