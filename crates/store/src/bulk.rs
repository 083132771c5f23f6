//! Bulk loading for generated data (`meldroute seed`): rows with ids chosen by the caller, inserted with
//! multi-row statements in one transaction per chunk. Only for filling an EMPTY database: the caller checks
//! that first, and the ids it chooses start after nothing. Not a path the web application ever takes.

use time::{Date, OffsetDateTime};

use crate::types::Role;
use meldroute_domain::Sector;

pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub is_demo: bool,
    pub created_at: OffsetDateTime,
}

pub struct LocationRow {
    pub id: i64,
    pub org: i64,
    pub name: String,
    pub sector: Sector,
}

pub struct GroupRow {
    pub id: i64,
    pub org: i64,
    pub location: i64,
    pub name: String,
}

pub struct UserRow {
    pub id: i64,
    pub org: i64,
    pub login: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub totp_secret: Option<String>,
    pub created_at: OffsetDateTime,
}

pub struct GrantRow {
    pub org: i64,
    pub user: i64,
    /// None: every location of the organisation.
    pub location: Option<i64>,
    pub role: Role,
}

pub struct PupilRow {
    pub id: i64,
    pub org: i64,
    pub location: i64,
    pub group: Option<i64>,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<Date>,
    pub family: Option<i64>,
    pub external_ref: Option<String>,
    pub created_at: OffsetDateTime,
}

pub struct DossierRow {
    pub id: i64,
    pub org: i64,
    pub location: i64,
    pub pupil: i64,
    pub opened_at: OffsetDateTime,
    pub opened_by: i64,
    pub projection: crate::types::DossierProjection,
    pub last_seq: i64,
    pub updated_at: OffsetDateTime,
}

pub struct EntryRow {
    pub id: i64,
    pub org: i64,
    pub dossier: i64,
    pub seq: i64,
    pub recorded_at: OffsetDateTime,
    pub author: i64,
    pub kind: String,
    pub payload: Vec<u8>,
}

/// An audit row with its place in the hash chain, computed by the caller with
/// [`crate::audit::chain_hash`] (the `at` already normalised with [`crate::audit::normalize_at`]).
pub struct AuditRow {
    pub seq: i64,
    pub event: crate::types::NewAuditEvent,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

pub struct NotificationRow {
    pub id: i64,
    pub org: i64,
    pub user: i64,
    pub dossier: i64,
    pub kind: String,
    pub urgent: bool,
    pub created_at: OffsetDateTime,
    pub read_at: Option<OffsetDateTime>,
}

/// Where the audit chain ends after a chunk, sealed ([`crate::audit::head_mac`]).
pub struct AuditHeadRow {
    pub last_seq: i64,
    pub last_hash: Vec<u8>,
    pub mac: Vec<u8>,
}

/// One transaction's worth of rows, inserted in this order (parents before children).
#[derive(Default)]
pub struct BulkChunk {
    pub organisations: Vec<OrgRow>,
    pub locations: Vec<LocationRow>,
    pub groups: Vec<GroupRow>,
    pub users: Vec<UserRow>,
    pub grants: Vec<GrantRow>,
    pub pupils: Vec<PupilRow>,
    pub dossiers: Vec<DossierRow>,
    pub entries: Vec<EntryRow>,
    pub audit: Vec<AuditRow>,
    pub notifications: Vec<NotificationRow>,
    /// Moves the audit chain head in the same transaction, so an interrupted load leaves a verifiable chain.
    pub audit_head: Option<AuditHeadRow>,
}

impl BulkChunk {
    /// Rows in the chunk (for progress reporting).
    pub fn rows(&self) -> usize {
        self.organisations.len()
            + self.locations.len()
            + self.groups.len()
            + self.users.len()
            + self.grants.len()
            + self.pupils.len()
            + self.dossiers.len()
            + self.entries.len()
            + self.audit.len()
            + self.notifications.len()
    }
}

/// Implemented by both backends.
#[allow(async_fn_in_trait)]
pub trait BulkLoad {
    /// Inserts every row of `chunk` in one transaction (all or nothing).
    async fn bulk_insert(&self, chunk: &BulkChunk) -> StoreResult<()>;
    /// After the last chunk: moves id generators past the explicit ids and refreshes planner statistics.
    async fn bulk_finish(&self) -> StoreResult<()>;
}

use crate::error::StoreResult;
