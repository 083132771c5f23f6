//! The database a meldroute process talks to, chosen by the URL's scheme: `sqlite://` (embedded default) or
//! `postgres://` (scale-out). An enum rather than a generic parameter, so the web layer is compiled once.

mod accounts;
mod api_tokens;
pub mod audit;
mod notifications;
mod retention;
mod route_maps;
mod team_sessions;
mod transfers;

use meldroute_store::*;
use meldroute_store_postgres::PgStore;
use meldroute_store_sqlite::SqliteStore;

pub use meldroute_store_sqlite::backup::{BackupReport, restore_file as restore_sqlite_file, verify_backup};

#[derive(Clone)]
pub enum Database {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Which backend a URL names, or why it names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Result<Backend, String> {
        let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase()).unwrap_or_default();
        match scheme.as_str() {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            "" => Err("the database URL has no scheme; use sqlite://PATH or postgres://USER@HOST/DB".into()),
            other => Err(format!(
                "the database URL scheme '{other}' is not supported; use sqlite://PATH or postgres://USER@HOST/DB"
            )),
        }
    }
}

impl Database {
    /// Connects to the database at `url`. Does not migrate.
    pub async fn connect(url: &str) -> StoreResult<Database> {
        match Backend::of_url(url).map_err(StoreError::Other)? {
            Backend::Sqlite => Ok(Database::Sqlite(SqliteStore::connect(url).await?)),
            Backend::Postgres => Ok(Database::Postgres(PgStore::connect(url).await?)),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Database::Sqlite(_) => Backend::Sqlite,
            Database::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts the group-commit writer for this database.
    pub fn spawn_writer(&self) -> (Writer, tokio::task::JoinHandle<()>) {
        Writer::spawn(self.clone())
    }

    /// Publishes a notification to every node (PostgreSQL); nothing to do on the embedded database, which
    /// has one node.
    pub async fn notify_channel(&self, channel: &str, payload: &str) -> StoreResult<()> {
        match self {
            Database::Sqlite(_) => Ok(()),
            Database::Postgres(s) => s.notify_channel(channel, payload).await,
        }
    }

    /// Tells `on` what a listener on `channel` hears from any node (PostgreSQL; see [`Heard`]); `None` on
    /// SQLite, which has one node.
    pub async fn listen_channel(
        &self,
        channel: &str,
        on: impl Fn(Heard<'_>) + Send + 'static,
    ) -> StoreResult<Option<tokio::task::JoinHandle<()>>> {
        match self {
            Database::Sqlite(_) => Ok(None),
            Database::Postgres(s) => s.listen_channel(channel, on).await.map(Some),
        }
    }

    /// Lets this node keep recent session lookups in memory while it hears every other node's changes to
    /// sessions, accounts, grants and notifications (PostgreSQL); on SQLite they are always kept.
    pub async fn listen_for_changes(&self) -> StoreResult<Option<tokio::task::JoinHandle<()>>> {
        match self {
            Database::Sqlite(_) => Ok(None),
            Database::Postgres(s) => s.listen_for_changes().await.map(Some),
        }
    }

    /// This node's memory of session lookups (for the metrics and tests).
    pub fn lookup_cache(&self) -> &LookupCache {
        match self {
            Database::Sqlite(s) => s.lookup_cache(),
            Database::Postgres(s) => s.lookup_cache(),
        }
    }

    pub async fn close(&self) {
        match self {
            Database::Sqlite(s) => s.close().await,
            Database::Postgres(s) => s.close().await,
        }
    }
}

impl BatchApply for Database {
    async fn apply_batch(&self, ops: &[WriteOp]) -> StoreResult<Vec<StoreResult<WriteOutcome>>> {
        match self {
            Database::Sqlite(s) => s.apply_batch(ops).await,
            Database::Postgres(s) => s.apply_batch(ops).await,
        }
    }

    fn batches_retried(&self) -> u64 {
        match self {
            Database::Sqlite(s) => s.batches_retried(),
            Database::Postgres(s) => s.batches_retried(),
        }
    }
}

/// Forwards each method of a store trait to the backend in the enum.
macro_rules! delegate {
    ($trait:ident { $( async fn $name:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty; )* }) => {
        impl $trait for Database {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    match self {
                        Database::Sqlite(s) => s.$name($($arg),*).await,
                        Database::Postgres(s) => s.$name($($arg),*).await,
                    }
                }
            )*
        }
    };
}

pub(crate) use delegate;

delegate! { Store {
    async fn migrate(&self) -> StoreResult<()>;
    async fn schema_status(&self) -> StoreResult<SchemaStatus>;
    async fn is_empty(&self) -> StoreResult<bool>;
    async fn table_counts(&self) -> StoreResult<Vec<(String, i64)>>;
    async fn create_organisation(&self, new: NewOrganisation) -> StoreResult<Organisation>;
    async fn find_organisation_by_name(&self, name: &str) -> StoreResult<Option<Organisation>>;
    async fn get_organisation(&self, t: &TenantCtx) -> StoreResult<Organisation>;
    async fn create_location(&self, t: &TenantCtx, new: NewLocation) -> StoreResult<Location>;
    async fn list_locations(&self, t: &TenantCtx) -> StoreResult<Vec<Location>>;
    async fn create_group(&self, t: &TenantCtx, new: NewGroup) -> StoreResult<Group>;
    async fn list_groups(&self, t: &TenantCtx, location: LocationId) -> StoreResult<Vec<Group>>;
    async fn create_user(&self, t: &TenantCtx, new: NewUser) -> StoreResult<User>;
    async fn find_user_by_login(&self, login: &str) -> StoreResult<Option<User>>;
    async fn get_user(&self, t: &TenantCtx, id: UserId) -> StoreResult<User>;
    async fn list_users(&self, t: &TenantCtx) -> StoreResult<Vec<User>>;
    async fn user_names(&self, t: &TenantCtx, ids: &[UserId]) -> StoreResult<Vec<(UserId, String)>>;
    async fn grant_role(&self, t: &TenantCtx, grant: RoleGrant) -> StoreResult<()>;
    async fn roles_of(&self, t: &TenantCtx, user: UserId) -> StoreResult<Vec<RoleGrant>>;
    async fn list_role_grants(&self, t: &TenantCtx) -> StoreResult<Vec<RoleGrant>>;
    async fn create_pupil(&self, t: &TenantCtx, new: NewPupil) -> StoreResult<Pupil>;
    async fn get_pupil(&self, t: &TenantCtx, id: PupilId) -> StoreResult<Pupil>;
    async fn list_pupils(&self, t: &TenantCtx, filter: &PupilFilter) -> StoreResult<Vec<Pupil>>;
    async fn siblings_of(&self, t: &TenantCtx, id: PupilId) -> StoreResult<Vec<Pupil>>;
    async fn import_pupils(&self, t: &TenantCtx, location: LocationId, rows: Vec<NewPupil>) -> StoreResult<usize>;
    async fn get_dossier(&self, t: &TenantCtx, id: DossierId) -> StoreResult<Dossier>;
    async fn dossier_context(&self, t: &TenantCtx, id: DossierId) -> StoreResult<DossierContext>;
    async fn list_dossiers(&self, t: &TenantCtx, filter: &DossierFilter) -> StoreResult<Vec<Dossier>>;
    async fn list_entries(&self, t: &TenantCtx, dossier: DossierId) -> StoreResult<Vec<StoredEntry>>;
    async fn get_attachment(&self, t: &TenantCtx, dossier: DossierId, id: &str) -> StoreResult<StoredAttachment>;
    async fn list_audit(&self, t: &TenantCtx, filter: &AuditFilter) -> StoreResult<Vec<AuditEvent>>;
} }

impl meldroute_store::bulk::BulkLoad for Database {
    async fn bulk_insert(&self, chunk: &meldroute_store::bulk::BulkChunk) -> StoreResult<()> {
        match self {
            Database::Sqlite(s) => s.bulk_insert(chunk).await,
            Database::Postgres(s) => s.bulk_insert(chunk).await,
        }
    }

    async fn bulk_finish(&self) -> StoreResult<()> {
        match self {
            Database::Sqlite(s) => s.bulk_finish().await,
            Database::Postgres(s) => s.bulk_finish().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_chooses_the_backend() {
        assert_eq!(Backend::of_url("sqlite://data/meldroute.db"), Ok(Backend::Sqlite));
        assert_eq!(Backend::of_url("postgres://postgres@127.0.0.1/x"), Ok(Backend::Postgres));
        assert_eq!(Backend::of_url("postgresql://h/x"), Ok(Backend::Postgres));
        assert!(Backend::of_url("mysql://h/x").unwrap_err().contains("'mysql' is not supported"));
        assert!(Backend::of_url("nonsense").unwrap_err().contains("no scheme"));
    }
}
