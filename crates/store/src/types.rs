//! Rows as the application sees them. Personal data fields are plain here; encryption at rest of entry
//! payloads happens below this layer (payloads are opaque bytes to SQL).

use meldroute_domain::Sector;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::ids::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Migrations this binary knows.
    pub expected: i64,
    /// Migrations applied successfully in the database.
    pub applied: i64,
}

impl SchemaStatus {
    pub fn is_current(&self) -> bool {
        self.applied == self.expected
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganisation {
    pub name: String,
    /// Demo organisations hold fictional data only; some tools (like printing demo TOTP codes) work only there.
    pub is_demo: bool,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub id: OrgId,
    pub name: String,
    pub is_demo: bool,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLocation {
    pub name: String,
    pub sector: Sector,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub id: LocationId,
    pub org: OrgId,
    pub name: String,
    pub sector: Sector,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGroup {
    pub location: LocationId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub id: GroupId,
    pub location: LocationId,
    pub name: String,
}

/// The roles of meldcode.md §5 live in the domain, next to the access policy that gives them meaning.
pub use meldroute_domain::access::Role;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleGrant {
    pub user: UserId,
    /// `None`: the role holds for every location of the organisation.
    pub location: Option<LocationId>,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub login: String,
    pub display_name: String,
    pub email: Option<String>,
    /// A PHC string (Argon2id); never a plain password.
    pub password_hash: String,
    pub totp_secret: Option<String>,
    pub lang: String,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub org: OrgId,
    pub login: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub totp_secret: Option<String>,
    pub lang: String,
    pub disabled: bool,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPupil {
    pub location: LocationId,
    pub group: Option<GroupId>,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<Date>,
    pub family: Option<FamilyId>,
    /// The number in the school's own administration system, for imports.
    pub external_ref: Option<String>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pupil {
    pub id: PupilId,
    pub org: OrgId,
    pub location: LocationId,
    pub group: Option<GroupId>,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<Date>,
    pub family: Option<FamilyId>,
    pub external_ref: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PupilFilter {
    pub location: Option<LocationId>,
    pub group: Option<GroupId>,
    /// Case-insensitive match on first or last name.
    pub name_contains: Option<String>,
    pub limit: Option<i64>,
}

/// What the listing screens need of a dossier without folding its entries. Computed by the domain's
/// `fold` on every append and stored with it; a conformance test proves it equals a fresh fold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierProjection {
    /// Meldcode step 1..=6.
    pub step: u8,
    pub closed: bool,
    /// A disclosure or acute unsafety is recorded and not yet followed by a report.
    pub urgent: bool,
    /// The earliest open deadline, if any.
    pub next_due: Option<Date>,
    /// The day the dossier was closed (the fold's `closed_on`); `None` while open. Retention counts from it.
    #[serde(default)]
    pub closed_on: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dossier {
    pub id: DossierId,
    pub org: OrgId,
    pub location: LocationId,
    pub pupil: PupilId,
    pub opened_at: OffsetDateTime,
    pub opened_by: UserId,
    pub projection: DossierProjection,
    /// Sequence number of the newest entry (0 when empty).
    pub last_seq: i64,
    pub updated_at: OffsetDateTime,
}

/// A dossier with what every page and write about it needs, read in one query
/// ([`crate::Store::dossier_context`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierContext {
    pub dossier: Dossier,
    pub pupil: Pupil,
    /// The location the dossier belongs to.
    pub location: Location,
    /// The pupil's own location, whose sector the deadlines follow (another one than the dossier's after
    /// the pupil moved within the organisation).
    pub pupil_location: Location,
    /// Every share of the dossier with a partner (active, expired and revoked), by id.
    pub shares: Vec<crate::Share>,
    /// Whether the dossier was received from another school (`TransferStore::received_dossier` has the rest).
    pub received: bool,
    /// The newest version of the route map of the dossier's location, if it has one (versions are never
    /// changed, so a copy of the history that ends at this version is current).
    pub route_map_version: Option<i64>,
}

/// The query behind [`crate::Store::dossier_context`], the same on both backends: the dossier (columns 0 to 11),
/// its pupil (12 to 18), the dossier's location (19, 20), the pupil's location (21, 22), whether it was received
/// (23), the newest route map version of the dossier's location (24), and one share per row from
/// [`DOSSIER_CONTEXT_SHARE`] on (no share: one row with those columns NULL).
/// The backends read the columns by position, in this order. The parameters are the organisation and the
/// dossier: `$1` and `$2` for PostgreSQL; SQLite takes them as two named parameters, bound by position.
pub const DOSSIER_CONTEXT_SQL: &str = "SELECT \
     d.id, d.location_id, d.pupil_id, d.opened_at, d.opened_by, d.step, d.closed, d.urgent, d.next_due, \
     d.closed_on, d.last_seq, d.updated_at, \
     p.location_id, p.group_id, p.first_name, p.last_name, p.date_of_birth, p.family_id, p.external_ref, \
     dl.name, dl.sector, pl.name, pl.sector, \
     EXISTS (SELECT 1 FROM received_dossiers r WHERE r.org_id = d.org_id AND r.dossier_id = d.id), \
     (SELECT max(m.version) FROM route_maps m WHERE m.org_id = d.org_id AND m.location_id = d.location_id), \
     s.id, s.partner_user_id, s.entry_kinds, s.until, s.created_by, s.created_at, s.revoked_at \
     FROM dossiers d \
     JOIN pupils p ON p.org_id = d.org_id AND p.id = d.pupil_id \
     JOIN locations dl ON dl.org_id = d.org_id AND dl.id = d.location_id \
     JOIN locations pl ON pl.org_id = p.org_id AND pl.id = p.location_id \
     LEFT JOIN shares s ON s.org_id = d.org_id AND s.dossier_id = d.id \
     WHERE d.org_id = $1 AND d.id = $2 ORDER BY s.id";

/// The first column of the share in a [`DOSSIER_CONTEXT_SQL`] row.
pub const DOSSIER_CONTEXT_SHARE: usize = 25;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DossierFilter {
    pub location: Option<LocationId>,
    pub pupil: Option<PupilId>,
    /// Only dossiers this user opened or wrote an entry in.
    pub involving: Option<UserId>,
    pub open_only: bool,
    pub limit: Option<i64>,
}

/// One entry of a dossier's chronology as stored: its kind in the clear (for filtering), its content as an
/// opaque payload (serialised domain entry body; to be encrypted at rest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub id: EntryId,
    pub dossier: DossierId,
    /// 1-based position in the chronology; gap-free and unique per dossier.
    pub seq: i64,
    pub recorded_at: OffsetDateTime,
    pub author: UserId,
    pub kind: String,
    pub payload: Vec<u8>,
}

/// The content of a new entry (the store assigns id and seq).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub recorded_at: OffsetDateTime,
    pub author: UserId,
    pub kind: String,
    pub payload: Vec<u8>,
}

/// The content of a file added to a dossier, stored with its attachment entry in the same transaction
/// ([`crate::WriteOp::AppendAttachment`]). The file name is personal data: it lives in the entry's payload,
/// not here. The content is opaque bytes, like entry payloads (to be encrypted at rest with them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    /// 32 lowercase hex digits (128 random bits), chosen by the caller; the entry's payload names it.
    pub id: String,
    /// The media type found from the content (never the browser's), e.g. `application/pdf`.
    pub media_type: String,
    /// SHA-256 of `content`, 64 lowercase hex digits.
    pub sha256: String,
    /// Shared, so a retried write does not copy the file.
    pub content: std::sync::Arc<[u8]>,
    pub created_at: OffsetDateTime,
}

/// A stored attachment with its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    pub id: String,
    pub dossier: DossierId,
    /// The chronology entry it was written with.
    pub entry: EntryId,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_at: OffsetDateTime,
    pub content: Vec<u8>,
}

/// One audit record: who did what to whose data, never the data itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub at: OffsetDateTime,
    pub org: Option<OrgId>,
    pub actor: Option<UserId>,
    pub on_behalf_of: Option<UserId>,
    pub pupil: Option<PupilId>,
    pub dossier: Option<DossierId>,
    /// A stable action code such as `dossier.read`, `entry.append`, `login.failed`.
    pub action: String,
    /// `allowed`, `denied`, `failed`, ...
    pub outcome: String,
    /// Source address (IP) or `cli`.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub seq: i64,
    pub event: NewAuditEvent,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub dossier: Option<DossierId>,
    pub actor: Option<UserId>,
    pub limit: Option<i64>,
}

/// The sector's stable code, for a database column.
pub fn sector_code(sector: Sector) -> &'static str {
    sector.as_str()
}

/// The sector of a database column; unknown codes are an error, never a silent default.
pub fn sector_from_code(code: &str) -> Result<Sector, crate::StoreError> {
    Sector::from_code(code).ok_or_else(|| crate::StoreError::Other(format!("unknown sector code in database: {code}")))
}
