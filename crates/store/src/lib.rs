//! Persistence: the types both database backends store and return, the [`Store`] trait they implement, and
//! the group-commit [`writer`] that makes durable writes cheap.
//!
//! Tenant isolation: every call that touches an organisation's data takes a [`TenantCtx`], and every query of
//! both backends filters on it. Ids from a URL are never trusted on their own.

pub mod accounts;
pub mod api_tokens;
pub mod audit;
pub mod bulk;
pub mod error;
pub mod ids;
pub mod lookup_cache;
pub mod notifications;
pub mod retention;
pub mod route_maps;
pub mod team_sessions;
pub mod transfers;
pub mod types;
pub mod writer;

pub use accounts::{
    AccountStore, LinkPurpose, NewShare, Purge, Purged, SessionContext, SessionRecord, Share, ThrottleChange,
    ThrottleState,
};
pub use api_tokens::{ApiToken, ApiTokenStore, NewApiToken, TokenContext};
pub use error::{StoreError, StoreResult};
pub use ids::*;
pub use lookup_cache::{Change, LOOKUPS_CHANNEL, LookupCache};
pub use notifications::{NewNotification, Notification, NotificationStore};
pub use retention::{
    ClosedDossier, ERASURE_CHANNEL, ErasureProposal, ErasureRequest, NewErasureProposal, NewErasureRequest,
    RetentionSetting, RetentionStore,
};
pub use route_maps::{NewRouteMapVersion, RouteMapStore, RouteMapVersion};
pub use team_sessions::{
    NewTeamAction, NewTeamSession, TeamAction, TeamAnswer, TeamDot, TeamGroup, TeamGroupField, TeamGroupMember,
    TeamPoint, TeamSession, TeamSessionStore, TeamSessionUpdate,
};
pub use transfers::{ImportedDossier, ImportedEntry, ReceivedDossier, ReceivedEntry, TransferStore};
pub use types::*;
pub use writer::{BatchApply, Pending, WriteOp, WriteOutcome, Writer};

/// Which organisation (tenant) a call acts for. Constructed only after authentication or by operator
/// commands; every store method scopes its queries to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantCtx {
    pub org: OrgId,
}

impl TenantCtx {
    pub fn new(org: OrgId) -> Self {
        TenantCtx { org }
    }
}

/// The reads (and the few writes that are not ordered chronology) every backend offers. Durable, ordered
/// writes (entries, audit events) go through [`writer::Writer`] instead, so they can be group-committed.
///
/// `async fn` in a public trait: callers use the concrete backends (through the `Database` enum), where the
/// futures are known to be `Send`, so the usual warning does not apply.
#[allow(async_fn_in_trait)]
pub trait Store: Clone + Send + Sync + 'static {
    /// Brings the schema up to date. Idempotent.
    async fn migrate(&self) -> StoreResult<()>;
    /// Whether the schema is fully migrated (for `/readyz`), checking the database is reachable.
    async fn schema_status(&self) -> StoreResult<SchemaStatus>;
    /// True when the database holds no organisation and no user (restore refuses to overwrite otherwise).
    async fn is_empty(&self) -> StoreResult<bool>;
    /// Row counts per table, for backup verification and operators.
    async fn table_counts(&self) -> StoreResult<Vec<(String, i64)>>;

    // Organisations and their structure (operator level: no tenant yet).
    async fn create_organisation(&self, new: NewOrganisation) -> StoreResult<Organisation>;
    async fn find_organisation_by_name(&self, name: &str) -> StoreResult<Option<Organisation>>;
    async fn get_organisation(&self, t: &TenantCtx) -> StoreResult<Organisation>;
    async fn create_location(&self, t: &TenantCtx, new: NewLocation) -> StoreResult<Location>;
    async fn list_locations(&self, t: &TenantCtx) -> StoreResult<Vec<Location>>;
    async fn create_group(&self, t: &TenantCtx, new: NewGroup) -> StoreResult<Group>;
    async fn list_groups(&self, t: &TenantCtx, location: LocationId) -> StoreResult<Vec<Group>>;

    // Accounts.
    async fn create_user(&self, t: &TenantCtx, new: NewUser) -> StoreResult<User>;
    /// Login names are unique over the whole installation: a login happens before the tenant is known.
    async fn find_user_by_login(&self, login: &str) -> StoreResult<Option<User>>;
    async fn get_user(&self, t: &TenantCtx, id: UserId) -> StoreResult<User>;
    async fn list_users(&self, t: &TenantCtx) -> StoreResult<Vec<User>>;
    /// The display names of these accounts of the tenant (others' and unknown ids are left out), for pages
    /// that name the authors of a few entries without reading every account of the organisation.
    async fn user_names(&self, t: &TenantCtx, ids: &[UserId]) -> StoreResult<Vec<(UserId, String)>>;
    async fn grant_role(&self, t: &TenantCtx, grant: RoleGrant) -> StoreResult<()>;
    async fn roles_of(&self, t: &TenantCtx, user: UserId) -> StoreResult<Vec<RoleGrant>>;
    /// Every role grant of the organisation, ordered by user (one query instead of one per account).
    async fn list_role_grants(&self, t: &TenantCtx) -> StoreResult<Vec<RoleGrant>>;

    // Pupils.
    async fn create_pupil(&self, t: &TenantCtx, new: NewPupil) -> StoreResult<Pupil>;
    async fn get_pupil(&self, t: &TenantCtx, id: PupilId) -> StoreResult<Pupil>;
    async fn list_pupils(&self, t: &TenantCtx, filter: &PupilFilter) -> StoreResult<Vec<Pupil>>;
    /// The other pupils of the same family (never the pupil itself).
    async fn siblings_of(&self, t: &TenantCtx, id: PupilId) -> StoreResult<Vec<Pupil>>;
    /// Adds all `rows` to `location` in one transaction: every row lands or none does. A row whose location
    /// or group is not this tenant's (or not `location`) fails the whole import with `NotFound`; a
    /// leerlingnummer (`external_ref`) already present at the location fails it with `Conflict`.
    /// Returns the number of pupils added.
    async fn import_pupils(&self, t: &TenantCtx, location: LocationId, rows: Vec<NewPupil>) -> StoreResult<usize>;

    // Dossiers and their chronology (reads; appends go through the writer).
    async fn get_dossier(&self, t: &TenantCtx, id: DossierId) -> StoreResult<Dossier>;
    /// The dossier with its pupil, both locations, its shares and whether it was received, in one query
    /// (the same values as reading each on its own). `NotFound` as for [`Store::get_dossier`].
    async fn dossier_context(&self, t: &TenantCtx, id: DossierId) -> StoreResult<DossierContext>;
    async fn list_dossiers(&self, t: &TenantCtx, filter: &DossierFilter) -> StoreResult<Vec<Dossier>>;
    async fn list_entries(&self, t: &TenantCtx, dossier: DossierId) -> StoreResult<Vec<StoredEntry>>;
    /// One attachment of one dossier of this tenant, with its content; `NotFound` for an id of another
    /// dossier or tenant, exactly as for an id that does not exist. (Appends go through the writer.)
    async fn get_attachment(&self, t: &TenantCtx, dossier: DossierId, id: &str) -> StoreResult<StoredAttachment>;

    // Audit trail (reads; appends go through the writer).
    async fn list_audit(&self, t: &TenantCtx, filter: &AuditFilter) -> StoreResult<Vec<AuditEvent>>;
}

/// What a listener on a notification channel tells (see `listen_channel` of the PostgreSQL store).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard<'a> {
    /// Listening (again): from now on every notification is heard.
    Listening,
    /// One notification's payload.
    Notification(&'a str),
    /// The connection was lost; notifications may go unheard until [`Heard::Listening`].
    Lost,
}
